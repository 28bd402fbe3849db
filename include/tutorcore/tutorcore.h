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

/**
 * Version 2 appended allow_personal_data. A struct of version 1 (the first
 * six fields, TC_STORE_OPTIONS_VERSION 1 at the time) is still accepted:
 * the library reads and writes only the fields of the version it is given.
 */
#define TC_STORE_OPTIONS_VERSION 2
/** Options for tc_store_open. Fields are only ever appended. */
typedef struct tc_store_options {
  uint32_t version;         /**< TC_STORE_OPTIONS_VERSION */
  int32_t backend;          /**< TC_STORE_SQLITE (default), TC_STORE_MEMORY or _POSTGRES */
  const char *path;         /**< SQLite: database file; PostgreSQL: connection string */
  int32_t durability;       /**< TC_DURABILITY_NORMAL (default) or _FULL (SQLite) */
  int32_t busy_timeout_ms;  /**< wait for another process's lock; default 5000 */
  int64_t checkpoint_every; /**< persist views after this many events; default 1000000, <0 never */
  /** Version 2. 0 (default): event payloads with a field named like a
   * person's name or contact (name, email, phone, address, date of birth,
   * ...) or a value shaped like an e-mail address are refused (TC_EINVAL
   * naming the field's path). 1: this open store accepts them, for a
   * deployment that keeps such data in its own private store; entity ids must
   * stay pseudonymous either way. The setting belongs to the handle, not to
   * the database; tc_store_describe reports it (docs/privacy.md). */
  int32_t allow_personal_data;
} tc_store_options;
#define TC_STORE_OPTIONS_INIT \
  { TC_STORE_OPTIONS_VERSION, TC_STORE_SQLITE, NULL, 0, 5000, 1000000, 0 }

/**
 * @brief Fills *opts with the defaults of struct version `version`; only the
 * fields of that version are written (a version-1 struct is smaller).
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
 * @brief Describes an open store: {"schema_version":1,"backend":"sqlite" |
 * "memory" | "postgres","durability":"normal" | "full",
 * "personal_data_allowed":bool (tc_store_options.allow_personal_data of this
 * handle),"last_id":n}. The path or connection string is not included (a
 * connection string may hold a password).
 * @param[out] out_json the description.
 * @return TC_OK; TC_EINVAL on NULL arguments; TC_ESTORAGE; TC_ENOMEM.
 * Ownership: free *out_json with tc_free.
 * Thread safety: serialised internally.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_describe(char **out_json, tc_store *store);

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
 * Thread safety: serialised internally. Callbacks run after commit, in log
 * order, on an appending thread: while one thread delivers, the events other
 * threads append are delivered by it.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_store_subscribe(uint64_t *out_token, tc_store *store, tc_event_callback cb,
                                    void *userdata);

/**
 * @brief Removes a subscription. Once it returns the callback is never called
 * again (a call in flight on another thread is waited for), so its userdata
 * may be freed. A callback may unsubscribe itself.
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
/* Teacher coaching (tc_tutor_coaching, ...)                               */
/* ---------------------------------------------------------------------- */
/**
 * @brief A coaching output: the pre-class plan (scored action items with
 * evidence: pull-out groups, warm-ups, students to monitor, conferences), a
 * post-assignment debrief, or a parent-conference summary.
 * @param[in] request_json {"plan":"pre_class"|"debrief"|"parent_summary",
 * "tenant","classroom"?,"students"?:[ids] (default: every student of the
 * tenant),"roster"?:{id: display name},"now_us"?,"since_us" (debrief),
 * "title"?,"student" (parent_summary)}. Display names are used for the text
 * only and never stored; the log records the plan with ids.
 * @param[out] out_json pre_class and debrief: {"schema_version":1,
 * "event_id","plan":{...},"text"}; parent_summary: {"schema_version":1,
 * "event_id","source":"template"|"host","context":{...},"text"}.
 * @return TC_OK; TC_EINVAL naming the request field.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_coaching(tc_tutor *tutor, const char *request_json, size_t len,
                                   char **out_json);

/**
 * @brief A teacher acknowledges a coaching plan, with modifications (a JSON
 * object such as {"removed":[3]}, or NULL); appended as
 * coaching.plan_acknowledged (author teacher:<id>).
 * @return TC_OK; TC_ENOTFOUND when plan_event_id is not a plan of the
 * tenant; TC_EINVAL for a bad modifications document.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_acknowledge_plan(tc_tutor *tutor, const char *tenant,
                                           int64_t plan_event_id, const char *teacher_id,
                                           const char *modifications_json, char **out_json);

/**
 * @brief Renders a parent summary from its structured context (JSON, ids
 * only). Set *out_text to text the host owns (valid until the callback is
 * called again or the tutor is freed) and *out_len to its length; return 0.
 * Any other return, or no text, falls back to the template.
 */
