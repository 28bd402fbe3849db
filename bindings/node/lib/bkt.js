// Bayesian knowledge tracing: the hot paths, fitting by EM, fitted models.

import { CancelledError, InvalidArgumentError, Status, errorForStatus } from './errors.js';
import { Handle } from './handle.js';
import {
  OUT,
  callAsync,
  describeType,
  check,
  encodeJson,
  encodeStr,
  lastError,
  lib,
  takeJson,
  takeString,
  workerError,
} from './native.js';

/** How the skills of an item tagged with several combine into P(right)
 * (tc_skill_combine). */
export const Combine = Object.freeze({ PRODUCT: 0, MIN: 1, MEAN: 2 });

const PARAM_FIELDS = ['p_init', 'p_learn', 'p_guess', 'p_slip', 'p_forget'];

/**
 * Writes the fields p_init, p_learn, p_guess, p_slip, p_forget of `values`
 * (missing ones are 0) into dst[offset .. offset + 5): the layout of
 * tc_bkt_params.
 * @internal
 */
export function writeParams(values, dst, offset = 0, what = 'params') {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new TypeError(
      `${what} must be an object with p_init, p_learn, p_guess, p_slip, p_forget, not ${describeType(values)}`,
    );
  }
  let seen = 0;
  for (let i = 0; i < 5; i++) {
    const name = PARAM_FIELDS[i];
    const v = values[name];
    if (v === undefined) {
      dst[offset + i] = 0;
      continue;
    }
    if (typeof v !== 'number') throw new TypeError(`${what}.${name} must be a number, not ${describeType(v)}`);
    dst[offset + i] = v;
    seen++;
  }
  if (Object.keys(values).length !== seen) {
    const unknown = Object.keys(values).filter((k) => !PARAM_FIELDS.includes(k));
    if (unknown.length) throw new InvalidArgumentError(`unknown BKT parameter(s): ${unknown.sort().join(', ')}`);
  }
  return dst;
}

// One tc_bkt_params for the synchronous hot paths (JS is single-threaded
// and these calls do not call back).
const scratch = new Float64Array(5);

