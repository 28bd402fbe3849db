// A student's learning profile (computed from the event history and cached
// as a profile.computed event) and snapshot (mastery as Beta distributions,
// misconception lifecycles, weak areas, strategy).
#include <fmt/format.h>
#include <simdjson.h>

#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/profile/snapshot.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

// What the profile and the snapshot read of a student's log.
struct History {
  std::vector<ResponseRecord> responses;
  std::vector<MasterySample> mastery;
  std::vector<InterventionOutcome> outcomes;
};

History read_history(Ledger &ledger, const Domain &d, const std::string &tenant,
                     const std::string &student) {
  History h;
  EventQuery q;
  q.tenant = tenant;
  q.entity_type = "student";
  q.entity_id = student;
  simdjson::dom::parser parser;
  ledger.read(q, [&](const Event &e) {
    bool response = e.type == "response.submitted", mastery = e.type == "mastery.updated",
         outcome = e.type == "intervention.outcome";
    if (!response && !mastery && !outcome) return true;
    simdjson::dom::object o;
    if (parser.parse(e.payload).get_object().get(o)) return true;  // checked on append
    auto text = [&](const char *k) {
      std::string_view v;
      return o[k].get_string().get(v) ? std::string() : std::string(v);
    };
    if (response) {
      ResponseRecord r;
      r.concept_id = text("concept_id");
      if (o["correct"].get_bool().get(r.correct)) r.correct = false;
      r.misconception_id = text("misconception_id");
      if (o["latency_ms"].get_double().get(r.latency_ms)) r.latency_ms = 0.0;
      r.time_us = e.time_us;
      // Transfer items: the bank's hard problems.
      const Problem *p = d.find_problem(text("problem_id"));
      r.transfer = p && p->difficulty == "hard";
      h.responses.push_back(std::move(r));
    } else if (mastery) {
      MasterySample m;
      m.concept_id = text("concept_id");
      if (o["new_level"].get_double().get(m.level)) return true;
      m.time_us = e.time_us;
      h.mastery.push_back(std::move(m));
    } else {
      InterventionOutcome out;
      out.misconception_id = text("misconception_id");
      if (!parse_modality(text("modality"), &out.modality)) return true;
      out.resolved = text("outcome") == "resolved";
      out.time_us = e.time_us;
      h.outcomes.push_back(std::move(out));
    }
    return true;
  });
  return h;
}

void check_student(const std::string &tenant, const std::string &student, const char *what) {
  if (tenant.empty()) throw Error(Errc::invalid, fmt::format("{}.tenant: is required", what));
  if (student.empty()) throw Error(Errc::invalid, fmt::format("{}.student: is required", what));
}

}  // namespace

std::string Tutor::profile(const std::string &tenant, const std::string &student) {
  check_student(tenant, student, "profile request");
  std::lock_guard<std::mutex> lock(mu_);
  History h = read_history(ledger_, *domain_, tenant, student);
  if (h.responses.empty()) {
    throw Error(Errc::not_found,
                fmt::format("profile request: student '{}' has no responses in tenant '{}'",
                            student, tenant));
  }
  ProfileInput in;
  in.responses = std::move(h.responses);
  in.mastery = std::move(h.mastery);
  in.outcomes = std::move(h.outcomes);
  for (const Concept &c : domain_->concepts)
    in.prerequisites[c.id] = c.prerequisites;
  LearningProfile p = learning_profile(in, config_.profile);

  JsonWriter w;
  w.begin_object().field("error_pattern", error_pattern_name(p.error_pattern));
  w.key("concept_patterns").begin_object();
  for (const auto &cp : p.concept_patterns)
    w.field(cp.concept_id, error_pattern_name(cp.pattern));
  w.end_object();
  w.key("latency").begin_object();
  w.field("mean_ms", p.mean_latency_ms).field("timed_responses", p.timed_responses);
  w.field("fast_wrong", p.fast_wrong).field("slow_wrong", p.slow_wrong);
  w.field("slow_right", p.slow_right).end_object();
  w.key("decay").begin_object().field("per_day", p.decay_per_day);
  w.field("pairs", p.decay_pairs).field("high", p.high_decay).end_object();
  w.key("velocity").begin_object().field("per_response", p.learning_velocity);
  w.field("responses_to_mastery", p.responses_to_mastery);
  w.field("concepts", p.velocity_concepts).end_object();
  w.key("modality_vector").begin_object();
  for (size_t i = 0; i < kModalityCount; ++i) {
    w.key(modality_name(static_cast<Modality>(i))).begin_object();
    w.field("rate", p.modality_vector[i]).field("tried", p.modality_tried[i]);
    w.field("resolved", p.modality_resolved[i]).end_object();
  }
  w.end_object();
  w.key("transfer").begin_object().field("success_rate", p.transfer_success_rate);
  w.field("attempts", p.transfer_attempts).end_object();
  w.field("responses", static_cast<int64_t>(in.responses.size()));
  w.end_object();
  std::string body = w.take();

  std::vector<Event> batch(1);
  Event &e = batch[0];
  e.tenant = tenant;
  e.entity_type = "student";
  e.entity_id = student;
  e.type = "profile.computed";
  e.payload = body;
  e.time_us = now_us();
  ledger_.append(batch);
  return fmt::format(R"({{"schema_version":1,"event_id":{},"profile":{}}})", e.id, body);
}

std::string Tutor::snapshot(const std::string &tenant, const std::string &student) {
  check_student(tenant, student, "snapshot request");
  std::lock_guard<std::mutex> lock(mu_);
  SnapshotInput in;
  in.responses = read_history(ledger_, *domain_, tenant, student).responses;
  ledger_.with_views([&](const ViewSet &v) {
    for (const auto &[k, r] : v.escalations_of(tenant, student))
      in.misconceptions.push_back({k->c, r->concept_id, r->state()});
    return 0;
  });
  StudentSnapshot s = student_snapshot(in, config_.snapshot);

  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("tenant", tenant).field("student", student);
  w.key("mastery").begin_array();
  for (const auto &m : s.mastery) {
    w.begin_object().field("concept_id", m.concept_id).field("attempts", m.attempts);
    w.field("correct", m.correct).field("alpha", m.alpha).field("beta", m.beta);
    w.field("mean", m.mean).field("p05", m.lower).field("p95", m.upper);
    w.field("strategy", strategy_name(m.strategy)).end_object();
  }
  w.end_array();
  w.key("misconceptions").begin_array();
  for (const auto &m : s.misconceptions) {
    w.begin_object().field("misconception_id", m.misconception_id);
    w.field("concept_id", m.concept_id).field("state", escalation_state_name(m.state));
    w.field("lifecycle", misconception_lifecycle_name(m.lifecycle));
    w.field("occurrences", m.occurrences).field("clean_since_last", m.clean_since_last);
    w.end_object();
  }
  w.end_array();
  w.key("weak_areas").begin_array();
  for (const auto &c : s.weak_areas)
    w.value(c);
  w.end_array();
  w.key("recent").begin_array();
  for (const auto &r : s.recent) {
    w.begin_object().field("concept_id", r.concept_id).field("correct", r.correct);
    if (!r.misconception_id.empty()) w.field("misconception_id", r.misconception_id);
    w.field("time_us", r.time_us).end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
