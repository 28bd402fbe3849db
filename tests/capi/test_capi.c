#define _POSIX_C_SOURCE 200809L /* mkdtemp */
/* Drives tutorcore.h from plain C99: versions, errors, domains, the store. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tutorcore/tutorcore.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                           \
  do {                                                                                        \
    ++checks;                                                                                 \
    if (!(cond)) {                                                                            \
      ++failures;                                                                             \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, #cond, \
              tc_last_error());                                                               \
    }                                                                                         \
  } while (0)

#define JSON(s) (s), strlen(s)

static int contains(const char *s, const char *part) {
  return s && strstr(s, part) != NULL;
}

static void test_version(void) {
  CHECK(strcmp(tc_version(), TC_VERSION_STRING) == 0);
  CHECK(tc_version_number() == TC_VERSION_NUMBER);
  CHECK(TC_VERSION_AT_LEAST(0, 0, 1));
  CHECK(!TC_VERSION_AT_LEAST(TC_VERSION_MAJOR + 1, 0, 0));
  CHECK(contains(tc_status_str(TC_EINVAL), "TC_EINVAL"));
  CHECK(strcmp(tc_status_str(12345), "unknown status") == 0);
  CHECK(strcmp(tc_last_error(), "") == 0);
  tc_free(NULL);
}

static void test_domain(void) {
  char *report = NULL;
  tc_domain *d = NULL;
  char *desc = NULL;
  CHECK(tc_domain_validate_dir(
            &report, TUTORCORE_SOURCE_DIR "/examples/domains/algebra_fundamentals") == TC_OK);
  CHECK(contains(report, "\"valid\":true"));
  CHECK(strcmp(tc_last_error(), "") == 0);
  tc_free(report);

  CHECK(tc_domain_validate_dir(&report, TUTORCORE_SOURCE_DIR "/no/such/domain") == TC_ENOTFOUND);
  CHECK(contains(tc_last_error(), "is not a directory"));
  tc_free(report);

  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/examples/domains/intro_chemistry") == TC_OK);
  CHECK(d != NULL);
  CHECK(tc_domain_describe(&desc, d) == TC_OK);
  CHECK(contains(desc, "\"domain\":\"intro_chemistry\""));
  tc_free(desc);
  tc_domain_free(d);
  tc_domain_free(NULL);

  CHECK(tc_domain_load(NULL, "x") == TC_EINVAL);
  CHECK(contains(tc_last_error(), "out is NULL"));
}

static int seen_events = 0;
static int on_event(const char *json, size_t len, void *userdata) {
  (void)len;
  if (contains(json, "\"type\":\"response.submitted\"")) ++*(int *)userdata;
  return TC_OK;
}

static void test_store(void) {
  tc_store_options opts;
  tc_store *store = NULL;
  char *out = NULL;
  uint64_t token = 0;
  int64_t ids[2] = {0, 0};
  int64_t last = 0;
  tc_event events[2];
  const char *one =
      "{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":\"s-1\","
      "\"type\":\"response.submitted\",\"payload\":{\"problem_id\":\"p1\",\"concept_id\":\"c1\","
      "\"correct\":true},\"idempotency_key\":\"a1\"}";

  CHECK(tc_store_options_init(&opts, TC_STORE_OPTIONS_VERSION) == TC_OK);
  CHECK(opts.checkpoint_every == 1000000);
  CHECK(tc_store_options_init(&opts, TC_STORE_OPTIONS_VERSION + 1) == TC_EVERSION);
  CHECK(contains(tc_last_error(), "tc_store_options version"));

  /* SQLite needs a path. */
  CHECK(tc_store_open(&store, NULL) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "path is empty"));
  CHECK(store == NULL);
  tc_store_options_init(&opts, TC_STORE_OPTIONS_VERSION);
  opts.version = 99;
  CHECK(tc_store_open(&store, &opts) == TC_EVERSION);

  tc_store_options_init(&opts, TC_STORE_OPTIONS_VERSION);
  opts.backend = TC_STORE_MEMORY;
  CHECK(tc_store_open(&store, &opts) == TC_OK);
  CHECK(tc_store_subscribe(&token, store, on_event, &seen_events) == TC_OK);

  CHECK(tc_store_append_json(&out, store, one, strlen(one)) == TC_OK);
  CHECK(contains(out, "\"ids\":[1]"));
  CHECK(contains(out, "\"new\":[true]"));
  tc_free(out);
  /* The same key again: stored once, same id, still TC_OK. */
  CHECK(tc_store_append_json(&out, store, one, strlen(one)) == TC_OK);
  CHECK(contains(out, "\"ids\":[1]"));
  CHECK(contains(out, "\"new\":[false]"));
  tc_free(out);
  CHECK(seen_events == 1);

  /* Typed fast path. */
  memset(events, 0, sizeof events);
  events[0].version = TC_EVENT_VERSION;
  events[0].tenant = "t1";
  events[0].entity_type = "student";
  events[0].entity_id = "s-2";
  events[0].type = "mastery.updated";
  events[0].payload_json = "{\"concept_id\":\"c1\",\"new_level\":0.5}";
  events[1] = events[0];
  events[1].type = "response.submitted";
  events[1].payload_json = "{\"problem_id\":\"p1\",\"concept_id\":\"c1\",\"correct\":false}";
  CHECK(tc_store_append(ids, store, events, 2) == TC_OK);
  CHECK(ids[0] == 2 && ids[1] == 3);
  CHECK(tc_store_last_id(&last, store) == TC_OK);
  CHECK(last == 3);
  CHECK(seen_events == 2);

  /* Bad input: clear status and message, nothing stored. */
  events[1].payload_json = "{\"problem_id\":\"p1\"";
  CHECK(tc_store_append(ids, store, events, 2) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "event[1].payload: malformed JSON at line 1"));
  events[1].version = 42;
  CHECK(tc_store_append(ids, store, events, 2) == TC_EVERSION);
  CHECK(tc_store_append_json(&out, store, JSON("{\"tenant\":")) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "events JSON: malformed JSON"));
  CHECK(out == NULL);
  CHECK(tc_store_append_json(&out, store, JSON("[{\"tenant\":\"t1\",\"tenent\":1}]")) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "[0].tenent: unknown field"));
  CHECK(tc_store_append_json(&out, store, JSON("[]")) == TC_EINVAL);
  CHECK(tc_store_last_id(&last, store) == TC_OK);
  CHECK(last == 3);
  CHECK(strcmp(tc_last_error(), "") == 0); /* cleared by the successful call */

  /* Reads and views are tenant-scoped. */
  CHECK(tc_store_read_json(&out, store, JSON("{\"tenant\":\"t1\",\"entity_id\":\"s-2\"}")) ==
        TC_OK);
  CHECK(contains(out, "\"last_id\":3"));
  CHECK(contains(out, "\"type\":\"mastery.updated\""));
  tc_free(out);
  CHECK(tc_store_read_json(&out, store, JSON("{\"tenant\":\"t2\"}")) == TC_OK);
  CHECK(contains(out, "\"events\":[]"));
  tc_free(out);
  CHECK(tc_store_read_json(&out, store, JSON("{\"entity_id\":\"s-2\"}")) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "event query.tenant: required field is missing"));
  CHECK(tc_store_read_json(&out, store, JSON("{\"tenant\":\"t1\",\"limit\":0}")) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "event query.limit"));

  CHECK(tc_store_view_json(&out, store,
                           JSON("{\"view\":\"mastery\",\"tenant\":\"t1\",\"student\":\"s-2\"}")) ==
        TC_OK);
  CHECK(contains(out, "\"level\":0.5"));
  CHECK(contains(out, "\"attempts\":1"));
  tc_free(out);
  CHECK(tc_store_view_json(&out, store, JSON("{\"view\":\"moods\",\"tenant\":\"t1\"}")) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "unknown view 'moods'"));
  CHECK(tc_store_rebuild_views(store) == TC_OK);
  CHECK(tc_store_checkpoint(store) == TC_OK);

  CHECK(tc_store_unsubscribe(store, token) == TC_OK);
  CHECK(tc_store_unsubscribe(store, token) == TC_ENOTFOUND);
  tc_store_free(store);
  tc_store_free(NULL);
}

