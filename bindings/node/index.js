// tutorcore: the engines of an adaptive, teacher-in-the-loop tutor.
//
// A Node binding over the C ABI of libtutorcore.so.0 with koffi. Handles are
// classes with close(), every failure throws (or rejects with) a
// TutorcoreError subclass carrying the status and the library's message,
// JSON documents travel as plain objects, and long work returns Promises:
//
//   import { Store, Tutor } from 'tutorcore';
//
//   const store = Store.inMemory();
//   const tutor = new Tutor(store, 'examples/domains/algebra_fundamentals');
//   const result = tutor.submit({ tenant: 'district-7', student: 's-0192',
//     problem_id: 'ias_01', answer: '-10', idempotency_key: 's-0192/answer/1' });
//   result.misconception.id; // 'ias_add_magnitudes'
//   store.close();
//
// The library is found on first use: the path given to loadLibrary(), else
// $TUTORCORE_LIBRARY, else libtutorcore.so.0 on the dynamic loader's path.

import { lib, loadLibrary, loadedLibrary } from './lib/native.js';

export {
  ABI_VERSION,
  CLASSIFIER_VERSION,
  DURABILITY_FULL,
  DURABILITY_NORMAL,
  ENV_VAR,
  EVENT_VERSION,
  STORE_MEMORY,
  STORE_OPTIONS_VERSION,
  STORE_POSTGRES,
  STORE_SQLITE,
  loadLibrary,
} from './lib/native.js';
export {
  AlreadyExistsError,
  CancelledError,
  InternalError,
  InvalidArgumentError,
  LibraryNotFoundError,
  NotFoundError,
  OutOfMemoryError,
  Status,
  StorageError,
  TutorcoreError,
  UnavailableError,
  VersionError,
  errorForStatus,
  statusName,
} from './lib/errors.js';
export { Domain, validateDomain } from './lib/domain.js';
export { Store, Subscription, storeOptionsInit } from './lib/store.js';
export { Tutor } from './lib/tutor.js';
export {
  BktModel,
  Combine,
  bktFit,
  bktFitSync,
  bktModelCheck,
  bktPredict,
  bktPredictMulti,
  bktUpdate,
} from './lib/bkt.js';
export { irtInformation, irtProbability, irtThetaFromMastery } from './lib/irt.js';

/** The loaded library's version, "MAJOR.MINOR.PATCH" (tc_version). */
export function version() {
  return lib().tc_version();
}

/** The library's version as MAJOR*1000000 + MINOR*1000 + PATCH (tc_version_number). */
export function versionNumber() {
  return lib().tc_version_number();
}

/** The library's version as {major, minor, patch}. */
export function versionInfo() {
  const n = versionNumber();
  return { major: Math.floor(n / 1000000), minor: Math.floor(n / 1000) % 1000, patch: n % 1000 };
}

/** The library's text for a status code, e.g. "TC_EINVAL: invalid argument
 * or input" (tc_status_str). */
export function statusStr(status) {
  return lib().tc_status_str(status);
}

/** The file name the library was loaded from (loading it if needed). */
export function libraryPath() {
  return (loadedLibrary() ?? loadLibrary()).path;
}

/** Which step of the search found the library ("path option",
 * "$TUTORCORE_LIBRARY" or "default loader path"), loading it if needed. */
export function librarySource() {
  return (loadedLibrary() ?? loadLibrary()).source;
}