typedef int (*tc_text_callback)(const char *context_json, size_t len, const char **out_text,
                                size_t *out_len, void *userdata);

/**
 * @brief Registers the host's text generator for parent summaries (an LLM,
 * for instance); NULL removes it. The teacher reviews the text before it is
 * shared: the library never sends anything to parents or students.
 * Thread safety: any thread; the callback runs on the thread of
 * tc_tutor_coaching.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_set_text_callback(tc_tutor *tutor, tc_text_callback cb, void *userdata);

/* ---------------------------------------------------------------------- */
/* Class analytics (tc_tutor_analytics)                                    */
/* ---------------------------------------------------------------------- */
/**
 * @brief What the class as a whole shows, computed from the store's views:
 * misconception co-occurrence (C[i][j] = P(j | i) over students, with
 * counts), intervention effectiveness per misconception and modality with
 * Wilson intervals, cohort comparison across classrooms (mastery means,
 * misconception and resolution rates with intervals, against the school),
 * discovered prerequisites (misconceptions on different concepts with
 * C above 0.80 propose an edge the graph lacks) and prerequisite drift
 * (students who mastered A failing B above 40%). docs/analytics.md has the
 * documents.
 * Classrooms: a host enrolls a student by appending an event of type
 * "classroom.enrolled" on entity_type "student" with payload
 * {"classroom_id": id}; the latest enrollment of a student wins.
 * @param[in] request_json {"analysis": "cooccurrence" | "effectiveness" |
 * "cohorts" | "prerequisites" | "drift" | "all", "tenant", "classroom"?
 * (only that classroom's students; cohorts always list every classroom),
 * "misconception_id"? (effectiveness and cohorts), "config"?: {"z":1.96,
 * "min_trials":5, "mastery_min_attempts":8, "prerequisite_cooccurrence":0.8,
 * "prerequisite_min_students":10, "prerequisite_min_lift":1,
 * "drift_fail_rate":0.4, "drift_min_students":10, "drift_min_attempts":8}}.
 * @param[out] out_json {"schema_version":1,"tenant","classroom","students",
 * "config":{...}} plus "cooccurrence", "effectiveness", "cohorts",
 * "prerequisites", "drift" as requested. Reads only; appends nothing.
 * @return TC_OK (also for a tenant without data: zero students); TC_EINVAL
 * naming the request field ("analytics request.analysis: ..."); TC_ENOTFOUND
 * for a classroom without enrolled students or a misconception the domain
 * lacks; TC_ESTORAGE.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread, also while other threads submit on the same
 * tutor (the views are copied under the store's lock, then analysed
 * without it).
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_analytics(tc_tutor *tutor, const char *request_json, size_t len,
                                    char **out_json);

/**
 * @brief A de-identified export of one tenant's learning analytics, for
 * research (docs/privacy.md has the rules and the document). Aggregates
 * only: no student, classroom, tenant, event or free-text value, and no time
 * finer than a day ("generated_on": the UTC date). Classrooms become
 * "cohort_1", "cohort_2", ... (in classroom id order, numbered per export)
 * and "unassigned". It holds, per cohort and concept, students, mean mastery
 * and the share mastered (with an all-cohorts total); per concept, the
 * prevalence of each misconception; per misconception and modality, the
 * intervention outcomes (students, attempts, resolved, rate, Wilson 95%
 * interval) with an all-modalities total.
 * Suppression: a cell aggregating fewer than min_group_size distinct
 * students has its numbers set to null and "suppressed":true. Complementary
 * suppression: where a published total and its published parts would give a
 * suppressed cell by subtraction, the smallest published parts are
 * suppressed too until the suppressed parts together cover at least
 * min_group_size students.
 * @param[in] request_json {"tenant": required, "min_group_size"?: integer
 * 2..1000000, default 10}.
 * @param[out] out_json {"schema_version":1,"export":"research",
 * "domain","generated_on","min_group_size","z","mastery_min_attempts",
 * "cohorts":{...},"concepts":[...],"effectiveness":[...]}. Reads only;
 * appends nothing.
 * @return TC_OK; TC_EINVAL naming the request field ("research export
 * request.min_group_size: 1 is outside 2..1000000"; bad JSON, wrong types,
 * unknown fields, a tenant without any data); TC_ESTORAGE; TC_ENOMEM.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread, also while other threads submit on the same
 * tutor (as tc_tutor_analytics).
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_research_export(tc_tutor *tutor, const char *request_json, size_t len,
                                          char **out_json);

/* ---------------------------------------------------------------------- */
/* Adaptive sequencing (tc_tutor_assign, tc_tutor_diagnostic, ...)         */
/* ---------------------------------------------------------------------- */
/**
 * @brief A personalised assignment for one student on target concepts:
 * one easy remediation item per prerequisite below 0.60, a diagnostic item
 * per open misconception of the targets (or their prerequisites), items
 * nearest the target P(correct) 0.70 by IRT, and one spaced-review item from
 * a mastered concept not practised for 7 days; never an item the student has
 * seen (template instances when the bank runs dry). Each item carries the
 * reason it was chosen. Appended as an assignment.created event.
 * @param[in] request_json {"tenant","student","concepts":[ids],
 * "idempotency_key"?,"time_us"? (dates the review; default now),"config"?:
 * {"prereq_threshold":0.6,"target_p_correct":0.7,"remediation_p_correct":0.8,
 * "review_p_correct":0.8,"review_after_days":7,"items_per_concept":2,
 * "max_items":10,"template_seed":42,...}} (docs/pipeline.md; config fields
 * override the tutor's for this request).
 * @param[out] out_json {"schema_version":1,"event_id","tenant","student",
 * "assignment":{"student","concepts","problems":[{"problem_id",
 * "concept_id","kind":"remediation"|"diagnostic"|"target"|"review","text",
 * "p_correct","mastery","generated","reason",...}],"notes":[...],
 * "rules":{...}}}. A retry with the same idempotency key returns the first
 * result and appends nothing.
 * @return TC_OK; TC_EINVAL naming the request field; TC_ENOTFOUND for a
 * concept the domain lacks; TC_ESTORAGE.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_assign(tc_tutor *tutor, const char *request_json, size_t len,
                                 char **out_json);

/**
 * @brief The cold-start diagnostic for a new student: 5 to 8 items spread
 * over the prerequisite graph (concepts chosen to cover it, each item the
 * most informative at the concept's prior). Reads only; appends nothing.
 * @param[out] out_json {"schema_version":1,"tenant","student","items":
 * [{"problem_id","concept_id","kind":"cold_start","text","p_correct",
 * "mastery","generated","information","reason"}],"coverage":[{"concept_id",
 * "coverage"}],"notes":[...]}.
 * @return TC_OK; TC_EINVAL for a NULL or empty id; TC_EEXISTS when the
 * student already has mastery (not a new student).
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_diagnostic(tc_tutor *tutor, const char *tenant, const char *student,
                                     char **out_json);

/**
 * @brief Applies a new student's answers to the diagnostic: classifies each
 * answer, and in one transaction appends diagnostic.completed,
 * response.submitted per answer, misconception.detected per misconception
 * shown, and mastery.updated per concept with the diagnostic's posterior
 * (answered concepts by Bayes with guess and slip; the others bounded along
 * prerequisite edges). Adaptive selection takes over from these priors.
 * @param[in] request_json {"tenant","student","answers":[{"problem_id",
 * "answer","latency_ms"?}],"idempotency_key","time_us"?}. Problem ids may
 * name template instances ("<template_id>:<name>=<value>,...").
 * @param[out] out_json {"schema_version":1,"event_id","tenant","student",
 * "event_ids":[...],"diagnostic":{"student","answered","correct",
 * "misconceptions":[...],"priors":[{"concept_id","prior","level",
 * "evidence":"direct"|"from_dependant"|"from_prerequisite"|"conflicting"|
 * "prior","from"?,"distance"?,"answered"?,"right"?}]}}.
 * @return TC_OK; TC_EINVAL naming the request field; TC_ENOTFOUND for a
 * problem the domain lacks; TC_EEXISTS when the student already has
 * mastery. Nothing is stored on failure.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_apply_diagnostic(tc_tutor *tutor, const char *request_json, size_t len,
                                           char **out_json);

/**
 * @brief A problem by id: a bank problem, or a template instance re-derived
 * from its id ("<template_id>:<name>=<value>,...", as assignments name
 * them), with its text, correct answer and misconception answers.
 * @param[out] out_json {"schema_version":1,"problem":{"problem_id",
 * "concept","problem_text","correct_answer","irt_b","irt_discrimination",
 * "diagnostic_for","misconception_answers","template_id"?,
 * "template_params"?,"generated"?}}.
 * @return TC_OK; TC_ENOTFOUND when the id names neither.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_domain_problem(const tc_domain *domain, const char *problem_id,
                                   char **out_json);

/**
 * @brief Instances of a problem template: instance n under a seed is the
 * same on every platform (xoshiro256**, integer rejection sampling); draws
 * that divide by zero, divide inexactly, overflow or make a misconception's
 * answer right are redrawn.
 * @param[in] request_json {"template_id","seed"?:42,"first"?:0,"count"?:1
 * (1..1000),"max_draws"?:100}.
 * @param[out] out_json {"schema_version":1,"template_id","seed",
 * "instances":[{"instance","problem":{...}|null}]} (null: every draw was
 * rejected).
 * @return TC_OK; TC_EINVAL naming the request field or a malformed
 * template formula; TC_ENOTFOUND for an unknown template.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_domain_generate(const tc_domain *domain, const char *request_json, size_t len,
                                    char **out_json);

/* ---------------------------------------------------------------------- */
/* The validity simulator (tc_sim_run)                                     */
/* ---------------------------------------------------------------------- */

