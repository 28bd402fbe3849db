// TypeScript declarations of the tutorcore Node binding (index.js).
//
// JSON documents are typed loosely (JsonObject) where docs/pipeline.md and
// include/tutorcore/tutorcore.h describe them; the fields the binding
// itself relies on are spelled out.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: any };
/** A JSON input: an object or array (encoded with JSON.stringify), or JSON text. */
export type JsonInput = object | string | Buffer | Uint8Array;
export type PathLike = string | Buffer | URL;

// ---------------------------------------------------------------------------
// Library, versions, constants
// ---------------------------------------------------------------------------

/** The ABI this binding is written for (TC_ABI_VERSION). */
export const ABI_VERSION: 0;
/** "TUTORCORE_LIBRARY": the environment variable naming the shared library. */
export const ENV_VAR: 'TUTORCORE_LIBRARY';
export const STORE_SQLITE: 0;
export const STORE_MEMORY: 1;
export const STORE_POSTGRES: 2;
export const DURABILITY_NORMAL: 0;
export const DURABILITY_FULL: 1;
export const STORE_OPTIONS_VERSION: 1;
export const EVENT_VERSION: 1;
/** TC_CLASSIFIER_VERSION: the tc_classifier struct version this binding fills. */
export const CLASSIFIER_VERSION: 1;

export interface LoadedLibrary {
  /** What was handed to the dynamic loader. */
  readonly path: string;
  /** "path option", "$TUTORCORE_LIBRARY" or "default loader path". */
  readonly source: string;
}

/**
 * Loads libtutorcore once per process: the explicit path, else
 * $TUTORCORE_LIBRARY, else libtutorcore.so.0 on the dynamic loader's path.
 * Optional: the first use of any tutorcore object loads it the same way.
 * @throws LibraryNotFoundError, or Error when another file is already loaded.
 */
export function loadLibrary(path?: PathLike): LoadedLibrary;
/** The file the library was loaded from (loading it if needed). */
export function libraryPath(): string;
/** Which step of the search found the library (loading it if needed). */
export function librarySource(): string;
/** tc_version(): "MAJOR.MINOR.PATCH". */
export function version(): string;
/** tc_version_number(): MAJOR*1000000 + MINOR*1000 + PATCH. */
export function versionNumber(): number;
export function versionInfo(): { major: number; minor: number; patch: number };
/** tc_status_str(): "TC_EINVAL: invalid argument or input". */
export function statusStr(status: number): string;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** The tc_status codes. */
export const Status: Readonly<{
  OK: 0;
  EINVAL: -1;
  ENOTFOUND: -2;
  EEXISTS: -3;
  ESTORAGE: -4;
  EUNAVAILABLE: -5;
  EVERSION: -6;
  EUSER: -7;
  ENOMEM: -8;
  EINTERNAL: -9;
}>;
export type StatusCode = (typeof Status)[keyof typeof Status];
export type StatusName =
  | 'TC_EINVAL'
  | 'TC_ENOTFOUND'
  | 'TC_EEXISTS'
  | 'TC_ESTORAGE'
  | 'TC_EUNAVAILABLE'
  | 'TC_EVERSION'
  | 'TC_EUSER'
  | 'TC_ENOMEM'
  | 'TC_EINTERNAL';

/** "TC_EINVAL" for -1; "status N" for a code this binding does not know. */
export function statusName(status: number): string;

/** Base class of every error reported for a non-OK status. */
export class TutorcoreError extends Error {
  static readonly status: number;
  constructor(message: string, options?: { status?: number; function?: string | null; cause?: unknown });
  /** The tc_status code. */
  status: number;
  /** Its C name, e.g. "TC_ENOTFOUND". */
  code: StatusName | string;
  /** The C function that failed; null when the binding refused the call. */
  function: string | null;
}
/** TC_EINVAL: bad input, or an action the state does not allow (the message names it). */
export class InvalidArgumentError extends TutorcoreError {}
/** TC_ENOTFOUND */
export class NotFoundError extends TutorcoreError {}
/** TC_EEXISTS */
export class AlreadyExistsError extends TutorcoreError {}
/** TC_ESTORAGE */
export class StorageError extends TutorcoreError {}
/** TC_EUNAVAILABLE */
export class UnavailableError extends TutorcoreError {}
/** TC_EVERSION */
export class VersionError extends TutorcoreError {}
/** TC_EUSER: a callback or an AbortSignal cancelled the work, or a host classifier threw (`cause`). */
export class CancelledError extends TutorcoreError {}
/** TC_ENOMEM */
export class OutOfMemoryError extends TutorcoreError {}
/** TC_EINTERNAL */
export class InternalError extends TutorcoreError {}
/** The shared library could not be loaded (code "ERR_TUTORCORE_LIBRARY_NOT_FOUND"). */
export class LibraryNotFoundError extends Error {
  code: 'ERR_TUTORCORE_LIBRARY_NOT_FOUND';
}
/** The error class for a status, carrying `message` and the C function's name. */
export function errorForStatus(
  status: number,
  message: string,
  fn?: string | null,
  options?: { cause?: unknown },
): TutorcoreError;

