// The tutor's side of moderation (engine in moderation/): the student's
// state rebuilt from its moderation.* events, the message classified (the
// lexicon, a registered classifier or the host's verdict), the policy's
// decision appended as events, and the result rebuilt from them.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/pipeline/tutor.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr size_t kMaxMessageBytes = 64 * 1024;

bool is_moderation_type(std::string_view t) {
  return t == kModerationFlagged || t == kModerationQuarantined || t == kModerationCrisis;
}

// The student's moderation records in log order, up to event id `upto`.
std::vector<ModerationRecord> student_records(Ledger &ledger, const std::string &tenant,
                                              const std::string &student,
                                              int64_t upto = INT64_MAX) {
  std::vector<ModerationRecord> out;
  EventQuery q;
  q.tenant = tenant;
  q.entity_type = "student";
  q.entity_id = student;
  ledger.read(q, [&](const Event &e) {
    if (e.id > upto) return false;
    ModerationRecord r;
    if (is_moderation_type(e.type) && moderation_record_from_event(e, &r))
      out.push_back(std::move(r));
    return true;
  });
  return out;
}

// What a result says; from a fresh decision or from stored records.
struct Outcome {
  int64_t time_us = 0;
  ModAction action = ModAction::allow;
  ModerationVerdict verdict;
  std::string message_hash;
  bool strike = false;
  int32_t strikes = 0;
  bool below_confidence = false;
  ModerationState after;
  std::vector<int64_t> event_ids;
  bool replayed = false;
};

// The parts of an outcome its records hold.
void read_records(const std::vector<ModerationRecord> &records, Outcome *o) {
  for (const ModerationRecord &r : records) {
    o->event_ids.push_back(r.event_id);
    if (r.kind == ModRecordKind::quarantined) {
      if (o->action != ModAction::blocked) o->action = ModAction::quarantine;
      continue;
    }
    o->verdict.category = r.category;
    o->verdict.severity = r.severity;
    o->verdict.confidence = r.confidence;
    o->verdict.classifier = r.classifier;
    o->message_hash = r.message_hash;
    if (r.kind == ModRecordKind::crisis) {
      o->action = ModAction::crisis;
    } else {
      o->action = r.action;
      o->strike = r.strike;
      o->strikes = r.strikes;
    }
  }
}

std::string result_json(const std::string &tenant, const std::string &student, const Outcome &o,
                        const ModerationPolicy &p, const std::string &reason) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("tenant", tenant).field("student", student);
  w.field("time_us", o.time_us).field("action", mod_action_name(o.action));
  w.field("category", mod_category_name(o.verdict.category));
  w.field("severity", mod_severity_name(o.verdict.severity));
  w.field("confidence", o.verdict.confidence).field("classifier", o.verdict.classifier);
  if (!o.replayed) w.field("reason", reason);
  w.field("below_confidence", o.below_confidence).field("message_hash", o.message_hash);
  w.field("strike", o.strike).field("strikes", o.strikes);
  w.field("strikes_to_quarantine", p.strikes_to_quarantine).key("quarantine");
  if (o.after.quarantined(o.time_us)) {
    w.begin_object().field("reason", o.after.quarantine_reason);
    w.field("from_us", o.after.quarantine_from_us).field("until_us", o.after.quarantine_until_us);
    w.field("hours_left", double(o.after.quarantine_until_us - o.time_us) / kUsPerHour);
    w.end_object();
  } else {
    w.null();
  }
  w.field("support_mode", o.after.in_cooldown(o.time_us)).key("crisis");
  if (o.action == ModAction::crisis) {
    w.begin_object().field("message", p.crisis_message).key("resources").begin_array();
    for (const std::string &res : p.crisis_resources)
      w.value(res);
    w.end_array().field("cooldown_until_us", o.after.cooldown_until_us);
    w.field("alert", "urgent").field("notify", "institution_admin").end_object();
  } else {
    w.null();
  }
  w.key("event_ids").begin_array();
  for (int64_t id : o.event_ids)
    w.value(id);
  w.end_array().field("replayed", o.replayed).end_object();
  return w.take();
}

}  // namespace

