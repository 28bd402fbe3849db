// The moderation policy (seed 002's SupervisorAgent): a student's message is
// classified into a category and a severity, and a deterministic policy
// decides what follows from it and from the student's moderation state.
// Pure functions over value types; time is always passed in.
//
// Categories: inappropriate_language, violence, illegal, sexual, off_topic,
// harassment, self_harm, jailbreak_attempt (and none: a clean message).
// Severities: low < medium < high < critical < safety.
//
// The rules, in order (ModerationPolicy holds the numbers):
//  1. Crisis: a self_harm message (or any message of severity safety)
//     never penalizes. It is never a strike, never quarantines and is never
//     blocked, also during a quarantine: the tutor is interrupted with a
//     supportive message and crisis resources (US: 988 Suicide & Crisis
//     Lifeline), a 24-hour cooldown starts (or restarts) and an urgent alert
//     goes to the institution's admin, every time. During the cooldown the
//     decision carries support_mode: the tutor stays in a supportive tone.
//     A self_harm label crisis_min_confidence (0) or above is enough.
//  2. Below min_confidence (0.5), or category none: the message is clean.
//  3. Quarantined (a quarantine runs until its until time, exclusive): the
//     message is blocked. A high or critical message extends the
//     quarantine when its own would end later; a low or medium one is
//     recorded, not counted as a strike.
//  4. critical: a 7-day quarantine at once.
//  5. high: a 48-hour quarantine at once (the seed names high without a
//     rule; our reading: between a strike and critical). With
//     high_quarantine_us 0 a high message is a strike instead.
//  6. low or medium: a strike. Strikes count within the 7-day window (a
//     strike at t counts while now - t < 7 days) and since the last
//     quarantine started (a quarantine consumes the strikes before it); the
//     third starts a 48-hour quarantine. A jailbreak_attempt is refused (the
//     tutor does not follow it), other categories get a warning.
// Repeated offenses: each further three strikes within 7 days after a
// quarantine start another 48-hour quarantine; the seed sets no escalation
// beyond that and none is invented.
//
// Decisions are records, stored as events on the student (never the message
// text: its category, severity and a hash):
//   moderation.flagged     {category, severity, confidence, classifier,
//                           message_hash, strike, strikes, action,
//                           during_quarantine}
//   moderation.quarantined {reason: strikes|high|critical, category,
//                           severity, until_us, hours, strikes, notify}
//   moderation.crisis      {category, severity, confidence, classifier,
//                           message_hash, cooldown_until_us, alert: urgent,
//                           notify: institution_admin}
// The state is the fold of those records (apply_moderation_record), so a
// state rebuilt from the log equals the one kept incrementally.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/classify/classifier.hpp"
#include "tutorcore/storage/event.hpp"