// ---------------------------------------------------------------------------
// Handles
// ---------------------------------------------------------------------------

/** What Store, Domain, Tutor and BktModel share. */
declare abstract class Handle {
  /** Whether close() was called (or the owning store closed it). */
  readonly closed: boolean;
  /**
   * Releases the handle. Idempotent; inside a subscriber callback or while a
   * Promise-returning call on the handle is in flight the release waits for it.
   */
  close(): void;
  [Symbol.dispose](): void;
}

// ---------------------------------------------------------------------------
// Domains
// ---------------------------------------------------------------------------

export interface ValidationReport extends JsonObject {
  schema_version: number;
  valid: boolean;
  domain: string;
  counts: { [what: string]: number };
  errors: { code: string; file: string; path: string; message: string; fix: string }[];
}

/** tc_domain_validate_dir: the report, valid or not. @throws NotFoundError */
export function validateDomain(directory: PathLike): ValidationReport;

export class Domain extends Handle {
  /** Loads and validates a domain directory. @throws InvalidArgumentError, NotFoundError */
  constructor(directory: PathLike);
  static validate(directory: PathLike): ValidationReport;
  readonly path: string;
  /** The domain's id. */
  readonly id: string;
  /** tc_domain_describe: id, name, subject, thresholds, counts, concepts. */
  describe(): JsonObject;
  /**
   * tc_domain_problem: a bank problem, or a template instance re-derived
   * from its id ("<template_id>:<name>=<value>,..."). @throws NotFoundError
   */
  problem(problemId: string): { schema_version: number; problem: Problem };
  /** tc_domain_generate: instances of a template. @throws NotFoundError, InvalidArgumentError */
  generate(request: GenerateRequest | string): GenerateResult;
  /** tc_sim_run on a worker thread: a simulated study (docs/simulation.md). @throws InvalidArgumentError */
  simulate(request?: SimulationRequest | string): Promise<SimulationResult>;
  /** tc_sim_run on the calling thread. @throws InvalidArgumentError */
  simulateSync(request?: SimulationRequest | string): SimulationResult;
}

/** The request of tc_sim_run; every field is optional. */
export interface SimulationRequest {
  seed?: number;
  students?: number;
  threads?: number;
  budget?: number;
  block_size?: number;
  bank_size?: number;
  item_selection?: 'irt' | 'easiest' | 'hardest' | 'random';
  p_target?: number;
  concept_selection?: 'bkt' | 'random' | 'oracle';
  mastery_threshold?: number;
  prereq_threshold?: number;
  interventions?: boolean;
  modality_policy?: 'thompson' | 'greedy' | 'uniform';
  oracle_modality?: boolean;
  errors?: { misidentification?: number; false_negative?: number; false_positive?: number; misroute?: number };
  learner?: { [field: string]: number | boolean | number[] };
  per_student?: boolean;
}

/** A simulated study's result (tc_sim_run). */
export interface SimulationResult extends JsonObject {
  schema_version: number;
  domain: string;
  students: number;
  pre_test: { mean: number; sd: number; se: number };
  post_test: { mean: number; sd: number; se: number };
  gain: { mean: number; sd: number; se: number };
  bkt_rmse: number[];
  gains?: number[];
}

/** A problem as tc_domain_problem and tc_domain_generate describe it. */
export interface Problem extends JsonObject {
  problem_id: string;
  concept: string;
  problem_text: string;
  correct_answer: string;
  irt_b: number;
  irt_discrimination: number;
  diagnostic_for: string[];
  misconception_answers: { [misconceptionId: string]: string };
  template_id?: string;
  template_params?: { [name: string]: number };
  generated?: boolean;
}