/**
 * @brief Runs a simulated study: learners over the domain's prerequisite
 * graph, with latent knowledge, misconceptions and modality preferences,
 * tutored by the library's engines (BKT, IRT selection, the modality
 * policy) under the request's condition, and tested before and after on a
 * held-out test. docs/simulation.md has the model and the documents.
 * Deterministic: the same request gives the same result, and two requests
 * with the same seed see the same learners. Touches no store.
 * @param[in] request_json {"seed"?:42,"students"?:500,"threads"?:0,
 * "budget"?:12,"block_size"?:5,"bank_size"?:0,"item_selection"?:"irt"|
 * "easiest"|"hardest"|"random","p_target"?:0.7,"concept_selection"?:"bkt"|
 * "random"|"oracle","interventions"?:true,"modality_policy"?:"thompson"|
 * "greedy"|"uniform","oracle_modality"?:false,"errors"?:{"misidentification",
 * "false_negative","false_positive","misroute"},"learner"?:{...},
 * "per_student"?:false}; "{}" runs the defaults.
 * @param[out] out_json {"schema_version":1,"domain","options":{...},
 * "students","pre_test":{"mean","sd","se"},"post_test":{...},"gain":{...},
 * "gain_per_interaction","concepts_mastered","accuracy",
 * "difficulty_hit_rate","misconceptions":{...},"interventions":{...},
 * "concept_selection":{...},"bkt_rmse":[...],"gains"?:[...]}.
 * @return TC_OK; TC_EINVAL naming the request field.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; it runs on up to `threads` threads of its own.
 * Since: 0.1.0. Stability: experimental.
 */
