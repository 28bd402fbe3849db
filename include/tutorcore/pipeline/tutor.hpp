// The one-call answer pipeline and the teacher's actions.
//
// Tutor::submit takes one student answer and, in one transaction, appends
// everything that follows from it: the response (classified), the BKT
// mastery update, the outcome of interventions whose three-response window
// this answer completes (with the prerequisite check that a second persist
// calls for), the detection of a misconception, the intervention the engine
// recommends (Thompson sampling by default; the teacher approves it), and
// the problems proposed next. The result is rebuilt from those events, so a
// retry with the same idempotency key returns the same result and appends
// nothing.
//
// Every state the pipeline reads comes from the ledger's views (a fold of
// the log); the Tutor keeps no state of its own beyond the domain and its
// configuration.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/classify/router.hpp"
#include "tutorcore/coaching/coaching.hpp"
#include "tutorcore/intervention/off_policy.hpp"
#include "tutorcore/intervention/policy.hpp"
#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/metacog/metacog.hpp"
#include "tutorcore/moderation/moderation.hpp"
#include "tutorcore/pipeline/classify.hpp"
#include "tutorcore/pipeline/review.hpp"
#include "tutorcore/profile/profile.hpp"
#include "tutorcore/profile/snapshot.hpp"
#include "tutorcore/sequencing/sequencing.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/tracing/mastery.hpp"