/* The SQLite backend through the C ABI: durable appends survive reopening. */
static void test_sqlite_store(void) {
  tc_store_options opts;
  tc_store *store = NULL;
  char path[] = "/tmp/tc-capi-XXXXXX";
  char db[64];
  char *out = NULL;
  int64_t last = 0;
  const char *ev =
      "{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":\"s-9\","
      "\"type\":\"mastery.updated\",\"payload\":{\"concept_id\":\"c1\",\"new_level\":0.25}}";
  if (!mkdtemp(path)) {
    CHECK(0);
    return;
  }
  snprintf(db, sizeof db, "%s/store.db", path);
  tc_store_options_init(&opts, TC_STORE_OPTIONS_VERSION);
  opts.path = db;
  opts.durability = TC_DURABILITY_FULL;
  CHECK(tc_store_open(&store, &opts) == TC_OK);
  CHECK(tc_store_append_json(NULL, store, JSON(ev)) == TC_OK);
  tc_store_free(store);
  store = NULL;

  opts.durability = 7;
  CHECK(tc_store_open(&store, &opts) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "durability 7"));
  opts.durability = TC_DURABILITY_NORMAL;
  opts.backend = 9;
  CHECK(tc_store_open(&store, &opts) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "backend 9 is unknown"));
  opts.backend = TC_STORE_SQLITE;
  CHECK(tc_store_open(&store, &opts) == TC_OK);
  CHECK(tc_store_last_id(&last, store) == TC_OK);
  CHECK(last == 1);
  CHECK(tc_store_view_json(&out, store, JSON("{\"view\":\"mastery\",\"tenant\":\"t1\"}")) == TC_OK);
  CHECK(contains(out, "\"level\":0.25"));
  tc_free(out);
  tc_store_free(store);
  remove(db);
  snprintf(db, sizeof db, "%s/store.db-wal", path);
  remove(db);
  snprintf(db, sizeof db, "%s/store.db-shm", path);
  remove(db);
  rmdir(path);
}

