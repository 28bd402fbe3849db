// The moderation policy: names, the decision for one message, the records it
// stores and the state folded from them (rules in moderation/moderation.hpp).
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/common/names.hpp"
#include "tutorcore/moderation/moderation.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr const char *kCategoryNames[kModCategoryCount] = {"none",
                                                           "inappropriate_language",
                                                           "violence",
                                                           "illegal",
                                                           "sexual",
                                                           "off_topic",
                                                           "harassment",
                                                           "self_harm",
                                                           "jailbreak_attempt"};
constexpr const char *kSeverityNames[kModSeverityCount] = {"none", "low",      "medium",
                                                           "high", "critical", "safety"};
constexpr const char *kActionNames[] = {"allow",      "warn",    "refuse",
                                        "quarantine", "blocked", "crisis"};
constexpr const char *kNotify = "institution_admin";

[[noreturn]] void bad_policy(std::string_view field, const std::string &msg) {
  throw Error(Errc::invalid, fmt::format("moderation policy.{}: {}", field, msg));
}

}  // namespace

const char *mod_category_name(ModCategory c) {
  return kCategoryNames[static_cast<size_t>(c)];
}

bool parse_mod_category(std::string_view name, ModCategory *out) {
  size_t i;
  if (!find_name(kCategoryNames, kModCategoryCount, name, &i)) return false;
  *out = static_cast<ModCategory>(i);
  return true;
}

const char *mod_severity_name(ModSeverity s) {
  return kSeverityNames[static_cast<size_t>(s)];
}

bool parse_mod_severity(std::string_view name, ModSeverity *out) {
  size_t i;
  if (!find_name(kSeverityNames, kModSeverityCount, name, &i)) return false;
  *out = static_cast<ModSeverity>(i);
  return true;
}

const char *mod_action_name(ModAction a) {
  return kActionNames[static_cast<size_t>(a)];
}

const char *mod_record_type(ModRecordKind k) {
  switch (k) {
    case ModRecordKind::flagged:
      return kModerationFlagged.data();
    case ModRecordKind::quarantined:
      return kModerationQuarantined.data();
    case ModRecordKind::crisis:
      return kModerationCrisis.data();
  }
  return "";
}

void check_moderation_policy(const ModerationPolicy &p) {
  constexpr int64_t kYear = 366 * 24 * kUsPerHour;
  auto span = [&](const char *field, int64_t us, bool zero_ok) {
    if (us < (zero_ok ? 0 : 1) || us > kYear) {
      bad_policy(field, fmt::format("is {} hours; it must lie in {}..8784", double(us) / kUsPerHour,
                                    zero_ok ? "0" : "(0"));
    }
  };
  span("strike_window_hours", p.strike_window_us, false);
  if (p.strikes_to_quarantine < 1 || p.strikes_to_quarantine > 1000) {
    bad_policy("strikes_to_quarantine",
               fmt::format("is {}; it must lie in 1..1000", p.strikes_to_quarantine));
  }
  span("strike_quarantine_hours", p.strike_quarantine_us, false);
  span("high_quarantine_hours", p.high_quarantine_us, true);
  span("critical_quarantine_hours", p.critical_quarantine_us, false);
  span("crisis_cooldown_hours", p.crisis_cooldown_us, false);
  if (!(p.min_confidence >= 0.0 && p.min_confidence <= 1.0))
    bad_policy("min_confidence", fmt::format("is {}; it must lie in [0, 1]", p.min_confidence));
  if (!(p.crisis_min_confidence >= 0.0 && p.crisis_min_confidence <= 1.0)) {
    bad_policy("crisis_min_confidence",
               fmt::format("is {}; it must lie in [0, 1]", p.crisis_min_confidence));
  }
  if (p.crisis_message.empty()) bad_policy("crisis_message", "is empty");
  if (p.crisis_resources.empty()) {
    bad_policy("crisis_resources",
               "is empty; a crisis response always lists where to get help (US: 988)");
  }
  for (size_t i = 0; i < p.crisis_resources.size(); ++i)
    if (p.crisis_resources[i].empty())
      bad_policy(fmt::format("crisis_resources[{}]", i), "is empty");
  if (p.hash_salt.size() > 256) bad_policy("hash_salt", "is longer than 256 bytes");
}

