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

#include "tutorcore/intervention/policy.hpp"
#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/pipeline/classify.hpp"
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
  uint64_t seed = 42;  // the policy's draws: (seed, tenant, student, misconception, attempt)
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