namespace tutorcore {
inline namespace v0 {

struct TutorConfig {
  MasteryPolicy mastery;  // thresholds come from the domain's concepts
  ViewRules rules;        // escalation and outcome rules (the views fold with them)
  PolicyConfig policy;    // the Thompson prior
  PolicyKind policy_kind = PolicyKind::thompson;
  double target_p_correct = 0.70;  // next problems: nearest this P(correct) (seed 003)
  int32_t next_problems = 3;
  // A problem's typical answer time when the domain gives none: answers much
  // faster than this move mastery less (MasteryPolicy::fast_fraction).
  double typical_response_ms = 30000.0;
  uint64_t seed = 42;       // the policy's draws: (seed, tenant, student, misconception, attempt)
  ProfileConfig profile;    // the learning profile's bands and thresholds
  SnapshotConfig snapshot;  // the snapshot's percentiles, weak areas, strategy bands
  SequencingConfig sequencing;  // assignments, the cold-start diagnostic, generated items
  CoachingConfig coaching;      // the planner's weights, severities, efforts and bands
};

// A coaching request: which students (empty: every student of the tenant),
// display names for the text (never stored), and the time it is for.
struct CoachingRequest {
  std::string tenant, classroom;
  std::vector<std::string> students;
  Roster roster;
  int64_t now_us = 0;    // 0: now
  int64_t since_us = 0;  // debrief: the assignment's start
  std::string title;     // debrief
  std::string student;   // parent summary
};

// Parses {"plan":"pre_class"|"debrief"|"parent_summary","tenant",
// "classroom"?,"students"?,"roster"?,"now_us"?,"since_us"?,"title"?,
// "student"?}; returns the plan kind in *kind.
CoachingRequest coaching_request_from_json(std::string_view json, std::string *kind);

// A host's text generator for the parent summary: renders the structured
// context (JSON, ids only) into *out; false (or a throw) falls back to the
// template.
using TextGenerator = std::function<bool(const std::string &context_json, std::string *out)>;

// Throws Error(invalid) naming the field of a bad configuration.
void check_tutor_config(const TutorConfig &c);

// An assignment for one student on target concepts (Tutor::assign).
struct AssignRequest {
  std::string tenant, student;
  std::vector<std::string> concepts;       // the target concepts
  std::string idempotency_key;             // optional: a retry returns the first result
  int64_t time_us = 0;                     // 0: now; dates the spaced review
  std::optional<SequencingConfig> config;  // this request's rules; the tutor's by default
};

// Parses {"tenant","student","concepts":[...],"idempotency_key"?,"time_us"?,
// "config"?:{sequencing fields}}; "config" fields override `base`.
// Error(invalid) names the field.
AssignRequest assign_request_from_json(std::string_view json, const SequencingConfig &base);

// The answers to a cold-start diagnostic (Tutor::apply_diagnostic).
struct DiagnosticResponse {
  std::string problem_id, answer;
  double latency_ms = -1.0;  // < 0: unknown
};
struct DiagnosticRequest {
  std::string tenant, student;
  std::vector<DiagnosticResponse> answers;
  std::string idempotency_key;  // required: a retry returns the first result
  int64_t time_us = 0;          // 0: now
};

// Parses {"tenant","student","answers":[{"problem_id","answer",
// "latency_ms"?}],"idempotency_key","time_us"?}.
DiagnosticRequest diagnostic_request_from_json(std::string_view json);

// Reads a configuration document ({"mastery":{...},"escalation":{...},
// "outcome":{...},"policy":{...},"policy_kind","target_p_correct",
// "next_problems","typical_response_ms","seed"}); fields left out keep their
// defaults. Throws Error(invalid) naming the field.
TutorConfig tutor_config_from_json(std::string_view json);

struct SubmitRequest {
  std::string tenant, student, problem_id, answer;
  std::string idempotency_key;  // required: a retry with it returns the first result
  double latency_ms = -1.0;     // < 0: unknown
  int64_t time_us = 0;          // 0: now
};

// Parses {"tenant","student","problem_id","answer","idempotency_key",
// "latency_ms"?,"time_us"?}; Error(invalid) names the field.
SubmitRequest submit_request_from_json(std::string_view json);

struct SubmitResult {
  std::string json;  // the result document (see docs/pipeline.md)
  bool replayed = false;
  int64_t response_event_id = 0;
};

enum class TeacherActionKind : uint8_t {
  approve,
  record_outcome,
  acknowledge,
  resolve,
  conference_failed
};

struct TeacherAction {
  TeacherActionKind kind = TeacherActionKind::approve;
  std::string tenant, student, misconception_id;
  std::string teacher_id;            // pseudonymous; the events' author is "teacher:<id>"
  std::optional<Modality> modality;  // approve: another choice than recommended = modified
  bool resolved = false;             // record_outcome
  std::string idempotency_key;       // optional
  int64_t time_us = 0;               // 0: now
};

// Parses {"action":"approve"|"record_outcome"|"acknowledge"|"resolve"|
// "conference_failed","tenant","student","misconception_id","teacher_id",
// "modality"?,"outcome"?,"idempotency_key"?,"time_us"?}.
TeacherAction teacher_action_from_json(std::string_view json);

// The tenant's logged decisions with known rewards, from its intervention
// events in log order: each recommendation (context, choice, propensity)
// paired with the outcome of that choice; a teacher's modified choice drops it.
std::vector<LoggedDecision> logged_decisions(const std::vector<Event> &events);

// A bias detection for one student (Tutor::detect_bias, metacog.hpp).
struct BiasRequest {
  std::string tenant, student;
  std::string session_id;       // optional: only this session's interaction events
  std::string idempotency_key;  // optional: a retry returns the first alert
  int64_t time_us = 0;          // 0: now; the window ends here
};
// Parses {"tenant","student","session_id"?,"idempotency_key"?,"time_us"?}.
BiasRequest bias_request_from_json(std::string_view json);

// Which alerts a session summary counts (Tutor::bias_summary): a session's,
// a student's, or both filters at once; at least one is required.
struct BiasSummaryRequest {
  std::string tenant, session_id, student;
  int64_t since_us = 0;  // alerts at or after
  int64_t until_us = 0;  // alerts before; 0: no bound
};
// Parses {"tenant","session_id"?,"student"?,"since_us"?,"until_us"?}.
BiasSummaryRequest bias_summary_request_from_json(std::string_view json);

// A student's message to moderate (Tutor::moderate, moderation.hpp).
struct ModerationRequest {
  std::string tenant, student;
  std::string message;  // hashed, classified, never stored
  // A verdict the host already has (its own supervisor model): used instead
  // of the tutor's classifier.
  std::optional<ModerationVerdict> verdict;
  std::string idempotency_key;  // optional: a retry returns the first decision
  int64_t time_us = 0;          // 0: now
};
// Parses {"tenant","student","message","verdict"?:{"category","severity"?,
// "confidence"?,"classifier"?},"idempotency_key"?,"time_us"?}.
ModerationRequest moderation_request_from_json(std::string_view json);

class Tutor {
 public:
  // The ledger must outlive the Tutor. Sets the ledger's view rules to the
  // configuration's (refolding the log when they differ). Throws
  // Error(invalid) for a bad configuration.
  Tutor(std::shared_ptr<const Domain> domain, Ledger &ledger, TutorConfig config = {});

  // Classification (docs/pipeline.md, "Classifiers"). Every answer goes
  // through the hybrid router (classify/router.hpp) over this tutor's
  // registry, which starts with "rules" (RuleClassifier) and "catalog"
  // (CatalogClassifier); the default route is model > rules > catalog > host.
  // Backends run on the thread that submits or classifies, while a submit
  // holds this tutor's lock: a backend must not call back into the tutor.

  // Registers a backend under its name(); Error(exists) when the name is
  // taken, Error(invalid) for a bad name. Any thread.
  void register_classifier(std::shared_ptr<const ClassifierPlugin> plugin);
  // Removes a backend; false when none has that name. Calls in flight keep
  // using it until they return. Any thread.
  bool unregister_classifier(std::string_view name);
  // The registered names, sorted.
  std::vector<std::string> classifier_names() const;
  // Sets the route, min_confidence, error policy and the catalog's settings
  // (a changed catalog setting re-registers "catalog"). Error(invalid) names
  // the field; nothing changes then.
  void set_classify_settings(const ClassifySettings &s);
  ClassifySettings classify_settings() const;
  // Registers (or replaces) `c` under c.name and routes every answer to it
  // alone. Error(invalid) for a missing function or a bad name.
  void set_classifier(Classifier c);

  // Classifies answers without storing anything: through the router, or
  // through the backend named `backend` (empty: the router). Error(not_found)
  // for an unknown problem or backend; a backend's error as it threw it
  // (Error(user) for a host callback's failure).
  Prediction classify(const ClassifyItem &item, const std::string &backend = "");
  std::vector<Prediction> classify_batch(const std::vector<ClassifyItem> &items,
                                         const std::string &backend = "");

  // A teacher confirms or corrects the classification of a stored response
  // (pipeline/review.hpp). Returns {"schema_version":1,"event_id",
  // "replayed","review":{...}}. Error(not_found) when the tenant has no such
  // response, Error(invalid) for a bad label or field.
  std::string review_classification(const ClassificationReview &r);
  // The labelled data set from the log as JSON lines (pipeline/review.hpp).
  std::string export_labels(const LabelExport &e);

  // One answer. Throws Error(invalid) naming the field of a bad request,
  // Error(not_found) for a problem the domain lacks; nothing is stored then.
  // Serialised: one submit or action at a time per Tutor.
  SubmitResult submit(const SubmitRequest &r);

  // A teacher's action on one (student, misconception). Throws
  // Error(invalid) when the escalation's state does not allow it (naming the
  // state), Error(not_found) when the student has no such escalation.
  // Returns {"schema_version":1,"event_ids":[...],"escalation":{...}}.
  std::string act(const TeacherAction &a);

  // The student's learning profile from the event history, appended as a
  // profile.computed event (a cache: the log can recompute it). Returns
  // {"schema_version":1,"event_id","profile":{...}}. Error(not_found) for a
  // student without responses.
  std::string profile(const std::string &tenant, const std::string &student);

  // The student snapshot: mastery per concept as Beta(1 + right, 1 + wrong)
  // with its 5th and 95th percentiles and the strategy for its band,
  // misconceptions (active, resolving), weak areas, recent answers.
  std::string snapshot(const std::string &tenant, const std::string &student);

  // Off-policy evaluation from the log: the value (resolution rate) of
  // `target` estimated by inverse propensity scoring over the tenant's
  // logged recommendations that a teacher approved unchanged and whose
  // outcome is known. Returns {"schema_version":1,"target","records","ips",
  // "ips_se","snips","snips_se","logged_value"}.
  std::string evaluate_policy(const std::string &tenant, PolicyKind target);

  // Adaptive sequencing (sequencing/sequencing.hpp; src/pipeline/assign.cpp).
  // An assignment for one student: remediation, diagnostic, target and
  // spaced-review items, each with its reason, appended as
  // assignment.created. Returns {"schema_version":1,"event_id",
  // "assignment":{payload}}. Error(invalid) for a bad request,
  // Error(not_found) for an unknown concept.
  std::string assign(const AssignRequest &r);
  // The cold-start diagnostic for a new student (reads only): {"schema_version":1,
  // "tenant","student","items":[...],"coverage":[...],"notes":[...]}.
  // Error(exists) when the student already has mastery rows.
  std::string diagnostic(const std::string &tenant, const std::string &student);
  // Classifies the diagnostic's answers and sets the student's priors: one
  // transaction of diagnostic.completed, response.submitted per answer,
  // misconception.detected per misconception shown, and mastery.updated per
  // concept. Returns {"schema_version":1,"event_id","event_ids",
  // "diagnostic":{payload}}. Error(not_found) for an unknown problem,
  // Error(exists) for a student with mastery rows.
  std::string apply_diagnostic(const DiagnosticRequest &r);

  // The pre-class plan (coaching.hpp): appended as coaching.plan_generated
  // (entity classroom, ids only); returns {"schema_version":1,"event_id",
  // "plan":{...},"text"} with the text rendered with the roster's names.
  std::string preclass_plan(const CoachingRequest &r);
  // What happened to the students since r.since_us: new misconceptions,
  // escalations, thresholds crossed; appended as coaching.plan_generated
  // with plan_type debrief.
  std::string debrief(const CoachingRequest &r);
  // The parent-conference summary of r.student: the host's text generator
  // when set and it succeeds, the template otherwise. The text is returned,
  // never stored; the log records that a summary was made and by what.
  std::string parent_summary(const CoachingRequest &r);
  // A teacher acknowledges a plan, with modifications (a JSON object, or "").
  std::string acknowledge_plan(const std::string &tenant, int64_t plan_event_id,
                               const std::string &teacher_id, const std::string &modifications);
  void set_text_generator(TextGenerator g);

  // Metacognitive bias detection (metacog/metacog.hpp; src/pipeline/metacog.cpp).
  // Detects a bias over the student's recent interaction.* events with the
  // model registered under the config's `model` ("bias") when there is one
  // and the rules otherwise; at or above the threshold appends the tutor's
  // alert metacog.bias_detected with the reflective question (a repeat over
  // the same last event returns that alert). Returns {"schema_version":1,
  // "tenant","student","time_us","intervention_proposed","detection":{...},
  // "alert":{"event_id","replayed"}|null}. Error(invalid) for a bad request,
  // Error(not_found) for a named backend nobody registered.
  std::string detect_bias(const BiasRequest &r);
  // The session summary from the alerts: {"schema_version":1,"tenant",
  // "session_id","student","total","bias_breakdown","most_common_bias",
  // "interventions":[...]}.
  std::string bias_summary(const BiasSummaryRequest &r);
  void set_metacog_config(const MetacogConfig &c);  // Error(invalid) names the field
  MetacogConfig metacog_config() const;

  // Moderation (moderation/moderation.hpp; src/pipeline/moderation.cpp).
  // Classifies a message (the lexicon, a registered classifier named by the
  // settings, or the request's verdict), decides by the policy over the
  // student's state rebuilt from its moderation.* events, and appends the
  // decision's events. Returns {"schema_version":1,"tenant","student",
  // "time_us","action","category","severity","confidence","classifier",
  // "message_hash","strike","strikes_in_window","quarantine":{...}|null,
  // "support_mode","crisis":{...}|null,"event_ids","replayed"} (docs/pipeline.md).
  std::string moderate(const ModerationRequest &r);
  // The student's moderation state at time_us (0: now), rebuilt from the log.
  std::string moderation_status(const std::string &tenant, const std::string &student,
                                int64_t time_us);
  // The state itself (tests compare it with the engine's incremental state).
  ModerationState moderation_state(const std::string &tenant, const std::string &student);
  void set_moderation_settings(const ModerationSettings &s);  // Error(invalid) names the field
  ModerationSettings moderation_settings() const;

  const Domain &domain() const { return *domain_; }
  const TutorConfig &config() const { return config_; }

 private:
  struct Index;
  std::shared_ptr<const Domain> domain_;
  Ledger &ledger_;
  TutorConfig config_;
  std::shared_ptr<const HybridClassifier> router() const;
  std::shared_ptr<ClassifierRegistry> registry_;
  ClassifySettings classify_settings_;              // guarded by classify_mu_
  std::shared_ptr<const HybridClassifier> router_;  // guarded by classify_mu_
  mutable std::mutex classify_mu_;
  TextGenerator text_generator_;
  MetacogConfig metacog_config_;            // guarded by engines_mu_
  ModerationSettings moderation_settings_;  // guarded by engines_mu_
  mutable std::mutex engines_mu_;
  std::shared_ptr<const Index> index_;
  std::mutex mu_;
};

}  // namespace v0
}  // namespace tutorcore