ModSeverity default_severity(ModCategory c) {
  if (c == ModCategory::none) return ModSeverity::none;
  if (c == ModCategory::self_harm) return ModSeverity::safety;
  return ModSeverity::medium;
}

ModerationVerdict normalize_verdict(ModerationVerdict v) {
  if (v.category == ModCategory::none) {
    v.severity = ModSeverity::none;
  } else if (v.category == ModCategory::self_harm) {
    v.severity = ModSeverity::safety;
  } else if (v.severity == ModSeverity::none) {
    v.severity = default_severity(v.category);
  }
  return v;
}

bool ModerationRecord::operator==(const ModerationRecord &o) const {
  return kind == o.kind && time_us == o.time_us && category == o.category &&
         severity == o.severity && confidence == o.confidence && classifier == o.classifier &&
         message_hash == o.message_hash && strike == o.strike && strikes == o.strikes &&
         action == o.action && during_quarantine == o.during_quarantine && reason == o.reason &&
         until_us == o.until_us && cooldown_until_us == o.cooldown_until_us;
}

std::string moderation_record_payload(const ModerationRecord &r) {
  JsonWriter w;
  w.begin_object().field("category", mod_category_name(r.category));
  w.field("severity", mod_severity_name(r.severity));
  switch (r.kind) {
    case ModRecordKind::flagged:
      w.field("confidence", r.confidence).field("classifier", r.classifier);
      w.field("message_hash", r.message_hash).field("strike", r.strike);
      w.field("strikes", r.strikes).field("action", mod_action_name(r.action));
      w.field("during_quarantine", r.during_quarantine);
      break;
    case ModRecordKind::quarantined:
      w.field("reason", r.reason).field("until_us", r.until_us);
      w.field("hours", double(r.until_us - r.time_us) / kUsPerHour).field("strikes", r.strikes);
      w.field("notify", kNotify);
      break;
    case ModRecordKind::crisis:
      w.field("confidence", r.confidence).field("classifier", r.classifier);
      w.field("message_hash", r.message_hash).field("cooldown_until_us", r.cooldown_until_us);
      w.field("alert", "urgent").field("notify", kNotify);
      break;
  }
  w.end_object();
  return w.take();
}

