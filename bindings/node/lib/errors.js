// The errors of tutorcore and the status codes they carry.
//
// Every call into the C library that returns a non-OK tc_status throws (or,
// for the Promise-returning calls, rejects with) a subclass of
// TutorcoreError carrying the status (`.status`: the number, `.code`: its C
// name such as "TC_ENOTFOUND"), the library's own message from
// tc_last_error() (`.message`: what was wrong, where, and the fix) and the C
// function that failed (`.function`).

/** The tc_status codes of the C ABI. Values are pinned forever. */
export const Status = Object.freeze({
  OK: 0,
  EINVAL: -1,
  ENOTFOUND: -2,
  EEXISTS: -3,
  ESTORAGE: -4,
  EUNAVAILABLE: -5,
  EVERSION: -6,
  EUSER: -7,
  ENOMEM: -8,
  EINTERNAL: -9,
});

const NAMES = new Map(Object.entries(Status).map(([name, code]) => [code, `TC_${name}`]));

/** The C name of a status code ("TC_EINVAL"), or "status N" for an unknown one. */
export function statusName(status) {
  return NAMES.get(status) ?? `status ${status}`;
}

/**
 * Base class of every error tutorcore reports for a non-OK status.
 *
 * - `status`: the tc_status code (a number, one of `Status`);
 * - `code`: its C name, e.g. "TC_ENOTFOUND";
 * - `message`: the library's message (tc_last_error()), or the binding's own
 *   when the binding refused the call before reaching the library;
 * - `function`: the C function that failed ("tc_submit_response"), or null
 *   when the binding itself refused the call.
 */
export class TutorcoreError extends Error {
  static status = Status.EINTERNAL;

  constructor(message, options = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    const status = options.status ?? new.target.status;
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      enumerable: false,
      configurable: true,
      writable: true,
    });
    this.status = status;
    this.code = statusName(status);
    this.function = options.function ?? null;
  }

  toString() {
    const where = this.function ? `${this.function}: ` : '';
    return `${this.name}: ${where}${this.message} [${this.code}]`;
  }
}

/** TC_EINVAL: a bad argument or input document, or an action the current
 * state does not allow (the message names the field or the state). */
export class InvalidArgumentError extends TutorcoreError {
  static status = Status.EINVAL;
}

/** TC_ENOTFOUND: an unknown id, file, row or subscription. */
export class NotFoundError extends TutorcoreError {
  static status = Status.ENOTFOUND;
}

/** TC_EEXISTS: a real conflict (a replayed idempotency key is not one). */
export class AlreadyExistsError extends TutorcoreError {
  static status = Status.EEXISTS;
}

/** TC_ESTORAGE: the storage layer failed (I/O, busy, corrupt). */
export class StorageError extends TutorcoreError {
  static status = Status.ESTORAGE;
}

/** TC_EUNAVAILABLE: an optional component of the library is absent. */
export class UnavailableError extends TutorcoreError {
  static status = Status.EUNAVAILABLE;
}

/** TC_EVERSION: an option struct, document or database is newer than the
 * loaded library. */
export class VersionError extends TutorcoreError {
  static status = Status.EVERSION;
}

/** TC_EUSER: a host callback (a fit's progress callback, an AbortSignal)
 * cancelled the work, or a host classifier threw (the message names the
 * classifier and holds what it threw, which is the error's `cause`). */
export class CancelledError extends TutorcoreError {
  static status = Status.EUSER;
}

/** TC_ENOMEM: the library ran out of memory. */
export class OutOfMemoryError extends TutorcoreError {
  static status = Status.ENOMEM;
}

/** TC_EINTERNAL: a bug in tutorcore; please report it. */
export class InternalError extends TutorcoreError {
  static status = Status.EINTERNAL;
}

/**
 * The shared library could not be found or loaded, or it lacks a function
 * this binding needs. Not a TutorcoreError: no call reached the library.
 */
export class LibraryNotFoundError extends Error {
  constructor(message, options) {
    super(message, options);
    Object.defineProperty(this, 'name', {
      value: 'LibraryNotFoundError',
      enumerable: false,
      configurable: true,
      writable: true,
    });
    this.code = 'ERR_TUTORCORE_LIBRARY_NOT_FOUND';
  }
}

const BY_STATUS = new Map(
  [
    InvalidArgumentError,
    NotFoundError,
    AlreadyExistsError,
    StorageError,
    UnavailableError,
    VersionError,
    CancelledError,
    OutOfMemoryError,
    InternalError,
  ].map((cls) => [cls.status, cls]),
);

/** The error for a non-OK status: the matching subclass, or TutorcoreError
 * itself for a code this binding does not know. */
export function errorForStatus(status, message, fn = null, options = {}) {
  const Cls = BY_STATUS.get(status) ?? TutorcoreError;
  return new Cls(message, { ...options, status, function: fn });
}