export interface GenerateRequest {
  template_id: string;
  seed?: number;
  first?: number;
  /** 1..1000 (default 1) */
  count?: number;
  max_draws?: number;
}

export interface GenerateResult extends JsonObject {
  schema_version: number;
  template_id: string;
  seed: number;
  /** problem is null when every draw was rejected. */
  instances: { instance: number; problem: Problem | null }[];
}

// ---------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------

/** The C struct tc_store_options, field for field. */
export interface StoreOptionsStruct {
  version: number;
  backend: number;
  path: string | null;
  durability: number;
  busy_timeout_ms: number;
  checkpoint_every: number | bigint;
  /** Version 2: 1 lets payloads carry names and e-mail addresses (default 0). */
  allow_personal_data: number;
}

/** tc_store_options_init: the defaults of a struct version. @throws VersionError */
export function storeOptionsInit(version?: number): StoreOptionsStruct;

export interface StoreOptions {
  /** The SQLite database file. */
  path?: PathLike;
  /** The in-memory backend (lost at close). */
  memory?: boolean;
  /** A libpq connection string: the PostgreSQL backend. */
  postgres?: string;
  /** 'normal' (default) or 'full', or DURABILITY_NORMAL / DURABILITY_FULL. */
  durability?: 'normal' | 'full' | number;
  busyTimeoutMs?: number;
  checkpointEvery?: number | bigint;
  /**
   * true: event payloads may carry fields named or shaped like a name or
   * e-mail address (refused by default). Belongs to this open store;
   * describe() reports it (docs/privacy.md).
   */
  allowPersonalData?: boolean;
  /** A tc_store_options object to start from (storeOptionsInit()). */
  raw?: StoreOptionsStruct;
}

/** One event to append. */
export interface EventInput {
  tenant: string;
  entity_type: string;
  entity_id: string;
  type: string;
  /** An object, or JSON text of one. */
  payload: JsonObject | string;
  time_us?: number | bigint;
  author?: string | null;
  idempotency_key?: string | null;
}

/** A stored event. */
export interface StoredEvent {
  id: number;
  tenant: string;
  entity_type: string;
  entity_id: string;
  type: string;
  payload: JsonObject;
  time_us: number;
  author: string;
  idempotency_key: string | null;
  [key: string]: any;
}

export interface EventQuery {
  tenant: string;
  entity_type?: string;
  entity_id?: string;
  type?: string;
  after_id?: number;
  since_us?: number;
  until_us?: number;
  limit?: number;
}

export interface AppendResult {
  schema_version: number;
  ids: number[];
  new: boolean[];
}

export interface ReadResult {
  schema_version: number;
  events: StoredEvent[];
  last_id: number;
}

/** tc_store_describe: the open store. */
export interface StoreDescription {
  schema_version: number;
  backend: 'sqlite' | 'memory' | 'postgres';
  durability: 'normal' | 'full';
  personal_data_allowed: boolean;
  last_id: number;
}

export type ViewName = 'mastery' | 'practice' | 'escalation' | 'effectiveness' | 'modality';

export interface ViewResult {
  schema_version: number;
  view: ViewName;
  rows: JsonObject[];
}

export class Subscription {
  /** The library's token. */
  readonly token: number;
  readonly callback: (event: StoredEvent) => void;
  /** What the callback threw (the events were committed regardless). */
  readonly errors: unknown[];
  readonly active: boolean;
  /** tc_store_unsubscribe; idempotent, safe inside a callback. */
  unsubscribe(): void;
  [Symbol.dispose](): void;
}