bool moderation_record_from_event(const Event &e, ModerationRecord *out) {
  ModerationRecord r;
  if (e.type == kModerationFlagged) {
    r.kind = ModRecordKind::flagged;
  } else if (e.type == kModerationQuarantined) {
    r.kind = ModRecordKind::quarantined;
  } else if (e.type == kModerationCrisis) {
    r.kind = ModRecordKind::crisis;
  } else {
    return false;
  }
  r.time_us = e.time_us;
  r.event_id = e.id;
  auto bad = [&](const char *field, const char *msg) {
    throw Error(Errc::invalid, fmt::format("{} event {}: payload.{} {}", e.type, e.id, field, msg));
  };
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(e.payload).get_object().get(o)) bad("", "is not a JSON object");
  std::string_view s;
  if (o["category"].get_string().get(s) || !parse_mod_category(s, &r.category))
    bad("category", "is not a moderation category");
  if (o["severity"].get_string().get(s) || !parse_mod_severity(s, &r.severity))
    bad("severity", "is not a moderation severity");
  auto text = [&](const char *k, std::string *dst) {
    if (o[k].get_string().get(s) == simdjson::SUCCESS) *dst = std::string(s);
  };
  auto integer = [&](const char *k, int64_t *dst) {
    if (o[k].get_int64().get(*dst)) bad(k, "must be an integer");
  };
  int64_t strikes = 0;
  switch (r.kind) {
    case ModRecordKind::flagged: {
      if (o["confidence"].get_double().get(r.confidence)) r.confidence = 0.0;
      text("classifier", &r.classifier);
      text("message_hash", &r.message_hash);
      if (o["strike"].get_bool().get(r.strike)) bad("strike", "must be true or false");
      if (o["strikes"].get_int64().get(strikes) == simdjson::SUCCESS)
        r.strikes = static_cast<int32_t>(strikes);
      size_t a = 0;
      if (o["action"].get_string().get(s) ||
          !find_name(kActionNames, sizeof kActionNames / sizeof *kActionNames, s, &a)) {
        bad("action", "is not a moderation action");
      }
      r.action = static_cast<ModAction>(a);
      if (o["during_quarantine"].get_bool().get(r.during_quarantine)) r.during_quarantine = false;
      break;
    }
    case ModRecordKind::quarantined:
      text("reason", &r.reason);
      integer("until_us", &r.until_us);
      if (o["strikes"].get_int64().get(strikes) == simdjson::SUCCESS)
        r.strikes = static_cast<int32_t>(strikes);
      break;
    case ModRecordKind::crisis:
      if (o["confidence"].get_double().get(r.confidence)) r.confidence = 0.0;
      text("classifier", &r.classifier);
      text("message_hash", &r.message_hash);
      integer("cooldown_until_us", &r.cooldown_until_us);
      break;
  }
  *out = std::move(r);
  return true;
}

int32_t ModerationState::strikes_in_window(int64_t now_us, const ModerationPolicy &p) const {
  int32_t n = 0;
  for (const Strike &s : strikes)
    if (s.time_us <= now_us && now_us - s.time_us < p.strike_window_us) ++n;
  return n;
}

bool ModerationState::operator==(const ModerationState &o) const {
  return strikes == o.strikes && quarantine_from_us == o.quarantine_from_us &&
         quarantine_until_us == o.quarantine_until_us && quarantine_reason == o.quarantine_reason &&
         cooldown_until_us == o.cooldown_until_us && flagged == o.flagged &&
         quarantines == o.quarantines && crises == o.crises && last_crisis_us == o.last_crisis_us;
}

void apply_moderation_record(ModerationState &s, const ModerationRecord &r) {
  switch (r.kind) {
    case ModRecordKind::flagged:
      ++s.flagged;
      if (r.strike) s.strikes.push_back({r.time_us, r.category, r.severity});
      break;
    case ModRecordKind::quarantined:
      ++s.quarantines;
      s.quarantine_from_us = r.time_us;
      s.quarantine_until_us = std::max(s.quarantine_until_us, r.until_us);
      s.quarantine_reason = r.reason;
      s.strikes.clear();  // a quarantine consumes the strikes before it
      break;
    case ModRecordKind::crisis:
      ++s.crises;
      s.last_crisis_us = r.time_us;
      s.cooldown_until_us = std::max(s.cooldown_until_us, r.cooldown_until_us);
      break;
  }
}

ModerationState rebuild_moderation_state(const std::vector<ModerationRecord> &records) {
  ModerationState s;
  for (const ModerationRecord &r : records)
    apply_moderation_record(s, r);
  return s;
}

