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

static int failing_text(const char *context, size_t len, const char **out, size_t *out_len,
                        void *userdata) {
  (void)context, (void)len, (void)out, (void)out_len, (void)userdata;
  return 1;
}

static int host_text(const char *context, size_t len, const char **out, size_t *out_len,
                     void *userdata) {
  static const char text[] = "A summary written by the host";
  (void)context, (void)len;
  ++*(int *)userdata;
  *out = text;
  *out_len = sizeof text - 1;
  return 0;
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
  CHECK(tc_tutor_coaching(t,
                          JSON("{\"plan\":\"pre_class\",\"tenant\":\"t1\",\"roster\":"
                               "{\"s1\":\"Robin\"}}"),
                          &out) == TC_OK);
  CHECK(contains(out, "\"action_items\":"));
  CHECK(contains(out, "\"text\":\"Today's plan"));
  tc_free(out);
  CHECK(tc_tutor_set_text_callback(t, failing_text, NULL) == TC_OK);
  CHECK(tc_tutor_coaching(t,
                          JSON("{\"plan\":\"parent_summary\",\"tenant\":\"t1\",\"student\":"
                               "\"s1\",\"roster\":{\"s1\":\"Robin\"}}"),
                          &out) == TC_OK);
  CHECK(contains(out, "\"source\":\"template\""));
  CHECK(contains(out, "Student summary: Robin"));
  tc_free(out);
  {
    int calls = 0;
    CHECK(tc_tutor_set_text_callback(t, host_text, &calls) == TC_OK);
    CHECK(tc_tutor_coaching(
              t, JSON("{\"plan\":\"parent_summary\",\"tenant\":\"t1\",\"student\":\"s1\"}"),
              &out) == TC_OK);
    CHECK(contains(out, "\"source\":\"host\""));
    CHECK(calls == 1);
    tc_free(out);
    CHECK(tc_tutor_set_text_callback(t, NULL, NULL) == TC_OK);
  }
  CHECK(tc_tutor_coaching(t, JSON("{\"plan\":\"lunch\",\"tenant\":\"t1\"}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "coaching request.plan: 'lunch'"));
  CHECK(tc_tutor_acknowledge_plan(t, "t1", 1, "x7", NULL, &out) == TC_ENOTFOUND);
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

/* Class analytics: enrollments are events; the request names the analysis. */
static void test_analytics(void) {
  tc_domain *d = NULL;
  tc_store *st = NULL;
  tc_tutor *t = NULL;
  tc_store_options so;
  char *out = NULL;
  char events[4096];
  size_t used = 0;
  int s;
  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
  CHECK(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
  so.backend = TC_STORE_MEMORY;
  CHECK(tc_store_open(&st, &so) == TC_OK);
  CHECK(tc_tutor_open(&t, st, d, NULL, 0) == TC_OK);
  /* Four students in two classrooms; all show mis_alpha_one, s0 and s1 also
   * mis_gamma_one. */
  used += (size_t)snprintf(events + used, sizeof events - used, "[");
  for (s = 0; s < 4; ++s) {
    used += (size_t)snprintf(
        events + used, sizeof events - used,
        "%s{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":\"s%d\","
        "\"type\":\"classroom.enrolled\",\"payload\":{\"classroom_id\":\"room-%d\"}},"
        "{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":\"s%d\","
        "\"type\":\"misconception.detected\",\"payload\":{\"misconception_id\":"
        "\"mis_alpha_one\",\"concept_id\":\"unit_alpha\"}}",
        s ? "," : "", s, s % 2, s);
    if (s < 2)
      used += (size_t)snprintf(events + used, sizeof events - used,
                               ",{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":"
                               "\"s%d\",\"type\":\"misconception.detected\",\"payload\":{"
                               "\"misconception_id\":\"mis_gamma_one\",\"concept_id\":"
                               "\"unit_gamma\"}}",
                               s);
  }
  used += (size_t)snprintf(events + used, sizeof events - used, "]");
  CHECK(used < sizeof events);
  CHECK(tc_store_append_json(NULL, st, events, used) == TC_OK);

  CHECK(tc_tutor_analytics(t, JSON("{\"analysis\":\"all\",\"tenant\":\"t1\"}"), &out) == TC_OK);
  CHECK(contains(out, "\"students\":4"));
  CHECK(contains(out, "\"classrooms\":2"));
  CHECK(contains(out, "\"cooccurrence\":{\"students\":4"));
  /* C[gamma_one][alpha_one] = 1, C[alpha_one][gamma_one] = 0.5 */
  CHECK(contains(out, "\"matrix\":[[1,0.5],[1,1]]"));
  CHECK(contains(out, "\"effectiveness\":{"));
  CHECK(contains(out, "\"classroom_id\":\"room-1\""));
  CHECK(contains(out, "\"prerequisites\":{\"proposals\":[]"));
  CHECK(contains(out, "\"drift\":{\"edges\":["));
  tc_free(out);
  CHECK(tc_tutor_analytics(
            t, JSON("{\"analysis\":\"cooccurrence\",\"tenant\":\"t1\",\"classroom\":\"room-0\"}"),
            &out) == TC_OK);
  CHECK(contains(out, "\"students\":2"));
  CHECK(!contains(out, "\"cohorts\""));
  tc_free(out);
  out = NULL;

  CHECK(tc_tutor_analytics(t, JSON("{\"analysis\":\"trends\",\"tenant\":\"t1\"}"), &out) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "analytics request.analysis: 'trends' is not one of"));
  CHECK(out == NULL);
  CHECK(tc_tutor_analytics(t, JSON("{\"analysis\":\"all\"}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "analytics request.tenant"));
  CHECK(tc_tutor_analytics(
            t, JSON("{\"analysis\":\"drift\",\"tenant\":\"t1\",\"classroom\":\"room-7\"}"), &out) ==
        TC_ENOTFOUND);
  CHECK(contains(tc_last_error(), "analytics request.classroom"));
  CHECK(tc_tutor_analytics(t,
                           JSON("{\"analysis\":\"all\",\"tenant\":\"t1\",\"config\":{"
                                "\"drift_fail_rate\":2}}"),
                           &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "analytics request.config.drift_fail_rate"));
  CHECK(tc_tutor_analytics(NULL, JSON("{}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "tutor is NULL"));
  /* An enrollment must name its classroom. */
  CHECK(tc_store_append_json(NULL, st,
                             JSON("{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":"
                                  "\"s9\",\"type\":\"classroom.enrolled\",\"payload\":{}}")) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "payload.classroom_id: is required"));
  tc_tutor_free(t);
  tc_store_free(st);
  tc_domain_free(d);
}

static void test_sequencing(void) {
  tc_domain *d = NULL;
  tc_store *st = NULL;
  tc_tutor *t = NULL;
  tc_store_options so;
  char *out = NULL, *again = NULL;
  const char *answers =
      "{\"tenant\":\"t1\",\"student\":\"n1\",\"idempotency_key\":\"cold-1\",\"answers\":["
      "{\"problem_id\":\"unit_gamma_p0\",\"answer\":\"0\"},"
      "{\"problem_id\":\"unit_alpha_p0\",\"answer\":\"1\",\"latency_ms\":15000}]}";
  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
  CHECK(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
  so.backend = TC_STORE_MEMORY;
  CHECK(tc_store_open(&st, &so) == TC_OK);
  CHECK(tc_tutor_open(&t, st, d, NULL, 0) == TC_OK);

  /* Template instances: deterministic, with their misconception answers. */
  CHECK(tc_domain_generate(d, JSON("{\"template_id\":\"tpl_alpha_add\",\"count\":3}"), &out) ==
        TC_OK);
  CHECK(contains(out,
                 "\"instances\":[{\"instance\":0,\"problem\":{\"problem_id\":"
                 "\"tpl_alpha_add:a="));
  CHECK(contains(out, "\"misconception_answers\":{\"mis_alpha_one\":"));
  CHECK(contains(out, "\"generated\":true"));
  CHECK(tc_domain_generate(d, JSON("{\"template_id\":\"tpl_alpha_add\",\"count\":3}"), &again) ==
        TC_OK);
  CHECK(out && again && strcmp(out, again) == 0);
  tc_free(out);
  tc_free(again);
  CHECK(tc_domain_problem(d, "tpl_alpha_add:a=3,b=4", &out) == TC_OK);
  CHECK(contains(out, "\"problem_text\":\"Compute 3 + 4\""));
  CHECK(contains(out, "\"correct_answer\":\"7\""));
  CHECK(contains(out, "\"mis_alpha_one\":\"12\""));
  tc_free(out);
  CHECK(tc_domain_problem(d, "unit_beta_p1", &out) == TC_OK);
  CHECK(contains(out, "\"problem_id\":\"unit_beta_p1\"") && !contains(out, "generated"));
  tc_free(out);
  CHECK(tc_domain_problem(d, "tpl_alpha_add:a=30,b=4", &out) == TC_ENOTFOUND);
  CHECK(out == NULL);
  CHECK(tc_domain_generate(d, JSON("{\"template_id\":\"nope\"}"), &out) == TC_ENOTFOUND);
  CHECK(tc_domain_generate(d, JSON("{\"template_id\":\"tpl_alpha_add\",\"count\":0}"), &out) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "count"));

  /* Cold start: the diagnostic, then the answers that set the priors. */
  CHECK(tc_tutor_diagnostic(t, "t1", "n1", &out) == TC_OK);
  CHECK(contains(out, "\"kind\":\"cold_start\""));
  CHECK(contains(out, "\"problem_id\":\"unit_gamma_p0\""));
  tc_free(out);
  CHECK(tc_tutor_apply_diagnostic(t, JSON(answers), &out) == TC_OK);
  CHECK(contains(out, "\"answered\":2,\"correct\":1"));
  CHECK(contains(out, "\"evidence\":\"from_dependant\""));
  CHECK(tc_tutor_apply_diagnostic(t, JSON(answers), &again) == TC_OK);
  CHECK(out && again && strcmp(out, again) == 0); /* a retry returns the first result */
  tc_free(out);
  tc_free(again);
  CHECK(tc_tutor_diagnostic(t, "t1", "n1", &out) == TC_EEXISTS);
  CHECK(contains(tc_last_error(), "already has mastery"));
  CHECK(tc_tutor_apply_diagnostic(
            t,
            JSON("{\"tenant\":\"t1\",\"student\":\"n2\",\"idempotency_key\":\"c2\","
                 "\"answers\":[{\"problem_id\":\"nope\",\"answer\":\"1\"}]}"),
            &out) == TC_ENOTFOUND);
  CHECK(contains(tc_last_error(), "answers[0].problem_id"));

  /* An assignment from the priors; a generated item answered through submit. */
  CHECK(tc_tutor_assign(t,
                        JSON("{\"tenant\":\"t1\",\"student\":\"n1\",\"concepts\":[\"unit_gamma\"],"
                             "\"idempotency_key\":\"as-1\"}"),
                        &out) == TC_OK);
  CHECK(contains(out, "\"assignment\":{\"student\":\"n1\""));
  CHECK(contains(out, "\"kind\":\"remediation\""));
  CHECK(contains(out, "\"kind\":\"diagnostic\",\"text\""));
  CHECK(contains(out, "\"reason\":\"target: unit_gamma"));
  tc_free(out);
  CHECK(tc_tutor_assign(t, JSON("{\"tenant\":\"t1\",\"student\":\"n1\",\"concepts\":[\"x\"]}"),
                        &out) == TC_ENOTFOUND);
  CHECK(tc_tutor_assign(t, JSON("{\"tenant\":\"t1\",\"student\":\"n1\",\"concepts\":[]}"), &out) ==
        TC_EINVAL);
  CHECK(tc_tutor_assign(t,
                        JSON("{\"tenant\":\"t1\",\"student\":\"n1\",\"concepts\":[\"unit_alpha\"],"
                             "\"config\":{\"max_items\":0}}"),
                        &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "assign request.config.max_items"));
  CHECK(tc_tutor_assign(NULL, JSON("{}"), &out) == TC_EINVAL);
  CHECK(tc_submit_response(t,
                           JSON("{\"tenant\":\"t1\",\"student\":\"n1\",\"problem_id\":"
                                "\"tpl_alpha_add:a=3,b=4\",\"answer\":\"12\","
                                "\"idempotency_key\":\"g1\"}"),
                           &out) == TC_OK);
  CHECK(contains(out, "\"id\":\"mis_alpha_one\""));
  tc_free(out);
  tc_tutor_free(t);
  tc_store_free(st);
  tc_domain_free(d);
}

static void test_irt(void) {
  CHECK(fabs(tc_irt_probability(0.5, 1.5, 0.5) - 0.5) < 1e-12);
  CHECK(fabs(tc_irt_information(0.5, 1.5, 0.5) - 1.5 * 1.5 * 0.25) < 1e-12);
  CHECK(fabs(tc_irt_theta_from_mastery(0.5)) < 1e-12);
  CHECK(tc_irt_theta_from_mastery(1.0) < 14.0); /* clamped, finite */
}

/* A host classifier written in C: a "model" for one concept, counting its calls. */
struct host_model {
  int predicts, batches, destroyed, fail;
};

static int model_predict(void *userdata, const char *input, size_t len,
                         tc_classifier_reply *reply) {
  struct host_model *m = (struct host_model *)userdata;
  const char *answer = "{\"label\":\"mis_alpha_one\",\"confidence\":0.75,\"reason\":\"c model\"}";
  (void)len;
  ++m->predicts;
  if (m->fail) {
    tc_classifier_reply_error(reply, "the language model timed out");
    return 7;
  }
  /* The input carries the problem, the answer and the concept's catalog. */
  if (!contains(input, "\"schema_version\":1") || !contains(input, "\"correct_answer\":") ||
      !contains(input, "\"misconceptions\":[{\"id\":\"mis_alpha_one\"")) {
    tc_classifier_reply_error(reply, "unexpected input");
    return 1;
  }
  if (contains(input, "\"answer\":\"bad reply\""))
    answer = "{\"label\":\"mis_alpha_one\",\"confidence\":2}";
  return tc_classifier_reply_set(reply, answer, strlen(answer)) == TC_OK ? 0 : 1;
}

static int model_batch(void *userdata, const char *input, size_t len, tc_classifier_reply *reply) {
  struct host_model *m = (struct host_model *)userdata;
  const char *answer =
      "[{\"label\":\"mis_alpha_one\",\"confidence\":0.5},{\"label\":\"correct\",\"confidence\":1}]";
  (void)len;
  ++m->batches;
  if (!contains(input, "\"items\":[{")) return 1;
  return tc_classifier_reply_set(reply, answer, strlen(answer)) == TC_OK ? 0 : 1;
}

static int model_supports(void *userdata, const char *concept_id) {
  (void)userdata;
  return strcmp(concept_id, "unit_alpha") == 0;
}

static void model_destroy(void *userdata) {
  ++((struct host_model *)userdata)->destroyed;
}

static void test_classifiers(void) {
  tc_domain *d = NULL;
  tc_store *st = NULL;
  tc_tutor *t = NULL;
  tc_store_options so;
  struct host_model model = {0, 0, 0, 0}, host = {0, 0, 0, 0};
  tc_classifier c = TC_CLASSIFIER_INIT;
  char *out = NULL;
  char request[256];
  long response_id = 0;
  const char *p;

  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
  CHECK(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
  so.backend = TC_STORE_MEMORY;
  CHECK(tc_store_open(&st, &so) == TC_OK);
  CHECK(tc_tutor_open(&t, st, d, NULL, 0) == TC_OK);

  /* Registration: a bad struct, a bad name, then the model. */
  c.userdata = &model;
  CHECK(tc_tutor_register_classifier(t, "model", &c) == TC_EINVAL); /* no predict */
  CHECK(contains(tc_last_error(), "tc_classifier.predict: is NULL"));
  c.predict = model_predict;
  c.supports_concept = model_supports;
  c.destroy = model_destroy;
  c.version = TC_CLASSIFIER_VERSION + 1;
  CHECK(tc_tutor_register_classifier(t, "model", &c) == TC_EVERSION);
  c.version = TC_CLASSIFIER_VERSION;
  CHECK(tc_tutor_register_classifier(t, "Model X", &c) == TC_EINVAL);
  CHECK(tc_tutor_register_classifier(t, "hybrid", &c) == TC_EINVAL);
  CHECK(tc_tutor_register_classifier(NULL, "model", &c) == TC_EINVAL);
  CHECK(tc_tutor_register_classifier(t, "model", &c) == TC_OK);
  CHECK(tc_tutor_register_classifier(t, "model", &c) == TC_EEXISTS);
  CHECK(model.destroyed == 0); /* a refused registration keeps nothing */

  /* The route asks the model first for its concept, the rules elsewhere. */
  CHECK(tc_tutor_classify(t, JSON("{\"problem_id\":\"unit_alpha_p0\",\"answer\":\"0\"}"), &out) ==
        TC_OK);
  CHECK(contains(out, "\"label\":\"mis_alpha_one\",\"confidence\":0.75,\"backend\":\"model\""));
  CHECK(contains(out, "\"reason\":\"c model\""));
  tc_free(out);
  CHECK(tc_tutor_classify(t, JSON("{\"problem_id\":\"unit_beta_p0\",\"answer\":\"0\"}"), &out) ==
        TC_OK);
  CHECK(contains(out, "\"label\":\"correct\""));
  CHECK(contains(out, "\"backend\":\"rules\""));
  CHECK(contains(out, "model: does not support concept unit_beta"));
  tc_free(out);
  CHECK(tc_tutor_classify(t,
                          JSON("{\"problem_id\":\"unit_alpha_p0\",\"answer\":\"0\","
                               "\"backend\":\"rules\"}"),
                          &out) == TC_OK);
  CHECK(contains(out, "\"label\":\"correct\""));
  tc_free(out);
  CHECK(tc_tutor_classify(t, JSON("{\"problem_id\":\"unit_alpha_p0\",\"answer\":\"bad reply\"}"),
                          &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "classifier 'model' reply.confidence"));
  CHECK(out == NULL);
  CHECK(tc_tutor_classify(t, JSON("{\"problem_id\":\"nope\",\"answer\":\"0\"}"), &out) ==
        TC_ENOTFOUND);
  CHECK(tc_tutor_classify(t, JSON("{\"problem_id\":\"unit_alpha_p0\"}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "classify request.answer: required field is missing"));

  /* A submit records the backend that answered. */
  CHECK(tc_submit_response(t,
                           JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"problem_id\":"
                                "\"unit_alpha_p1\",\"answer\":\"1\",\"idempotency_key\":\"c1\"}"),
                           &out) == TC_OK);
  CHECK(contains(out,
                 "\"misconception\":{\"id\":\"mis_alpha_one\",\"confidence\":0.75,"
                 "\"classifier\":\"model\"}"));
  p = out ? strstr(out, "\"response_event_id\":") : NULL;
  if (p) response_id = strtol(p + strlen("\"response_event_id\":"), NULL, 10);
  CHECK(response_id > 0);
  tc_free(out);

  /* Batches: the model's predict_batch gets its concept's answers together. */
  c.predict_batch = model_batch;
  CHECK(tc_tutor_unregister_classifier(t, "model") == TC_OK);
  CHECK(model.destroyed == 1);
  CHECK(tc_tutor_unregister_classifier(t, "model") == TC_ENOTFOUND);
  model.destroyed = 0;
  CHECK(tc_tutor_register_classifier(t, "model", &c) == TC_OK);
  CHECK(tc_tutor_classify_batch(t,
                                JSON("{\"items\":[{\"problem_id\":\"unit_alpha_p0\",\"answer\":"
                                     "\"5\"},{\"problem_id\":\"unit_beta_p0\",\"answer\":\"1\"},"
                                     "{\"problem_id\":\"unit_alpha_p1\",\"answer\":\"1\"}]}"),
                                &out) == TC_OK);
  CHECK(model.batches == 1);
  CHECK(contains(out,
                 "\"predictions\":[{\"label\":\"mis_alpha_one\",\"confidence\":0.5,"
                 "\"backend\":\"model\""));
  CHECK(contains(out, "{\"label\":\"mis_beta_one\",\"confidence\":1,\"backend\":\"rules\""));
  CHECK(contains(out, "{\"label\":\"correct\",\"confidence\":1,\"backend\":\"model\""));
  tc_free(out);
  CHECK(tc_tutor_classify_batch(t, JSON("{\"items\":[{\"problem_id\":\"unit_alpha_p0\"}]}"),
                                &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "classify batch request.items[0].answer"));

  /* A failing host callback: TC_EUSER with its message, or passed over. */
  c.userdata = &host;
  c.supports_concept = NULL;
  c.predict_batch = NULL;
  host.fail = 1;
  CHECK(tc_tutor_register_classifier(t, "host", &c) == TC_OK);
  CHECK(tc_tutor_classify(t, JSON("{\"problem_id\":\"unit_gamma_p0\",\"answer\":\"9\"}"), &out) ==
        TC_EUSER);
  CHECK(contains(tc_last_error(),
                 "classifier 'host': the host's predict failed (7): the language "
                 "model timed out"));
  CHECK(tc_submit_response(t,
                           JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"problem_id\":"
                                "\"unit_gamma_p0\",\"answer\":\"9\",\"idempotency_key\":\"c2\"}"),
                           &out) == TC_EUSER);
  CHECK(out == NULL);
  CHECK(tc_tutor_set_routing(t, JSON("{\"on_error\":\"skip\"}"), &out) == TC_OK);
  CHECK(contains(out, "\"classifiers\":[\"catalog\",\"host\",\"model\",\"rules\"]"));
  CHECK(contains(out, "\"route\":[\"model\",\"rules\",\"catalog\",\"host\"]"));
  CHECK(contains(out, "\"on_error\":\"skip\""));
  tc_free(out);
  CHECK(tc_tutor_classify(t, JSON("{\"problem_id\":\"unit_gamma_p0\",\"answer\":\"9\"}"), &out) ==
        TC_OK);
  CHECK(contains(out, "\"label\":\"unknown\""));
  CHECK(contains(out, "\"backend\":\"hybrid\""));
  CHECK(contains(out, "host: failed: classifier 'host': the host's predict failed (7)"));
  tc_free(out);
  /* A backend named in the call reports its error whatever the route's policy. */
  CHECK(tc_tutor_classify(t,
                          JSON("{\"problem_id\":\"unit_gamma_p0\",\"answer\":\"9\","
                               "\"backend\":\"host\"}"),
                          &out) == TC_EUSER);
  CHECK(contains(tc_last_error(), "the language model timed out"));
  CHECK(tc_tutor_set_routing(t, JSON("{\"route\":[]}"), NULL) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "routing.route: is empty"));
  CHECK(tc_tutor_set_routing(t, JSON("{\"catalog\":{\"threshold\":2}}"), NULL) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "routing.catalog.threshold"));
  CHECK(tc_tutor_set_routing(t, NULL, 0, &out) == TC_OK); /* a read */
  CHECK(contains(out, "\"on_error\":\"skip\""));
  tc_free(out);

  /* The teacher's review and the labelled data set. */
  snprintf(request, sizeof request,
           "{\"tenant\":\"t1\",\"response_event_id\":%ld,\"teacher_id\":\"x7\","
           "\"label\":\"correct\"}",
           response_id);
  CHECK(tc_tutor_review_classification(t, request, strlen(request), &out) == TC_OK);
  CHECK(contains(out,
                 "\"original_label\":\"mis_alpha_one\",\"original_classifier\":\"model\","
                 "\"corrected_label\":\"correct\",\"verdict\":\"corrected\""));
  tc_free(out);
  CHECK(tc_tutor_review_classification(t,
                                       JSON("{\"tenant\":\"t1\",\"response_event_id\":9999,"
                                            "\"teacher_id\":\"x7\"}"),
                                       &out) == TC_ENOTFOUND);
  CHECK(tc_tutor_review_classification(t, JSON("{\"tenant\":\"t1\"}"), &out) == TC_EINVAL);
  CHECK(tc_tutor_export_labels(t, JSON("{\"tenant\":\"t1\"}"), &out) == TC_OK);
  CHECK(contains(out,
                 "\"answer\":\"1\",\"concept_id\":\"unit_alpha\",\"label\":\"correct\","
                 "\"source\":\"corrected\",\"classifier\":\"model\"}\n"));
  tc_free(out);
  CHECK(tc_tutor_export_labels(t, JSON("{\"tenant\":\"t1\",\"include_unreviewed\":1}"), &out) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "label export.include_unreviewed"));

  /* Reply helpers refuse NULL; freeing the tutor destroys what it holds once. */
  CHECK(tc_classifier_reply_set(NULL, "{}", 2) == TC_EINVAL);
  CHECK(tc_classifier_reply_error(NULL, "x") == TC_EINVAL);
  CHECK(model.destroyed == 0);
  tc_tutor_free(t);
  CHECK(model.destroyed == 1);
  CHECK(host.destroyed == 1);
  tc_store_free(st);
  tc_domain_free(d);
}

/* A host's moderation classifier: labels any message with "lunch" off_topic. */
static int mod_predict(void *userdata, const char *input, size_t len, tc_classifier_reply *reply) {
  const char *label = strstr(input, "lunch") ? "{\"label\":\"off_topic:low\",\"confidence\":0.8}"
                                             : "{\"label\":\"none\",\"confidence\":0.9}";
  (void)len;
  ++*(int *)userdata;
  return tc_classifier_reply_set(reply, label, strlen(label)) == TC_OK ? 0 : 1;
}

/* A host's bias model: answers anchoring at the confidence in userdata. */
static int bias_predict(void *userdata, const char *input, size_t len, tc_classifier_reply *reply) {
  char buf[128];
  (void)len;
  if (!strstr(input, "metacog.bias")) return 1;
  snprintf(buf, sizeof buf, "{\"label\":\"anchoring\",\"confidence\":%.2f}", *(double *)userdata);
  return tc_classifier_reply_set(reply, buf, strlen(buf)) == TC_OK ? 0 : 1;
}

static int crisis_alerts = 0, text_stored = 0;
static int on_crisis(const char *json, size_t len, void *userdata) {
  (void)len;
  (void)userdata;
  if (contains(json, "\"type\":\"moderation.crisis\"")) ++crisis_alerts;
  if (contains(json, "want to die")) ++text_stored; /* the message never enters the log */
  return TC_OK;
}

static void test_metacog(void) {
  tc_domain *d = NULL;
  tc_store *st = NULL;
  tc_tutor *t = NULL;
  tc_store_options so;
  tc_classifier c = TC_CLASSIFIER_INIT;
  double model_confidence = 0.64;
  char *out = NULL;
  char ev[512];
  int i;

  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
  CHECK(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
  so.backend = TC_STORE_MEMORY;
  CHECK(tc_store_open(&st, &so) == TC_OK);
  CHECK(tc_tutor_open(&t, st, d, NULL, 0) == TC_OK);

  /* Three fast, wrong, unverified submits: overconfidence at 0.75. */
  for (i = 0; i < 3; ++i) {
    snprintf(ev, sizeof ev,
             "{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":\"s1\","
             "\"type\":\"interaction.submitted\",\"time_us\":%lld,\"payload\":{\"session_id\":"
             "\"sess\",\"problem_id\":\"p%d\",\"correct\":false,\"latency_ms\":1500}}",
             1767225600000000LL + i * 10000000LL, i);
    CHECK(tc_store_append_json(NULL, st, ev, strlen(ev)) == TC_OK);
  }
  CHECK(tc_tutor_detect_bias(
            t, JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"time_us\":1767225630000000}"), &out) ==
        TC_OK);
  CHECK(contains(out, "\"intervention_proposed\":true"));
  CHECK(contains(out, "\"bias\":\"overconfidence\",\"confidence\":0.75"));
  CHECK(contains(out, "can you identify one potential flaw in your reasoning?"));
  CHECK(contains(out, "\"alert\":{\"event_id\":4,\"replayed\":false}"));
  tc_free(out);
  CHECK(tc_tutor_bias_summary(t, JSON("{\"tenant\":\"t1\",\"session_id\":\"sess\"}"), &out) ==
        TC_OK);
  CHECK(contains(out,
                 "\"total\":1,\"bias_breakdown\":{\"overconfidence\":1},"
                 "\"most_common_bias\":\"overconfidence\""));
  tc_free(out);

  /* A host model registered under "bias": 0.64 proposes nothing, 0.66 does. */
  c.userdata = &model_confidence;
  c.predict = bias_predict;
  CHECK(tc_tutor_register_classifier(t, "bias", &c) == TC_OK);
  CHECK(tc_tutor_detect_bias(
            t, JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"time_us\":1767225630000000}"), &out) ==
        TC_OK);
  CHECK(contains(out, "\"intervention_proposed\":false"));
  CHECK(contains(out, "\"bias\":\"anchoring\",\"confidence\":0.64"));
  tc_free(out);
  model_confidence = 0.66;
  CHECK(tc_tutor_detect_bias(
            t, JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"time_us\":1767225630000000}"), &out) ==
        TC_OK);
  CHECK(contains(out, "\"intervention_proposed\":true"));
  CHECK(contains(out, "\"backend\":\"bias\""));
  tc_free(out);

  /* Configuration and errors. */
  CHECK(tc_tutor_set_metacog(t, JSON("{\"threshold\":0.9}"), &out) == TC_OK);
  CHECK(contains(out, "\"metacog\":{\"window_events\":20,\"max_age_s\":3600,\"threshold\":0.9"));
  tc_free(out);
  CHECK(tc_tutor_set_metacog(t, JSON("{\"threshold\":2}"), &out) == TC_EINVAL);
  CHECK(out == NULL);
  CHECK(contains(tc_last_error(), "metacog config.threshold"));
  CHECK(tc_tutor_set_metacog(t, NULL, 0, NULL) == TC_OK);
  CHECK(tc_tutor_detect_bias(t, JSON("{\"tenant\":\"t1\"}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "bias request.student: required field is missing"));
  CHECK(tc_tutor_detect_bias(NULL, JSON("{}"), &out) == TC_EINVAL);
  CHECK(tc_tutor_bias_summary(t, JSON("{\"tenant\":\"t1\"}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "give a session_id, a student or both"));
  CHECK(tc_store_append_json(NULL, st,
                             JSON("{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":"
                                  "\"s1\",\"type\":\"interaction.submitted\",\"payload\":{"
                                  "\"session_id\":\"sess\",\"problem_id\":\"p1\"}}")) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "payload.correct: is required"));

  tc_tutor_free(t);
  tc_store_free(st);
  tc_domain_free(d);
}

static void test_moderation(void) {
  tc_domain *d = NULL;
  tc_store *st = NULL;
  tc_tutor *t = NULL;
  tc_store_options so;
  tc_classifier c = TC_CLASSIFIER_INIT;
  int host_calls = 0;
  uint64_t token = 0;
  char *out = NULL;

  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
  CHECK(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
  so.backend = TC_STORE_MEMORY;
  CHECK(tc_store_open(&st, &so) == TC_OK);
  CHECK(tc_tutor_open(&t, st, d, NULL, 0) == TC_OK);
  CHECK(tc_store_subscribe(&token, st, on_crisis, NULL) == TC_OK);

  /* The lexicon: two strikes warn, the third quarantines for 48 hours. */
  CHECK(tc_tutor_moderate(t,
                          JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"message\":\"damn\","
                               "\"time_us\":1767225600000000}"),
                          &out) == TC_OK);
  CHECK(contains(out, "\"action\":\"warn\""));
  tc_free(out);
  CHECK(tc_tutor_moderate(t,
                          JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"message\":\"crap\","
                               "\"time_us\":1767229200000000}"),
                          &out) == TC_OK);
  tc_free(out);
  CHECK(tc_tutor_moderate(t,
                          JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"message\":\"loser\","
                               "\"time_us\":1767232800000000,\"idempotency_key\":\"m3\"}"),
                          &out) == TC_OK);
  CHECK(contains(out, "\"action\":\"quarantine\""));
  CHECK(contains(out, "\"quarantine\":{\"reason\":\"strikes\""));
  CHECK(contains(out, "\"hours_left\":48}"));
  tc_free(out);
  CHECK(tc_tutor_moderation_status(t, "t1", "s1", 1767232800000000LL + 3600000000LL, &out) ==
        TC_OK);
  CHECK(contains(out, "\"quarantined\":true"));
  tc_free(out);
  CHECK(tc_tutor_moderation_status(t, "t1", "s1", 1767232800000000LL + 48 * 3600000000LL, &out) ==
        TC_OK);
  CHECK(contains(out, "\"quarantined\":false"));
  tc_free(out);

  /* Self-harm: the crisis response, the cooldown and the urgent alert. */
  CHECK(tc_tutor_moderate(t,
                          JSON("{\"tenant\":\"t1\",\"student\":\"s2\",\"message\":\"I want "
                               "to die\",\"time_us\":1767225600000000}"),
                          &out) == TC_OK);
  CHECK(contains(out, "\"action\":\"crisis\""));
  CHECK(contains(out, "\"strike\":false"));
  CHECK(contains(out, "988"));
  CHECK(contains(out, "\"cooldown_until_us\":1767312000000000"));
  CHECK(contains(out, "\"alert\":\"urgent\",\"notify\":\"institution_admin\""));
  tc_free(out);
  CHECK(crisis_alerts == 1);
  CHECK(text_stored == 0);

  /* A host classifier named in the settings. */
  c.userdata = &host_calls;
  c.predict = mod_predict;
  CHECK(tc_tutor_register_classifier(t, "supervisor", &c) == TC_OK);
  CHECK(tc_tutor_set_moderation(t, JSON("{\"classifier\":\"supervisor\"}"), &out) == TC_OK);
  CHECK(contains(out, "\"moderation\":{\"classifier\":\"supervisor\""));
  tc_free(out);
  CHECK(tc_tutor_moderate(t,
                          JSON("{\"tenant\":\"t1\",\"student\":\"s3\",\"message\":\"what is "
                               "for lunch\",\"time_us\":1767225600000000}"),
                          &out) == TC_OK);
  CHECK(contains(out, "\"action\":\"warn\",\"category\":\"off_topic\",\"severity\":\"low\""));
  CHECK(contains(out, "\"classifier\":\"supervisor\""));
  tc_free(out);
  CHECK(host_calls == 1);

  /* Errors. */
  CHECK(tc_tutor_set_moderation(t, JSON("{\"policy\":{\"strikes_to_quarantine\":0}}"), &out) ==
        TC_EINVAL);
  CHECK(contains(tc_last_error(), "moderation settings.policy.strikes_to_quarantine"));
  CHECK(tc_tutor_moderate(t, JSON("{\"tenant\":\"t1\",\"student\":\"s1\"}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "moderation request.message"));
  CHECK(out == NULL);
  CHECK(tc_tutor_moderation_status(t, "t1", NULL, 0, &out) == TC_EINVAL);
  CHECK(tc_tutor_set_moderation(t, JSON("{\"classifier\":\"nobody\"}"), NULL) == TC_OK);
  CHECK(tc_tutor_moderate(t, JSON("{\"tenant\":\"t1\",\"student\":\"s1\",\"message\":\"hi\"}"),
                          &out) == TC_ENOTFOUND);
  CHECK(contains(tc_last_error(), "no classifier 'nobody'"));

  CHECK(tc_store_unsubscribe(st, token) == TC_OK);
  tc_tutor_free(t);
  tc_store_free(st);
  tc_domain_free(d);
}

/* The privacy switch (tc_store_options version 2, tc_store_describe), a
 * version-1 struct still accepted, and the de-identified research export. */
static void test_privacy(void) {
  /* The first six fields: tc_store_options as version 1 laid it out. */
  struct store_options_v1 {
    uint32_t version;
    int32_t backend;
    const char *path;
    int32_t durability;
    int32_t busy_timeout_ms;
    int64_t checkpoint_every;
  } v1;
  union {
    tc_store_options opts;
    unsigned char bytes[sizeof(tc_store_options)];
  } probe;
  tc_store_options so;
  tc_store *strict = NULL, *open_store = NULL, *old = NULL;
  tc_domain *d = NULL;
  tc_tutor *t = NULL;
  char *out = NULL;
  size_t i;
  const char *named =
      "{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":\"s-1\","
      "\"type\":\"note.added\",\"payload\":{\"roster\":{\"display_name\":\"Ada\"}}}";

  /* Version 1 defaults write only version 1's bytes. */
  memset(probe.bytes, 0xAB, sizeof probe.bytes);
  CHECK(tc_store_options_init(&probe.opts, 1) == TC_OK);
  CHECK(probe.opts.version == 1);
  CHECK(probe.opts.checkpoint_every == 1000000);
  for (i = sizeof(struct store_options_v1); i < sizeof probe.bytes; ++i)
    CHECK(probe.bytes[i] == 0xAB);
  CHECK(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
  CHECK(so.version == 2);
  CHECK(so.allow_personal_data == 0);

  /* The default refuses personal data, naming the field. */
  so.backend = TC_STORE_MEMORY;
  CHECK(tc_store_open(&strict, &so) == TC_OK);
  CHECK(tc_store_append_json(NULL, strict, named, strlen(named)) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "event[0].payload.roster.display_name: field 'display_name'"));
  CHECK(tc_store_describe(&out, strict) == TC_OK);
  CHECK(contains(out, "\"backend\":\"memory\""));
  CHECK(contains(out, "\"personal_data_allowed\":false"));
  tc_free(out);
  out = NULL;
  CHECK(tc_store_describe(NULL, strict) == TC_EINVAL);
  CHECK(tc_store_describe(&out, NULL) == TC_EINVAL);

  /* Explicitly allowed: accepted, and described as allowed. */
  so.allow_personal_data = 1;
  CHECK(tc_store_open(&open_store, &so) == TC_OK);
  CHECK(tc_store_append_json(NULL, open_store, named, strlen(named)) == TC_OK);
  CHECK(tc_store_describe(&out, open_store) == TC_OK);
  CHECK(contains(out, "\"personal_data_allowed\":true"));
  CHECK(contains(out, "\"last_id\":1"));
  tc_free(out);
  out = NULL;
  /* ... which the other store does not inherit. */
  CHECK(tc_store_append_json(NULL, strict, named, strlen(named)) == TC_EINVAL);
  so.allow_personal_data = 2;
  CHECK(tc_store_open(&old, &so) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "tc_store_options.allow_personal_data 2 is neither 0"));
  CHECK(old == NULL);

  /* A caller built against version 1 passes the smaller struct. */
  v1.version = 1;
  v1.backend = TC_STORE_MEMORY;
  v1.path = NULL;
  v1.durability = TC_DURABILITY_NORMAL;
  v1.busy_timeout_ms = 5000;
  v1.checkpoint_every = -1;
  CHECK(tc_store_open(&old, (const tc_store_options *)(const void *)&v1) == TC_OK);
  CHECK(tc_store_append_json(NULL, old, named, strlen(named)) == TC_EINVAL);
  tc_store_free(old);

  /* The research export through a tutor. */
  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
  CHECK(tc_tutor_open(&t, strict, d, NULL, 0) == TC_OK);
  CHECK(tc_submit_response(t,
                           JSON("{\"tenant\":\"t1\",\"student\":\"s-9\",\"problem_id\":"
                                "\"unit_alpha_p2\",\"answer\":\"3\",\"idempotency_key\":\"k1\"}"),
                           &out) == TC_OK);
  tc_free(out);
  out = NULL;
  CHECK(tc_tutor_research_export(t, JSON("{\"tenant\":\"t1\"}"), &out) == TC_OK);
  CHECK(contains(out, "\"export\":\"research\""));
  CHECK(contains(out, "\"min_group_size\":10"));
  CHECK(contains(out, "{\"cohort\":\"unassigned\",\"students\":null,\"suppressed\":true}"));
  CHECK(!contains(out, "s-9"));
  CHECK(!contains(out, "\"t1\""));
  tc_free(out);
  out = NULL;
  CHECK(tc_tutor_research_export(t, JSON("{\"tenant\":\"t1\",\"min_group_size\":1}"), &out) ==
        TC_EINVAL);
  CHECK(
      contains(tc_last_error(), "research export request.min_group_size: 1 is outside 2..1000000"));
  CHECK(out == NULL);
  CHECK(tc_tutor_research_export(t, JSON("{\"tenant\":\"t9\"}"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "research export request.tenant: tenant 't9' has no learning"));
  CHECK(tc_tutor_research_export(NULL, JSON("{}"), &out) == TC_EINVAL);
  tc_tutor_free(t);
  tc_domain_free(d);
  tc_store_free(open_store);
  tc_store_free(strict);
}

static void test_sim(void) {
  tc_domain *d = NULL;
  char *a = NULL, *b = NULL, *out = NULL;
  CHECK(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/examples/domains/algebra_fundamentals") == TC_OK);
  /* Deterministic: the same request gives the same document. */
  CHECK(tc_sim_run(d, JSON("{\"students\":40,\"threads\":2}"), &a) == TC_OK);
  CHECK(tc_sim_run(d, JSON("{\"students\":40,\"threads\":1}"), &b) == TC_OK);
  CHECK(a && b && strcmp(a, b) == 0);
  CHECK(contains(a, "\"domain\":\"algebra_fundamentals\""));
  CHECK(contains(a, "\"gain\":{\"mean\":"));
  CHECK(contains(a, "\"bkt_rmse\":["));
  tc_free(b);
  b = NULL;
  /* Another seed, other learners. */
  CHECK(tc_sim_run(d, JSON("{\"students\":40,\"seed\":7}"), &b) == TC_OK);
  CHECK(a && b && strcmp(a, b) != 0);
  tc_free(a);
  tc_free(b);
  /* Errors name the field; nothing is returned. */
  CHECK(tc_sim_run(d, JSON("{\"errors\":{\"misroute\":2}}"), &out) == TC_EINVAL);
  CHECK(out == NULL);
  CHECK(contains(tc_last_error(), "simulation.errors.misroute"));
  CHECK(tc_sim_run(d, JSON("{\"students\":"), &out) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "line 1"));
  CHECK(tc_sim_run(NULL, JSON("{}"), &out) == TC_EINVAL);
  CHECK(tc_sim_run(d, NULL, 0, &out) == TC_EINVAL);
  CHECK(tc_sim_run(d, JSON("{}"), NULL) == TC_EINVAL);
  tc_domain_free(d);
}

int main(void) {
  test_version();
  test_domain();
  test_store();
  test_sqlite_store();
  test_tracing();
  test_tracing_variants();
  test_tutor();
  test_classifiers();
  test_analytics();
  test_sequencing();
  test_irt();
  test_metacog();
  test_moderation();
  test_privacy();
  test_sim();
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