export class Store extends Handle {
  /** An SQLite store at `path` (created if needed). */
  constructor(path: PathLike, options?: Omit<StoreOptions, 'path'>);
  /** A store from options: {path} | {memory: true} | {postgres}. */
  constructor(options: StoreOptions);
  /** An in-memory store. */
  static inMemory(options?: Omit<StoreOptions, 'path' | 'memory' | 'postgres'>): Store;
  readonly backend: 'sqlite' | 'memory' | 'postgres' | string;
  /** The SQLite file; null for the other backends. */
  readonly path: string | null;
  /** tc_store_append_json: one event or an array, in one transaction. */
  append(events: EventInput | EventInput[] | string | Buffer): AppendResult;
  /** tc_store_append: the typed path; returns the ids. */
  appendEvents(events: EventInput[]): number[];
  /** tc_store_read_json */
  read(query: EventQuery | string): ReadResult;
  /** Every matching event, page by page. */
  iterEvents(query: EventQuery, options?: { pageSize?: number }): Generator<StoredEvent, void, void>;
  /** tc_store_view_json */
  view(view: ViewName, tenant: string, student?: string | null): ViewResult;
  /** tc_store_describe: backend, durability, whether personal data is allowed, last id. */
  describe(): StoreDescription;
  /** tc_store_last_id */
  lastId(): number;
  /** tc_store_rebuild_views on a worker thread. */
  rebuildViews(): Promise<void>;
  /** tc_store_rebuild_views on the calling thread. */
  rebuildViewsSync(): void;
  /** tc_store_checkpoint */
  checkpoint(): void;
  /**
   * tc_store_subscribe: `callback(event)` on the JS thread for every event
   * committed from JS. A throw is kept in `errors` and passed to `onError`
   * (else emitted as a process warning).
   * @throws InvalidArgumentError while a profile() over this store runs on a worker.
   */
  subscribe(callback: (event: StoredEvent) => void, options?: { onError?: (error: unknown) => void }): Subscription;
  readonly subscriptions: Subscription[];
}

// ---------------------------------------------------------------------------
// Tutors
// ---------------------------------------------------------------------------

/** The tutor configuration (docs/pipeline.md); every field optional. */
export interface TutorConfig {
  mastery?: JsonObject;
  escalation?: {
    max_modality_attempts?: number;
    prereq_threshold?: number;
    conferences_before_referral?: number;
    auto_approve?: boolean;
  };
  outcome?: { window?: number };
  policy?: JsonObject;
  policy_kind?: 'thompson' | 'greedy' | 'uniform';
  target_p_correct?: number;
  next_problems?: number;
  typical_response_ms?: number;
  seed?: number;
  [key: string]: any;
}

export interface SubmitRequest {
  tenant: string;
  student: string;
  problem_id: string;
  answer: string;
  idempotency_key: string;
  latency_ms?: number;
  time_us?: number;
}

export interface SubmitResult extends JsonObject {
  schema_version: number;
  response_event_id: number;
  tenant: string;
  student: string;
  correct: boolean;
  misconception: { id: string; confidence: number; classifier: string } | null;
  response: JsonObject;
  mastery: JsonObject & { concept_id: string; old_level: number; new_level: number };
  outcomes: JsonObject[];
  escalation: JsonObject[];
  detected: JsonObject | null;
  recommendations: (JsonObject & { misconception_id: string; modality: string; text: string })[];
  next_problems: JsonObject & { problems: (JsonObject & { problem_id: string })[] };
  event_ids: number[];
}

export type TeacherActionName = 'approve' | 'record_outcome' | 'acknowledge' | 'resolve' | 'conference_failed';

export interface TeacherAction {
  action: TeacherActionName;
  tenant: string;
  student: string;
  misconception_id: string;
  teacher_id: string;
  modality?: string;
  outcome?: 'resolved' | 'persisted';
  idempotency_key?: string;
  time_us?: number;
}

export interface ActResult extends JsonObject {
  schema_version: number;
  events: StoredEvent[];
  recommendations: JsonObject[];
  event_ids: number[];
}

export interface ProfileResult extends JsonObject {
  schema_version: number;
  event_id: number;
  profile: JsonObject;
}

export interface PolicyEvaluation extends JsonObject {
  schema_version: number;
  target: 'thompson' | 'greedy' | 'uniform';
  records: number;
  ips: number;
  ips_se: number;
  snips: number;
  snips_se: number;
  effective_records: number;
  logged_value: number;
}

// ---------------------------------------------------------------------------
// Coaching, analytics, sequencing, classifiers, metacognition, moderation
// ---------------------------------------------------------------------------

export interface CoachingRequest {
  plan: 'pre_class' | 'debrief' | 'parent_summary';
  tenant: string;
  classroom?: string;
  /** Default: every student of the tenant. */
  students?: string[];
  /** {id: display name}: used for the text only, never stored. */
  roster?: { [studentId: string]: string };
  now_us?: number;
  /** debrief */
  since_us?: number;
  title?: string;
  /** parent_summary */
  student?: string;
  [key: string]: any;
}

export interface CoachingResult extends JsonObject {
  schema_version: number;
  event_id: number;
  /** pre_class and debrief */
  plan?: JsonObject;
  /** parent_summary: "template", or "host" when the text generator answered. */
  source?: 'template' | 'host';
  /** parent_summary */
  context?: JsonObject;
  text: string;
}