ModerationDecision decide_moderation(const ModerationState &before, const ModerationVerdict &v,
                                     const std::string &message_hash, int64_t now_us,
                                     const ModerationPolicy &p) {
  ModerationDecision d;
  d.verdict = normalize_verdict(v);
  const ModerationVerdict &vd = d.verdict;
  auto record = [&](ModRecordKind kind) {
    ModerationRecord r;
    r.kind = kind;
    r.time_us = now_us;
    r.category = vd.category;
    r.severity = vd.severity;
    r.confidence = vd.confidence;
    r.classifier = vd.classifier;
    r.message_hash = message_hash;
    return r;
  };
  auto quarantine = [&](const char *reason, int64_t length_us, int32_t strikes) {
    ModerationRecord q = record(ModRecordKind::quarantined);
    q.confidence = 0.0;
    q.classifier.clear();
    q.message_hash.clear();
    q.reason = reason;
    q.until_us = now_us + length_us;
    q.strikes = strikes;
    d.records.push_back(std::move(q));
  };
  const bool quarantined = before.quarantined(now_us);
  const bool crisis =
      (vd.category == ModCategory::self_harm || vd.severity == ModSeverity::safety) &&
      vd.confidence >= p.crisis_min_confidence;

  if (crisis) {
    // Rule 1: never a penalty, always the crisis response and the alert.
    ModerationRecord r = record(ModRecordKind::crisis);
    r.severity = ModSeverity::safety;
    r.cooldown_until_us = now_us + p.crisis_cooldown_us;
    d.records.push_back(std::move(r));
    d.action = ModAction::crisis;
  } else if (vd.category == ModCategory::none || vd.confidence < p.min_confidence) {
    // Rule 2: clean (or not sure enough to act on).
    d.below_confidence = vd.category != ModCategory::none;
    d.action = quarantined ? ModAction::blocked : ModAction::allow;
  } else if (quarantined) {
    // Rule 3: blocked; a graver message may lengthen the quarantine.
    ModerationRecord f = record(ModRecordKind::flagged);
    f.strike = false;
    f.strikes = before.strikes_in_window(now_us, p);
    f.action = ModAction::blocked;
    f.during_quarantine = true;
    d.records.push_back(std::move(f));
    d.action = ModAction::blocked;
    int64_t length = vd.severity == ModSeverity::critical ? p.critical_quarantine_us
                     : vd.severity == ModSeverity::high   ? p.high_quarantine_us
                                                          : 0;
    if (length > 0 && now_us + length > before.quarantine_until_us) {
      quarantine(vd.severity == ModSeverity::critical ? "critical" : "high", length, 0);
    }
  } else if (vd.severity == ModSeverity::critical ||
             (vd.severity == ModSeverity::high && p.high_quarantine_us > 0)) {
    // Rules 4 and 5: a quarantine at once.
    bool critical = vd.severity == ModSeverity::critical;
    ModerationRecord f = record(ModRecordKind::flagged);
    f.strike = false;
    f.strikes = before.strikes_in_window(now_us, p);
    f.action = ModAction::quarantine;
    d.records.push_back(std::move(f));
    quarantine(critical ? "critical" : "high",
               critical ? p.critical_quarantine_us : p.high_quarantine_us, 0);
    d.action = ModAction::quarantine;
  } else {
    // Rule 6: a strike; the third in the window quarantines.
    int32_t n = before.strikes_in_window(now_us, p) + 1;
    bool third = n >= p.strikes_to_quarantine;
    ModerationRecord f = record(ModRecordKind::flagged);
    f.strike = true;
    f.strikes = n;
    f.action = third                                           ? ModAction::quarantine
               : vd.category == ModCategory::jailbreak_attempt ? ModAction::refuse
                                                               : ModAction::warn;
    d.action = f.action;
    d.records.push_back(std::move(f));
    if (third) quarantine("strikes", p.strike_quarantine_us, n);
  }
  d.after = before;
  for (const ModerationRecord &r : d.records)
    apply_moderation_record(d.after, r);
  d.support_mode = d.after.in_cooldown(now_us);
  return d;
}

std::string moderation_message_hash(std::string_view text, std::string_view tenant,
                                    std::string_view salt) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s)
      h = (h ^ c) * 0x100000001b3ULL;
    h = (h ^ 0x1f) * 0x100000001b3ULL;  // a separator between the parts
  };
  mix(salt);
  mix(tenant);
  mix(normalize_message(text));
  return fmt::format("fnv1a64:{:016x}", h);
}

}  // namespace v0
}  // namespace tutorcore
