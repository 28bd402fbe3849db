// Off-policy evaluation from the log: the logged recommendations (context,
// choice, propensity) paired with the outcome of the intervention they led
// to, then inverse propensity scoring for a target policy.
#include <fmt/format.h>
#include <simdjson.h>

#include <map>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/intervention/off_policy.hpp"
#include "tutorcore/pipeline/tutor.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

bool read_context(simdjson::dom::object o, PolicyContext *ctx) {
  simdjson::dom::object c;
  simdjson::dom::array arms;
  if (o["context"].get_object().get(c) || c["arms"].get_array().get(arms) ||
      arms.size() != kModalityCount ||
      c["resolved_peer_exists"].get_bool().get(ctx->resolved_peer_exists)) {
    return false;
  }
  size_t i = 0;
  for (simdjson::dom::element e : arms) {
    ArmContext &a = ctx->arms[i++];
    int64_t ca, cr, sa, sr;
    if (e["class_attempts"].get_int64().get(ca) || e["class_resolutions"].get_int64().get(cr) ||
        e["student_attempts"].get_int64().get(sa) || e["student_resolutions"].get_int64().get(sr) ||
        e["student_rate"].get_double().get(a.student_rate) || e["tried"].get_bool().get(a.tried)) {
      return false;
    }
    a.class_attempts = static_cast<int32_t>(ca);
    a.class_resolutions = static_cast<int32_t>(cr);
    a.student_attempts = static_cast<int32_t>(sa);
    a.student_resolutions = static_cast<int32_t>(sr);
  }
  return true;
}

}  // namespace

std::vector<LoggedDecision> logged_decisions(const std::vector<Event> &events) {
  std::vector<LoggedDecision> out;
  std::map<std::pair<std::string, std::string>, LoggedDecision>
      pending;  // (student, misconception)
  simdjson::dom::parser parser;
  for (const Event &e : events) {
    bool rec = e.type == "intervention.recommended", appr = e.type == "intervention.approved",
         outc = e.type == "intervention.outcome";
    if (!rec && !appr && !outc) continue;
    simdjson::dom::object o;
    std::string_view mid, modality;
    if (parser.parse(e.payload).get_object().get(o) ||
        o["misconception_id"].get_string().get(mid) || o["modality"].get_string().get(modality))
      continue;
    auto key = std::make_pair(e.entity_id, std::string(mid));
    Modality m;
    if (!parse_modality(modality, &m)) continue;
    if (rec) {
      LoggedDecision d;
      d.chosen = m;
      if (o["propensity"].get_double().get(d.propensity) || !read_context(o, &d.context)) continue;
      pending[key] = d;
    } else if (appr) {
      bool modified = false;
      // The teacher chose another arm: the outcome is not the logged arm's.
      if (!o["modified"].get_bool().get(modified) && modified) pending.erase(key);
    } else {
      auto it = pending.find(key);
      if (it == pending.end()) continue;
      std::string_view outcome;
      if (it->second.chosen == m && !o["outcome"].get_string().get(outcome)) {
        it->second.reward = outcome == "resolved" ? 1.0 : 0.0;
        out.push_back(it->second);
      }
      pending.erase(it);
    }
  }
  return out;
}

std::string Tutor::evaluate_policy(const std::string &tenant, PolicyKind target) {
  if (tenant.empty()) throw Error(Errc::invalid, "policy evaluation.tenant: is required");
  std::vector<Event> events;
  EventQuery q;
  q.tenant = tenant;
  q.entity_type = "student";
  ledger_.read(q, [&](const Event &e) {
    if (e.type.rfind("intervention.", 0) == 0) events.push_back(e);
    return true;
  });
  std::vector<LoggedDecision> log = logged_decisions(events);
  if (log.empty()) {
    throw Error(Errc::not_found,
                fmt::format("policy evaluation: tenant '{}' has no logged recommendation with a "
                            "known outcome",
                            tenant));
  }
  OffPolicyEstimate est = estimate_off_policy(log, target, config_.policy);
  double logged = 0;
  for (const auto &d : log)
    logged += d.reward;
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("target", policy_name(target));
  w.field("records", static_cast<int64_t>(est.records)).field("ips", est.ips);
  w.field("ips_se", est.ips_se).field("snips", est.snips).field("snips_se", est.snips_se);
  w.field("effective_records", est.effective_records);
  w.field("logged_value", logged / static_cast<double>(log.size()));
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