/** Renders a parent summary from its context (ids only); a throw, a non-string or "" means the template. */
export type TextGenerator = (context: JsonObject) => string | null | undefined;

export type AnalysisName = 'cooccurrence' | 'effectiveness' | 'cohorts' | 'prerequisites' | 'drift' | 'all';

export interface AnalyticsRequest {
  analysis: AnalysisName;
  tenant: string;
  /** Only this classroom's students (classroom.enrolled events). */
  classroom?: string;
  /** effectiveness and cohorts */
  misconception_id?: string;
  config?: {
    z?: number;
    min_trials?: number;
    mastery_min_attempts?: number;
    prerequisite_cooccurrence?: number;
    prerequisite_min_students?: number;
    prerequisite_min_lift?: number;
    drift_fail_rate?: number;
    drift_min_students?: number;
    drift_min_attempts?: number;
  };
}

/** docs/analytics.md describes the sections. */
export interface AnalyticsReport extends JsonObject {
  schema_version: number;
  tenant: string;
  classroom: string | null;
  students: number;
  config: JsonObject;
  cooccurrence?: JsonObject;
  effectiveness?: JsonObject;
  cohorts?: JsonObject;
  prerequisites?: JsonObject;
  drift?: JsonObject;
}

export interface ResearchExportRequest {
  tenant: string;
  /** Cells of fewer distinct students are suppressed; 2..1000000, default 10. */
  min_group_size?: number;
}

/** One cell's numbers: null where suppressed. */
export interface ResearchMasteryCell {
  students: number | null;
  mean_mastery: number | null;
  share_mastered: number | null;
  suppressed: boolean;
}

export interface ResearchOutcomeCell {
  students: number | null;
  attempts: number | null;
  resolved: number | null;
  rate: number | null;
  /** Wilson 95% interval. */
  low: number | null;
  high: number | null;
  suppressed: boolean;
}

/** tc_tutor_research_export: aggregates only (docs/privacy.md). */
export interface ResearchExport extends JsonObject {
  schema_version: number;
  export: 'research';
  domain: string;
  /** The UTC date, the only time in the document. */
  generated_on: string;
  min_group_size: number;
  z: number;
  mastery_min_attempts: number;
  cohorts: {
    total: { students: number | null; suppressed: boolean };
    /** "cohort_1", ... in classroom id order, and "unassigned". */
    groups: { cohort: string; students: number | null; suppressed: boolean }[];
  };
  concepts: ({
    concept_id: string;
    total: ResearchMasteryCell;
    cohorts: (ResearchMasteryCell & { cohort: string })[];
    misconceptions: {
      misconception_id: string;
      students_with: number | null;
      prevalence: number | null;
      suppressed: boolean;
    }[];
  })[];
  effectiveness: ({
    misconception_id: string;
    concept_id: string;
    total: ResearchOutcomeCell;
    modalities: (ResearchOutcomeCell & { modality: string })[];
  })[];
}

export interface AssignRequest {
  tenant: string;
  student: string;
  concepts: string[];
  idempotency_key?: string;
  time_us?: number;
  /** Overrides of the sequencing configuration for this request (docs/pipeline.md). */
  config?: JsonObject;
}

export interface AssignmentItem extends JsonObject {
  problem_id: string;
  concept_id: string;
  kind: 'remediation' | 'diagnostic' | 'target' | 'review';
  text: string;
  p_correct: number;
  mastery: number;
  generated: boolean;
  reason: string;
}

export interface AssignResult extends JsonObject {
  schema_version: number;
  event_id: number;
  tenant: string;
  student: string;
  assignment: JsonObject & { student: string; concepts: string[]; problems: AssignmentItem[]; notes: string[] };
}

export interface DiagnosticResult extends JsonObject {
  schema_version: number;
  tenant: string;
  student: string;
  items: (JsonObject & { problem_id: string; concept_id: string; kind: 'cold_start'; reason: string })[];
  coverage: { concept_id: string; coverage: number }[];
  notes: string[];
}

export interface ApplyDiagnosticRequest {
  tenant: string;
  student: string;
  answers: { problem_id: string; answer: string; latency_ms?: number }[];
  idempotency_key: string;
  time_us?: number;
}

