// Domain configurations: load, validate and describe a domain directory.

import { Status } from './errors.js';
import { Handle } from './handle.js';
import {
  OUT,
  callAsync,
  callJson,
  check,
  encodeJson,
  encodePath,
  encodeStr,
  lib,
  takeJson,
  takeString,
  workerError,
} from './native.js';

/**
 * Validates a domain directory and reports every problem
 * (tc_domain_validate_dir). Returns the report {schema_version, valid,
 * domain, counts, errors: [{code, file, path, message, fix}, ...]} whether
 * the domain is valid or not: check `report.valid`.
 *
 * @throws {NotFoundError} the directory does not exist.
 */
export function validateDomain(directory) {
  const L = lib();
  const out = [null];
  const status = L.tc_domain_validate_dir(out, encodePath(directory, 'directory'));
  if (status === Status.EINVAL && out[0]) return takeJson(out[0]); // invalid: the report says why
  if (status !== 0) {
    try {
      check(status, 'tc_domain_validate_dir');
    } finally {
      takeString(out[0]);
    }
  }
  return takeJson(out[0]);
}

/**
 * A loaded, validated domain (tc_domain): immutable, usable from any thread.
 *
 * `new Domain(dir)` loads the four files of a domain directory
 * (knowledge_graph.json, taxonomy.json, interventions.json,
 * problem_bank.json). A Tutor copies the domain, so the domain may be closed
 * once the tutors that need it are open.
 *
 * @throws {InvalidArgumentError} the domain fails validation (the message
 *   holds the first problem; validateDomain() lists them all).
 * @throws {NotFoundError} the directory does not exist.
 */
export class Domain extends Handle {
  constructor(directory) {
    super();
    const L = lib();
    /** The directory the domain was loaded from. */
    this.path = encodePath(directory, 'directory');
    const out = [null];
    check(L.tc_domain_load(out, this.path), 'tc_domain_load');
    this._own(out[0], L.tc_domain_free);
  }

  /** Same as validateDomain(). */
  static validate(directory) {
    return validateDomain(directory);
  }

  /** The domain as an object (tc_domain_describe): domain (its id), name,
   * subject, version, thresholds, counts and the concepts with their
   * prerequisites and BKT priors. */
  describe() {
    return this._use((ptr) => callJson('tc_domain_describe', OUT, ptr));
  }

  /**
   * A problem by id (tc_domain_problem): a bank problem, or a template
   * instance re-derived from its id ("<template_id>:<name>=<value>,...", as
   * assignments name them).
   *
   * @returns {schema_version, problem: {problem_id, concept, problem_text,
   *   correct_answer, irt_b, irt_discrimination, diagnostic_for,
   *   misconception_answers, template_id?, template_params?, generated?}}.
   * @throws {NotFoundError} the id names neither.
   */
  problem(problemId) {
    const id = encodeStr(problemId, 'problemId');
    return this._use((ptr) => callJson('tc_domain_problem', ptr, id, OUT));
  }

  /**
   * Instances of a problem template (tc_domain_generate): {template_id,
   * seed?: 42, first?: 0, count?: 1 (1..1000), max_draws?: 100}; instance n
   * under a seed is the same on every platform.
   *
   * @returns {schema_version, template_id, seed, instances: [{instance,
   *   problem: {...} | null}]} (null: every draw was rejected).
   * @throws {NotFoundError} an unknown template.
   * @throws {InvalidArgumentError} naming the request field.
   */
  generate(request) {
    const data = encodeJson(request, 'generate request');
    return this._use((ptr) => callJson('tc_domain_generate', ptr, data, data.length - 1, OUT));
  }

  /**
   * Runs a simulated study on a worker thread (tc_sim_run;
   * docs/simulation.md): learners over the domain's prerequisite graph,
   * tutored by the library's engines under the request's condition and
   * tested before and after on a held-out test. Deterministic for a seed.
   *
   * The request (every field optional): seed (42), students (500), threads
   * (0: the hardware's), budget (12), block_size (5), bank_size (0),
   * item_selection ("irt", "easiest", "hardest", "random"), p_target (0.7),
   * concept_selection ("bkt", "random", "oracle"), interventions (true),
   * modality_policy ("thompson", "greedy", "uniform"), oracle_modality,
   * errors {misidentification, false_negative, false_positive, misroute},
   * learner {...}, per_student.
   *
   * @returns {Promise<object>} {schema_version, domain, options, students,
   *   pre_test, post_test, gain, gain_per_interaction, concepts_mastered,
   *   accuracy, difficulty_hit_rate, misconceptions, interventions,
   *   concept_selection, bkt_rmse, gains?}.
   * @throws {InvalidArgumentError} naming the request field.
   */
  async simulate(request = {}) {
    const data = encodeJson(request, 'simulation request');
    const { status, out } = await this._useAsync((ptr) =>
      callAsync('tc_sim_run', ptr, data, data.length - 1, OUT),
    );
    if (status === 0) return out;
    // The message stays on the worker thread; a bad request fails while
    // parsing, before any learner runs, so repeating it here is cheap.
    if (status === Status.EINVAL && !this.closed) return this.#simulate(data);
    throw workerError(status, 'tc_sim_run', 'simulation failed', 'simulateSync');
  }

  /** simulate() on the calling thread (blocks it until done). */
  simulateSync(request = {}) {
    return this.#simulate(encodeJson(request, 'simulation request'));
  }

  #simulate(data) {
    return this._use((ptr) => callJson('tc_sim_run', ptr, data, data.length - 1, OUT));
  }

  /** The domain's id (describe().domain). */
  get id() {
    return String(this.describe().domain);
  }

  /** @internal */
  _describe() {
    return { path: this.path };
  }
}