TC_API tc_status tc_sim_run(const tc_domain *domain, const char *request_json, size_t len,
                            char **out_json);

/* ---------------------------------------------------------------------- */
/* Classifier plugins and the teacher's review (tc_tutor_*classif*)        */
/* ---------------------------------------------------------------------- */
/*
 * Every answer a tutor receives is classified by the hybrid router: it asks
 * the classifiers registered on the tutor, in the order of the route
 * (default "model", "rules", "catalog", "host"; a name nobody registered is
 * passed over), and takes the first label that is "correct" or a
 * misconception of the domain. "rules" (answer equivalence and the wrong
 * answers of the problem bank and templates) and "catalog" (edit-distance
 * similarity to the taxonomy's examples) are built in. A host adds its own,
 * written in C or through a binding: a trained model under "model", an
 * LLM-backed catalog classifier under "host", or any name it routes to.
 * docs/pipeline.md ("Classifiers") has the rules and the documents.
 */

/** Collects what a host classifier's callback answers (opaque; valid only
 * during the callback). */
typedef struct tc_classifier_reply tc_classifier_reply;

/**
 * @brief Sets a callback's answer: for predict, one prediction
 * {"label": "correct" | "unknown" | a misconception id, "confidence": 0..1,
 * "reason"?: text}; for predict_batch, a JSON array of them, one per input,
 * in order. The text is copied. A later call replaces an earlier one.
 * @return TC_OK; TC_EINVAL for a NULL reply or json.
 * Thread safety: the thread running the callback.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_classifier_reply_set(tc_classifier_reply *reply, const char *json, size_t len);

/**
 * @brief Says why a callback fails; the library reports TC_EUSER with this
 * message (copied) when the callback returns non-zero.
 * @return TC_OK; TC_EINVAL for a NULL reply or message.
 * Thread safety: the thread running the callback.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_classifier_reply_error(tc_classifier_reply *reply, const char *message);

/**
 * @brief Classifies one answer. input_json is {"schema_version":1,
 * "problem":{"id","text","correct_answer","concept_id"},"answer",
 * "concept":{"id","name","misconceptions":[{"id","label","description",
 * "examples":[{"problem","wrong","correct"}]}]}}: the catalog an LLM reads.
 * @return 0 after tc_classifier_reply_set; non-zero fails the call with
 * TC_EUSER (message from tc_classifier_reply_error).
 */