/** What a classifier answers: label "correct", "unknown" or a misconception id. */
export interface Prediction {
  label: string;
  /** 0..1 */
  confidence: number;
  reason?: string;
}

/** A prediction as the library reports it: with the classifier that answered. */
export interface ReportedPrediction extends Prediction {
  /** The classifier's name; "hybrid" when none labelled the answer. */
  backend: string;
  reason: string;
}

/** The input of a host classifier's predict: the catalog an LLM reads. */
export interface ClassifierInput {
  schema_version: number;
  problem: { id: string; text: string; correct_answer: string; concept_id: string };
  /** The student's answer (the bias detector's feature document, or the message being moderated). */
  answer: string;
  concept: {
    id: string;
    name: string;
    misconceptions: {
      id: string;
      label: string;
      description: string;
      examples: { problem: string; wrong: string; correct: string }[];
    }[];
  };
}

/**
 * A host classifier written in JavaScript (Tutor#registerClassifier). Every
 * callback runs synchronously on the JS thread inside the call that
 * classifies; a throw fails that call with CancelledError (TC_EUSER).
 */
export interface HostClassifier {
  /** One answer: a prediction object, or JSON text of one. */
  predict(item: ClassifierInput): Prediction | string;
  /** Several answers together (classifyBatch): one prediction per item, in order. */
  predictBatch?(items: ClassifierInput[]): Prediction[] | string;
  /** Whether to be asked about answers of this concept (default: every concept). */
  supportsConcept?(conceptId: string): boolean;
  /** Called once when the tutor lets the classifier go (unregistered, or the tutor closed). */
  release?(): void;
}

export interface RoutingSettings {
  route?: string[];
  min_confidence?: number;
  on_error?: 'fail' | 'skip';
  catalog?: { threshold?: number; max_examples?: number };
}

export interface RoutingResult extends JsonObject {
  schema_version: number;
  classifiers: string[];
  routing: Required<RoutingSettings>;
}

export interface ClassifyRequest {
  problem_id: string;
  answer: string;
  /** A registered name; absent or "hybrid": the router. */
  backend?: string;
}

export interface ClassifyBatchRequest {
  items: { problem_id: string; answer: string }[];
  backend?: string;
}

export interface ClassificationReviewRequest {
  tenant: string;
  response_event_id: number;
  teacher_id: string;
  /** "correct", "unknown" or a misconception id; absent confirms the classifier's label. */
  label?: string;
  idempotency_key?: string;
  time_us?: number;
}

export interface LabelExportRequest {
  tenant: string;
  include_unreviewed?: boolean;
  after_id?: number;
  concept_id?: string;
}

export interface LabelRow {
  response_event_id: number;
  problem_id: string;
  problem: string;
  answer: string;
  concept_id: string;
  label: string;
  source: 'corrected' | 'confirmed' | 'unreviewed';
  classifier: string;
}

export interface LoadModelRequest {
  model: string;
  labels: string;
  name?: string;
  plugin?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  max_batch?: number;
}

export interface BiasRequest {
  tenant: string;
  student: string;
  session_id?: string;
  idempotency_key?: string;
  time_us?: number;
}

export interface BiasResult extends JsonObject {
  schema_version: number;
  tenant: string;
  student: string;
  time_us: number;
  intervention_proposed: boolean;
  detection: JsonObject & {
    bias: 'no_bias' | 'confirmation' | 'anchoring' | 'overconfidence';
    confidence: number;
    backend: string;
    prompt: string | null;
  };
  alert: { event_id: number; replayed: boolean } | null;
}

export interface BiasSummaryRequest {
  tenant: string;
  session_id?: string;
  student?: string;
  since_us?: number;
  until_us?: number;
}

export interface ModerationRequest {
  tenant: string;
  student: string;
  message: string;
  verdict?: { category: string; severity?: string; confidence?: number; classifier?: string };
  idempotency_key?: string;
  time_us?: number;
}

export interface ModerationResult extends JsonObject {
  schema_version: number;
  tenant: string;
  student: string;
  time_us: number;
  action: 'allow' | 'warn' | 'refuse' | 'quarantine' | 'blocked' | 'crisis';
  category: string;
  severity: string | null;
  confidence: number;
  classifier: string;
  quarantine: JsonObject | null;
  crisis: JsonObject | null;
  event_ids: number[];
  replayed: boolean;
}