static int progress_calls = 0;
static int count_progress(uint64_t done, uint64_t total, void *userdata) {
  (void)done;
  (void)total;
  (void)userdata;
  ++progress_calls;
  return 0;
}
static int cancel_at_first(uint64_t done, uint64_t total, void *userdata) {
  (void)done;
  (void)total;
  (void)userdata;
  return 1;
}

/* Knowledge tracing: the typed hot paths and the JSON fit request. */
static void test_tracing(void) {
  tc_bkt_params b = {0.3, 0.2, 0.1, 0.05, 0.0};
  tc_bkt_params got;
  double post = 0.285 / 0.355;
  char rows[20000];
  size_t used = 0;
  int s, t;
  char *out = NULL;
  CHECK(fabs(tc_bkt_predict(0.3, &b) - (0.3 * 0.95 + 0.7 * 0.1)) < 1e-12);
  CHECK(fabs(tc_bkt_update(0.3, 1, &b) - (post + (1 - post) * 0.2)) < 1e-12);
  CHECK(isnan(tc_bkt_update(0.3, 1, NULL)));

  /* 40 students x 2 skills x 8 answers, a deterministic pattern. */
  used +=
      (size_t)snprintf(rows + used, sizeof rows - used, "{\"restarts\":2,\"seed\":7,\"rows\":[");
  for (s = 0; s < 40; ++s) {
    for (t = 0; t < 16; ++t) {
      int right = (t % 8) >= (s % 5) ? 1 : 0;
      used += (size_t)snprintf(rows + used, sizeof rows - used, "%s[\"s%d\",\"%s\",%d]",
                               (s || t) ? "," : "", s, t < 8 ? "skill_a" : "skill_b", right);
    }
  }
  used += (size_t)snprintf(rows + used, sizeof rows - used, "]}");
  CHECK(used < sizeof rows);
  CHECK(tc_bkt_fit(&out, rows, used, count_progress, NULL) == TC_OK);
  CHECK(contains(out, "\"skills\":2"));
  CHECK(contains(out, "\"responses\":640"));
  CHECK(contains(out, "\"kind\":\"bkt\""));
  CHECK(progress_calls >= 1);
  CHECK(tc_bkt_model_check(&got, strstr(out, "\"model\":") + 8,
                           strlen(strstr(out, "\"model\":") + 8) - 1, "skill_a") == TC_OK);
  CHECK(got.p_guess + got.p_slip < 1.0);
  CHECK(tc_bkt_model_check(NULL, strstr(out, "\"model\":") + 8,
                           strlen(strstr(out, "\"model\":") + 8) - 1, "skill_z") == TC_ENOTFOUND);
  tc_free(out);

  CHECK(tc_bkt_fit(&out, rows, used, cancel_at_first, NULL) == TC_EUSER);
  CHECK(contains(tc_last_error(), "cancelled"));
  CHECK(out == NULL);
  CHECK(tc_bkt_fit(&out, JSON("{\"rows\":[[\"s1\",\"k\",2]]}"), NULL, NULL) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "fit request.rows[0][2]: must be 0 or 1"));
  CHECK(tc_bkt_fit(&out, JSON("{\"rows\":[[\"s1\",\"k\",1]],\"restarts\":0}"), NULL, NULL) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "fit request.restarts: 0 is outside 1..1000"));
  CHECK(tc_bkt_fit(&out, JSON("{\"train_csv\":\"/no/such.csv\"}"), NULL, NULL) == TC_ENOTFOUND);
  CHECK(tc_bkt_fit(&out, JSON("{\"rows\":[],\"restart\":1}"), NULL, NULL) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "fit request.restart: unknown field"));
  CHECK(tc_bkt_model_check(NULL, JSON("{\"schema_version\":1}"), NULL) == TC_EINVAL);
}

