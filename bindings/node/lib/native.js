// Loading libtutorcore and the koffi declarations of its C ABI.
//
// Internal: the public modules call the library through lib() and the
// helpers here. Every prototype mirrors include/tutorcore/tutorcore.h.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import koffi from 'koffi';

import { InvalidArgumentError, LibraryNotFoundError, errorForStatus, statusName } from './errors.js';

/** The ABI this binding is written for (TC_ABI_VERSION; the SONAME's number). */
export const ABI_VERSION = 0;

/** The environment variable naming the shared library to load. */
export const ENV_VAR = 'TUTORCORE_LIBRARY';

export const STORE_SQLITE = 0;
export const STORE_MEMORY = 1;
export const STORE_POSTGRES = 2;
export const DURABILITY_NORMAL = 0;
export const DURABILITY_FULL = 1;
export const STORE_OPTIONS_VERSION = 2;
export const EVENT_VERSION = 1;
export const CLASSIFIER_VERSION = 1;

// Native code called through koffi runs on a stack koffi allocates: 2 MiB for
// synchronous calls but only 128 KiB for .async() calls by default. The
// long calls (fits, view rebuilds, SQLite) get the same 2 MiB as the
// synchronous ones. koffi accepts this only before its first library load
// in the process; if another module loaded one first, its settings stay.
const ASYNC_STACK_SIZE = 2 * 1024 * 1024;

// --------------------------------------------------------------------------
// Types, exactly as tutorcore.h lays them out.
// --------------------------------------------------------------------------

function named(name, make) {
  try {
    return make();
  } catch (err) {
    // Another copy of this module (or an earlier load) declared it already.
    if (/Duplicate type name/.test(String(err && err.message))) return koffi.type(name);
    throw err;
  }
}

let types = null;

function declareTypes() {
  if (types) return types;
  for (const name of ['tc_domain', 'tc_store', 'tc_tutor', 'tc_bkt_model']) {
    named(name, () => koffi.opaque(name));
  }
  types = {
    StoreOptions: named('tc_store_options', () =>
      koffi.struct('tc_store_options', {
        version: 'uint32_t',
        backend: 'int32_t',
        path: 'const char *',
        durability: 'int32_t',
        busy_timeout_ms: 'int32_t',
        checkpoint_every: 'int64_t',
        allow_personal_data: 'int32_t',
      }),
    ),
    Event: named('tc_event', () =>
      koffi.struct('tc_event', {
        version: 'uint32_t',
        tenant: 'const char *',
        entity_type: 'const char *',
        entity_id: 'const char *',
        type: 'const char *',
        payload_json: 'const char *',
        time_us: 'int64_t',
        author: 'const char *',
        idempotency_key: 'const char *',
      }),
    ),
    BktParams: named('tc_bkt_params', () =>
      koffi.struct('tc_bkt_params', {
        p_init: 'double',
        p_learn: 'double',
        p_guess: 'double',
        p_slip: 'double',
        p_forget: 'double',
      }),
    ),
    // event_json is declared as a pointer: it is decoded with its length.
    EventCallback: named('tc_event_callback', () =>
      koffi.proto('int tc_event_callback(const void *event_json, size_t len, void *userdata)'),
    ),
    ProgressCallback: named('tc_progress_callback', () =>
      koffi.proto('int tc_progress_callback(uint64_t done, uint64_t total, void *userdata)'),
    ),
    // The text is written through out_text/out_len (pointers to the
    // library's variables): declared as plain pointers.
    TextCallback: named('tc_text_callback', () =>
      koffi.proto(
        'int tc_text_callback(const void *context_json, size_t len, void *out_text, void *out_len, void *userdata)',
      ),
    ),
    // A host classifier's callbacks. The userdata is an id into the
    // binding's registry of JS classifiers (lib/classifier.js), hence
    // intptr_t (the size of void *); the reply is passed back as a pointer.
    ClassifyCallback: named('tc_classify_callback', () =>
      koffi.proto('int tc_classify_callback(intptr_t userdata, const void *input_json, size_t len, void *reply)'),
    ),
    SupportsConceptCallback: named('tc_supports_concept_callback', () =>
      koffi.proto('int tc_supports_concept_callback(intptr_t userdata, const char *concept_id)'),
    ),
    DestroyCallback: named('tc_destroy_callback', () => koffi.proto('void tc_destroy_callback(intptr_t userdata)')),
  };
  types.Classifier = named('tc_classifier', () =>
    koffi.struct('tc_classifier', {
      version: 'uint32_t',
      userdata: 'intptr_t',
      predict: 'tc_classify_callback *',
      supports_concept: 'tc_supports_concept_callback *',
      predict_batch: 'tc_classify_callback *',
      destroy: 'tc_destroy_callback *',
    }),
  );
  return types;
}