typedef int (*tc_classify_callback)(void *userdata, const char *input_json, size_t len,
                                    tc_classifier_reply *reply);
/**
 * @brief Classifies several answers: input_json is {"schema_version":1,
 * "items":[input, ...]} with inputs as for tc_classify_callback; the reply
 * is an array of as many predictions, in order.
 */
typedef int (*tc_classify_batch_callback)(void *userdata, const char *input_json, size_t len,
                                          tc_classifier_reply *reply);
/** @brief 1 when the classifier handles answers of this concept, 0 when not. */
typedef int (*tc_supports_concept_callback)(void *userdata, const char *concept_id);
/** @brief Releases userdata; called once, when the tutor lets the classifier go. */
typedef void (*tc_destroy_callback)(void *userdata);

#define TC_CLASSIFIER_VERSION 1
/** A classifier written by the host. Fields are only ever appended. */
typedef struct tc_classifier {
  uint32_t version;                              /**< TC_CLASSIFIER_VERSION */
  void *userdata;                                /**< passed to every callback */
  tc_classify_callback predict;                  /**< required */
  tc_supports_concept_callback supports_concept; /**< NULL: every concept */
  tc_classify_batch_callback predict_batch;      /**< NULL: predict once per answer */
  tc_destroy_callback destroy;                   /**< NULL: nothing to release */
} tc_classifier;
#define TC_CLASSIFIER_INIT \
  { TC_CLASSIFIER_VERSION, NULL, NULL, NULL, NULL, NULL }

