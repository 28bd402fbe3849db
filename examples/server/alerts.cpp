// The live alert stream (alerts.hpp).
#include "alerts.hpp"

#include <simdjson.h>

#include <algorithm>
#include <chrono>

#include "tutorcore/common/json_writer.hpp"

namespace tutorcore::server {

void AlertQueue::push(std::string alert) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    q_.push_back(std::move(alert));
  }
  cv_.notify_one();
}

std::vector<std::string> AlertQueue::wait(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return closed_ || !q_.empty(); });
  std::vector<std::string> out(q_.begin(), q_.end());
  q_.clear();
  return out;
}

void AlertQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool AlertQueue::closed() {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

std::string AlertHub::alert_for(const Event &e) const {
  if (e.entity_type != "student") return {};
  // Metacognition and moderation alerts for the tutor and the admin.
  if (e.type == "metacog.bias_detected" || e.type == "moderation.crisis" ||
      e.type == "moderation.quarantined") {
    simdjson::dom::parser p;
    simdjson::dom::object o;
    if (p.parse(e.payload).get_object().get(o)) return {};
    std::string_view detail;
    bool crisis = e.type == "moderation.crisis";
    if ((e.type == "metacog.bias_detected" ? o["bias"] : o["category"]).get_string().get(detail))
      detail = {};
    JsonWriter w;
    w.begin_object().field("event_id", e.id);
    w.field("kind", e.type == "metacog.bias_detected" ? "bias" : crisis ? "crisis" : "quarantine");
    w.field("severity", crisis ? "urgent" : e.type == "metacog.bias_detected" ? "info" : "high");
    w.field("student", e.entity_id).field("label", detail).field("time_us", e.time_us);
    w.end_object();
    return w.take();
  }
  const char *kind = nullptr, *severity = "info";
  if (e.type == "intervention.recommended") {
    kind = "approval_needed";
    severity = "medium";
  } else if (e.type == "intervention.outcome") {
    kind = "outcome";
  } else if (e.type == "escalation.triggered") {
    kind = "escalation";
  } else if (e.type == "intervention.assigned") {
    kind = "assigned";
  } else {
    return {};
  }
  simdjson::dom::parser p;
  simdjson::dom::object o;
  if (p.parse(e.payload).get_object().get(o)) return {};
  auto text = [&](const char *k) {
    std::string_view v;
    return o[k].get_string().get(v) ? std::string() : std::string(v);
  };
  std::string mid = text("misconception_id"), state = text("state");
  if (state == "escalated" || state == "iep_referral") {
    kind = "escalation";
    severity = "high";
  }
  if (e.type == "intervention.outcome" && text("outcome") == "resolved") kind = "resolved";
  const Misconception *m = domain_.find_misconception(mid);
  JsonWriter w;
  w.begin_object().field("event_id", e.id).field("kind", kind).field("severity", severity);
  w.field("student", e.entity_id).field("misconception_id", mid);
  w.field("label", m ? m->label : mid).field("state", state);
  w.field("modality", text("modality")).field("time_us", e.time_us);
  w.end_object();
  return w.take();
}

void AlertHub::publish(const Event &e) {
  std::string alert = alert_for(e);
  if (alert.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  ++published_;
  for (const auto &q : queues_)
    if (q->tenant() == e.tenant) q->push(alert);
}

std::shared_ptr<AlertQueue> AlertHub::open(const std::string &tenant) {
  auto q = std::make_shared<AlertQueue>(tenant);
  std::lock_guard<std::mutex> lock(mu_);
  queues_.push_back(q);
  return q;
}

void AlertHub::close(const std::shared_ptr<AlertQueue> &q) {
  q->close();
  std::lock_guard<std::mutex> lock(mu_);
  queues_.erase(std::remove(queues_.begin(), queues_.end(), q), queues_.end());
}

void AlertHub::close_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto &q : queues_)
    q->close();
  queues_.clear();
}

}  // namespace tutorcore::server