export class Tutor extends Handle {
  /**
   * tc_tutor_open over a store and a domain (a Domain or a directory).
   * @throws InvalidArgumentError naming the configuration field.
   */
  constructor(store: Store, domain: Domain | PathLike, config?: TutorConfig | string | null);
  readonly store: Store;
  /** tc_submit_response: one answer through the pipeline (synchronous). @throws CancelledError when a host classifier throws */
  submit(request: SubmitRequest | string): SubmitResult;
  /** tc_tutor_act: a teacher's action (synchronous). */
  act(request: TeacherAction | string): ActResult;
  /** tc_tutor_snapshot (synchronous, reads only). */
  snapshot(tenant: string, student: string): JsonObject;
  /** tc_tutor_profile on a worker thread (on the JS thread while the store has subscribers). */
  profile(tenant: string, student: string): Promise<ProfileResult>;
  profileSync(tenant: string, student: string): ProfileResult;
  /** tc_tutor_evaluate_policy on a worker thread. */
  evaluatePolicy(tenant: string, target?: 'thompson' | 'greedy' | 'uniform'): Promise<PolicyEvaluation>;
  evaluatePolicySync(tenant: string, target?: 'thompson' | 'greedy' | 'uniform'): PolicyEvaluation;

  /** tc_tutor_coaching: a pre-class plan, a debrief or a parent summary. */
  coaching(request: CoachingRequest | string): CoachingResult;
  /** tc_tutor_acknowledge_plan. @throws NotFoundError when the id is not a plan of the tenant */
  acknowledgePlan(
    tenant: string,
    planEventId: number | bigint,
    teacherId: string,
    modifications?: JsonObject | string | null,
  ): JsonObject;
  /** tc_tutor_set_text_callback: the parent summaries' text generator; null removes it. */
  setTextGenerator(generator: TextGenerator | null): void;

  /** tc_tutor_analytics on a worker thread (reads only). @throws InvalidArgumentError, NotFoundError */
  analytics(request: AnalyticsRequest | string): Promise<AnalyticsReport>;
  /** tc_tutor_analytics on the calling thread. */
  analyticsSync(request: AnalyticsRequest | string): AnalyticsReport;
  /** tc_tutor_research_export: the de-identified research export. @throws InvalidArgumentError */
  researchExport(request: ResearchExportRequest | string): ResearchExport;

  /** tc_tutor_assign: a personalised assignment, appended as assignment.created. */
  assign(request: AssignRequest | string): AssignResult;
  /** tc_tutor_diagnostic: the cold-start items (reads only). @throws AlreadyExistsError */
  diagnostic(tenant: string, student: string): DiagnosticResult;
  /** tc_tutor_apply_diagnostic. @throws AlreadyExistsError, NotFoundError, CancelledError */
  applyDiagnostic(request: ApplyDiagnosticRequest | string): JsonObject;

  /**
   * tc_tutor_register_classifier: a JS classifier (a predict function, or an
   * object) under `name`. @throws InvalidArgumentError, AlreadyExistsError
   */
  registerClassifier(name: string, classifier: HostClassifier | ((item: ClassifierInput) => Prediction | string)): void;
  /** tc_tutor_unregister_classifier (a host's release() is called). @throws NotFoundError */
  unregisterClassifier(name: string): void;
  /** tc_tutor_set_routing; no argument only reads. */
  setRouting(routing?: RoutingSettings | string | null): RoutingResult;
  /** The names of the registered classifiers, sorted. */
  readonly classifiers: string[];
  /** tc_tutor_classify: one answer, nothing stored. */
  classify(request: ClassifyRequest | string): { schema_version: number; prediction: ReportedPrediction };
  /** tc_tutor_classify_batch */
  classifyBatch(request: ClassifyBatchRequest | string): { schema_version: number; predictions: ReportedPrediction[] };
  /** tc_tutor_review_classification: appends classification.reviewed. */
  reviewClassification(request: ClassificationReviewRequest | string): JsonObject & {
    schema_version: number;
    event_id: number;
    replayed: boolean;
    review: JsonObject;
  };
  /** tc_tutor_export_labels, one object per line. */
  exportLabels(request: LabelExportRequest | string): LabelRow[];
  /** tc_tutor_export_labels as JSON lines ("" when none). */
  exportLabelsJsonl(request: LabelExportRequest | string): string;
  /** tc_tutor_load_model: a TorchScript model as a classifier. @throws UnavailableError, NotFoundError */
  loadModel(request: LoadModelRequest | string): { schema_version: number; model: JsonObject };