ModerationRequest moderation_request_from_json(std::string_view json) {
  const std::string what = "moderation request";
  simdjson::dom::parser p;
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, what).get_object().get(o))
    throw Error(Errc::invalid, what + ": must be a JSON object");
  reject_unknown_fields(
      o, {"tenant", "student", "message", "verdict", "idempotency_key", "time_us"}, what);
  ModerationRequest r;
  read_string(o, "tenant", true, what, &r.tenant);
  read_string(o, "student", true, what, &r.student);
  read_string(o, "message", true, what, &r.message);
  read_string(o, "idempotency_key", false, what, &r.idempotency_key);
  read_int(o, "time_us", 0, INT64_MAX, what, &r.time_us);
  simdjson::dom::element ve;
  if (!o.at_key("verdict").get(ve) && !ve.is_null()) {
    const std::string where = what + ".verdict";
    simdjson::dom::object vo;
    if (ve.get_object().get(vo)) throw Error(Errc::invalid, where + ": must be a JSON object");
    reject_unknown_fields(vo, {"category", "severity", "confidence", "classifier", "reason"},
                          where);
    ModerationVerdict v;
    v.classifier = "host";
    std::string cat, sev;
    read_string(vo, "category", true, where, &cat);
    if (!parse_mod_category(cat, &v.category)) {
      throw Error(Errc::invalid,
                  fmt::format("{}.category: '{}' is not none, inappropriate_language, violence, "
                              "illegal, sexual, off_topic, harassment, self_harm or "
                              "jailbreak_attempt",
                              where, cat));
    }
    if (read_string(vo, "severity", false, where, &sev) &&
        (!parse_mod_severity(sev, &v.severity) ||
         (v.severity == ModSeverity::none) != (v.category == ModCategory::none))) {
      throw Error(Errc::invalid, fmt::format("{}.severity: '{}' is not low, medium, high, "
                                             "critical or safety (none only for category none)",
                                             where, sev));
    }
    read_number(vo, "confidence", 0.0, 1.0, where, &v.confidence);
    read_string(vo, "classifier", false, where, &v.classifier);
    read_string(vo, "reason", false, where, &v.reason);
    r.verdict = normalize_verdict(v);
  }
  return r;
}

void Tutor::set_moderation_settings(const ModerationSettings &s) {
  check_moderation_settings(s);
  std::lock_guard<std::mutex> lock(engines_mu_);
  moderation_settings_ = s;
}

ModerationSettings Tutor::moderation_settings() const {
  std::lock_guard<std::mutex> lock(engines_mu_);
  return moderation_settings_;
}

