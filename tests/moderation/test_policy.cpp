// The moderation policy with time passed in: strikes in and out of the
// 7-day window, the 48-hour and 7-day quarantines and their expiry, high,
// critical, jailbreak, the self-harm path (never a penalty, always the
// crisis response, the cooldown and the alert), confidence, and the state
// rebuilt from the records equal to the incremental one.
#include <doctest/doctest.h>

#include <random>

#include "tutorcore/common/error.hpp"
#include "tutorcore/moderation/moderation.hpp"

using namespace tutorcore;

namespace {

constexpr int64_t kT0 = 1767225600000000;  // 2026-01-01
constexpr int64_t kHour = kUsPerHour;
constexpr int64_t kDay = 24 * kHour;

ModerationVerdict verdict(ModCategory c, ModSeverity s, double confidence = 1.0) {
  ModerationVerdict v;
  v.category = c;
  v.severity = s;
  v.confidence = confidence;
  v.classifier = "test";
  return v;
}

const ModerationVerdict kClean = verdict(ModCategory::none, ModSeverity::none);
const ModerationVerdict kSwear = verdict(ModCategory::inappropriate_language, ModSeverity::low);
const ModerationVerdict kRude = verdict(ModCategory::harassment, ModSeverity::medium);
const ModerationVerdict kHigh = verdict(ModCategory::violence, ModSeverity::high);
const ModerationVerdict kCritical = verdict(ModCategory::violence, ModSeverity::critical);
const ModerationVerdict kSelfHarm = verdict(ModCategory::self_harm, ModSeverity::safety);
const ModerationVerdict kJailbreak = verdict(ModCategory::jailbreak_attempt, ModSeverity::medium);

// A student's state kept incrementally, with every record stored.
struct Student {
  ModerationState state;
  std::vector<ModerationRecord> log;
  ModerationPolicy policy;

  ModerationDecision say(const ModerationVerdict &v, int64_t at) {
    ModerationDecision d = decide_moderation(state, v, "fnv1a64:0000000000000001", at, policy);
    for (ModerationRecord r : d.records) {
      r.event_id = static_cast<int64_t>(log.size()) + 1;
      log.push_back(r);
    }
    state = d.after;
    return d;
  }
};

}  // namespace

TEST_CASE("moderation: three low or medium strikes within 7 days quarantine for 48 hours") {
  Student s;
  ModerationDecision d1 = s.say(kSwear, kT0);
  CHECK(d1.action == ModAction::warn);
  REQUIRE(d1.records.size() == 1);
  CHECK(d1.records[0].kind == ModRecordKind::flagged);
  CHECK(d1.records[0].strike);
  CHECK(d1.records[0].strikes == 1);
  ModerationDecision d2 = s.say(kRude, kT0 + 2 * kDay);
  CHECK(d2.action == ModAction::warn);
  CHECK(d2.records[0].strikes == 2);
  ModerationDecision d3 = s.say(kSwear, kT0 + 6 * kDay);
  CHECK(d3.action == ModAction::quarantine);
  REQUIRE(d3.records.size() == 2);
  CHECK(d3.records[0].strikes == 3);
  CHECK(d3.records[1].kind == ModRecordKind::quarantined);
  CHECK(d3.records[1].reason == "strikes");
  CHECK(d3.records[1].until_us == kT0 + 6 * kDay + 48 * kHour);
  CHECK(s.state.quarantine_reason == "strikes");

  // Quarantined until the 48 hours end (exclusive): clean messages are blocked.
  const int64_t until = kT0 + 6 * kDay + 48 * kHour;
  CHECK(s.state.quarantined(until - 1));
  ModerationDecision blocked = s.say(kClean, until - 1);
  CHECK(blocked.action == ModAction::blocked);
  CHECK(blocked.records.empty());
  CHECK_FALSE(s.state.quarantined(until));
  CHECK(s.say(kClean, until).action == ModAction::allow);
}

TEST_CASE("moderation: strikes older than 7 days do not count") {
  SUBCASE("exactly 7 days later the first strike is out of the window") {
    Student s;
    s.say(kSwear, kT0);
    s.say(kSwear, kT0 + 1 * kDay);
    ModerationDecision d = s.say(kSwear, kT0 + 7 * kDay);
    CHECK(d.action == ModAction::warn);
    CHECK(d.records[0].strikes == 2);
    CHECK(s.state.strikes_in_window(kT0 + 7 * kDay, s.policy) == 2);
  }
  SUBCASE("a microsecond earlier it still counts") {
    Student s;
    s.say(kSwear, kT0);
    s.say(kSwear, kT0 + 1 * kDay);
    ModerationDecision d = s.say(kSwear, kT0 + 7 * kDay - 1);
    CHECK(d.action == ModAction::quarantine);
  }
  SUBCASE("strikes a week apart never add up") {
    Student s;
    for (int i = 0; i < 10; ++i)
      CHECK(s.say(kRude, kT0 + i * 8 * kDay).action == ModAction::warn);
    CHECK(s.state.quarantines == 0);
  }
}

