// The pipeline's request and configuration documents.
#include <fmt/format.h>
#include <simdjson.h>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/pipeline/tutor.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

simdjson::dom::object object_of(simdjson::dom::parser &p, std::string_view json,
                                std::string_view what) {
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, what).get_object().get(o))
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object", what));
  return o;
}

// A nested object of the configuration, or nothing when absent.
bool section(simdjson::dom::object o, const char *key, simdjson::dom::object *out) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e)) return false;
  if (e.get_object().get(*out))
    throw Error(Errc::invalid, fmt::format("tutor config.{}: must be an object", key));
  return true;
}

template <class T>
void read_int_into(simdjson::dom::object o, const char *key, int64_t lo, int64_t hi,
                   std::string_view where, T *out) {
  int64_t v;
  if (read_int(o, key, lo, hi, where, &v)) *out = static_cast<T>(v);
}

}  // namespace

SubmitRequest submit_request_from_json(std::string_view json) {
  constexpr std::string_view what = "submit request";
  simdjson::dom::parser p;
  simdjson::dom::object o = object_of(p, json, what);
  reject_unknown_fields(
      o, {"tenant", "student", "problem_id", "answer", "idempotency_key", "latency_ms", "time_us"},
      std::string(what));
  SubmitRequest r;
  read_string(o, "tenant", true, what, &r.tenant);
  read_string(o, "student", true, what, &r.student);
  read_string(o, "problem_id", true, what, &r.problem_id);
  read_string(o, "answer", true, what, &r.answer);
  read_string(o, "idempotency_key", true, what, &r.idempotency_key);
  read_number(o, "latency_ms", 0, 1e9, what, &r.latency_ms);
  read_int(o, "time_us", 0, INT64_MAX, what, &r.time_us);
  return r;
}

TeacherAction teacher_action_from_json(std::string_view json) {
  constexpr std::string_view what = "teacher action";
  simdjson::dom::parser p;
  simdjson::dom::object o = object_of(p, json, what);
  reject_unknown_fields(o,
                        {"action", "tenant", "student", "misconception_id", "teacher_id",
                         "modality", "outcome", "idempotency_key", "time_us"},
                        std::string(what));
  TeacherAction a;
  std::string action;
  read_string(o, "action", true, what, &action);
  if (action == "approve") {
    a.kind = TeacherActionKind::approve;
  } else if (action == "record_outcome") {
    a.kind = TeacherActionKind::record_outcome;
  } else if (action == "acknowledge") {
    a.kind = TeacherActionKind::acknowledge;
  } else if (action == "resolve") {
    a.kind = TeacherActionKind::resolve;
  } else if (action == "conference_failed") {
    a.kind = TeacherActionKind::conference_failed;
  } else {
    throw Error(Errc::invalid,
                fmt::format("teacher action.action: '{}' is not an action; use approve, "
                            "record_outcome, acknowledge, resolve or conference_failed",
                            action));
  }
  read_string(o, "tenant", true, what, &a.tenant);
  read_string(o, "student", true, what, &a.student);
  read_string(o, "misconception_id", true, what, &a.misconception_id);
  read_string(o, "teacher_id", true, what, &a.teacher_id);
  std::string modality;
  if (read_string(o, "modality", false, what, &modality)) {
    Modality m;
    if (!parse_modality(modality, &m)) {
      throw Error(Errc::invalid,
                  fmt::format("teacher action.modality: '{}' is not one of visual, concrete, "
                              "pattern, verbal, peer",
                              modality));
    }
    a.modality = m;
  }
  std::string outcome;
  bool has_outcome = read_string(o, "outcome", false, what, &outcome);
  if (a.kind == TeacherActionKind::record_outcome) {
    if (!has_outcome || (outcome != "resolved" && outcome != "persisted"))
      throw Error(Errc::invalid,
                  "teacher action.outcome: record_outcome needs \"resolved\" or \"persisted\"");
    a.resolved = outcome == "resolved";
  } else if (has_outcome) {
    throw Error(Errc::invalid,
                fmt::format("teacher action.outcome: only record_outcome takes an outcome, not "
                            "'{}'",
                            action));
  }
  read_string(o, "idempotency_key", false, what, &a.idempotency_key);
  read_int(o, "time_us", 0, INT64_MAX, what, &a.time_us);
  return a;
}