/**
 * @brief Registers a host classifier on a tutor under `name` (1 to 64 of
 * a-z, 0-9, '_', '-'; not "hybrid"). The struct is copied; on success the
 * tutor owns userdata and calls destroy (if set) exactly once: at
 * tc_tutor_unregister_classifier or tc_tutor_free, after the last call in
 * flight returns. On failure nothing is kept and destroy is not called.
 * Callbacks run on the thread that calls tc_submit_response, tc_tutor_classify
 * or tc_tutor_classify_batch, possibly on several threads at once (submits
 * are serialised per tutor, classify calls are not); while a submit runs the
 * tutor's lock is held, so a callback must not call the same tutor. A reply
 * that is not a prediction fails the call with TC_EINVAL naming the field.
 * @return TC_OK; TC_EINVAL (bad name, NULL predict or version 0);
 * TC_EVERSION (a struct newer than this library); TC_EEXISTS (the name is
 * taken: unregister it first).
 * Thread safety: any thread, also while other threads submit.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_register_classifier(tc_tutor *tutor, const char *name,
                                              const tc_classifier *classifier);

/**
 * @brief Removes a classifier (a host's, or the built-in "rules" or
 * "catalog"); the route passes over names nobody registered.
 * @return TC_OK; TC_ENOTFOUND when no classifier has that name.
 * Thread safety: any thread, also while other threads submit.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_unregister_classifier(tc_tutor *tutor, const char *name);

/**
 * @brief Sets how answers are routed: {"route":["model","rules","catalog",
 * "host"],"min_confidence":0 (a label below it falls through),
 * "on_error":"fail" (a classifier's error fails the submit) | "skip" (the
 * next classifier is asked; the reason records the error),"catalog":
 * {"threshold":0.7,"max_examples":0}}. Fields left out keep their values.
 * @param[out] out_json the settings now in force (may be NULL):
 * {"schema_version":1,"classifiers":[names],"routing":{...}}.
 * @return TC_OK; TC_EINVAL naming the field (nothing changes then).
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; submits already running keep the old route.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_set_routing(tc_tutor *tutor, const char *routing_json, size_t len,
                                      char **out_json);

/**
 * @brief Classifies one answer without storing anything.
 * @param[in] request_json {"problem_id","answer","backend"?} (backend: a
 * registered name; absent or "hybrid": the router).
 * @param[out] out_json {"schema_version":1,"prediction":{"label",
 * "confidence","backend","reason"}}: backend names the classifier that
 * answered ("hybrid" when none labelled it), reason says why and which
 * classifiers the router passed over.
 * @return TC_OK; TC_EINVAL naming the request field; TC_ENOTFOUND for an
 * unknown problem or backend; TC_EUSER when a host callback failed
 * (tc_last_error() holds its message).
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread, concurrently with other calls on the tutor.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_classify(tc_tutor *tutor, const char *request_json, size_t len,
                                   char **out_json);

/**
 * @brief Classifies several answers; each classifier of the route is asked
 * once with the answers still open (a host's predict_batch gets them together).
 * @param[in] request_json {"items":[{"problem_id","answer"},...],"backend"?}.
 * @param[out] out_json {"schema_version":1,"predictions":[...]}, in order.
 * @return as tc_tutor_classify; TC_EINVAL names the item ("items[3].answer").
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread, concurrently with other calls on the tutor.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_classify_batch(tc_tutor *tutor, const char *request_json, size_t len,
                                         char **out_json);

/**
 * @brief A teacher confirms or corrects the classification of a stored
 * response: appends classification.reviewed {response_event_id, problem_id,
 * concept_id, original_label, original_classifier, corrected_label,
 * verdict: "confirmed"|"corrected", teacher_id} on the response's student,
 * author teacher:<id>. Mastery and escalation are left as they are.
 * @param[in] request_json {"tenant","response_event_id","teacher_id",
 * "label"? ("correct", "unknown" or a misconception id; absent confirms the
 * classifier's label),"idempotency_key"?,"time_us"?}.
 * @param[out] out_json {"schema_version":1,"event_id","replayed",
 * "review":{...}}.
 * @return TC_OK; TC_EINVAL naming the field (a label the domain lacks, an
 * event that is not a response); TC_ENOTFOUND when the tenant has no such
 * event; TC_ESTORAGE.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_review_classification(tc_tutor *tutor, const char *request_json,
                                                size_t len, char **out_json);

/**
 * @brief The labelled data set for training the next model, from the log:
 * one JSON object per line, {"response_event_id","problem_id","problem",
 * "answer","concept_id","label","source","classifier"}, in log order, with
 * source "corrected" or "confirmed" (the latest review wins) or
 * "unreviewed" (the classifier's label).
 * @param[in] request_json {"tenant","include_unreviewed"?: true,
 * "after_id"?: 0,"concept_id"?}.
 * @param[out] out_jsonl the lines (each ends with "\n"; "" when none).
 * @return TC_OK; TC_EINVAL naming the field; TC_ESTORAGE.
 * Ownership: free *out_jsonl with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_export_labels(tc_tutor *tutor, const char *request_json, size_t len,
                                        char **out_jsonl);

/*
 * Trained models. A TorchScript model (scripts/train_torch_classifier.py
 * trains and exports one from a domain) runs in the plugin library
 * libtutorcore_torch.so, which the library opens at run time only when a
 * model is loaded: libtutorcore itself never links libtorch, and without
 * the plugin everything else works and loading a model fails with
 * TC_EUNAVAILABLE. The plugin is looked for at the request's "plugin"
 * path, else at the path in the environment variable
 * TUTORCORE_TORCH_PLUGIN, else beside libtutorcore, else on the dynamic
 * loader's search path. docs/pipeline.md ("Trained models") describes the
 * label map and the featurizer.
 */