TEST_CASE("moderation: a quarantine consumes its strikes, repeated offenses quarantine again") {
  Student s;
  s.say(kSwear, kT0);
  s.say(kSwear, kT0 + kHour);
  s.say(kSwear, kT0 + 2 * kHour);  // quarantined until kT0 + 50 h
  const int64_t after = kT0 + 50 * kHour;
  ModerationDecision d = s.say(kSwear, after);
  CHECK(d.action == ModAction::warn);
  CHECK(d.records[0].strikes == 1);  // the three before the quarantine are spent
  s.say(kSwear, after + kHour);
  ModerationDecision again = s.say(kSwear, after + 2 * kHour);
  CHECK(again.action == ModAction::quarantine);
  CHECK(again.records[1].until_us == after + 2 * kHour + 48 * kHour);  // 48 hours again
  CHECK(s.state.quarantines == 2);
}

TEST_CASE("moderation: critical quarantines for 7 days at once") {
  Student s;
  ModerationDecision d = s.say(kCritical, kT0);
  CHECK(d.action == ModAction::quarantine);
  REQUIRE(d.records.size() == 2);
  CHECK_FALSE(d.records[0].strike);
  CHECK(d.records[0].action == ModAction::quarantine);
  CHECK(d.records[1].reason == "critical");
  CHECK(d.records[1].until_us == kT0 + 7 * kDay);
  CHECK(s.say(kClean, kT0 + 7 * kDay - 1).action == ModAction::blocked);
  CHECK(s.say(kClean, kT0 + 7 * kDay).action == ModAction::allow);
  SUBCASE("critical after two strikes: the strikes are consumed too") {
    Student t;
    t.say(kSwear, kT0);
    t.say(kSwear, kT0 + kHour);
    t.say(kCritical, kT0 + 2 * kHour);
    CHECK(t.state.strikes.empty());
    CHECK(t.say(kSwear, kT0 + 8 * kDay).records[0].strikes == 1);
  }
}

TEST_CASE("moderation: high quarantines for 48 hours, configured off it is a strike") {
  Student s;
  ModerationDecision d = s.say(kHigh, kT0);
  CHECK(d.action == ModAction::quarantine);
  CHECK(d.records[1].reason == "high");
  CHECK(d.records[1].until_us == kT0 + 48 * kHour);
  CHECK_FALSE(s.state.quarantined(kT0 + 48 * kHour));

  Student t;
  t.policy.high_quarantine_us = 0;
  ModerationDecision h = t.say(kHigh, kT0);
  CHECK(h.action == ModAction::warn);
  CHECK(h.records.size() == 1);
  CHECK(h.records[0].strike);
}

TEST_CASE("moderation: a jailbreak attempt is refused and counts as a strike") {
  Student s;
  ModerationDecision d = s.say(kJailbreak, kT0);
  CHECK(d.action == ModAction::refuse);
  CHECK(d.records[0].strike);
  CHECK(d.records[0].action == ModAction::refuse);
  s.say(kJailbreak, kT0 + kHour);
  ModerationDecision third = s.say(kJailbreak, kT0 + 2 * kHour);
  CHECK(third.action == ModAction::quarantine);  // the third strike quarantines
  CHECK(third.records[1].until_us == kT0 + 50 * kHour);
  // A jailbreak classified without a severity is medium.
  CHECK(normalize_verdict(verdict(ModCategory::jailbreak_attempt, ModSeverity::none)).severity ==
        ModSeverity::medium);
}

