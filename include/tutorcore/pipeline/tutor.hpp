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
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/intervention/off_policy.hpp"
#include "tutorcore/intervention/policy.hpp"
#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/pipeline/classify.hpp"
#include "tutorcore/profile/profile.hpp"
#include "tutorcore/profile/snapshot.hpp"
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
};

// Throws Error(invalid) naming the field of a bad configuration.
void check_tutor_config(const TutorConfig &c);

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

class Tutor {
 public:
  // The ledger must outlive the Tutor. Sets the ledger's view rules to the
  // configuration's (refolding the log when they differ). Throws
  // Error(invalid) for a bad configuration.
  Tutor(std::shared_ptr<const Domain> domain, Ledger &ledger, TutorConfig config = {});

  // Replaces the classifier (the rule-based one by default).
  void set_classifier(Classifier c);

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

  const Domain &domain() const { return *domain_; }
  const TutorConfig &config() const { return config_; }

 private:
  struct Index;
  std::shared_ptr<const Domain> domain_;
  Ledger &ledger_;
  TutorConfig config_;
  Classifier classifier_;
  std::shared_ptr<const Index> index_;
  std::mutex mu_;
};

}  // namespace v0
}  // namespace tutorcore
