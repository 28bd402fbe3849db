// The README's example: one answer through the pipeline and a teacher's approval.
// Build: cc -std=c99 quickstart.c $(pkg-config --cflags --libs tutorcore)
#include <stdio.h>
#include <string.h>
#include <tutorcore/tutorcore.h>

int main(int argc, char **argv) {
  const char *domain_dir = argc > 1 ? argv[1] : "examples/domains/algebra_fundamentals";
  tc_store_options opts = TC_STORE_OPTIONS_INIT;
  tc_store *store = NULL;
  tc_domain *domain = NULL;
  tc_tutor *tutor = NULL;
  char *out = NULL;
  /* "Compute: -7 + 3" answered "-10": the student adds the magnitudes. */
  const char *answer =
      "{\"tenant\":\"district-7\",\"student\":\"s-0192\",\"problem_id\":\"ias_01\","
      "\"answer\":\"-10\",\"latency_ms\":21000,\"idempotency_key\":\"s-0192/answer/1\"}";
  const char *approve =
      "{\"action\":\"approve\",\"tenant\":\"district-7\",\"student\":\"s-0192\","
      "\"misconception_id\":\"ias_add_magnitudes\",\"teacher_id\":\"t-12\","
      "\"idempotency_key\":\"s-0192/approve/1\"}";

  opts.path = "school.db";
  if (tc_store_open(&store, &opts) != TC_OK || tc_domain_load(&domain, domain_dir) != TC_OK ||
      tc_tutor_open(&tutor, store, domain, NULL, 0) != TC_OK) {
    fprintf(stderr, "open: %s\n", tc_last_error());
    return 1;
  }
  /* One call per answer: correctness, the misconception, updated mastery, the
     intervention proposed to the teacher and the next problems, all appended
     to the log in one transaction. A retry with the same key stores nothing
     and returns the same result. */
  if (tc_submit_response(tutor, answer, strlen(answer), &out) != TC_OK) {
    fprintf(stderr, "submit: %s\n", tc_last_error());
    return 1;
  }
  printf("%s\n", out);
  tc_free(out);
  /* Nothing is assigned until the teacher approves (or picks another modality). */
  if (tc_tutor_act(tutor, approve, strlen(approve), &out) != TC_OK) {
    fprintf(stderr, "approve: %s\n", tc_last_error());
    return 1;
  }
  printf("%s\n", out);
  tc_free(out);
  tc_tutor_free(tutor);
  tc_domain_free(domain);
  tc_store_free(store);
  return 0;
}