TEST_CASE("moderation: self-harm never penalizes and always alerts with the crisis response") {
  Student s;
  ModerationDecision d = s.say(kSelfHarm, kT0);
  CHECK(d.action == ModAction::crisis);
  REQUIRE(d.records.size() == 1);
  const ModerationRecord &r = d.records[0];
  CHECK(r.kind == ModRecordKind::crisis);
  CHECK(r.severity == ModSeverity::safety);
  CHECK(r.cooldown_until_us == kT0 + 24 * kHour);
  CHECK(d.support_mode);
  CHECK(s.state.strikes.empty());
  CHECK_FALSE(s.state.quarantined(kT0));
  CHECK(moderation_record_payload(r).find(R"("alert":"urgent","notify":"institution_admin")") !=
        std::string::npos);

  SUBCASE("the cooldown is 24 hours and is not a quarantine") {
    ModerationDecision next = s.say(kClean, kT0 + kHour);
    CHECK(next.action == ModAction::allow);
    CHECK(next.support_mode);
    ModerationDecision later = s.say(kClean, kT0 + 24 * kHour);
    CHECK(later.action == ModAction::allow);
    CHECK_FALSE(later.support_mode);
  }
  SUBCASE("every self-harm message alerts again and restarts the cooldown") {
    for (int i = 1; i <= 5; ++i) {
      ModerationDecision again = s.say(kSelfHarm, kT0 + i * kHour);
      CHECK(again.action == ModAction::crisis);
      REQUIRE(again.records.size() == 1);
      CHECK(again.records[0].kind == ModRecordKind::crisis);
    }
    CHECK(s.state.crises == 6);
    CHECK(s.state.cooldown_until_us == kT0 + 5 * kHour + 24 * kHour);
    CHECK(s.state.strikes.empty());
    CHECK(s.state.quarantines == 0);
  }
  SUBCASE("two strikes and self-harm: no third strike") {
    Student t;
    t.say(kSwear, kT0);
    t.say(kSwear, kT0 + kHour);
    CHECK(t.say(kSelfHarm, kT0 + 2 * kHour).action == ModAction::crisis);
    CHECK(t.state.strikes_in_window(kT0 + 2 * kHour, t.policy) == 2);
    CHECK_FALSE(t.state.quarantined(kT0 + 2 * kHour));
  }
  SUBCASE("during a quarantine self-harm is not blocked: the crisis response comes") {
    Student t;
    t.say(kCritical, kT0);
    ModerationDecision c = t.say(kSelfHarm, kT0 + kHour);
    CHECK(c.action == ModAction::crisis);
    CHECK(c.records.size() == 1);
    CHECK(t.state.quarantine_until_us == kT0 + 7 * kDay);  // unchanged: no penalty either way
  }
  SUBCASE("a self_harm label of any severity or confidence is the crisis path") {
    Student t;
    ModerationDecision low = t.say(verdict(ModCategory::self_harm, ModSeverity::low, 0.1), kT0);
    CHECK(low.action == ModAction::crisis);
    CHECK(low.records[0].severity == ModSeverity::safety);
    // Severity safety on another category is a crisis too.
    ModerationDecision other =
        t.say(verdict(ModCategory::violence, ModSeverity::safety), kT0 + kHour);
    CHECK(other.action == ModAction::crisis);
    CHECK(t.state.strikes.empty());
  }
  SUBCASE("a configured crisis_min_confidence") {
    Student t;
    t.policy.crisis_min_confidence = 0.3;
    CHECK(t.say(verdict(ModCategory::self_harm, ModSeverity::safety, 0.2), kT0).action ==
          ModAction::allow);
  }
}

TEST_CASE("moderation: a verdict below min_confidence is clean") {
  Student s;
  ModerationDecision d = s.say(verdict(ModCategory::violence, ModSeverity::critical, 0.4), kT0);
  CHECK(d.action == ModAction::allow);
  CHECK(d.below_confidence);
  CHECK(d.records.empty());
  CHECK(s.say(verdict(ModCategory::violence, ModSeverity::critical, 0.5), kT0).action ==
        ModAction::quarantine);
}

TEST_CASE("moderation: during a quarantine messages are blocked, graver ones extend it") {
  Student s;
  s.say(kHigh, kT0);  // 48 h
  ModerationDecision low = s.say(kSwear, kT0 + kHour);
  CHECK(low.action == ModAction::blocked);
  REQUIRE(low.records.size() == 1);
  CHECK(low.records[0].during_quarantine);
  CHECK_FALSE(low.records[0].strike);
  CHECK(s.state.strikes.empty());
  ModerationDecision crit = s.say(kCritical, kT0 + 2 * kHour);
  CHECK(crit.action == ModAction::blocked);
  REQUIRE(crit.records.size() == 2);
  CHECK(crit.records[1].reason == "critical");
  CHECK(s.state.quarantine_until_us == kT0 + 2 * kHour + 7 * kDay);
  // A high message cannot shorten a longer quarantine.
  ModerationDecision high = s.say(kHigh, kT0 + 3 * kHour);
  CHECK(high.records.size() == 1);
  CHECK(s.state.quarantine_until_us == kT0 + 2 * kHour + 7 * kDay);
}

