// The tutor's side of the metacognitive bias detector (engine in metacog/):
// the student's interaction events read from the log, the backend chosen
// (a registered model or the rules), the alert appended, the session summary.
#include <fmt/format.h>
#include <simdjson.h>

#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/pipeline/tutor.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

simdjson::dom::object request_object(simdjson::dom::parser &p, std::string_view json,
                                     const std::string &what) {
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, what).get_object().get(o))
    throw Error(Errc::invalid, what + ": must be a JSON object");
  return o;
}

std::string detection_result(const BiasRequest &r, int64_t time_us, bool proposed,
                             std::string_view detection, const Event *alert, bool replayed) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("tenant", r.tenant);
  w.field("student", r.student).field("time_us", time_us);
  w.field("intervention_proposed", proposed).key("detection").raw(detection).key("alert");
  if (alert) {
    w.begin_object().field("event_id", alert->id).field("replayed", replayed).end_object();
  } else {
    w.null();
  }
  w.end_object();
  return w.take();
}

// The last event id an alert's window ended with, or -1.
int64_t last_event_of(const Event &alert) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object o;
  int64_t id = -1;
  if (parser.parse(alert.payload).get_object().get(o) || o["last_event_id"].get_int64().get(id)) {
    return -1;
  }
  return id;
}

}  // namespace

BiasRequest bias_request_from_json(std::string_view json) {
  const std::string what = "bias request";
  simdjson::dom::parser p;
  simdjson::dom::object o = request_object(p, json, what);
  reject_unknown_fields(o, {"tenant", "student", "session_id", "idempotency_key", "time_us"}, what);
  BiasRequest r;
  read_string(o, "tenant", true, what, &r.tenant);
  read_string(o, "student", true, what, &r.student);
  read_string(o, "session_id", false, what, &r.session_id);
  read_string(o, "idempotency_key", false, what, &r.idempotency_key);
  read_int(o, "time_us", 0, INT64_MAX, what, &r.time_us);
  return r;
}

BiasSummaryRequest bias_summary_request_from_json(std::string_view json) {
  const std::string what = "bias summary request";
  simdjson::dom::parser p;
  simdjson::dom::object o = request_object(p, json, what);
  reject_unknown_fields(o, {"tenant", "session_id", "student", "since_us", "until_us"}, what);
  BiasSummaryRequest r;
  read_string(o, "tenant", true, what, &r.tenant);
  read_string(o, "session_id", false, what, &r.session_id);
  read_string(o, "student", false, what, &r.student);
  read_int(o, "since_us", 0, INT64_MAX, what, &r.since_us);
  read_int(o, "until_us", 0, INT64_MAX, what, &r.until_us);
  return r;
}

void Tutor::set_metacog_config(const MetacogConfig &c) {
  check_metacog_config(c);
  std::lock_guard<std::mutex> lock(engines_mu_);
  metacog_config_ = c;
}

MetacogConfig Tutor::metacog_config() const {
  std::lock_guard<std::mutex> lock(engines_mu_);
  return metacog_config_;
}