namespace tutorcore {
inline namespace v0 {

enum class ModCategory : uint8_t {
  none = 0,
  inappropriate_language,
  violence,
  illegal,
  sexual,
  off_topic,
  harassment,
  self_harm,
  jailbreak_attempt
};
constexpr size_t kModCategoryCount = 9;  // with none
const char *mod_category_name(ModCategory c);
bool parse_mod_category(std::string_view name, ModCategory *out);

enum class ModSeverity : uint8_t { none = 0, low, medium, high, critical, safety };
constexpr size_t kModSeverityCount = 6;  // with none
const char *mod_severity_name(ModSeverity s);
bool parse_mod_severity(std::string_view name, ModSeverity *out);

inline constexpr std::string_view kModerationFlagged = "moderation.flagged";
inline constexpr std::string_view kModerationQuarantined = "moderation.quarantined";
inline constexpr std::string_view kModerationCrisis = "moderation.crisis";

constexpr int64_t kUsPerHour = 3600LL * 1000000LL;

// What a classifier says of one message.
struct ModerationVerdict {
  ModCategory category = ModCategory::none;
  ModSeverity severity = ModSeverity::none;
  double confidence = 1.0;
  std::string classifier = "lexicon";  // who classified
  std::string reason;  // why (a lexicon: the matched term's category, never the text)
};

struct ModerationPolicy {
  int64_t strike_window_us = 7 * 24 * kUsPerHour;        // 7 days
  int32_t strikes_to_quarantine = 3;                     // low or medium
  int64_t strike_quarantine_us = 48 * kUsPerHour;        // 48 hours
  int64_t high_quarantine_us = 48 * kUsPerHour;          // our reading for high
  int64_t critical_quarantine_us = 7 * 24 * kUsPerHour;  // 7 days
  int64_t crisis_cooldown_us = 24 * kUsPerHour;          // 24 hours, not a quarantine
  double min_confidence = 0.5;                           // below: clean
  double crisis_min_confidence = 0.0;                    // self_harm at or above: crisis
  std::string crisis_message =
      "It sounds like you are going through something really hard. You are not alone, and you "
      "deserve support right now. Please reach out to someone you trust, or to one of these "
      "services:";
  std::vector<std::string> crisis_resources = {
      "US: call or text 988 (988 Suicide & Crisis Lifeline), available 24/7",
      "If you are in immediate danger, call your local emergency number (US: 911)"};
  std::string hash_salt;  // mixed into message hashes (a deployment's secret)
};

// Throws Error(invalid) naming the field ("moderation policy.strikes_to_quarantine").
void check_moderation_policy(const ModerationPolicy &p);

// The default severity of a category when a classifier names none:
// self_harm safety, everything else medium.
ModSeverity default_severity(ModCategory c);
// A verdict made consistent: category none has severity none and vice
// versa, self_harm is always severity safety.
ModerationVerdict normalize_verdict(ModerationVerdict v);

enum class ModRecordKind : uint8_t { flagged, quarantined, crisis };

enum class ModAction : uint8_t { allow, warn, refuse, quarantine, blocked, crisis };
const char *mod_action_name(ModAction a);

// One decision record: the payload of a moderation.* event.
struct ModerationRecord {
  ModRecordKind kind = ModRecordKind::flagged;
  int64_t time_us = 0;
  int64_t event_id = 0;  // once stored
  ModCategory category = ModCategory::none;
  ModSeverity severity = ModSeverity::none;
  double confidence = 0.0;
  std::string classifier;
  std::string message_hash;
  // flagged
  bool strike = false;
  int32_t strikes = 0;  // strikes in the window after this one
  ModAction action = ModAction::warn;
  bool during_quarantine = false;
  // quarantined
  std::string reason;  // strikes, high, critical
  int64_t until_us = 0;
  // crisis
  int64_t cooldown_until_us = 0;

  bool operator==(const ModerationRecord &o) const;
};

const char *mod_record_type(ModRecordKind k);  // the event type
std::string moderation_record_payload(const ModerationRecord &r);
// Reads a moderation.* event; false for any other type. Throws
// Error(invalid) naming the event id for a payload that breaks the rules.
bool moderation_record_from_event(const Event &e, ModerationRecord *out);

struct Strike {
  int64_t time_us = 0;
  ModCategory category = ModCategory::none;
  ModSeverity severity = ModSeverity::none;
  bool operator==(const Strike &o) const {
    return time_us == o.time_us && category == o.category && severity == o.severity;
  }
};

// A student's moderation state: the fold of its records.
struct ModerationState {
  std::vector<Strike> strikes;  // since the last quarantine started, in order
  int64_t quarantine_from_us = 0;
  int64_t quarantine_until_us = 0;  // 0: never quarantined
  std::string quarantine_reason;
  int64_t cooldown_until_us = 0;  // crisis cooldown; 0: never
  int32_t flagged = 0, quarantines = 0, crises = 0;
  int64_t last_crisis_us = 0;

  bool quarantined(int64_t now_us) const { return now_us < quarantine_until_us; }
  bool in_cooldown(int64_t now_us) const { return now_us < cooldown_until_us; }
  // Strikes with now - t < window (all since the last quarantine).
  int32_t strikes_in_window(int64_t now_us, const ModerationPolicy &p) const;
  bool operator==(const ModerationState &o) const;
};

void apply_moderation_record(ModerationState &s, const ModerationRecord &r);
ModerationState rebuild_moderation_state(const std::vector<ModerationRecord> &records);

struct ModerationDecision {
  ModAction action = ModAction::allow;
  ModerationVerdict verdict;              // normalized
  bool below_confidence = false;          // a label ignored for its confidence
  std::vector<ModerationRecord> records;  // to store, in order
  ModerationState after;                  // the state once they are applied
  bool support_mode = false;              // a crisis cooldown runs after this message
};

// The policy's decision for one message with hash `message_hash` at `now_us`.
ModerationDecision decide_moderation(const ModerationState &before, const ModerationVerdict &v,
                                     const std::string &message_hash, int64_t now_us,
                                     const ModerationPolicy &p);

// "fnv1a64:<16 hex>" of salt, tenant and text: links repeats of a message
// without storing it.
std::string moderation_message_hash(std::string_view text, std::string_view tenant,
                                    std::string_view salt);

// The built-in classifier: terms per category with a severity each, matched
// as whole words in the message's normalized text (lower case, letters and
// digits, other characters as spaces). The most severe match wins (ties:
// the category listed first); self_harm terms are severity safety.
struct LexiconTerm {
  std::string term;
  ModCategory category = ModCategory::none;
  ModSeverity severity = ModSeverity::medium;
};
struct Lexicon {
  std::vector<LexiconTerm> terms;
};
// The compiled-in lexicon (examples/moderation/lexicon.json holds the same).
const Lexicon &default_lexicon();
// {"schema_version":1,"categories":{"violence":[{"term","severity"},...],...}}.
// Error(invalid) names the field.
Lexicon lexicon_from_json(std::string_view json);
std::string lexicon_to_json(const Lexicon &l);
std::string normalize_message(std::string_view text);
ModerationVerdict classify_message_lexicon(const Lexicon &l, std::string_view text);

// A classifier plugin (a registered model, or a host's callback) asked with
// the message as its answer, a problem "moderation.message" and concept
// "moderation". Its label is "none", "<category>" or
// "<category>:<severity>" (a category alone takes default_severity).
// Throws Error(invalid) naming the backend for another label.
ModerationVerdict verdict_from_prediction(const Prediction &p);
ModerationVerdict classify_message_plugin(const ClassifierPlugin &plugin, std::string_view text);
// A host's function as a plugin to register under `name` (C++ hosts).
std::shared_ptr<const ClassifierPlugin> moderation_plugin(
    std::string name, std::function<ModerationVerdict(std::string_view text)> fn);

// What a tutor's moderation uses: the classifier ("lexicon", or a
// registered name), the policy and the lexicon.
struct ModerationSettings {
  std::string classifier = "lexicon";
  ModerationPolicy policy;
  Lexicon lexicon = default_lexicon();
};
void check_moderation_settings(const ModerationSettings &s);
// {"classifier","policy":{"strike_window_hours":168,"strikes_to_quarantine":3,
// "strike_quarantine_hours":48,"high_quarantine_hours":48,
// "critical_quarantine_hours":168,"crisis_cooldown_hours":24,
// "min_confidence":0.5,"crisis_min_confidence":0,"crisis_message",
// "crisis_resources":[...],"hash_salt"},"lexicon":{lexicon document}};
// fields left out keep `base`'s values. Error(invalid) names the field.
ModerationSettings moderation_settings_from_json(std::string_view json,
                                                 const ModerationSettings &base);
// The settings without the salt and the lexicon's terms (their count only).
std::string moderation_settings_to_json(const ModerationSettings &s);

}  // namespace v0
}  // namespace tutorcore
