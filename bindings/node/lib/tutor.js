// The one-call answer pipeline and the teacher's actions.

import koffi from 'koffi';

import * as host from './classifier.js';
import { InvalidArgumentError, Status, TutorcoreError, errorForStatus } from './errors.js';
import { Domain } from './domain.js';
import { Handle } from './handle.js';
import {
  OUT,
  callAsync,
  callJson,
  check,
  describeType,
  encodeJson,
  encodeStr,
  errorFor,
  lib,
  loadedLibrary,
  takeString,
  workerError,
} from './native.js';
import { Store } from './store.js';

const NOT_INSIDE = 'a host classifier must not call the tutor that asked it (the call would wait for itself)';

function int64(value, what) {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what} must be an integer, not ${describeType(value)}`);
  }
  return value;
}

// The fields of an analytics request, to name what a worker's TC_ENOTFOUND was about.
function requestFields(request) {
  try {
    if (typeof request === 'string') return JSON.parse(request);
    if (Buffer.isBuffer(request) || request instanceof Uint8Array)
      return JSON.parse(Buffer.from(request).toString('utf8'));
    return request ?? {};
  } catch {
    return {};
  }
}

function analyticsNotFound(request) {
  const r = requestFields(request);
  const where = typeof r.classroom === 'string' && r.classroom !== '';
  const what = typeof r.misconception_id === 'string' && r.misconception_id !== '';
  const room = `no student of tenant '${r.tenant}' is enrolled in '${r.classroom}'`;
  const mis = `'${r.misconception_id}' is not in the tutor's domain`;
  if (where && what) return `analytics request: ${room}, or misconception ${mis}`;
  if (where) return `analytics request.classroom: ${room}`;
  if (what) return `analytics request.misconception_id: ${mis}`;
  return 'analytics request: a classroom or misconception was not found';
}

function isPathLike(value) {
  return typeof value === 'string' || value instanceof URL || Buffer.isBuffer(value);
}

/**
 * A tutor (tc_tutor): a domain, a store and the pipeline's configuration.
 * docs/pipeline.md describes the documents.
 *
 * @param store the event store. The tutor keeps a reference to it, and
 *   closing the store closes the tutor first (the store must outlive it).
 * @param domain a Domain, or a domain directory to load. The tutor copies
 *   the domain, which may be closed afterwards.
 * @param config undefined for the defaults, or an object (or JSON text) with
 *   any of mastery, escalation, outcome, policy, policy_kind,
 *   target_p_correct, next_problems, typical_response_ms, seed.
 *
 * The synchronous methods run on the JS thread (submit, act and snapshot
 * are short transactions); profile() and evaluatePolicy() return Promises
 * and run on a worker thread. Calls on one tutor are serialised by the
 * library: a synchronous call made while a Promise-returning call on the
 * same tutor is running waits for it.
 *
 * @throws {InvalidArgumentError} naming the configuration field.
 */
export class Tutor extends Handle {
  // Shared with the host classifiers' registry and the cell's cleanup: no
  // reference back to this object, so a dropped tutor is still collected.
  #host = { inCallback: 0 };
  #text = { registered: null, memory: null };

  constructor(store, domain, config) {
    super();
    if (!(store instanceof Store)) {
      throw new TypeError(`store must be a tutorcore Store, not ${describeType(store)}`);
    }
    if (!(domain instanceof Domain) && !isPathLike(domain)) {
      throw new TypeError(`domain must be a tutorcore Domain or a directory, not ${describeType(domain)}`);
    }
    const L = lib();
    const data = config === undefined || config === null ? null : encodeJson(config, 'tutor config');
    /** The store this tutor appends to. */
    this.store = store;
    const loaded = domain instanceof Domain ? domain : new Domain(domain);
    try {
      const out = [null];
      store._use((storePtr) =>
        loaded._use((domainPtr) =>
          check(L.tc_tutor_open(out, storePtr, domainPtr, data, data === null ? 0 : data.length - 1), 'tc_tutor_open'),
        ),
      );
      const cell = this._own(out[0], L.tc_tutor_free);
      cell.attach(store._cell);
      // After tc_tutor_free (which released the host classifiers through
      // their destroy callbacks): the text generator's slot and text.
      const text = this.#text;
      cell.afterFree.push(() => releaseText(text));
    } finally {
      if (loaded !== domain) loaded.close();
    }
  }