// JSON inputs are passed as Buffers (`const char *` with a length); every
// `char **out_json` is an `_Out_ void **` so the binding copies the text and
// releases it with tc_free.
export const PROTOTYPES = [
  'const char *tc_version(void)',
  'uint32_t tc_version_number(void)',
  'const char *tc_status_str(int status)',
  'const char *tc_last_error(void)',
  'void tc_free(void *ptr)',
  'int tc_store_options_init(_Out_ tc_store_options *opts, uint32_t version)',
  'int tc_domain_validate_dir(_Out_ void **out_json, const char *dir)',
  'int tc_domain_load(_Out_ tc_domain **out, const char *dir)',
  'void tc_domain_free(tc_domain *domain)',
  'int tc_domain_describe(_Out_ void **out_json, const tc_domain *domain)',
  'int tc_store_open(_Out_ tc_store **out, const tc_store_options *opts)',
  'void tc_store_free(tc_store *store)',
  'int tc_store_describe(_Out_ void **out_json, tc_store *store)',
  'int tc_store_append(int64_t *out_ids, tc_store *store, const tc_event *events, size_t n)',
  'int tc_store_append_json(_Out_ void **out_json, tc_store *store, const char *json, size_t len)',
  'int tc_store_read_json(_Out_ void **out_json, tc_store *store, const char *query_json, size_t len)',
  'int tc_store_view_json(_Out_ void **out_json, tc_store *store, const char *query_json, size_t len)',
  'int tc_store_rebuild_views(tc_store *store)',
  'int tc_store_checkpoint(tc_store *store)',
  'int tc_store_last_id(_Out_ int64_t *out, tc_store *store)',
  'int tc_store_subscribe(_Out_ uint64_t *out_token, tc_store *store, tc_event_callback *cb, void *userdata)',
  'int tc_store_unsubscribe(tc_store *store, uint64_t token)',
  // The hot paths take tc_bkt_params (five doubles, no padding) as a
  // Float64Array: no struct conversion per call.
  'double tc_bkt_predict(double p_known, const double *b)',
  'double tc_bkt_update(double p_known, int correct, const double *b)',
  'int tc_bkt_fit(_Out_ void **out_json, const char *request_json, size_t len, tc_progress_callback *cb, void *userdata)',
  'int tc_bkt_model_check(_Out_ tc_bkt_params *out, const char *model_json, size_t len, const char *skill)',
  'int tc_bkt_model_load(_Out_ tc_bkt_model **out, const char *model_json, size_t len)',
  'int tc_bkt_model_params(const tc_bkt_model *model, const char *skill, const char *item, const char *group, _Out_ tc_bkt_params *out)',
  'void tc_bkt_model_free(tc_bkt_model *model)',
  'double tc_bkt_predict_multi(const double *p_known, const double *params, size_t n, int rule)',
  'int tc_tutor_open(_Out_ tc_tutor **out, tc_store *store, const tc_domain *domain, const char *config_json, size_t len)',
  'void tc_tutor_free(tc_tutor *tutor)',
  'int tc_submit_response(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_act(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_profile(tc_tutor *tutor, const char *tenant, const char *student, _Out_ void **out_json)',
  'int tc_tutor_snapshot(tc_tutor *tutor, const char *tenant, const char *student, _Out_ void **out_json)',
  'int tc_tutor_evaluate_policy(tc_tutor *tutor, const char *tenant, const char *target, _Out_ void **out_json)',
  'int tc_tutor_coaching(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_acknowledge_plan(tc_tutor *tutor, const char *tenant, int64_t plan_event_id, const char *teacher_id, const char *modifications_json, _Out_ void **out_json)',
  'int tc_tutor_set_text_callback(tc_tutor *tutor, tc_text_callback *cb, void *userdata)',
  'int tc_tutor_analytics(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_research_export(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_assign(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_diagnostic(tc_tutor *tutor, const char *tenant, const char *student, _Out_ void **out_json)',
  'int tc_tutor_apply_diagnostic(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_domain_problem(const tc_domain *domain, const char *problem_id, _Out_ void **out_json)',
  'int tc_domain_generate(const tc_domain *domain, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_sim_run(const tc_domain *domain, const char *request_json, size_t len, _Out_ void **out_json)',
  // tc_classifier_reply is opaque and only seen inside a callback: a pointer.
  'int tc_classifier_reply_set(void *reply, const char *json, size_t len)',
  'int tc_classifier_reply_error(void *reply, const char *message)',
  'int tc_tutor_register_classifier(tc_tutor *tutor, const char *name, const tc_classifier *classifier)',
  'int tc_tutor_unregister_classifier(tc_tutor *tutor, const char *name)',
  'int tc_tutor_set_routing(tc_tutor *tutor, const char *routing_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_classify(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_classify_batch(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_review_classification(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_export_labels(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_jsonl)',
  'int tc_tutor_load_model(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_detect_bias(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_bias_summary(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_set_metacog(tc_tutor *tutor, const char *config_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_moderate(tc_tutor *tutor, const char *request_json, size_t len, _Out_ void **out_json)',
  'int tc_tutor_moderation_status(tc_tutor *tutor, const char *tenant, const char *student, int64_t time_us, _Out_ void **out_json)',
  'int tc_tutor_set_moderation(tc_tutor *tutor, const char *settings_json, size_t len, _Out_ void **out_json)',
  'double tc_irt_probability(double theta, double a, double b)',
  'double tc_irt_information(double theta, double a, double b)',
  'double tc_irt_theta_from_mastery(double mastery)',
];