static void test_tracing_variants(void) {
  char rows[40000];
  size_t used = 0;
  int s, t;
  char *out = NULL;
  const char *model;
  tc_bkt_model *m = NULL;
  tc_bkt_params easy, hard, base, two[2];
  double p[2] = {0.9, 0.5};

  /* Item "e" is easy to guess, item "h" is not; students in two groups. */
  used += (size_t)snprintf(rows + used, sizeof rows - used,
                           "{\"restarts\":2,\"multigs\":true,\"multiprior\":true,\"rows\":[");
  for (s = 0; s < 60; ++s) {
    for (t = 0; t < 10; ++t) {
      int easy_item = t % 2 == 0;
      int right = easy_item ? (s + t) % 3 != 0 : (t > 5 && s % 2 == 0);
      used += (size_t)snprintf(rows + used, sizeof rows - used,
                               "%s[\"s%d\",\"k\",%d,\"%s\",\"%s\"]", (s || t) ? "," : "", s, right,
                               easy_item ? "e" : "h", s % 2 ? "g1" : "g2");
    }
  }
  used += (size_t)snprintf(rows + used, sizeof rows - used, "]}");
  CHECK(used < sizeof rows);
  CHECK(tc_bkt_fit(&out, rows, used, NULL, NULL) == TC_OK);
  CHECK(contains(out, "\"items\":[{\"item\":"));
  CHECK(contains(out, "\"groups\":[{\"group\":"));
  model = strstr(out, "\"model\":") + 8;
  CHECK(tc_bkt_model_load(&m, model, strlen(model) - 1) == TC_OK);
  CHECK(tc_bkt_model_params(m, "k", "e", "g1", &easy) == TC_OK);
  CHECK(tc_bkt_model_params(m, "k", "h", "g1", &hard) == TC_OK);
  CHECK(tc_bkt_model_params(m, "k", NULL, NULL, &base) == TC_OK);
  CHECK(easy.p_guess > hard.p_guess);
  CHECK(easy.p_learn == hard.p_learn); /* multilearn off: one learn rate */
  CHECK(tc_bkt_model_params(m, "k", "unknown item", NULL, &two[0]) == TC_OK);
  CHECK(two[0].p_guess == base.p_guess);
  CHECK(tc_bkt_model_params(m, "nope", NULL, NULL, &two[0]) == TC_ENOTFOUND);
  CHECK(tc_bkt_model_params(NULL, "k", NULL, NULL, &two[0]) == TC_EINVAL);
  tc_bkt_model_free(m);
  tc_free(out);
  CHECK(tc_bkt_model_load(&m, JSON("{\"schema_version\":99,\"kind\":\"bkt\"}")) == TC_EVERSION);
  CHECK(m == NULL);

  /* A two-skill item: the product of the per-skill predictions by default. */
  two[0] = easy;
  two[1] = hard;
  CHECK(fabs(tc_bkt_predict_multi(p, two, 2, TC_COMBINE_PRODUCT) -
             tc_bkt_predict(p[0], &two[0]) * tc_bkt_predict(p[1], &two[1])) < 1e-15);
  CHECK(tc_bkt_predict_multi(p, two, 2, TC_COMBINE_MIN) <= tc_bkt_predict(p[1], &two[1]));
  CHECK(isnan(tc_bkt_predict_multi(p, two, 0, TC_COMBINE_PRODUCT)));
  CHECK(isnan(tc_bkt_predict_multi(p, two, 2, 7)));

  CHECK(tc_bkt_fit(&out, JSON("{\"rows\":[[\"s1\",\"k\",1]],\"multigs\":true}"), NULL, NULL) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "multigs needs an item"));
  CHECK(tc_bkt_fit(&out, JSON("{\"rows\":[[\"s1\",\"k\",1,\"\"]]}"), NULL, NULL) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "rows[0][3]"));
}

