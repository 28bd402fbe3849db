// Domain configurations: load, validate and describe a domain directory.

import { Status } from './errors.js';
import { Handle } from './handle.js';
import { OUT, callJson, check, encodeJson, encodePath, encodeStr, lib, takeJson, takeString } from './native.js';

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

  /** The domain's id (describe().domain). */
  get id() {
    return String(this.describe().domain);
  }

  /** @internal */
  _describe() {
    return { path: this.path };
  }
}
