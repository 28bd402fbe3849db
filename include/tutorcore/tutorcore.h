/*
 * tutorcore.h: the stable C ABI of tutorcore.
 *
 * This is the one public C header. Anything absent from it is not API. C++
 * headers beside it (<tutorcore/...>) expose the engines to C++ code but carry
 * no ABI promise across releases.
 *
 * Conventions (docs/conventions.md has the long form):
 *  - Every function returns a tc_status (TC_OK = 0, negative on failure)
 *    unless it is a pure getter. On failure tc_last_error() names what was
 *    wrong, where (file, JSON path, event id) and the fix.
 *  - Handles are opaque; whatever comes back through a `**out` parameter
 *    belongs to the caller and is released with its tc_X_free (NULL is
 *    accepted). Every string or buffer the library allocates for the caller
 *    is released with tc_free. Inputs are copied; the library never keeps or
 *    frees host memory.
 *  - Rich objects travel as UTF-8 JSON text that carries "schema_version".
 *  - Option structs start with `uint32_t version`; pass NULL for defaults.
 *  - Threads: functions on different handles may run concurrently. Each
 *    function states its own rule in a "Thread safety" line.
 *  - No global initialisation is needed.
 */
#ifndef TUTORCORE_H
#define TUTORCORE_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------- */
/* Linkage and visibility                                                  */
/* ---------------------------------------------------------------------- */
#if defined(TC_STATIC)
#define TC_API
#elif defined(_WIN32)
#if defined(TC_BUILDING)
#define TC_API __declspec(dllexport)
#else
#define TC_API __declspec(dllimport)
#endif
#else
#define TC_API __attribute__((visibility("default")))
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TC_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define TC_DEPRECATED(msg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Version                                                                 */
/* ---------------------------------------------------------------------- */
/* CMake reads these three lines: this header is the single source. */
#define TC_VERSION_MAJOR 0
#define TC_VERSION_MINOR 1
#define TC_VERSION_PATCH 0
/* Changes only when the ABI breaks; drives the shared library's SOVERSION. */
#define TC_ABI_VERSION 0

#define TC_STRINGIFY_(x) #x
#define TC_STRINGIFY(x) TC_STRINGIFY_(x)
#define TC_VERSION_STRING        \
  TC_STRINGIFY(TC_VERSION_MAJOR) \
  "." TC_STRINGIFY(TC_VERSION_MINOR) "." TC_STRINGIFY(TC_VERSION_PATCH)
#define TC_VERSION_NUMBER (TC_VERSION_MAJOR * 1000000 + TC_VERSION_MINOR * 1000 + TC_VERSION_PATCH)
#define TC_VERSION_AT_LEAST(M, m, p) (TC_VERSION_NUMBER >= ((M)*1000000 + (m)*1000 + (p)))

/**
 * @brief The library's version as "MAJOR.MINOR.PATCH".
 * @return static text, never NULL.
 * Ownership: static storage; do not free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API const char *tc_version(void);

/**
 * @brief The library's version as MAJOR*1000000 + MINOR*1000 + PATCH.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API uint32_t tc_version_number(void);

/* ---------------------------------------------------------------------- */
/* Status and errors                                                       */
/* ---------------------------------------------------------------------- */
/** Status codes. Values are pinned forever; new codes are only appended. */
typedef enum tc_status {
  TC_OK = 0,
  TC_EINVAL = -1,       /**< bad argument or input document */
  TC_ENOTFOUND = -2,    /**< unknown id, file or row */
  TC_EEXISTS = -3,      /**< a real conflict (a replayed idempotency key is TC_OK) */
  TC_ESTORAGE = -4,     /**< the storage layer failed (I/O, busy, corrupt) */
  TC_EUNAVAILABLE = -5, /**< an optional component is absent (torch, CUDA) */
  TC_EVERSION = -6,     /**< an option struct or document is newer than this library */
  TC_EUSER = -7,        /**< a host callback aborted */
  TC_ENOMEM = -8,       /**< out of memory */
  TC_EINTERNAL = -9     /**< a bug in tutorcore; please report it */
} tc_status;

/**
 * @brief Static text naming a status code ("TC_EINVAL: invalid argument").
 * @param[in] status any integer; unknown values get "unknown status".
 * Ownership: static storage. Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API const char *tc_status_str(int status);

/**
 * @brief The message of the last failed call on this thread.
 * Every entry point clears it on entry, so after a success it is "".
 * @return never NULL.
 * Ownership: thread-local storage, valid until the next tutorcore call on
 * this thread. Thread safety: any thread (each thread has its own).
 * Since: 0.1.0. Stability: stable.
 */
TC_API const char *tc_last_error(void);

/* ---------------------------------------------------------------------- */
/* Memory                                                                  */
/* ---------------------------------------------------------------------- */
/**
 * @brief Releases a string or buffer the library returned. NULL is a no-op.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API void tc_free(void *ptr);

/* ---------------------------------------------------------------------- */
/* Handle types                                                            */
/* ---------------------------------------------------------------------- */
/** A loaded, validated domain configuration. Immutable once loaded. */
typedef struct tc_domain tc_domain;
/** An event store with its materialized views. */
typedef struct tc_store tc_store;

/* ---------------------------------------------------------------------- */
/* Option structs                                                          */
/* ---------------------------------------------------------------------- */
/** Storage backends for tc_store_options.backend. */
#define TC_STORE_SQLITE 0 /**< embedded SQLite file (default) */
#define TC_STORE_MEMORY 1 /**< in-memory, lost at tc_store_free (tests, tools) */
/** PostgreSQL shared by several processes; path is a libpq connection string
 * and the tables live in schema "tutorcore". TC_EUNAVAILABLE when the library
 * was built without libpq. Since: 0.1.0. */
#define TC_STORE_POSTGRES 2

/** Durability for tc_store_options.durability (SQLite backend). */
#define TC_DURABILITY_NORMAL \
  0 /**< a committed event survives a process crash (WAL, synchronous=NORMAL) */
#define TC_DURABILITY_FULL 1 /**< it also survives power loss (fsync at every commit) */

#define TC_STORE_OPTIONS_VERSION 1
/** Options for tc_store_open. Fields are only ever appended. */
typedef struct tc_store_options {
  uint32_t version;         /**< TC_STORE_OPTIONS_VERSION */
  int32_t backend;          /**< TC_STORE_SQLITE (default), TC_STORE_MEMORY or _POSTGRES */
  const char *path;         /**< SQLite: database file; PostgreSQL: connection string */
  int32_t durability;       /**< TC_DURABILITY_NORMAL (default) or _FULL (SQLite) */
  int32_t busy_timeout_ms;  /**< wait for another process's lock; default 5000 */
  int64_t checkpoint_every; /**< persist views after this many events; default 1000000, <0 never */
} tc_store_options;
#define TC_STORE_OPTIONS_INIT \
  { TC_STORE_OPTIONS_VERSION, TC_STORE_SQLITE, NULL, 0, 5000, 1000000 }

/**
 * @brief Fills *opts with the defaults of struct version `version`.
 * @return TC_OK; TC_EINVAL if opts is NULL; TC_EVERSION if version is newer
 * than this library knows.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_options_init(tc_store_options *opts, uint32_t version);

/* ---------------------------------------------------------------------- */
/* Domain configuration (tc_domain_*)                                      */
/* ---------------------------------------------------------------------- */
/**
 * @brief Validates the domain directory `dir` and reports every problem.
 * The report is {"schema_version":1,"valid":bool,"domain":str,"counts":{...},
 * "errors":[{"code","file","path","message","fix"}...]}.
 * @param[out] out_json the report (also when the domain is invalid); may be
 *             NULL when only the status is wanted.
 * @param[in] dir a directory holding knowledge_graph.json, taxonomy.json,
 *            interventions.json and problem_bank.json.
 * @return TC_OK when valid; TC_EINVAL when invalid (tc_last_error() holds the
 * first problem); TC_ENOTFOUND when dir does not exist; TC_ENOMEM.
 * Ownership: *out_json belongs to the caller, free it with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_domain_validate_dir(char **out_json, const char *dir);

/**
 * @brief Loads and validates a domain directory.
 * @param[out] out the loaded domain; set to NULL on failure.
 * @param[in] dir the domain directory.
 * @return TC_OK; TC_EINVAL if it fails validation (call
 * tc_domain_validate_dir for the full list); TC_ENOTFOUND; TC_ENOMEM.
 * Ownership: *out belongs to the caller; release with tc_domain_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_domain_load(tc_domain **out, const char *dir);

/**
 * @brief Releases a domain. NULL is a no-op.
 * Thread safety: not concurrently with other calls on the same handle.
 * Since: 0.1.0. Stability: stable.
 */
TC_API void tc_domain_free(tc_domain *domain);

/**
 * @brief Describes a loaded domain as JSON: id, name, subject, thresholds,
 * counts, and the concepts with their prerequisites and BKT priors.
 * @param[out] out_json the description.
 * @return TC_OK; TC_EINVAL on NULL arguments; TC_ENOMEM.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread (a domain is immutable).
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_domain_describe(char **out_json, const tc_domain *domain);

/* ---------------------------------------------------------------------- */
/* Event store (tc_store_*)                                                */
/* ---------------------------------------------------------------------- */
/**
 * An event to append through the typed path. All strings are NUL-terminated
 * UTF-8 and copied. `payload_json` must be a JSON object.
 */
#define TC_EVENT_VERSION 1
typedef struct tc_event {
  uint32_t version;            /**< TC_EVENT_VERSION */
  const char *tenant;          /**< required */
  const char *entity_type;     /**< required: "student", "classroom", ... */
  const char *entity_id;       /**< required: a pseudonymous id, never a name */
  const char *type;            /**< required: "response.submitted", ... */
  const char *payload_json;    /**< required: a JSON object */
  int64_t time_us;             /**< microseconds since the Unix epoch; 0 = now */
  const char *author;          /**< "system", "teacher:<id>", ...; NULL = "system" */
  const char *idempotency_key; /**< NULL or "" = no deduplication */
} tc_event;

/**
 * @brief Called after events are committed, once per event, in log order.
 * @param[in] event_json the stored event as JSON (valid during the call).
 * @return TC_OK; any other value is ignored (the events are already
 * committed; a callback that must report failure keeps its own record).
 * The callback may call other tc_store functions on the same store; events it
 * appends are delivered after the current ones.
 */
typedef int (*tc_event_callback)(const char *event_json, size_t len, void *userdata);

/**
 * @brief Opens (creating if needed) an event store and loads its views.
 * On open the store catches its views up with the log (events appended by a
 * process that stopped before checkpointing are folded in).
 * @param[out] out the store; NULL on failure.
 * @param[in] opts NULL for defaults (which need a path: use
 *            TC_STORE_MEMORY or set path).
 * @return TC_OK; TC_EINVAL (missing path, bad option value); TC_EVERSION
 * (opts->version too new, or a database written by a newer tutorcore);
 * TC_ESTORAGE (cannot open or not a tutorcore database); TC_EUNAVAILABLE
 * (TC_STORE_POSTGRES in a build without libpq); TC_ENOMEM.
 * Ownership: release *out with tc_store_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_open(tc_store **out, const tc_store_options *opts);

/**
 * @brief Checkpoints the views and closes the store. NULL is a no-op.
 * Thread safety: not concurrently with any other call on the same handle.
 * Since: 0.1.0. Stability: stable.
 */
TC_API void tc_store_free(tc_store *store);

/**
 * @brief Appends events in one transaction: all are stored or none is.
 * An event whose (tenant, idempotency key) is already stored is not stored
 * again; its slot in out_ids gets the first event's id.
 * @param[out] out_ids n ids (may be NULL).
 * @param[in] events array of n events.
 * @return TC_OK; TC_EINVAL naming the event index and field; TC_EVERSION
 * (an event struct too new); TC_ESTORAGE (nothing was stored); TC_ENOMEM.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_append(int64_t *out_ids, tc_store *store, const tc_event *events,
                                 size_t n);

/**
 * @brief Appends one event, or a JSON array of events, given as JSON.
 * Each event is {"tenant","entity_type","entity_id","type","payload":{...},
 * "time_us"?,"author"?,"idempotency_key"?}.
 * @param[out] out_json {"schema_version":1,"ids":[...],"new":[bool...]}; may be NULL.
 * @return as tc_store_append; TC_EINVAL names the JSON path ("[3].payload").
 * Ownership: free *out_json with tc_free.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_append_json(char **out_json, tc_store *store, const char *json,
                                      size_t len);

/**
 * @brief Reads events of one tenant, in log order.
 * The query is {"tenant": required, "entity_type"?, "entity_id"?, "type"?,
 * "after_id"?, "since_us"?, "until_us"? (exclusive), "limit"? (default 1000,
 * at most 100000)}.
 * @param[out] out_json {"schema_version":1,"events":[...],"last_id":n}.
 * @return TC_OK; TC_EINVAL naming the bad field; TC_ESTORAGE; TC_ENOMEM.
 * Ownership: free *out_json with tc_free.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_read_json(char **out_json, tc_store *store, const char *query_json,
                                    size_t len);

/**
 * @brief Reads rows of a materialized view of one tenant.
 * The query is {"view": "mastery" | "practice" | "escalation" |
 * "effectiveness" | "modality", "tenant": required, "student"? (all but
 * effectiveness)}. docs/pipeline.md describes the rows.
 * @param[out] out_json {"schema_version":1,"view":...,"rows":[...]}, rows sorted by key.
 * @return TC_OK; TC_EINVAL naming the bad field; TC_ESTORAGE; TC_ENOMEM.
 * Ownership: free *out_json with tc_free.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_view_json(char **out_json, tc_store *store, const char *query_json,
                                    size_t len);

/**
 * @brief Drops every materialized view and rebuilds it from the event log.
 * @return TC_OK; TC_ESTORAGE (the previous views are kept); TC_ENOMEM.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_rebuild_views(tc_store *store);

/**
 * @brief Persists the views now (they are also persisted every
 * checkpoint_every events and at tc_store_free).
 * @return TC_OK; TC_ESTORAGE.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_checkpoint(tc_store *store);

/**
 * @brief The id of the newest event in the log (0 when empty).
 * @return TC_OK; TC_EINVAL on NULL; TC_ESTORAGE.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_last_id(int64_t *out, tc_store *store);

/**
 * @brief Registers a callback for every event committed through this handle.
 * @param[out] out_token identifies the subscription for tc_store_unsubscribe.
 * @return TC_OK; TC_EINVAL on NULL arguments.
 * Thread safety: serialised internally. Callbacks run on the appending thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_subscribe(uint64_t *out_token, tc_store *store, tc_event_callback cb,
                                    void *userdata);

/**
 * @brief Removes a subscription.
 * @return TC_OK; TC_ENOTFOUND for an unknown token.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_unsubscribe(tc_store *store, uint64_t token);

/* ---------------------------------------------------------------------- */
/* Knowledge tracing (tc_bkt_*)                                            */
/* ---------------------------------------------------------------------- */
/** The parameters of one skill. A plain struct: it is never extended. */
typedef struct tc_bkt_params {
  double p_init;   /**< P(known) before the first answer */
  double p_learn;  /**< unknown -> known after an answer */
  double p_guess;  /**< P(right | unknown) */
  double p_slip;   /**< P(wrong | known) */
  double p_forget; /**< known -> unknown after an answer; 0 for classic BKT */
} tc_bkt_params;

/**
 * @brief P(right answer) for a student whose P(known) is p_known.
 * The hot path: no allocation, no status. Returns NaN when b is NULL.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API double tc_bkt_predict(double p_known, const tc_bkt_params *b);

/**
 * @brief P(known) after one answer: the posterior given the answer, then the
 * learning (and forgetting) transition. Constant time from the stored state.
 * The hot path: no allocation, no status. Returns NaN when b is NULL.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API double tc_bkt_update(double p_known, int correct, const tc_bkt_params *b);

/**
 * @brief Called during long work; return 0 to go on, anything else to cancel.
 * @param[in] done, total units of work (skills, folds).
 */
typedef int (*tc_progress_callback)(uint64_t done, uint64_t total, void *userdata);

/**
 * @brief Fits BKT per skill by EM and reports held-out metrics.
 * The request is {"train_csv": path | "rows": [[student, skill, 0|1,
 * item?, group?], ...], "test_csv"?: path, "columns"?: {"user","skill",
 * "correct","order","item","group"}, "forgets"?: bool, "restarts"?: 5,
 * "max_iterations"?: 100, "tolerance"?: 1e-3, "seed"?: 42, "threads"?: 0,
 * "max_guess"?: 0.3, "max_slip"?: 0.3, "folds"?: 0, "multigs"?: false,
 * "multilearn"?: false, "multiprior"?: false, "variant_pseudo_count"?: 0}.
 * Rows are in each student's answer order. multigs (guess and slip per
 * item) and multilearn (learn and forget per item) need an item per answer,
 * multiprior (prior per group) a group per student.
 * @param[out] out_json the report: {"schema_version":1,"fit_seconds",
 * "skills","responses","test_auc"?,"test_rmse"?,"cross_validation"?,
 * "model":{...}}; the model is also a valid input of tc_bkt_model_check.
 * @param[in] cb, userdata progress reports on the calling thread; NULL for none.
 * @return TC_OK; TC_EINVAL naming the request field, CSV line or column;
 * TC_ENOTFOUND for a missing file; TC_EUSER when cb cancelled; TC_ENOMEM.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; the fit uses its own worker threads.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_bkt_fit(char **out_json, const char *request_json, size_t len,
                            tc_progress_callback cb, void *userdata);

/**
 * @brief Checks a BKT model document and returns one skill's parameters.
 * @param[out] out the parameters of `skill` (may be NULL to only check).
 * @param[in] model_json a model as written by tc_bkt_fit or `tutorcore fit --model-out`.
 * @param[in] skill a skill name, or NULL.
 * @return TC_OK; TC_EINVAL naming the JSON path; TC_EVERSION for a newer
 * schema; TC_ENOTFOUND when the model has no such skill.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_bkt_model_check(tc_bkt_params *out, const char *model_json, size_t len,
                                    const char *skill);

/** A loaded BKT model (opaque); immutable once loaded. */
typedef struct tc_bkt_model tc_bkt_model;

/**
 * @brief Loads a BKT model document (as tc_bkt_fit or `tutorcore fit
 * --model-out` write it) for repeated parameter lookups.
 * @param[out] out the model; *out is NULL on failure.
 * @return TC_OK; TC_EINVAL naming the JSON path; TC_EVERSION for a newer schema.
 * Ownership: release *out with tc_bkt_model_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_bkt_model_load(tc_bkt_model **out, const char *model_json, size_t len);

/**
 * @brief The parameters for one answer: the skill's, with the per-item guess,
 * slip, learn and forget and the per-group prior of a variant model where it
 * has them. An item or group the model does not know takes the skill's
 * (answer-weighted) base values.
 * @param[in] item, group names, or NULL.
 * @return TC_OK; TC_ENOTFOUND when the model has no such skill; TC_EINVAL
 * for NULL model, skill or out.
 * Thread safety: any thread, concurrently on one model.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_bkt_model_params(const tc_bkt_model *model, const char *skill, const char *item,
                                     const char *group, tc_bkt_params *out);

/**
 * @brief Releases a model; NULL is a no-op.
 * Thread safety: not while another thread uses the model.
 * Since: 0.1.0. Stability: stable.
 */
TC_API void tc_bkt_model_free(tc_bkt_model *model);

/** How the skills of an item tagged with several combine into P(right). */
typedef enum tc_skill_combine {
  TC_COMBINE_PRODUCT = 0, /**< every skill is needed: the product (default) */
  TC_COMBINE_MIN = 1,     /**< the weakest skill decides */
  TC_COMBINE_MEAN = 2     /**< the mean of the skills' predictions */
} tc_skill_combine;

/**
 * @brief P(right) for an item tagged with n skills, from each skill's
 * P(known) and parameters. Update each skill with tc_bkt_update afterwards.
 * The hot path: no allocation, no status. Returns NaN for NULL arrays, n = 0
 * or an unknown rule.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API double tc_bkt_predict_multi(const double *p_known, const tc_bkt_params *params, size_t n,
                                   int rule);

/* ---------------------------------------------------------------------- */
/* The answer pipeline and the teacher's actions (tc_tutor_*)              */
/* ---------------------------------------------------------------------- */
/** A tutor: a domain, a store and the pipeline's configuration (opaque). */
typedef struct tc_tutor tc_tutor;

/**
 * @brief Opens a tutor over a store and a domain.
 * @param[in] store the event store; it must outlive the tutor.
 * @param[in] domain copied: the domain handle may be freed afterwards.
 * @param[in] config_json NULL or "" for the defaults, or {"mastery":{...},
 * "escalation":{"max_modality_attempts":4,"prereq_threshold":0.6,
 * "conferences_before_referral":2,"auto_approve":false},"outcome":
 * {"window":3},"policy":{...},"policy_kind":"thompson"|"greedy"|"uniform",
 * "target_p_correct":0.7,"next_problems":3,"typical_response_ms":30000,
 * "seed":42} (docs/pipeline.md). Escalation and outcome rules are the
 * store's view rules: other rules than the store's refold its log once.
 * @return TC_OK; TC_EINVAL naming the configuration field.
 * Ownership: release *out with tc_tutor_free before freeing the store.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_open(tc_tutor **out, tc_store *store, const tc_domain *domain,
                               const char *config_json, size_t len);

/**
 * @brief Releases a tutor; NULL is a no-op.
 * Thread safety: not while another thread uses the tutor.
 * Since: 0.1.0. Stability: stable.
 */
TC_API void tc_tutor_free(tc_tutor *tutor);

/**
 * @brief Processes one student answer: classifies it, updates BKT mastery,
 * assesses interventions whose three-response window it completes, advances
 * the escalation state machine, recommends an intervention when a
 * misconception needs one (a teacher approves it), and proposes the next
 * problems, appending every resulting event in one transaction.
 * @param[in] request_json {"tenant","student","problem_id","answer",
 * "idempotency_key","latency_ms"?,"time_us"?}. A retry with the same
 * idempotency key returns the first result and appends nothing.
 * @param[out] out_json {"schema_version":1,"response_event_id","correct",
 * "misconception":{...}|null,"mastery":{...},"outcomes":[...],
 * "escalation":[...],"detected":{...}|null,"recommendations":[...],
 * "next_problems":{...},"event_ids":[...]} (docs/pipeline.md).
 * @return TC_OK; TC_EINVAL naming the request field; TC_ENOTFOUND for a
 * problem the domain lacks; TC_ESTORAGE. Nothing is stored on failure.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_submit_response(tc_tutor *tutor, const char *request_json, size_t len,
                                    char **out_json);

/**
 * @brief A teacher's action on one student's misconception: "approve" the
 * recommended intervention (or assign another modality: a modified choice),
 * "record_outcome" ("resolved" or "persisted"), "acknowledge" an
 * escalation, "resolve" after a conference, "conference_failed".
 * @param[in] request_json {"action","tenant","student","misconception_id",
 * "teacher_id","modality"?,"outcome"?,"idempotency_key"?,"time_us"?}.
 * @param[out] out_json {"schema_version":1,"events":[...],
 * "recommendations":[...],"event_ids":[...]}.
 * @return TC_OK; TC_EINVAL when the escalation's state does not allow the
 * action (the message names the state) or a field is bad; TC_ENOTFOUND when
 * the student has no such escalation.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_act(tc_tutor *tutor, const char *request_json, size_t len,
                              char **out_json);

/**
 * @brief A student's learning profile from the event history: dominant
 * error pattern, latency bands, mastery decay per day, learning velocity,
 * Laplace-smoothed modality vector, transfer success; appended to the log
 * as a profile.computed event.
 * @param[out] out_json {"schema_version":1,"event_id","profile":{...}}.
 * @return TC_OK; TC_EINVAL for a NULL or empty id; TC_ENOTFOUND for a
 * student without responses.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_profile(tc_tutor *tutor, const char *tenant, const char *student,
                                  char **out_json);

/**
 * @brief A student snapshot: mastery per concept as a Beta distribution
 * (mean, 5th and 95th percentiles) with the teaching strategy for its band,
 * misconceptions with their lifecycle (active, resolving), weak areas, the
 * recent answers. Reads only; appends nothing.
 * @return TC_OK; TC_EINVAL for a NULL or empty id.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_snapshot(tc_tutor *tutor, const char *tenant, const char *student,
                                   char **out_json);

/**
 * @brief Off-policy evaluation from the log: the resolution rate the target
 * policy ("thompson", "greedy" or "uniform") would have had, estimated by
 * inverse propensity scoring (and its self-normalised form) over the
 * tenant's logged recommendations that teachers approved unchanged.
 * @param[out] out_json {"schema_version":1,"target","records","ips",
 * "ips_se","snips","snips_se","effective_records","logged_value"}.
 * @return TC_OK; TC_EINVAL for an unknown target; TC_ENOTFOUND when the log
 * holds no recommendation with a known outcome.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_evaluate_policy(tc_tutor *tutor, const char *tenant, const char *target,
                                          char **out_json);

/* ---------------------------------------------------------------------- */
/* Item response theory (tc_irt_*)                                         */
/* ---------------------------------------------------------------------- */
/**
 * @brief P(right) under the 2PL model: 1 / (1 + exp(-a (theta - b))); a = 1 is Rasch.
 * The hot path: no allocation, no status.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API double tc_irt_probability(double theta, double a, double b);

/**
 * @brief Fisher information a^2 P (1 - P) of a 2PL item at theta.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API double tc_irt_information(double theta, double a, double b);

/**
 * @brief Ability from a mastery estimate: theta = logit(m), m kept in [1e-6, 1 - 1e-6].
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API double tc_irt_theta_from_mastery(double mastery);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TUTORCORE_H */