TEST_CASE("moderation: rebuilding from the records equals the incremental state") {
  const ModerationVerdict kinds[] = {
      kClean,    kClean,     kSwear,
      kRude,     kJailbreak, kHigh,
      kCritical, kSelfHarm,  verdict(ModCategory::off_topic, ModSeverity::low, 0.3)};
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Student s;
    int64_t t = kT0;
    for (int i = 0; i < 200; ++i) {
      t += static_cast<int64_t>(rng() % (60 * 60)) * 1000000 * (1 + rng() % 20);
      s.say(kinds[rng() % (sizeof kinds / sizeof *kinds)], t);
      if (i % 37 == 0) CHECK(rebuild_moderation_state(s.log) == s.state);
    }
    CHECK(rebuild_moderation_state(s.log) == s.state);
    // Through the events' payloads too.
    std::vector<ModerationRecord> back;
    for (const ModerationRecord &r : s.log) {
      Event e;
      e.id = r.event_id;
      e.type = mod_record_type(r.kind);
      e.time_us = r.time_us;
      e.payload = moderation_record_payload(r);
      ModerationRecord read;
      REQUIRE(moderation_record_from_event(e, &read));
      CHECK(read == r);
      back.push_back(read);
    }
    CHECK(rebuild_moderation_state(back) == s.state);
  }
}

TEST_CASE("moderation: records as payloads, and their errors") {
  Student s;
  s.say(kSwear, kT0);
  s.say(kSwear, kT0 + 1);
  s.say(kSwear, kT0 + 2);
  std::string flagged = moderation_record_payload(s.log[2]);
  CHECK(
      flagged ==
      R"({"category":"inappropriate_language","severity":"low","confidence":1,"classifier":"test",)"
      R"("message_hash":"fnv1a64:0000000000000001","strike":true,"strikes":3,"action":"quarantine",)"
      R"("during_quarantine":false})");
  std::string q = moderation_record_payload(s.log[3]);
  CHECK(q.find(R"("reason":"strikes","until_us":)") != std::string::npos);
  CHECK(q.find(R"("hours":48,"strikes":3,"notify":"institution_admin")") != std::string::npos);

  Event e;
  e.id = 7;
  e.type = "moderation.flagged";
  e.payload = R"({"category":"gossip","severity":"low","strike":true,"action":"warn"})";
  ModerationRecord r;
  CHECK_THROWS_WITH_AS(moderation_record_from_event(e, &r),
                       doctest::Contains("moderation.flagged event 7: payload.category"), Error);
  e.type = "response.submitted";
  CHECK_FALSE(moderation_record_from_event(e, &r));
}

TEST_CASE("moderation: the message hash links repeats without the text") {
  std::string a = moderation_message_hash("You are an IDIOT!", "t1", "");
  CHECK(a.rfind("fnv1a64:", 0) == 0);
  CHECK(a.size() == 8 + 16);
  CHECK(a == moderation_message_hash("you are an idiot", "t1", ""));  // normalized
  CHECK(a != moderation_message_hash("you are an idiot", "t2", ""));  // per tenant
  CHECK(a != moderation_message_hash("you are an idiot", "t1", "secret"));
  CHECK(a.find("idiot") == std::string::npos);
}

TEST_CASE("moderation: the policy is checked") {
  ModerationPolicy p;
  CHECK_NOTHROW(check_moderation_policy(p));
  p.strikes_to_quarantine = 0;
  CHECK_THROWS_WITH_AS(check_moderation_policy(p),
                       doctest::Contains("moderation policy.strikes_to_quarantine"), Error);
  p = {};
  p.crisis_resources.clear();
  CHECK_THROWS_WITH_AS(check_moderation_policy(p), doctest::Contains("crisis_resources: is empty"),
                       Error);
  p = {};
  p.strike_window_us = 0;
  CHECK_THROWS_WITH_AS(check_moderation_policy(p), doctest::Contains("strike_window_hours"), Error);
  p = {};
  p.min_confidence = 2;
  CHECK_THROWS_AS(check_moderation_policy(p), Error);
  CHECK(std::string(mod_action_name(ModAction::crisis)) == "crisis");
  ModCategory c;
  CHECK(parse_mod_category("jailbreak_attempt", &c));
  CHECK(c == ModCategory::jailbreak_attempt);
  ModSeverity sv;
  CHECK_FALSE(parse_mod_severity("extreme", &sv));
}