  /**
   * Processes one student answer (tc_submit_response): classifies it,
   * updates mastery, assesses interventions, advances escalation, recommends
   * an intervention for the teacher and proposes the next problems,
   * appending every event in one transaction.
   *
   * The request (an object or JSON text): tenant, student, problem_id,
   * answer, idempotency_key, and optionally latency_ms and time_us. A retry
   * with the same idempotency key returns the first result and appends
   * nothing.
   *
   * @returns the result: {schema_version, response_event_id, correct,
   *   misconception, mastery, outcomes, escalation, detected,
   *   recommendations, next_problems, event_ids, ...}.
   * @throws {InvalidArgumentError} naming the request field (nothing is stored).
   * @throws {NotFoundError} a problem the domain lacks.
   * @throws {StorageError} the store failed.
   */
  submit(request) {
    return this.#classifying('tc_submit_response', request, 'submit request');
  }

  /** @internal The raw handle; refused inside this tutor's own classifier callbacks. */
  _ptr() {
    if (this.#host.inCallback > 0) throw new InvalidArgumentError(NOT_INSIDE);
    return super._ptr();
  }

  /**
   * Releases the tutor (tc_tutor_free): the library lets its host
   * classifiers go (each one's release() is called) and the text generator
   * is dropped. Idempotent.
   */
  close() {
    if (this.#host.inCallback > 0 && !this.closed) throw new InvalidArgumentError(NOT_INSIDE);
    super.close();
  }

  #json(name, request, what) {
    const data = encodeJson(request, what);
    return this._use((ptr) => callJson(name, ptr, data, data.length - 1, OUT));
  }

  // The calls that may ask a host classifier: a TC_EUSER failure gets what
  // the callback threw as its cause.
  #classifying(name, request, what) {
    host.clearError();
    try {
      return this.#json(name, request, what);
    } catch (err) {
      const thrown = host.takeError();
      if (thrown && err instanceof TutorcoreError && err.status === Status.EUSER) {
        throw errorForStatus(err.status, err.message, err.function, { cause: thrown.error });
      }
      throw err;
    } finally {
      host.clearError();
    }
  }