/**
 * @brief Loads a TorchScript model and its label map and registers it on the
 * tutor as a classifier (under "model" by default, which the default route
 * asks first). Its predictions record the device in their reason ("on
 * cpu", "on cuda:0"). A label map whose "task" is "metacog.bias" (written
 * by scripts/train_torch_bias.py) loads the bias detector's model instead:
 * registered under "bias", which tc_tutor_detect_bias then asks in place of
 * its rules (docs/pipeline.md, "Metacognitive bias detection").
 * @param[in] request_json {"model": path of the TorchScript file,
 * "labels": path of the label map (labels.json), "name"?: "model" ("bias"
 * for a bias model), "plugin"?: path of libtutorcore_torch.so, "device"?:
 * "auto" (CUDA when torch reports a device, else the CPU) | "cpu" | "cuda",
 * "max_batch"?: 256 (inputs per forward pass), "task"?: "classify.answer" |
 * "metacog.bias" (default: the label map's)}.
 * @param[out] out_json may be NULL; {"schema_version":1,"model":{"name",
 * "task","model","labels","plugin","runtime","device","threads",
 * "max_batch","featurizer":{"name","dim"},"label_map":[...],
 * "concepts":[...]}}; a bias model has "input" and "feature_names" in place
 * of "featurizer" and "concepts".
 * @return TC_OK; TC_EUNAVAILABLE when the plugin cannot be loaded
 * (tc_last_error() names the file, each place tried, the "plugin" field and
 * TUTORCORE_TORCH_PLUGIN) or for "device":"cuda" without a CUDA device;
 * TC_ENOTFOUND for a missing model or label file; TC_EINVAL naming the
 * field (request, label map: a label the domain lacks; bias manifest:
 * feature_names other than this library's) or a model whose output does
 * not match the label map; TC_EVERSION for a label map newer
 * than this library; TC_EEXISTS when the name is taken (unregister it
 * first). Nothing is registered on failure.
 * Ownership: free *out_json with tc_free. Unregister the model with
 * tc_tutor_unregister_classifier; it is released after the last call in
 * flight. The plugin stays loaded until the process ends.
 * Thread safety: any thread, also while other threads submit.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_load_model(tc_tutor *tutor, const char *request_json, size_t len,
                                     char **out_json);

/* ---------------------------------------------------------------------- */
/* Metacognitive bias detection (tc_tutor_detect_bias, ...)                */
/* ---------------------------------------------------------------------- */
/*
 * A host appends a student's interaction events to the store (entity_type
 * "student"): "interaction.problem_started" {session_id, problem_id},
 * "interaction.hint_requested" {session_id, problem_id, latency_ms?},
 * "interaction.answer_changed" {session_id, problem_id, answer?,
 * latency_ms?} and "interaction.submitted" {session_id, problem_id,
 * correct, answer?, latency_ms?, confidence? (self-reported, 0..1)}. The
 * detector reads the last 20 of them (at most an hour old) and labels the
 * student no_bias, confirmation, anchoring or overconfidence with a
 * confidence; at or above the threshold (0.65) it proposes a reflective
 * question (never an answer) and appends the tutor's live alert
 * "metacog.bias_detected" (tc_store_subscribe delivers it). A classifier
 * registered under "bias" replaces the rules: a host's
 * (tc_tutor_register_classifier), whose predict callback gets the feature
 * document as "answer", or a TorchScript bias model (tc_tutor_load_model),
 * which reads the feature vector.
 * docs/pipeline.md ("Metacognitive bias detection") has the rules.
 */

/**
 * @brief Detects a bias over one student's recent interaction events.
 * @param[in] request_json {"tenant","student","session_id"? (only that
 * session's events),"idempotency_key"?,"time_us"? (the window ends here;
 * default now)}.
 * @param[out] out_json {"schema_version":1,"tenant","student","time_us",
 * "intervention_proposed","detection":{"session_id","problem_id","bias",
 * "confidence","scores":{...},"threshold","backend","reason","prompt",
 * "features":{...},"window_events","last_event_id"},"alert":{"event_id",
 * "replayed"}|null}. A second call over the same last event returns the
 * same alert (replayed) and appends nothing.
 * @return TC_OK; TC_EINVAL naming the request field, or a model's reply
 * that is not one of the four labels; TC_ENOTFOUND for a configured backend
 * nobody registered; TC_EUSER when a host model failed; TC_ESTORAGE.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_detect_bias(tc_tutor *tutor, const char *request_json, size_t len,
                                      char **out_json);

/**
 * @brief The session summary from the bias alerts: counts per bias and the
 * most common (ties: the one alerted first; null without alerts).
 * @param[in] request_json {"tenant","session_id"?,"student"? (at least
 * one),"since_us"?,"until_us"?}.
 * @param[out] out_json {"schema_version":1,"tenant","session_id","student",
 * "total","bias_breakdown":{"overconfidence":2,...},"most_common_bias",
 * "interventions":[{"event_id","time_us","student","session_id",
 * "problem_id","bias","confidence","prompt"}]}. Reads only.
 * @return TC_OK; TC_EINVAL naming the request field; TC_ESTORAGE.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_bias_summary(tc_tutor *tutor, const char *request_json, size_t len,
                                       char **out_json);

/**
 * @brief Sets the detector's configuration: {"window_events":20,
 * "max_age_s":3600,"threshold":0.65,"fast_submit_ms":7500,
 * "anchor_similarity":0.6,"evidence_prior":1,"confidence_gap_full":0.5,
 * "backend":"auto"|"rules"|name,"model":"bias","prompts":{"confirmation",
 * "anchoring","overconfidence"} (each a question)}. Fields left out keep
 * their values; NULL or len 0 changes nothing.
 * @param[out] out_json the configuration in force (may be NULL).
 * @return TC_OK; TC_EINVAL naming the field (nothing changes then).
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_set_metacog(tc_tutor *tutor, const char *config_json, size_t len,
                                      char **out_json);

/* ---------------------------------------------------------------------- */
/* Moderation (tc_tutor_moderate, ...)                                     */
/* ---------------------------------------------------------------------- */
/*
 * Every student message can be moderated before the tutor answers it. A
 * message is classified into a category (inappropriate_language, violence,
 * illegal, sexual, off_topic, harassment, self_harm, jailbreak_attempt, or
 * none) and a severity (low, medium, high, critical, safety) by the
 * built-in lexicon, by a classifier registered on the tutor and named in
 * the settings (a model, or a host's tc_classifier: its predict callback
 * gets the message as "answer" and replies "none", "<category>" or
 * "<category>:<severity>"), or by the host's own verdict in the request.
 * The policy: three low or medium strikes within 7 days quarantine for 48
 * hours, high for 48 hours, critical for 7 days; self_harm never penalizes:
 * it returns a crisis response with resources (US: 988), starts a 24-hour
 * supportive cooldown and raises an urgent alert for the institution's admin
 * (a "moderation.crisis" event; tc_store_subscribe delivers it). Decisions
 * are events on the student ("moderation.flagged", "moderation.quarantined",
 * "moderation.crisis") holding the category, severity and a hash of the
 * message, never its text. docs/pipeline.md ("Moderation") has the rules.
 */