std::string Tutor::moderate(const ModerationRequest &r) {
  const std::string what = "moderation request";
  if (r.tenant.empty()) throw Error(Errc::invalid, what + ".tenant: is required");
  if (r.student.empty()) throw Error(Errc::invalid, what + ".student: is required");
  if (r.message.empty()) throw Error(Errc::invalid, what + ".message: is required and empty");
  if (r.message.size() > kMaxMessageBytes) {
    throw Error(Errc::invalid, fmt::format("{}.message: is {} bytes; at most {} are moderated",
                                           what, r.message.size(), kMaxMessageBytes));
  }
  if (r.time_us < 0) throw Error(Errc::invalid, what + ".time_us: is negative");
  const ModerationSettings settings = moderation_settings();
  const ModerationPolicy &policy = settings.policy;
  const int64_t now = r.time_us ? r.time_us : now_us();

  std::lock_guard<std::mutex> lock(mu_);
  if (!r.idempotency_key.empty()) {
    std::vector<Event> prior = ledger_.read_keyed(r.tenant, r.idempotency_key);
    std::vector<ModerationRecord> records;
    for (const Event &e : prior) {
      ModerationRecord rec;
      if (is_moderation_type(e.type) && moderation_record_from_event(e, &rec))
        records.push_back(std::move(rec));
    }
    if (!records.empty()) {
      Outcome o;
      o.time_us = records.front().time_us;
      o.replayed = true;
      o.after = rebuild_moderation_state(
          student_records(ledger_, r.tenant, r.student, records.back().event_id));
      o.strikes = o.after.strikes_in_window(o.time_us, policy);
      read_records(records, &o);
      return result_json(r.tenant, r.student, o, policy, "");
    }
    if (!prior.empty()) {
      throw Error(Errc::exists,
                  fmt::format("{}.idempotency_key: '{}' was used by another kind of request", what,
                              r.idempotency_key));
    }
  }

  ModerationState state = rebuild_moderation_state(student_records(ledger_, r.tenant, r.student));
  ModerationVerdict verdict;
  if (r.verdict) {
    verdict = *r.verdict;
  } else if (settings.classifier == "lexicon") {
    verdict = classify_message_lexicon(settings.lexicon, r.message);
  } else {
    std::shared_ptr<const ClassifierPlugin> plugin = registry_->find(settings.classifier);
    if (!plugin) {
      throw Error(Errc::not_found,
                  fmt::format("moderation settings.classifier: no classifier '{}' is registered "
                              "on this tutor",
                              settings.classifier));
    }
    verdict = classify_message_plugin(*plugin, r.message);
  }
  std::string hash = moderation_message_hash(r.message, r.tenant, policy.hash_salt);
  ModerationDecision d = decide_moderation(state, verdict, hash, now, policy);

  Outcome o;
  o.time_us = now;
  o.action = d.action;
  o.verdict = d.verdict;
  o.message_hash = hash;
  o.below_confidence = d.below_confidence;
  o.strikes = d.after.strikes_in_window(now, policy);
  o.after = d.after;
  if (!d.records.empty()) {
    std::vector<Event> batch;
    for (size_t i = 0; i < d.records.size(); ++i) {
      const ModerationRecord &rec = d.records[i];
      Event e;
      e.tenant = r.tenant;
      e.entity_type = "student";
      e.entity_id = r.student;
      e.type = mod_record_type(rec.kind);
      e.payload = moderation_record_payload(rec);
      e.time_us = now;
      e.author = "system";
      if (!r.idempotency_key.empty()) {
        e.idempotency_key =
            i == 0 ? r.idempotency_key
                   : fmt::format("{}/{}", r.idempotency_key,
                                 rec.kind == ModRecordKind::quarantined ? "quarantine" : "record");
      }
      batch.push_back(std::move(e));
    }
    std::vector<AppendOutcome> out = ledger_.append(batch);
    std::vector<ModerationRecord> stored = d.records;
    for (size_t i = 0; i < stored.size(); ++i)
      stored[i].event_id = out[i].id;
    read_records(stored, &o);
    o.action = d.action;
  }
  return result_json(r.tenant, r.student, o, policy, d.verdict.reason);
}

ModerationState Tutor::moderation_state(const std::string &tenant, const std::string &student) {
  if (tenant.empty() || student.empty())
    throw Error(Errc::invalid, "moderation status: tenant and student are required");
  return rebuild_moderation_state(student_records(ledger_, tenant, student));
}

std::string Tutor::moderation_status(const std::string &tenant, const std::string &student,
                                     int64_t time_us) {
  if (time_us < 0) throw Error(Errc::invalid, "moderation status.time_us: is negative");
  const ModerationPolicy policy = moderation_settings().policy;
  const int64_t now = time_us ? time_us : now_us();
  ModerationState s = moderation_state(tenant, student);
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("tenant", tenant).field("student", student);
  w.field("time_us", now).field("quarantined", s.quarantined(now)).key("quarantine");
  if (s.quarantined(now)) {
    w.begin_object().field("reason", s.quarantine_reason).field("from_us", s.quarantine_from_us);
    w.field("until_us", s.quarantine_until_us);
    w.field("hours_left", double(s.quarantine_until_us - now) / kUsPerHour).end_object();
  } else {
    w.null();
  }
  w.field("strikes", s.strikes_in_window(now, policy));
  w.field("strikes_to_quarantine", policy.strikes_to_quarantine);
  w.field("support_mode", s.in_cooldown(now)).field("cooldown_until_us", s.cooldown_until_us);
  w.field("flagged", s.flagged).field("quarantines", s.quarantines).field("crises", s.crises);
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