  // A tc_tutor_set_*: nothing given reads the settings in force.
  #settings(name, settings, what) {
    if (settings === undefined || settings === null) {
      return this._use((ptr) => callJson(name, ptr, null, 0, OUT));
    }
    return this.#json(name, settings, what);
  }

  /**
   * A teacher's action on one student's misconception (tc_tutor_act).
   *
   * The request: action ("approve", "record_outcome", "acknowledge",
   * "resolve", "conference_failed"), tenant, student, misconception_id,
   * teacher_id, and optionally modality, outcome, idempotency_key, time_us.
   *
   * @returns {schema_version, events, recommendations, event_ids}.
   * @throws {InvalidArgumentError} the escalation's state does not allow the
   *   action (the message names the state), or a field is bad.
   * @throws {NotFoundError} the student has no such escalation.
   */
  act(request) {
    return this.#json('tc_tutor_act', request, 'teacher action');
  }

  /**
   * A read-only student snapshot (tc_tutor_snapshot): mastery per concept as
   * a Beta distribution with its strategy, misconceptions with their
   * lifecycle, weak areas, recent answers.
   */
  snapshot(tenant, student) {
    const t = encodeStr(tenant, 'tenant');
    const s = encodeStr(student, 'student');
    return this._use((ptr) => callJson('tc_tutor_snapshot', ptr, t, s, OUT));
  }

  /**
   * The student's learning profile (tc_tutor_profile), also appended to the
   * log as profile.computed. Runs on a worker thread, except while the store
   * has JS subscribers: then it runs on the JS thread, so that the
   * subscribers are called there (the Promise still settles asynchronously).
   *
   * @returns {Promise<{schema_version, event_id, profile}>}
   * @throws {NotFoundError} a student without responses.
   * @throws {InvalidArgumentError} an empty id.
   */
  async profile(tenant, student) {
    const t = encodeStr(tenant, 'tenant');
    const s = encodeStr(student, 'student');
    const store = this.store;
    if (store._hasSubscribers) return this.profileSync(t, s);
    store._beginAsyncAppend();
    let result;
    try {
      result = await this._useAsync((ptr) => callAsync('tc_tutor_profile', ptr, t, s, OUT));
    } finally {
      store._endAsyncAppend();
    }
    const { status, out } = result;
    if (status === 0) return out;
    // The library's message stays on the worker thread. These failures are
    // found before any work (the ids, then the student's own history), so
    // the call is repeated here to read it; should it succeed now, its
    // result is the answer.
    if ((status === Status.EINVAL || status === Status.ENOTFOUND) && !this.closed) {
      return this.profileSync(t, s);
    }
    throw workerError(
      status,
      'tc_tutor_profile',
      status === Status.ENOTFOUND
        ? `profile request: student '${s}' has no responses in tenant '${t}'`
        : 'profile request failed',
      'profileSync',
    );
  }

  /** profile() on the calling thread (blocks it until done). */
  profileSync(tenant, student) {
    const t = encodeStr(tenant, 'tenant');
    const s = encodeStr(student, 'student');
    return this._use((ptr) => callJson('tc_tutor_profile', ptr, t, s, OUT));
  }

  /**
   * Off-policy evaluation from the log (tc_tutor_evaluate_policy): the
   * resolution rate `target` ("thompson", "greedy" or "uniform") would have
   * had, by inverse propensity scoring. Runs on a worker thread.
   *
   * @returns {Promise<{schema_version, target, records, ips, ips_se, snips,
   *   snips_se, effective_records, logged_value}>}
   * @throws {InvalidArgumentError} an unknown target.
   * @throws {NotFoundError} the log holds no recommendation with a known outcome.
   */
  async evaluatePolicy(tenant, target = 'thompson') {
    const t = encodeStr(tenant, 'tenant');
    const g = encodeStr(target, 'target');
    const { status, out } = await this._useAsync((ptr) => callAsync('tc_tutor_evaluate_policy', ptr, t, g, OUT));
    if (status === 0) return out;
    // A bad target or tenant is refused before the log is read: repeat the
    // call here to read the library's message.
    if (status === Status.EINVAL && !this.closed) return this.evaluatePolicySync(t, g);
    throw workerError(
      status,
      'tc_tutor_evaluate_policy',
      status === Status.ENOTFOUND
        ? `policy evaluation: tenant '${t}' has no logged recommendation with a known outcome`
        : 'policy evaluation failed',
      'evaluatePolicySync',
    );
  }

  /** evaluatePolicy() on the calling thread (blocks it until done). */
  evaluatePolicySync(tenant, target = 'thompson') {
    const t = encodeStr(tenant, 'tenant');
    const g = encodeStr(target, 'target');
    return this._use((ptr) => callJson('tc_tutor_evaluate_policy', ptr, t, g, OUT));
  }

  // -- teacher coaching -----------------------------------------------------

  /**
   * A coaching output (tc_tutor_coaching): `plan` is "pre_class",
   * "debrief" (needs since_us) or "parent_summary" (needs student); tenant,
   * and optionally classroom, students, roster ({id: display name}, used
   * for the text only, never stored), now_us, title.
   *
   * @returns pre_class and debrief: {schema_version, event_id, plan, text};
   *   parent_summary: {schema_version, event_id, source, context, text}.
   * @throws {InvalidArgumentError} a bad request field.
   */
  coaching(request) {
    return this.#json('tc_tutor_coaching', request, 'coaching request');
  }

  /**
   * A teacher acknowledges a coaching plan (tc_tutor_acknowledge_plan),
   * with modifications (an object such as {removed: [3]}) or none; appended
   * as coaching.plan_acknowledged.
   *
   * @throws {NotFoundError} planEventId is not a plan of the tenant.
   * @throws {InvalidArgumentError} a bad modifications document.
   */
  acknowledgePlan(tenant, planEventId, teacherId, modifications) {
    const t = encodeStr(tenant, 'tenant');
    const id = int64(planEventId, 'planEventId');
    const teacher = encodeStr(teacherId, 'teacherId');
    const mods =
      modifications === undefined || modifications === null ? null : encodeJson(modifications, 'modifications');
    return this._use((ptr) => callJson('tc_tutor_acknowledge_plan', ptr, t, id, teacher, mods, OUT));
  }

  /**
   * Registers the host's text generator for parent summaries
   * (tc_tutor_set_text_callback): generator(context) is called on the JS
   * thread inside coaching() with the structured context (ids only) and
   * returns the text; a throw, a non-string or "" falls back to the
   * template (a generator answers synchronously). null removes it. The
   * teacher reviews the text: the library sends nothing to anyone.
   */
  setTextGenerator(generator) {
    if (generator !== undefined && generator !== null && typeof generator !== 'function') {
      throw new TypeError(`generator must be a function or null, not ${describeType(generator)}`);
    }
    const state = this.#text;
    if (generator === undefined || generator === null) {
      this._use((ptr) => check(lib().tc_tutor_set_text_callback(ptr, null, null), 'tc_tutor_set_text_callback'));
      releaseText(state);
      return;
    }
    const { types } = loadedLibrary();
    const trampoline = (context, len, outText, outLen) => {
      try {
        const text = generator(JSON.parse(koffi.decode.string(context, Number(len))));
        if (typeof text !== 'string' || text === '') return 1;
        const bytes = Buffer.from(text, 'utf8');
        // Valid until the next call or the tutor's free: kept in `state`.
        const memory = koffi.alloc('uint8_t', bytes.length);
        new Uint8Array(koffi.view(memory, bytes.length)).set(bytes);
        const previous = state.memory;
        state.memory = memory;
        if (previous !== null) koffi.free(previous);
        koffi.encode(outText, 'void *', memory);
        koffi.encode(outLen, 'size_t', bytes.length);
        return 0;
      } catch {
        return 1; // the template
      }
    };
    const registered = koffi.register(trampoline, koffi.pointer(types.TextCallback));
    try {
      this._use((ptr) => check(lib().tc_tutor_set_text_callback(ptr, registered, null), 'tc_tutor_set_text_callback'));
    } catch (err) {
      koffi.unregister(registered);
      throw err;
    }
    const old = state.registered;
    state.registered = registered;
    if (old !== null) koffi.unregister(old);
  }

  // -- class analytics ------------------------------------------------------

  /**
   * What the class as a whole shows (tc_tutor_analytics), from the store's
   * views, on a worker thread; reads only. docs/analytics.md has the
   * documents.
   *
   * The request: analysis ("cooccurrence", "effectiveness", "cohorts",
   * "prerequisites", "drift" or "all"), tenant, and optionally classroom
   * (a host enrolls students with classroom.enrolled events),
   * misconception_id and config.
   *
   * @returns {Promise<object>} {schema_version, tenant, classroom, students,
   *   config, ...} plus cooccurrence, effectiveness, cohorts, prerequisites,
   *   drift as requested.
   * @throws {InvalidArgumentError} naming the request field.
   * @throws {NotFoundError} a classroom without enrolled students or a
   *   misconception the domain lacks.
   */
  async analytics(request) {
    const data = encodeJson(request, 'analytics request');
    const { status, out } = await this._useAsync((ptr) =>
      callAsync('tc_tutor_analytics', ptr, data, data.length - 1, OUT),
    );
    if (status === 0) return out;
    // The library's message stays on the worker thread. A bad request is
    // refused while parsing, before the views are read: repeat it here to
    // read the message (should it succeed now, its result is the answer).
    if (status === Status.EINVAL && !this.closed) return this.#analytics(data);
    throw workerError(
      status,
      'tc_tutor_analytics',
      status === Status.ENOTFOUND ? analyticsNotFound(request) : 'analytics failed',
      'analyticsSync',
    );
  }

  /** analytics() on the calling thread (blocks it until done). */
  analyticsSync(request) {
    return this.#analytics(encodeJson(request, 'analytics request'));
  }

  #analytics(data) {
    return this._use((ptr) => callJson('tc_tutor_analytics', ptr, data, data.length - 1, OUT));
  }

  /**
   * A de-identified export of one tenant's learning analytics for research
   * (tc_tutor_research_export; docs/privacy.md); reads only.
   *
   * The request: tenant and optionally min_group_size (2..1000000, default
   * 10). Aggregates only, with no student, classroom or tenant id, no event
   * id and no time finer than a day; a cell of fewer than min_group_size
   * students has null numbers and suppressed: true, with complementary
   * suppression where a total would reveal it.
   *
   * @returns {object} {schema_version, export: "research", domain,
   *   generated_on, min_group_size, z, mastery_min_attempts, cohorts,
   *   concepts, effectiveness}.
   * @throws {InvalidArgumentError} naming the request field (also a tenant
   *   without any data).
   */
  researchExport(request) {
    const data = encodeJson(request, 'research export request');
    return this._use((ptr) => callJson('tc_tutor_research_export', ptr, data, data.length - 1, OUT));
  }

  // -- adaptive sequencing ----------------------------------------------------

  /**
   * A personalised assignment for one student on target concepts
   * (tc_tutor_assign): remediation, diagnostic, target and spaced-review
   * items, each with its reason; appended as assignment.created.
   *
   * The request: tenant, student, concepts (ids), and optionally
   * idempotency_key, time_us, config (overrides for this request).
   *
   * @returns {schema_version, event_id, tenant, student, assignment:
   *   {student, concepts, problems: [{problem_id, concept_id, kind, text,
   *   p_correct, mastery, generated, reason, ...}], notes, rules}}.
   * @throws {InvalidArgumentError} naming the request field.
   * @throws {NotFoundError} a concept the domain lacks.
   */
  assign(request) {
    return this.#json('tc_tutor_assign', request, 'assign request');
  }

  /**
   * The cold-start diagnostic for a new student (tc_tutor_diagnostic): 5 to
   * 8 items over the prerequisite graph. Reads only.
   *
   * @throws {AlreadyExistsError} the student already has mastery.
   */
  diagnostic(tenant, student) {
    const t = encodeStr(tenant, 'tenant');
    const s = encodeStr(student, 'student');
    return this._use((ptr) => callJson('tc_tutor_diagnostic', ptr, t, s, OUT));
  }

  /**
   * Applies a new student's answers to the diagnostic
   * (tc_tutor_apply_diagnostic): {tenant, student, answers: [{problem_id,
   * answer, latency_ms?}], idempotency_key, time_us?}.
   *
   * @throws {AlreadyExistsError} the student already has mastery.
   * @throws {NotFoundError} a problem the domain lacks.
   * @throws {CancelledError} a host classifier threw.
   */
  applyDiagnostic(request) {
    return this.#classifying('tc_tutor_apply_diagnostic', request, 'apply diagnostic request');
  }

  // -- classifiers ------------------------------------------------------------

  /**
   * Registers a host classifier written in JavaScript under `name`
   * (tc_tutor_register_classifier; 1 to 64 of a-z 0-9 _ -, not "hybrid").
   *
   * `classifier` is a function predict(item) -> prediction, or an object
   * with predict(item) and optionally predictBatch(items) -> [prediction],
   * supportsConcept(conceptId) -> boolean and release(). `item` is the
   * library's input ({schema_version, problem: {id, text, correct_answer,
   * concept_id}, answer, concept: {id, name, misconceptions}}); a
   * prediction is {label, confidence, reason?}. The callbacks run on the JS
   * thread inside the call that classifies, answer synchronously, and must
   * not call this tutor. A throw fails that call with CancelledError
   * (TC_EUSER) carrying "<name>: <message>" and the thrown value as
   * `cause`. The library keeps the classifier until unregisterClassifier()
   * or close(), then calls its release().
   *
   * @throws {InvalidArgumentError} a bad name.
   * @throws {AlreadyExistsError} the name is taken (unregister it first).
   */
  registerClassifier(name, classifier) {
    const n = encodeStr(name, 'name');
    this._ptr();
    const { id, struct } = host.prepare(n, classifier, this.#host);
    let status;
    try {
      status = this._use((ptr) => lib().tc_tutor_register_classifier(ptr, n, struct));
    } catch (err) {
      host.discard(id);
      throw err;
    }
    if (status !== 0) {
      const err = errorFor(status, 'tc_tutor_register_classifier');
      host.discard(id); // refused: the library keeps nothing
      throw err;
    }
  }

  /**
   * Removes a classifier (tc_tutor_unregister_classifier): a host's, a
   * loaded model, or the built-in "rules" or "catalog". A host classifier's
   * release() is called.
   *
   * @throws {NotFoundError} no classifier has that name.
   */
  unregisterClassifier(name) {
    const n = encodeStr(name, 'name');
    this._use((ptr) => check(lib().tc_tutor_unregister_classifier(ptr, n), 'tc_tutor_unregister_classifier'));
  }

  /**
   * Sets how answers are routed (tc_tutor_set_routing): route,
   * min_confidence, on_error ("fail" | "skip"), catalog {threshold,
   * max_examples}. Fields left out keep their values; with no argument it
   * only reads.
   *
   * @returns {schema_version, classifiers: [names], routing: {...}}.
   * @throws {InvalidArgumentError} naming the field (nothing changes then).
   */
  setRouting(routing) {
    return this.#settings('tc_tutor_set_routing', routing, 'routing');
  }

  /** The names of the classifiers registered on this tutor, sorted. */
  get classifiers() {
    return this.setRouting().classifiers;
  }

  /**
   * Classifies one answer without storing anything (tc_tutor_classify):
   * {problem_id, answer, backend?}.
   *
   * @returns {schema_version, prediction: {label, confidence, backend, reason}}.
   * @throws {NotFoundError} an unknown problem or backend.
   * @throws {InvalidArgumentError} a bad request, or a reply that is not a prediction.
   * @throws {CancelledError} a host classifier threw.
   */
  classify(request) {
    return this.#classifying('tc_tutor_classify', request, 'classify request');
  }

  /**
   * Classifies several answers (tc_tutor_classify_batch): {items:
   * [{problem_id, answer}], backend?}; a host's predictBatch gets them together.
   *
   * @returns {schema_version, predictions: [...]}, in order.
   */
  classifyBatch(request) {
    return this.#classifying('tc_tutor_classify_batch', request, 'classify batch request');
  }

  /**
   * A teacher confirms or corrects the classification of a stored response
   * (tc_tutor_review_classification): {tenant, response_event_id,
   * teacher_id, label?, idempotency_key?, time_us?}.
   *
   * @returns {schema_version, event_id, replayed, review}.
   * @throws {NotFoundError} the tenant has no such event.
   */
  reviewClassification(request) {
    return this.#json('tc_tutor_review_classification', request, 'classification review');
  }

  /**
   * The labelled data set as JSON lines (tc_tutor_export_labels), each
   * ending with "\n"; "" when none. See exportLabels().
   */
  exportLabelsJsonl(request) {
    const data = encodeJson(request, 'label export');
    return this._use((ptr) => {
      const out = [null];
      const status = lib().tc_tutor_export_labels(ptr, data, data.length - 1, out);
      if (status !== 0) {
        const err = errorFor(status, 'tc_tutor_export_labels');
        takeString(out[0]);
        throw err;
      }
      return takeString(out[0]) ?? '';
    });
  }

  /**
   * The labelled data set for training the next model
   * (tc_tutor_export_labels): one object per response in log order,
   * {response_event_id, problem_id, problem, answer, concept_id, label,
   * source: "corrected" | "confirmed" | "unreviewed", classifier}.
   * The request: {tenant, include_unreviewed?, after_id?, concept_id?}.
   */
  exportLabels(request) {
    return this.exportLabelsJsonl(request)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line));
  }

  /**
   * Loads a TorchScript model and its label map and registers it as a
   * classifier (tc_tutor_load_model): {model, labels, name?, plugin?,
   * device?, max_batch?}.
   *
   * @returns {schema_version, model: {name, model, labels, plugin, runtime,
   *   device, max_batch, featurizer, label_map, concepts}}.
   * @throws {UnavailableError} the plugin cannot be loaded, or no CUDA device.
   * @throws {NotFoundError} a missing model or label file.
   * @throws {AlreadyExistsError} the name is taken.
   */
  loadModel(request) {
    return this.#json('tc_tutor_load_model', request, 'model request');
  }

  // -- metacognition ------------------------------------------------------------

  /**
   * Detects a metacognitive bias over one student's recent interaction
   * events (tc_tutor_detect_bias): {tenant, student, session_id?,
   * idempotency_key?, time_us?}. At or above the threshold it proposes a
   * reflective question and appends a metacog.bias_detected alert.
   *
   * @returns {schema_version, tenant, student, time_us,
   *   intervention_proposed, detection, alert}.
   * @throws {CancelledError} a host classifier threw.
   */
  detectBias(request) {
    return this.#classifying('tc_tutor_detect_bias', request, 'bias request');
  }

  /**
   * The session summary from the bias alerts (tc_tutor_bias_summary):
   * {tenant, session_id? and/or student?, since_us?, until_us?}. Reads only.
   *
   * @returns {schema_version, tenant, session_id, student, total,
   *   bias_breakdown, most_common_bias, interventions}.
   */
  biasSummary(request) {
    return this.#json('tc_tutor_bias_summary', request, 'bias summary request');
  }

  /**
   * Sets the bias detector's configuration (tc_tutor_set_metacog); fields
   * left out keep their values; with no argument it only reads.
   *
   * @returns {schema_version, metacog: {...}}.
   */
  setMetacog(config) {
    return this.#settings('tc_tutor_set_metacog', config, 'metacog config');
  }

  // -- moderation -----------------------------------------------------------------

  /**
   * Moderates one student message and records the decision
   * (tc_tutor_moderate): {tenant, student, message, verdict?,
   * idempotency_key?, time_us?}. The log keeps a hash, never the text.
   *
   * @returns {schema_version, tenant, student, time_us, action, category,
   *   severity, confidence, classifier, strike, strikes, quarantine,
   *   support_mode, crisis, event_ids, replayed, ...}.
   * @throws {CancelledError} a host classifier threw.
   */
  moderate(request) {
    return this.#classifying('tc_tutor_moderate', request, 'moderation request');
  }

  /**
   * A student's moderation state at timeUs (0: now), rebuilt from the log
   * (tc_tutor_moderation_status). Reads only.
   */
  moderationStatus(tenant, student, timeUs = 0) {
    const t = encodeStr(tenant, 'tenant');
    const s = encodeStr(student, 'student');
    const time = int64(timeUs, 'timeUs');
    return this._use((ptr) => callJson('tc_tutor_moderation_status', ptr, t, s, time, OUT));
  }

  /**
   * Sets the moderation settings (tc_tutor_set_moderation): classifier,
   * policy, lexicon; fields left out keep their values; with no argument it
   * only reads.
   *
   * @returns {schema_version, moderation: {...}} without the salt.
   */
  setModeration(settings) {
    return this.#settings('tc_tutor_set_moderation', settings, 'moderation settings');
  }
}

/** Releases a text generator's koffi slot and its last text. */
function releaseText(state) {
  const { registered, memory } = state;
  state.registered = null;
  state.memory = null;
  if (registered !== null) koffi.unregister(registered);
  if (memory !== null) koffi.free(memory);
}