/**
 * @brief Moderates one student message and records the decision.
 * @param[in] request_json {"tenant","student","message","verdict"?:
 * {"category","severity"?,"confidence"?,"classifier"?},"idempotency_key"?,
 * "time_us"? (default now)}.
 * @param[out] out_json {"schema_version":1,"tenant","student","time_us",
 * "action":"allow"|"warn"|"refuse"|"quarantine"|"blocked"|"crisis",
 * "category","severity","confidence","classifier","reason"?,
 * "below_confidence","message_hash","strike","strikes",
 * "strikes_to_quarantine","quarantine":{"reason","from_us","until_us",
 * "hours_left"}|null,"support_mode","crisis":{"message","resources":[...],
 * "cooldown_until_us","alert":"urgent","notify":"institution_admin"}|null,
 * "event_ids":[...],"replayed"}. A retry with the same idempotency key
 * returns the first decision (without "reason") and appends nothing.
 * @return TC_OK; TC_EINVAL naming the request field or a classifier's bad
 * label; TC_ENOTFOUND for a configured classifier nobody registered;
 * TC_EUSER when a host classifier failed; TC_ESTORAGE. Nothing is stored on
 * failure.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread; calls on one tutor are serialised.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_moderate(tc_tutor *tutor, const char *request_json, size_t len,
                                   char **out_json);

/**
 * @brief A student's moderation state at time_us (0: now), rebuilt from the
 * log. Reads only.
 * @param[out] out_json {"schema_version":1,"tenant","student","time_us",
 * "quarantined","quarantine":{...}|null,"strikes","strikes_to_quarantine",
 * "support_mode","cooldown_until_us","flagged","quarantines","crises"}.
 * @return TC_OK; TC_EINVAL for a NULL or empty id or a negative time.
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_moderation_status(tc_tutor *tutor, const char *tenant,
                                            const char *student, int64_t time_us, char **out_json);

/**
 * @brief Sets the moderation settings: {"classifier":"lexicon"|name,
 * "policy":{"strike_window_hours":168,"strikes_to_quarantine":3,
 * "strike_quarantine_hours":48,"high_quarantine_hours":48 (0: high is a
 * strike),"critical_quarantine_hours":168,"crisis_cooldown_hours":24,
 * "min_confidence":0.5,"crisis_min_confidence":0,"crisis_message",
 * "crisis_resources":[...],"hash_salt"},"lexicon":{"schema_version":1,
 * "categories":{"violence":[{"term","severity"}],...}}} (the default
 * lexicon is examples/moderation/lexicon.json). Fields left out keep their
 * values; NULL or len 0 changes nothing.
 * @param[out] out_json the settings in force (may be NULL), without the salt
 * and with the lexicon's term count.
 * @return TC_OK; TC_EINVAL naming the field (nothing changes then).
 * Ownership: free *out_json with tc_free.
 * Thread safety: any thread.
 * Since: 0.1.0. Stability: stable.
 */
TC_API tc_status tc_tutor_set_moderation(tc_tutor *tutor, const char *settings_json, size_t len,
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