std::string Tutor::detect_bias(const BiasRequest &r) {
  const std::string what = "bias request";
  if (r.tenant.empty()) throw Error(Errc::invalid, what + ".tenant: is required");
  if (r.student.empty()) throw Error(Errc::invalid, what + ".student: is required");
  if (r.time_us < 0) throw Error(Errc::invalid, what + ".time_us: is negative");
  const MetacogConfig cfg = metacog_config();
  const int64_t now = r.time_us ? r.time_us : now_us();

  std::lock_guard<std::mutex> lock(mu_);
  if (!r.idempotency_key.empty()) {
    std::vector<Event> prior = ledger_.read_keyed(r.tenant, r.idempotency_key);
    for (const Event &e : prior)
      if (e.type == kBiasDetected) return detection_result(r, e.time_us, true, e.payload, &e, true);
    if (!prior.empty()) {
      throw Error(Errc::exists,
                  fmt::format("{}.idempotency_key: '{}' was used by another kind of request", what,
                              r.idempotency_key));
    }
  }

  // The student's interaction events of the last max_age_s, and its latest
  // alert (a repeat over the same window returns it).
  std::vector<Interaction> events;
  const Event *last_alert = nullptr;
  Event latest;
  EventQuery q;
  q.tenant = r.tenant;
  q.entity_type = "student";
  q.entity_id = r.student;
  q.since_us = now - static_cast<int64_t>(cfg.max_age_s * 1e6);
  q.until_us = now == INT64_MAX ? now : now + 1;
  ledger_.read(q, [&](const Event &e) {
    Interaction in;
    if (interaction_from_event(e, &in)) {
      if (r.session_id.empty() || in.session_id == r.session_id) events.push_back(std::move(in));
    } else if (e.type == kBiasDetected) {
      latest = e;
      last_alert = &latest;
    }
    return true;
  });
  std::vector<Interaction> window = bias_window(events, now, cfg);
  BiasFeatures f = bias_features(window, cfg);

  BiasDetection d;
  if (cfg.backend == "rules") {
    d = detect_bias_rules(f, cfg);
  } else {
    const std::string &name = cfg.backend == "auto" ? cfg.model : cfg.backend;
    std::shared_ptr<const ClassifierPlugin> model = registry_->find(name);
    if (!model && cfg.backend != "auto") {
      throw Error(Errc::not_found,
                  fmt::format("metacog config.backend: no classifier '{}' is registered on this "
                              "tutor",
                              name));
    }
    if (model && !model->supports_concept("metacog")) {
      if (cfg.backend != "auto") {
        throw Error(Errc::invalid,
                    fmt::format("metacog config.backend: classifier '{}' does not support "
                                "concept 'metacog'",
                                name));
      }
      model = nullptr;
    }
    if (model) {
      d = detect_bias_model(*model, f);
    } else {
      d = detect_bias_rules(f, cfg);
      d.reason += fmt::format(" (model '{}' not registered: rules)", name);
    }
  }
  BiasDecision decision = decide_bias(d, cfg);
  std::string payload = bias_alert_payload(decision, f, window);
  if (!decision.propose) return detection_result(r, now, false, payload, nullptr, false);

  // One alert per window: the same last event and bias give the stored one.
  if (last_alert && !window.empty() && last_event_of(*last_alert) == window.back().event_id) {
    BiasAlert a = bias_alert_from_event(*last_alert);
    if (a.bias == d.bias && a.session_id == window.back().session_id) {
      return detection_result(r, last_alert->time_us, true, last_alert->payload, last_alert, true);
    }
  }
  std::vector<Event> batch(1);
  Event &e = batch.front();
  e.tenant = r.tenant;
  e.entity_type = "student";
  e.entity_id = r.student;
  e.type = std::string(kBiasDetected);
  e.payload = payload;
  e.time_us = now;
  e.author = "system";
  e.idempotency_key = r.idempotency_key;
  std::vector<AppendOutcome> out = ledger_.append(batch);
  if (!out.front().inserted) {  // another process stored the same key first
    for (const Event &prior : ledger_.read_keyed(r.tenant, r.idempotency_key))
      if (prior.type == kBiasDetected)
        return detection_result(r, prior.time_us, true, prior.payload, &prior, true);
  }
  return detection_result(r, now, true, payload, &e, false);
}

std::string Tutor::bias_summary(const BiasSummaryRequest &r) {
  const std::string what = "bias summary request";
  if (r.tenant.empty()) throw Error(Errc::invalid, what + ".tenant: is required");
  if (r.session_id.empty() && r.student.empty()) {
    throw Error(Errc::invalid, what + ": give a session_id, a student or both");
  }
  if (r.since_us < 0 || r.until_us < 0)
    throw Error(Errc::invalid, what + ": since_us and until_us must not be negative");
  std::vector<BiasAlert> alerts;
  EventQuery q;
  q.tenant = r.tenant;
  q.type = std::string(kBiasDetected);
  if (!r.student.empty()) {
    q.entity_type = "student";
    q.entity_id = r.student;
  }
  q.since_us = r.since_us;
  if (r.until_us > 0) q.until_us = r.until_us;
  ledger_.read(q, [&](const Event &e) {
    BiasAlert a = bias_alert_from_event(e);
    if (r.session_id.empty() || a.session_id == r.session_id) alerts.push_back(std::move(a));
    return true;
  });
  BiasSummary s = summarize_bias(alerts);
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("tenant", r.tenant).key("session_id");
  if (r.session_id.empty()) {
    w.null();
  } else {
    w.value(r.session_id);
  }
  w.key("student");
  if (r.student.empty()) {
    w.null();
  } else {
    w.value(r.student);
  }
  write_bias_summary(w, s);
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