function num(value, what) {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, not ${describeType(value)}`);
  return value;
}

/** P(right answer) for a student whose P(known) is pKnown (tc_bkt_predict). */
export function bktPredict(pKnown, params) {
  num(pKnown, 'pKnown');
  return lib().tc_bkt_predict(pKnown, writeParams(params, scratch));
}

/** P(known) after one answer: the posterior given the answer, then the
 * learning (and forgetting) transition (tc_bkt_update). */
export function bktUpdate(pKnown, correct, params) {
  num(pKnown, 'pKnown');
  return lib().tc_bkt_update(pKnown, correct ? 1 : 0, writeParams(params, scratch));
}

function combineRule(rule) {
  if (typeof rule === 'string') {
    const key = rule.toUpperCase();
    if (!Object.hasOwn(Combine, key)) {
      throw new InvalidArgumentError(`rule ${JSON.stringify(rule)} is not product, min or mean`);
    }
    return Combine[key];
  }
  if (!Object.values(Combine).includes(rule)) {
    throw new InvalidArgumentError(`rule ${String(rule)} is not product, min or mean`);
  }
  return rule;
}

/**
 * P(right) for an item tagged with several skills, from each skill's
 * P(known) and parameters (tc_bkt_predict_multi).
 *
 * @param {number[]} pKnown P(known) per skill.
 * @param {object[]} params the parameters per skill, in the same order.
 * @param rule Combine.PRODUCT (default), MIN or MEAN, or "product", "min", "mean".
 * @throws {InvalidArgumentError} empty or unequal arrays, or an unknown rule.
 */
export function bktPredictMulti(pKnown, params, rule = Combine.PRODUCT) {
  const r = combineRule(rule);
  if (!Array.isArray(pKnown) && !(pKnown instanceof Float64Array)) {
    throw new TypeError(`pKnown must be an array of numbers, not ${describeType(pKnown)}`);
  }
  if (!Array.isArray(params)) throw new TypeError(`params must be an array, not ${describeType(params)}`);
  const n = pKnown.length;
  if (n === 0 || params.length !== n) {
    throw new InvalidArgumentError(
      `pKnown and params must be non-empty and of equal length (got ${n} and ${params.length})`,
    );
  }
  const known = Float64Array.from(pKnown, (p, i) => num(p, `pKnown[${i}]`));
  const structs = new Float64Array(5 * n);
  params.forEach((p, i) => writeParams(p, structs, 5 * i, `params[${i}]`));
  return lib().tc_bkt_predict_multi(known, structs, n, r);
}

// What tutorcore.h documents for each failure of tc_bkt_fit.
const FIT_DOCUMENTED = {
  [Status.EINVAL]: 'fit request: a request field, CSV line or column is invalid',
  [Status.ENOTFOUND]: 'fit request: a CSV file is missing',
  [Status.ENOMEM]: 'fit: out of memory',
};

function progressTrampoline(onProgress, signal, state) {
  if (!onProgress && !signal) return null;
  return (done, total) => {
    if (signal?.aborted) {
      state.cancelled = 'signal';
      return 1;
    }
    if (onProgress) {
      try {
        if (onProgress(Number(done), Number(total)) === false) {
          state.cancelled = 'callback';
          return 1;
        }
      } catch (err) {
        state.thrown = err;
        return 1;
      }
    }
    if (signal?.aborted) {
      state.cancelled = 'signal';
      return 1;
    }
    return 0;
  };
}

function cancelled(state, signal) {
  if (state.thrown !== undefined) {
    const err = state.thrown;
    if (err instanceof CancelledError && err.function === null) err.function = 'tc_bkt_fit';
    return err;
  }
  if (state.cancelled === 'signal') {
    return new CancelledError('bktFit: aborted by its AbortSignal', {
      function: 'tc_bkt_fit',
      cause: signal.reason,
    });
  }
  if (state.cancelled === 'callback') {
    return new CancelledError('bktFit: cancelled by the progress callback', { function: 'tc_bkt_fit' });
  }
  return null;
}

function checkOptions(onProgress, signal) {
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') {
    throw new TypeError('onProgress must be a function');
  }
  if (signal !== undefined && signal !== null && typeof signal.aborted !== 'boolean') {
    throw new TypeError('signal must be an AbortSignal');
  }
}

/**
 * The library's message for a fit that failed on a worker thread: the same
 * request is run again on this thread with a progress callback that cancels
 * at its first report. Request, CSV and column errors are found before any
 * report, so they come back with the library's message; a failure after the
 * first report (a bad test_csv, cross-validation, memory) gets the
 * documented meaning of its status.
 */
function diagnoseFit(data, status) {
  const out = [null];
  const again = lib().tc_bkt_fit(out, data, data.length - 1, () => 1, null);
  takeString(out[0]);
  if (again === status) return errorForStatus(status, lastError(), 'tc_bkt_fit');
  return workerError(status, 'tc_bkt_fit', FIT_DOCUMENTED[status], 'bktFitSync');
}

/**
 * Fits BKT per skill by EM and reports held-out metrics (tc_bkt_fit), on a
 * worker thread: the event loop keeps running.
 *
 * The request (an object or JSON text): train_csv (a path) or rows
 * ([[student, skill, 0|1, item?, group?], ...] in each student's answer
 * order), and optionally test_csv, columns, forgets, restarts,
 * max_iterations, tolerance, seed, threads, max_guess, max_slip, folds,
 * multigs, multilearn, multiprior, variant_pseudo_count.
 *
 * @param options.onProgress called on the JS thread as onProgress(done,
 *   total) (units: skills, then folds) while the fit waits for it; return
 *   false to cancel, throw to cancel and reject with that error.
 * @param options.signal an AbortSignal: aborting cancels the fit at its next
 *   progress report (reports come as skills and folds finish).
 * @returns {Promise<object>} {schema_version, fit_seconds, skills, responses,
 *   test_auc?, test_rmse?, cross_validation?, model}.
 * @throws {CancelledError} the callback or the signal cancelled the fit.
 * @throws {InvalidArgumentError} naming the request field, CSV line or column.
 * @throws {NotFoundError} a missing CSV file.
 */
export async function bktFit(request, { onProgress, signal } = {}) {
  checkOptions(onProgress, signal);
  const data = encodeJson(request, 'fit request');
  if (signal?.aborted) {
    throw new CancelledError('bktFit: aborted by its AbortSignal before it started', {
      function: 'tc_bkt_fit',
      cause: signal.reason,
    });
  }
  const state = {};
  const cb = progressTrampoline(onProgress, signal, state);
  const { status, out } = await callAsync('tc_bkt_fit', OUT, data, data.length - 1, cb, null);
  if (status === 0) return out;
  const stop = status === Status.EUSER ? cancelled(state, signal) : null;
  if (stop) throw stop;
  throw diagnoseFit(data, status);
}

/**
 * bktFit() on the calling thread (blocks it until done); onProgress is
 * called synchronously from inside the fit.
 */
export function bktFitSync(request, { onProgress } = {}) {
  checkOptions(onProgress, undefined);
  const data = encodeJson(request, 'fit request');
  const state = {};
  const cb = progressTrampoline(onProgress, undefined, state);
  const out = [null];
  const status = lib().tc_bkt_fit(out, data, data.length - 1, cb, null);
  if (status !== 0) {
    const err = state.thrown !== undefined ? cancelled(state) : errorForStatus(status, lastError(), 'tc_bkt_fit');
    takeString(out[0]);
    throw err;
  }
  return takeJson(out[0]);
}

/**
 * Checks a BKT model document (tc_bkt_model_check); with `skill`, returns
 * that skill's parameters, else null.
 *
 * @throws {InvalidArgumentError} naming the JSON path.
 * @throws {VersionError} a newer schema.
 * @throws {NotFoundError} the model has no such skill.
 */
export function bktModelCheck(model, skill) {
  const data = encodeJson(model, 'model');
  const out = skill === undefined || skill === null ? null : {};
  check(
    lib().tc_bkt_model_check(out, data, data.length - 1, out === null ? null : encodeStr(skill, 'skill')),
    'tc_bkt_model_check',
  );
  return out;
}

function optStr(value, what) {
  return value === undefined || value === null ? null : encodeStr(value, what);
}

/**
 * A loaded BKT model (tc_bkt_model) for repeated parameter lookups;
 * immutable. `new BktModel(model)` takes the model document as bktFit()
 * returns it (report.model) or `tutorcore fit --model-out` writes it, as an
 * object or JSON text; BktModel.fromFit(report) takes the whole report.
 *
 * @throws {InvalidArgumentError} naming the JSON path.
 * @throws {VersionError} a newer schema.
 */
export class BktModel extends Handle {
  constructor(model) {
    super();
    const L = lib();
    const data = encodeJson(model, 'model');
    const out = [null];
    check(L.tc_bkt_model_load(out, data, data.length - 1), 'tc_bkt_model_load');
    this._own(out[0], L.tc_bkt_model_free);
  }

  /** The model of a bktFit() report. */
  static fromFit(report) {
    if (report === null || typeof report !== 'object') {
      throw new TypeError(`report must be a fit report, not ${describeType(report)}`);
    }
    return new BktModel(report.model);
  }

  /**
   * The parameters for one answer (tc_bkt_model_params): the skill's, with
   * the per-item guess, slip, learn and forget and the per-group prior of a
   * variant model where it has them (unknown items and groups take the
   * skill's base values).
   *
   * @throws {NotFoundError} the model has no such skill.
   */
  params(skill, item, group) {
    const s = encodeStr(skill, 'skill');
    const i = optStr(item, 'item');
    const g = optStr(group, 'group');
    const out = {};
    this._use((ptr) => check(lib().tc_bkt_model_params(ptr, s, i, g, out), 'tc_bkt_model_params'));
    return out;
  }

  /** P(right) with params(skill, item, group). */
  predict(pKnown, skill, item, group) {
    return bktPredict(pKnown, this.params(skill, item, group));
  }

  /** P(known) after one answer with params(skill, item, group). */
  update(pKnown, correct, skill, item, group) {
    return bktUpdate(pKnown, correct, this.params(skill, item, group));
  }
}