/** The C name of each bound function, in header order. */
export const FUNCTIONS = PROTOTYPES.map((p) => /\b(tc_\w+)\(/.exec(p)[1]);

// --------------------------------------------------------------------------
// Loading
// --------------------------------------------------------------------------

let loaded = null;

function defaultSoname() {
  if (process.platform === 'darwin') return `libtutorcore.${ABI_VERSION}.dylib`;
  if (process.platform === 'win32') return 'tutorcore.dll';
  return `libtutorcore.so.${ABI_VERSION}`;
}

function asPath(value, what) {
  if (value instanceof URL) return fileURLToPath(value);
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  throw new TypeError(`${what} must be a string, Buffer or file URL, not ${describeType(value)}`);
}

/**
 * Where loadLibrary() looks, in order, as {source, name} pairs: an explicit
 * path is the only candidate; otherwise $TUTORCORE_LIBRARY when set;
 * otherwise the bare SONAME for the dynamic loader (LD_LIBRARY_PATH, the
 * ld.so cache, the system directories).
 */
export function candidates(libraryPath, env = process.env) {
  if (libraryPath !== undefined && libraryPath !== null) {
    return [{ source: 'path option', name: asPath(libraryPath, 'path') }];
  }
  if (env[ENV_VAR]) return [{ source: `$${ENV_VAR}`, name: env[ENV_VAR] }];
  return [{ source: 'default loader path', name: defaultSoname() }];
}

function sameFile(a, b) {
  return path.resolve(a) === path.resolve(b);
}

/**
 * Loads libtutorcore once per process and declares its functions.
 *
 * Search order: the explicit `libraryPath`, then the environment variable
 * TUTORCORE_LIBRARY, then the default loader path (libtutorcore.so.0).
 * Calling it is optional: the first use of any tutorcore object loads the
 * library the same way.
 *
 * @throws {LibraryNotFoundError} nothing loadable was found (the message
 *   lists every place tried), or the library lacks a function.
 * @throws {Error} a different library file is already loaded.
 */
export function loadLibrary(libraryPath) {
  if (loaded) {
    if (libraryPath !== undefined && libraryPath !== null && !sameFile(asPath(libraryPath, 'path'), loaded.path)) {
      throw new Error(
        `tutorcore is already loaded from ${loaded.path}; call loadLibrary(${JSON.stringify(
          asPath(libraryPath, 'path'),
        )}) before the first use of the library`,
      );
    }
    return loaded;
  }
  const tried = [];
  for (const { source, name } of candidates(libraryPath)) {
    let handle;
    try {
      try {
        koffi.config({ async_stack_size: ASYNC_STACK_SIZE });
      } catch {
        // koffi is already configured by an earlier load in this process.
      }
      handle = koffi.load(name);
    } catch (err) {
      tried.push(`${name} (${source}): ${err.message}`);
      continue;
    }
    const t = declareTypes();
    const fns = {};
    const missing = [];
    for (const proto of PROTOTYPES) {
      try {
        const fn = handle.func(proto);
        fns[/\b(tc_\w+)\(/.exec(proto)[1]] = fn;
      } catch {
        missing.push(/\b(tc_\w+)\(/.exec(proto)[1]);
      }
    }
    if (missing.length) {
      throw new LibraryNotFoundError(
        `${name} (${source}) lacks ${missing.join(', ')}: it is older than this binding ` +
          'needs; build tutorcore 0.1 or newer',
      );
    }
    loaded = Object.freeze({ path: name, source, fns, types: t, handle });
    return loaded;
  }
  throw new LibraryNotFoundError(
    `cannot load the tutorcore shared library; tried: ${tried.join('; ')}. Build it ` +
      `(cmake --build BUILD --target tutorcore) and set ${ENV_VAR} to ` +
      `BUILD/libtutorcore.so.${ABI_VERSION}, pass the path to loadLibrary(), or install it ` +
      'where the dynamic loader looks',
  );
}

/** The loaded library's functions, loading it on first use. */
export function lib() {
  return (loaded ?? loadLibrary()).fns;
}

/** The loaded library record (or null before the first use). */
export function loadedLibrary() {
  return loaded;
}

// --------------------------------------------------------------------------
// Call helpers
// --------------------------------------------------------------------------

/** tc_last_error() of this (the JS) thread. */
export function lastError() {
  return lib().tc_last_error() ?? '';
}

/** The library's text for a status ("TC_EINVAL: invalid argument or input"). */
export function statusText(status) {
  return lib().tc_status_str(status) ?? statusName(status);
}

/** Throws the error for a non-OK status with this thread's tc_last_error()
 * message. Call it right after the C call, on the thread that made it. */
export function check(status, fn) {
  if (status !== 0) throw errorFor(status, fn);
}

/** The error for a non-OK status with this thread's tc_last_error(). */
export function errorFor(status, fn) {
  const message = lastError() || statusText(status);
  return errorForStatus(status, message, fn);
}

/** Copies a string the library allocated and releases it with tc_free. */
export function takeString(ptr) {
  if (ptr === null || ptr === undefined || ptr === 0n) return null;
  try {
    return koffi.decode.string(ptr);
  } finally {
    lib().tc_free(ptr);
  }
}

/** Decodes a library-allocated JSON string (released with tc_free). */
export function takeJson(ptr) {
  const text = takeString(ptr);
  return text === null ? null : JSON.parse(text);
}

/** The placeholder of a `char **out_json` argument in callJson/callAsync. */
export const OUT = Symbol('out_json');

/**
 * Calls a function with a `char **out_json` parameter: `args` holds OUT
 * where the out parameter goes. Throws on failure (freeing any output) and
 * returns the decoded document.
 */
export function callJson(name, ...args) {
  const out = [null];
  const full = args.map((a) => (a === OUT ? out : a));
  const status = lib()[name](...full);
  if (status !== 0) {
    const err = errorFor(status, name);
    takeString(out[0]); // some functions leave an output on failure
    throw err;
  }
  return takeJson(out[0]);
}

/**
 * Calls `name` through koffi's .async() on a libuv worker thread. Resolves
 * with {status, out} where `out` is the decoded document of the OUT
 * parameter (when there is one and the call succeeded). The C function runs
 * on the worker: its tc_last_error() message stays in that thread's
 * storage, so failures are turned into errors by the caller (see
 * asyncFailure in the modules that use this).
 */
export function callAsync(name, ...args) {
  const out = [null];
  const full = args.map((a) => (a === OUT ? out : a));
  return new Promise((resolve, reject) => {
    try {
      lib()[name].async(...full, (err, status) => {
        if (err) {
          takeString(out[0]);
          reject(err);
          return;
        }
        if (status !== 0) {
          takeString(out[0]);
          resolve({ status, out: null });
          return;
        }
        try {
          resolve({ status, out: takeJson(out[0]) });
        } catch (e) {
          reject(e);
        }
      });
    } catch (err) {
      reject(err);
    }
  });
}

// --------------------------------------------------------------------------
// Encoding inputs
// --------------------------------------------------------------------------

export function describeType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `type ${typeof value}`;
}

function jsonReplacer(what) {
  return function replacer(key, value) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new InvalidArgumentError(
        `${what} cannot be encoded as JSON: ${value} at key ${JSON.stringify(key)} (JSON has no ${value})`,
      );
    }
    if (typeof value === 'bigint') {
      if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
        return Number(value);
      }
      throw new InvalidArgumentError(
        `${what} cannot be encoded as JSON: ${value}n at key ${JSON.stringify(key)} is beyond 2^53`,
      );
    }
    return value;
  };
}

