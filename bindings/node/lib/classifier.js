// Host classifiers: JavaScript objects the tutor's router asks to classify
// answers, registered through tc_tutor_register_classifier.
//
// How the callbacks stay valid: the C function pointers are four koffi
// registered callbacks made once per process (never unregistered), and the
// library's userdata is an id into a registry (a Map) holding the JS
// classifier from registration until the library calls destroy (at
// tc_tutor_unregister_classifier or tc_tutor_free, after the last call in
// flight); destroy drops the entry and calls the classifier's release().
//
// The callbacks run inside the synchronous call that classifies (submit,
// classify, classifyBatch, applyDiagnostic, detectBias, moderate) on the JS
// thread. Whatever a callback throws becomes tc_classifier_reply_error with
// "<name>: <message>" and a non-zero return: the call fails with TC_EUSER
// (CancelledError) carrying that message, the thrown value as `cause`.

import koffi from 'koffi';

import { CLASSIFIER_VERSION, describeType, lib, loadedLibrary } from './native.js';

const entries = new Map();
let nextId = 1;
let trampolines = null;
let lastError; // what the latest failing callback threw (JS is single-threaded)

function message(err) {
  if (err instanceof Error) {
    const text = err.message ? `${err.name}: ${err.message}` : err.name;
    return text.replaceAll('\0', ' ');
  }
  let text;
  try {
    text = typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    text = undefined;
  }
  return `thrown: ${String(text ?? err)}`.replaceAll('\0', ' ');
}

function fail(reply, err) {
  lastError = { error: err };
  try {
    lib().tc_classifier_reply_error(reply, message(err));
  } catch {
    // the library refused the message: the call still fails (no message)
  }
  return 1;
}

function isThenable(value) {
  return (
    value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function'
  );
}

function encodeReply(value, batch) {
  const what = batch ? 'predictBatch' : 'predict';
  if (isThenable(value)) {
    throw new TypeError(
      `${what} returned a Promise: a host classifier answers synchronously (the library waits ` +
        'for the reply inside the call)',
    );
  }
  if (value === undefined || value === null) {
    throw new TypeError(
      `${what} returned ${value}: return ${batch ? 'an array of predictions' : '{label, confidence, reason?}'}`,
    );
  }
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  if (batch && !Array.isArray(value)) {
    throw new TypeError(`predictBatch returned ${describeType(value)}: return an array of predictions`);
  }
  if (!batch && (typeof value !== 'object' || Array.isArray(value))) {
    throw new TypeError(`predict returned ${describeType(value)}: return {label, confidence, reason?}`);
  }
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function answer(userdata, input, len, reply, batch) {
  try {
    const entry = entries.get(Number(userdata));
    if (entry === undefined) throw new Error(`host classifier #${userdata} is not registered`);
    const doc = JSON.parse(koffi.decode.string(input, Number(len)));
    const result = batch ? entry.predictBatch(doc.items) : entry.predict(doc);
    const data = encodeReply(result, batch);
    if (lib().tc_classifier_reply_set(reply, data, data.length) !== 0) {
      throw new Error('tc_classifier_reply_set refused the reply');
    }
    return 0;
  } catch (err) {
    return fail(reply, err);
  }
}

function warn(entry, what, err) {
  process.emitWarning(`host classifier '${entry.name}': ${what} threw: ${err && err.message}`, {
    type: 'TutorcoreClassifierWarning',
    detail: err && err.stack,
  });
}

function supports(userdata, conceptId) {
  const entry = entries.get(Number(userdata));
  if (entry === undefined || !entry.supportsConcept) return 1;
  try {
    return entry.supportsConcept(conceptId) ? 1 : 0;
  } catch (err) {
    // A yes/no callback has no way to report: warn and answer no.
    warn(entry, 'supportsConcept', err);
    return 0;
  }
}

function destroy(userdata) {
  const id = Number(userdata);
  const entry = entries.get(id);
  if (entry === undefined) return;
  entries.delete(id);
  if (entry.release) {
    try {
      entry.release();
    } catch (err) {
      warn(entry, 'release', err);
    }
  }
}

function getTrampolines() {
  if (trampolines) return trampolines;
  const { types } = loadedLibrary();
  const classify = koffi.pointer(types.ClassifyCallback);
  trampolines = {
    predict: koffi.register((u, input, len, reply) => answer(u, input, len, reply, false), classify),
    predictBatch: koffi.register((u, input, len, reply) => answer(u, input, len, reply, true), classify),
    supports: koffi.register(supports, koffi.pointer(types.SupportsConceptCallback)),
    destroy: koffi.register(destroy, koffi.pointer(types.DestroyCallback)),
  };
  return trampolines;
}

function method(obj, name) {
  const fn = obj[name];
  if (fn === undefined || fn === null) return null;
  if (typeof fn !== 'function') throw new TypeError(`classifier.${name} must be a function`);
  return fn.bind(obj);
}

/**
 * @internal Adds a classifier to the registry and builds its tc_classifier.
 * `owner` is the tutor's state {inCallback}: the count of its classifiers'
 * callbacks running now, which guards against calls back into the tutor
 * (they would wait for themselves). The caller
 * registers the struct and calls discard(id) if that fails (the library then
 * keeps nothing and never calls destroy).
 */
export function prepare(name, classifier, owner) {
  let entry;
  if (typeof classifier === 'function') {
    entry = { predict: classifier, predictBatch: null, supportsConcept: null, release: null };
  } else if (classifier !== null && typeof classifier === 'object' && typeof classifier.predict === 'function') {
    entry = {
      predict: classifier.predict.bind(classifier),
      predictBatch: method(classifier, 'predictBatch'),
      supportsConcept: method(classifier, 'supportsConcept'),
      release: method(classifier, 'release'),
    };
  } else {
    throw new TypeError(
      `classifier must be a function or an object with a predict(item) method, not ${describeType(classifier)}`,
    );
  }
  const t = getTrampolines();
  const id = nextId++;
  Object.assign(entry, { id, name, classifier, owner });
  // Calls back into the owning tutor while a callback runs would deadlock.
  const guard = (fn) =>
    fn &&
    ((...args) => {
      owner.inCallback++;
      try {
        return fn(...args);
      } finally {
        owner.inCallback--;
      }
    });
  entry.predict = guard(entry.predict);
  entry.predictBatch = guard(entry.predictBatch);
  entry.supportsConcept = guard(entry.supportsConcept);
  entries.set(id, entry);
  const struct = {
    version: CLASSIFIER_VERSION,
    userdata: id,
    predict: t.predict,
    supports_concept: entry.supportsConcept ? t.supports : null,
    predict_batch: entry.predictBatch ? t.predictBatch : null,
    destroy: t.destroy,
  };
  return { id, struct };
}

/** @internal Drops a registry entry the library never took. */
export function discard(id) {
  entries.delete(id);
}

/** @internal How many host classifiers the library holds now (for tests). */
export function registeredCount() {
  return entries.size;
}

/** @internal Forgets the latest callback error. */
export function clearError() {
  lastError = undefined;
}

/** @internal The latest callback error as {error}, or undefined (and forgets it). */
export function takeError() {
  const e = lastError;
  lastError = undefined;
  return e;
}