  /** tc_tutor_detect_bias: may append a metacog.bias_detected alert. */
  detectBias(request: BiasRequest | string): BiasResult;
  /** tc_tutor_bias_summary (reads only). */
  biasSummary(request: BiasSummaryRequest | string): JsonObject;
  /** tc_tutor_set_metacog; no argument only reads. */
  setMetacog(config?: JsonObject | string | null): { schema_version: number; metacog: JsonObject };

  /** tc_tutor_moderate: a message's decision, recorded (a hash, never the text). */
  moderate(request: ModerationRequest | string): ModerationResult;
  /** tc_tutor_moderation_status at timeUs (0: now; reads only). */
  moderationStatus(tenant: string, student: string, timeUs?: number | bigint): JsonObject;
  /** tc_tutor_set_moderation; no argument only reads. */
  setModeration(settings?: JsonObject | string | null): { schema_version: number; moderation: JsonObject };
}

// ---------------------------------------------------------------------------
// Knowledge tracing and IRT
// ---------------------------------------------------------------------------

/** tc_bkt_params (missing fields are 0 on input). */
export interface BktParams {
  p_init: number;
  p_learn: number;
  p_guess: number;
  p_slip: number;
  p_forget: number;
}

export const Combine: Readonly<{ PRODUCT: 0; MIN: 1; MEAN: 2 }>;
export type CombineRule = 0 | 1 | 2 | 'product' | 'min' | 'mean';

/** tc_bkt_predict */
export function bktPredict(pKnown: number, params: Partial<BktParams>): number;
/** tc_bkt_update */
export function bktUpdate(pKnown: number, correct: boolean, params: Partial<BktParams>): number;
/** tc_bkt_predict_multi. @throws InvalidArgumentError */
export function bktPredictMulti(
  pKnown: number[] | Float64Array,
  params: Partial<BktParams>[],
  rule?: CombineRule,
): number;

export interface FitRequest {
  train_csv?: string;
  rows?: [string, string, 0 | 1, string?, string?][];
  test_csv?: string;
  columns?: { user?: string; skill?: string; correct?: string; order?: string; item?: string; group?: string };
  forgets?: boolean;
  restarts?: number;
  max_iterations?: number;
  tolerance?: number;
  seed?: number;
  threads?: number;
  max_guess?: number;
  max_slip?: number;
  folds?: number;
  multigs?: boolean;
  multilearn?: boolean;
  multiprior?: boolean;
  variant_pseudo_count?: number;
}

export interface FitReport extends JsonObject {
  schema_version: number;
  fit_seconds: number;
  skills: number;
  responses: number;
  test_auc?: number;
  test_rmse?: number;
  cross_validation?: JsonObject;
  model: JsonObject;
}

/** (done, total) -> false cancels; a throw cancels and rejects with it. */
export type ProgressCallback = (done: number, total: number) => boolean | void;

/**
 * tc_bkt_fit on a worker thread; onProgress runs on the JS thread while the
 * fit waits for it; an aborted signal cancels at the next progress report.
 * @throws CancelledError, InvalidArgumentError, NotFoundError
 */
export function bktFit(
  request: FitRequest | string,
  options?: { onProgress?: ProgressCallback; signal?: AbortSignal },
): Promise<FitReport>;
/** tc_bkt_fit on the calling thread. */
export function bktFitSync(request: FitRequest | string, options?: { onProgress?: ProgressCallback }): FitReport;
/** tc_bkt_model_check: the skill's parameters, or null without a skill. */
export function bktModelCheck(model: JsonObject | string, skill?: string | null): BktParams | null;

export class BktModel extends Handle {
  /** tc_bkt_model_load. @throws InvalidArgumentError, VersionError */
  constructor(model: JsonObject | string);
  static fromFit(report: FitReport): BktModel;
  /** tc_bkt_model_params. @throws NotFoundError */
  params(skill: string, item?: string | null, group?: string | null): BktParams;
  predict(pKnown: number, skill: string, item?: string | null, group?: string | null): number;
  update(pKnown: number, correct: boolean, skill: string, item?: string | null, group?: string | null): number;
}

/** tc_irt_probability */
export function irtProbability(theta: number, a: number, b: number): number;
/** tc_irt_information */
export function irtInformation(theta: number, a: number, b: number): number;
/** tc_irt_theta_from_mastery */
export function irtThetaFromMastery(mastery: number): number;