/**
 * A JSON input as a NUL-terminated UTF-8 Buffer; pass `buf` and
 * `buf.length - 1`. Objects and arrays are encoded with JSON.stringify; a
 * string or Buffer passes through unchanged (it already is JSON text).
 */
export function encodeJson(doc, what = 'document') {
  if (Buffer.isBuffer(doc) || doc instanceof Uint8Array) {
    return Buffer.concat([Buffer.from(doc), Buffer.from([0])]);
  }
  if (typeof doc === 'string') return Buffer.from(`${doc}\0`, 'utf8');
  if (doc === null || typeof doc !== 'object') {
    throw new TypeError(`${what} must be an object, an array or JSON text, not ${describeType(doc)}`);
  }
  let text;
  try {
    text = JSON.stringify(doc, jsonReplacer(what));
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError(`${what} cannot be encoded as JSON: ${err.message}`, {
      cause: err,
    });
  }
  return Buffer.from(`${text}\0`, 'utf8');
}

/** A text argument for a `const char *` parameter (no NUL inside). */
export function encodeStr(value, what) {
  if (typeof value !== 'string') {
    throw new TypeError(`${what} must be a string, not ${describeType(value)}`);
  }
  if (value.includes('\0')) throw new InvalidArgumentError(`${what} contains a NUL character`);
  return value;
}

/** A filesystem path (string, Buffer or file URL) as a string. */
export function encodePath(value, what = 'path') {
  return encodeStr(asPath(value, what), what);
}

/**
 * The error for a call that failed on a koffi worker thread, when the
 * library's own message cannot be read: tc_last_error() is thread-local and
 * the worker has moved on. `documented` is what the header documents for
 * this status of this function; `syncName` names the synchronous variant
 * that reports the library's message.
 */
export function workerError(status, fn, documented, syncName) {
  const detail =
    `${statusText(status)}, on a worker thread: tutorcore's detailed message is ` +
    `thread-local there; ${syncName}() reports it`;
  return errorForStatus(status, documented ? `${documented} (${detail})` : detail, fn);
}