static void test_tutor(void) {
  tc_domain *d = NULL;
  tc_store *st = NULL;
  tc_tutor *t = NULL;
  tc_store_options so;
  char *out = NULL, *again = NULL;
  const char *wrong =
      "{\"tenant\":\"t1\",\"student\":\"s1\",\"problem_id\":\"unit_alpha_p2\","
      "\"answer\":\"3\",\"idempotency_key\":\"a1\",\"latency_ms\":20000}";
  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
  CHECK(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
  so.backend = TC_STORE_MEMORY;
  CHECK(tc_store_open(&st, &so) == TC_OK);
  CHECK(tc_tutor_open(&t, st, d, JSON("{\"escalation\":{\"max_modality_attempts\":9}}")) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "tutor config.escalation.max_modality_attempts"));
  CHECK(t == NULL);
  CHECK(tc_tutor_open(&t, st, d, NULL, 0) == TC_OK);
  tc_domain_free(d); /* the tutor keeps its own copy */

  CHECK(tc_submit_response(t, JSON(wrong), &out) == TC_OK);
  CHECK(contains(out, "\"correct\":false"));
  CHECK(contains(out, "\"id\":\"mis_alpha_one\""));
  CHECK(contains(out, "\"recommendations\":[{"));
  CHECK(contains(out, "\"next_problems\":{"));
  CHECK(tc_submit_response(t, JSON(wrong), &again) == TC_OK);
  CHECK(again && out && strcmp(again, out) == 0); /* a retry returns the first result */
  tc_free(again);
  tc_free(out);

  CHECK(tc_tutor_act(t,
                     JSON("{\"action\":\"approve\",\"tenant\":\"t1\",\"student\":\"s1\","
                          "\"misconception_id\":\"mis_alpha_one\",\"teacher_id\":\"x7\"}"),
                     &out) == TC_OK);
  CHECK(contains(out, "\"type\":\"intervention.assigned\""));
  CHECK(contains(out, "\"author\":\"teacher:x7\""));
  tc_free(out);
  CHECK(tc_tutor_act(t,
                     JSON("{\"action\":\"acknowledge\",\"tenant\":\"t1\",\"student\":\"s1\","
                          "\"misconception_id\":\"mis_alpha_one\",\"teacher_id\":\"x7\"}"),
                     &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "state 'intervention_assigned'"));
  CHECK(out == NULL);
  CHECK(tc_submit_response(t, JSON("{\"tenant\":\"t1\"}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "submit request.student: required field is missing"));
  CHECK(tc_submit_response(t,
                           JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"problem_id\":"
                                "\"zzz\",\"answer\":\"1\",\"idempotency_key\":\"a2\"}"),
                           &out) == TC_ENOTFOUND);
  CHECK(tc_submit_response(NULL, JSON(wrong), &out) == TC_EINVAL);
  CHECK(tc_tutor_profile(t, "t1", "s1", &out) == TC_OK);
  CHECK(contains(out, "\"error_pattern\":"));
  tc_free(out);
  CHECK(tc_tutor_snapshot(t, "t1", "s1", &out) == TC_OK);
  CHECK(contains(out, "\"lifecycle\":\"active\""));
  tc_free(out);
  CHECK(tc_tutor_profile(t, "t1", "nobody", &out) == TC_ENOTFOUND);
  CHECK(tc_tutor_evaluate_policy(t, "t1", "greedy", &out) == TC_ENOTFOUND); /* no outcome yet */
  CHECK(tc_tutor_evaluate_policy(t, "t1", "oracle", &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "'oracle' is not thompson, greedy or uniform"));
  tc_tutor_free(t);
  tc_tutor_free(NULL);
  tc_store_free(st);
}

static void test_irt(void) {
  CHECK(fabs(tc_irt_probability(0.5, 1.5, 0.5) - 0.5) < 1e-12);
  CHECK(fabs(tc_irt_information(0.5, 1.5, 0.5) - 1.5 * 1.5 * 0.25) < 1e-12);
  CHECK(fabs(tc_irt_theta_from_mastery(0.5)) < 1e-12);
  CHECK(tc_irt_theta_from_mastery(1.0) < 14.0); /* clamped, finite */
}

int main(void) {
  test_version();
  test_domain();
  test_store();
  test_sqlite_store();
  test_tracing();
  test_tracing_variants();
  test_tutor();
  test_irt();
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