TutorConfig tutor_config_from_json(std::string_view json) {
  TutorConfig c;
  if (json.empty()) return c;
  constexpr std::string_view what = "tutor config";
  simdjson::dom::parser p;
  simdjson::dom::object o = object_of(p, json, what);
  reject_unknown_fields(
      o,
      {"mastery", "escalation", "outcome", "policy", "policy_kind", "target_p_correct",
       "next_problems", "typical_response_ms", "seed", "sequencing"},
      std::string(what));
  simdjson::dom::object s;
  if (section(o, "mastery", &s)) {
    const std::string w = "tutor config.mastery";
    reject_unknown_fields(s,
                          {"threshold", "low_stakes_threshold", "min_attempts", "gate_streak",
                           "fast_fraction", "min_credibility"},
                          w);
    MasteryPolicy &m = c.mastery;
    read_number(s, "threshold", 0, 1, w, &m.threshold);
    read_number(s, "low_stakes_threshold", 0, 1, w, &m.low_stakes_threshold);
    read_int_into(s, "min_attempts", 0, 1000, w, &m.min_attempts);
    read_int_into(s, "gate_streak", 0, 1000, w, &m.gate_streak);
    read_number(s, "fast_fraction", 0, 1, w, &m.fast_fraction);
    read_number(s, "min_credibility", 0, 1, w, &m.min_credibility);
  }
  if (section(o, "sequencing", &s)) {
    c.sequencing =
        sequencing_config_from_json(simdjson::minify(s), c.sequencing, "tutor config.sequencing");
  }
  if (section(o, "escalation", &s)) {
    const std::string w = "tutor config.escalation";
    reject_unknown_fields(s,
                          {"max_modality_attempts", "prereq_threshold",
                           "conferences_before_referral", "auto_approve"},
                          w);
    EscalationConfig &e = c.rules.escalation;
    read_int_into(s, "max_modality_attempts", 1, 5, w, &e.max_modality_attempts);
    read_number(s, "prereq_threshold", 0, 1, w, &e.prereq_threshold);
    read_int_into(s, "conferences_before_referral", 1, 100, w, &e.conferences_before_referral);
    read_bool(s, "auto_approve", w, &e.auto_approve);
  }
  if (section(o, "outcome", &s)) {
    const std::string w = "tutor config.outcome";
    reject_unknown_fields(s, {"window"}, w);
    read_int_into(s, "window", 1, 100, w, &c.rules.outcome.window);
  }
  if (section(o, "policy", &s)) {
    const std::string w = "tutor config.policy";
    reject_unknown_fields(
        s,
        {"prior_alpha", "prior_beta", "class_weight", "student_weight", "no_data_rate", "laplace",
         "student_evidence_weight", "class_evidence_weight"},
        w);
    PolicyConfig &pc = c.policy;
    std::string evidence;
    if (read_string(s, "evidence", false, w, &evidence)) {
      if (evidence == "counts") {
        pc.evidence = PolicyEvidence::counts;
      } else if (evidence == "seed_rates") {
        pc.evidence = PolicyEvidence::seed_rates;
      } else {
        throw Error(Errc::invalid,
                    fmt::format("tutor config.policy.evidence: '{}' is not counts or seed_rates",
                                evidence));
      }
    }
    read_number(s, "prior_alpha", 1, 1e6, w, &pc.prior_alpha);
    read_number(s, "prior_beta", 1, 1e6, w, &pc.prior_beta);
    read_number(s, "class_weight", 0, 1e6, w, &pc.class_weight);
    read_number(s, "student_weight", 0, 1e6, w, &pc.student_weight);
    read_number(s, "no_data_rate", 0, 1, w, &pc.no_data_rate);
    read_number(s, "laplace", 0, 1e6, w, &pc.laplace);
    read_number(s, "student_evidence_weight", 0, 1e6, w, &pc.student_evidence_weight);
    read_number(s, "class_evidence_weight", 0, 1e6, w, &pc.class_evidence_weight);
  }
  std::string kind;
  if (read_string(o, "policy_kind", false, what, &kind))
    c.policy_kind = parse_policy_kind(kind, "tutor config.policy_kind");
  read_number(o, "target_p_correct", 0, 1, what, &c.target_p_correct);
  read_int_into(o, "next_problems", 0, 50, what, &c.next_problems);
  read_number(o, "typical_response_ms", 0, 1e9, what, &c.typical_response_ms);
  int64_t seed;
  if (read_int(o, "seed", 0, INT64_MAX, what, &seed)) c.seed = static_cast<uint64_t>(seed);
  check_tutor_config(c);
  return c;
}

}  // namespace v0
}  // namespace tutorcore
