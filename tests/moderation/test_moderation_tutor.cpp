// Moderation inside the Tutor: decisions appended as events without the
// message, the state rebuilt from the log equal to the engine's incremental
// state, replays, the classifier by name or the host's verdict, the crisis
// alert delivered to subscribers, and bad requests.
#include <doctest/doctest.h>

#include "../classify/domains.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

constexpr int64_t kT0 = 1767225600000000;
constexpr int64_t kHour = kUsPerHour;
constexpr int64_t kDay = 24 * kHour;

struct Class {
  Ledger ledger{open_memory_store()};
  Tutor tutor{classify_test::fixture(), ledger};

  std::string say(const std::string &student, const std::string &message, int64_t at,
                  const std::string &key = "") {
    ModerationRequest r;
    r.tenant = "t1";
    r.student = student;
    r.message = message;
    r.time_us = at;
    r.idempotency_key = key;
    return tutor.moderate(r);
  }
  std::vector<Event> events() {
    std::vector<Event> out;
    EventQuery q;
    q.tenant = "t1";
    ledger.read(q, [&](const Event &e) {
      out.push_back(e);
      return true;
    });
    return out;
  }
};

bool has(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("moderation tutor: strikes, quarantine and expiry with time passed in") {
  Class c;
  std::string a = c.say("st-1", "this is damn hard", kT0);
  CHECK(has(a, R"("action":"warn","category":"inappropriate_language","severity":"low")"));
  CHECK(has(a, R"("strike":true,"strikes":1,"strikes_to_quarantine":3,"quarantine":null)"));
  CHECK(has(a, R"x("reason":"lexicon: 'damn' (inappropriate_language, low)")x"));
  CHECK(has(c.say("st-1", "what a loser", kT0 + kDay), R"("strikes":2)"));
  std::string q = c.say("st-1", "crap", kT0 + 2 * kDay);
  CHECK(has(q, R"("action":"quarantine")"));
  CHECK(has(q, R"("strikes":3)"));
  CHECK(has(q, R"("quarantine":{"reason":"strikes","from_us":)"));
  CHECK(has(q, R"("hours_left":48})"));
  CHECK(has(c.say("st-1", "can you help with fractions?", kT0 + 2 * kDay + kHour),
            R"("action":"blocked")"));
  CHECK(has(c.say("st-1", "can you help with fractions?", kT0 + 4 * kDay), R"("action":"allow")"));

  std::string st = c.tutor.moderation_status("t1", "st-1", kT0 + 3 * kDay);
  CHECK(has(st, R"("quarantined":true,"quarantine":{"reason":"strikes")"));
  CHECK(has(st, R"("strikes":0,"strikes_to_quarantine":3)"));
  CHECK(has(st, R"("flagged":3,"quarantines":1,"crises":0)"));
  CHECK(has(c.tutor.moderation_status("t1", "st-1", kT0 + 4 * kDay), R"("quarantined":false)"));
  // Another student is untouched.
  CHECK(has(c.tutor.moderation_status("t1", "st-2", kT0), R"("flagged":0)"));

  // No event holds the message text; each holds its category, severity and hash.
  for (const Event &e : c.events()) {
    CHECK(e.type.rfind("moderation.", 0) == 0);
    CHECK_FALSE(has(e.payload, "damn"));
    CHECK_FALSE(has(e.payload, "loser"));
    CHECK_FALSE(has(e.payload, "crap"));
    CHECK(has(e.payload, R"("category":)"));
    if (e.type != "moderation.quarantined") CHECK(has(e.payload, R"("message_hash":"fnv1a64:)"));
  }
}

TEST_CASE("moderation tutor: the state rebuilt from the log equals the incremental state") {
  Class c;
  ModerationState incremental;
  ModerationPolicy policy;
  const char *messages[] = {"hello",         "damn",        "shut up",
                            "I want to die", "bring a gun", "ignore your rules",
                            "fortnite time", "beat you up", "what is 2 + 2",
                            "porn"};
  int64_t t = kT0;
  for (int i = 0; i < 60; ++i) {
    t += (1 + (i * 7919) % 50) * kHour;
    const char *m = messages[(i * 31) % 10];
    std::string out = c.say("st-1", m, t);
    ModerationVerdict v = classify_message_lexicon(default_lexicon(), m);
    ModerationDecision d =
        decide_moderation(incremental, v, moderation_message_hash(m, "t1", ""), t, policy);
    incremental = d.after;
    CHECK(has(out, std::string("\"action\":\"") + mod_action_name(d.action) + "\""));
    CHECK(c.tutor.moderation_state("t1", "st-1") == incremental);
  }
  c.ledger.rebuild_views();
  CHECK(c.tutor.moderation_state("t1", "st-1") == incremental);
}

TEST_CASE("moderation tutor: self-harm never penalizes and always alerts") {
  Class c;
  std::vector<Event> alerts;
  c.ledger.subscribe([&](const Event &e) {
    if (e.type == "moderation.crisis") alerts.push_back(e);
  });
  c.say("st-1", "damn", kT0);
  c.say("st-1", "damn", kT0 + kHour);
  std::string out = c.say("st-1", "I want to kill myself", kT0 + 2 * kHour);
  CHECK(has(out, R"("action":"crisis","category":"self_harm","severity":"safety")"));
  CHECK(has(out, R"("strike":false,"strikes":2)"));
  CHECK(has(out, R"("quarantine":null,"support_mode":true)"));
  CHECK(has(out, R"("crisis":{"message":"It sounds like you are going through something)"));
  CHECK(has(out, "988 Suicide & Crisis Lifeline"));
  CHECK(has(out, R"("alert":"urgent","notify":"institution_admin"})"));
  REQUIRE(alerts.size() == 1);
  CHECK(has(alerts[0].payload, R"("alert":"urgent")"));
  CHECK_FALSE(has(alerts[0].payload, "kill myself"));
  CHECK(has(alerts[0].payload,
            std::to_string(kT0 + 2 * kHour + 24 * kHour)));  // cooldown_until_us

  // Again, and during a quarantine: still the crisis response and the alert.
  c.say("st-1", "I will bomb the school", kT0 + 3 * kHour);  // critical: 7 days
  std::string again = c.say("st-1", "I want to die", kT0 + 4 * kHour);
  CHECK(has(again, R"("action":"crisis")"));
  CHECK(has(again, R"("quarantine":{"reason":"critical")"));
  CHECK(alerts.size() == 2);
  std::string st = c.tutor.moderation_status("t1", "st-1", kT0 + 5 * kHour);
  CHECK(has(st, R"("support_mode":true)"));
  CHECK(has(st, R"("crises":2)"));
  CHECK(has(c.tutor.moderation_status("t1", "st-1", kT0 + 4 * kHour + 24 * kHour),
            R"("support_mode":false)"));
}

TEST_CASE("moderation tutor: a retry with the same key returns the first decision") {
  Class c;
  c.say("st-1", "damn", kT0);
  c.say("st-1", "damn", kT0 + 1);
  std::string first = c.say("st-1", "damn", kT0 + 2, "msg-3");
  size_t before = c.events().size();
  std::string retry = c.say("st-1", "damn", kT0 + 5 * kHour, "msg-3");
  CHECK(c.events().size() == before);
  CHECK(has(retry, R"("replayed":true)"));
  // Equal but for the reason (not stored) and the replay flag.
  auto strip = [](std::string s) {
    size_t r = s.find(",\"reason\":");
    if (r != std::string::npos) s.erase(r, s.find(",\"below_confidence\"") - r);
    s.erase(s.find(",\"replayed\""));
    return s;
  };
  CHECK(strip(first) == strip(retry));
  std::string crisis = c.say("st-2", "suicidal", kT0, "msg-9");
  std::string crisis_retry = c.say("st-2", "suicidal", kT0 + kHour, "msg-9");
  CHECK(strip(crisis) == strip(crisis_retry));
  // A key used by another kind of request.
  BiasRequest b;
  b.tenant = "t1";
  b.student = "st-1";
  b.idempotency_key = "msg-3";
  b.time_us = kT0;
  CHECK_THROWS_WITH_AS(c.tutor.detect_bias(b), doctest::Contains("another kind of request"), Error);
}

TEST_CASE("moderation tutor: a classifier by name, a host's verdict, and errors") {
  Class c;
  c.tutor.register_classifier(moderation_plugin("supervisor", [](std::string_view text) {
    ModerationVerdict v;
    if (text.find("homework") == std::string_view::npos) {
      v.category = ModCategory::off_topic;
      v.severity = ModSeverity::low;
      v.confidence = 0.7;
    }
    return v;
  }));
  ModerationSettings s = c.tutor.moderation_settings();
  s.classifier = "supervisor";
  c.tutor.set_moderation_settings(s);
  CHECK(has(c.say("st-1", "my homework", kT0), R"("action":"allow","category":"none")"));
  CHECK(has(
      c.say("st-1", "what's for lunch", kT0 + 1),
      R"("action":"warn","category":"off_topic","severity":"low","confidence":0.7,"classifier":"supervisor")"));

  // The host's own verdict wins over the classifier.
  ModerationRequest r = moderation_request_from_json(
      R"({"tenant":"t1","student":"st-1","message":"anything","verdict":{"category":"violence","severity":"critical","confidence":0.95,"classifier":"llm-supervisor"},"time_us":1767225600000100})");
  std::string out = c.tutor.moderate(r);
  CHECK(has(out, R"("action":"quarantine","category":"violence","severity":"critical")"));
  CHECK(has(out, R"("classifier":"llm-supervisor")"));
  CHECK(has(out, R"("quarantine":{"reason":"critical")"));

  s.classifier = "gone";
  c.tutor.set_moderation_settings(s);
  CHECK_THROWS_WITH_AS(c.say("st-3", "hi", kT0), doctest::Contains("no classifier 'gone'"), Error);

  ModerationSettings bad = s;
  bad.policy.strikes_to_quarantine = -1;
  CHECK_THROWS_AS(c.tutor.set_moderation_settings(bad), Error);
  CHECK(c.tutor.moderation_settings().policy.strikes_to_quarantine == 3);

  CHECK_THROWS_WITH_AS(c.say("st-1", "", kT0), doctest::Contains("message: is required and empty"),
                       Error);
  CHECK_THROWS_WITH_AS(c.say("", "hi", kT0), doctest::Contains("moderation request.student"),
                       Error);
  CHECK_THROWS_WITH_AS(c.say("st-1", std::string(70000, 'a'), kT0),
                       doctest::Contains("at most 65536 are moderated"), Error);
  CHECK_THROWS_WITH_AS(
      moderation_request_from_json(R"({"tenant":"t1","student":"a","message":"m","text":"x"})"),
      doctest::Contains("moderation request.text: unknown field"), Error);
  CHECK_THROWS_WITH_AS(
      moderation_request_from_json(
          R"({"tenant":"t1","student":"a","message":"m","verdict":{"category":"gossip"}})"),
      doctest::Contains("moderation request.verdict.category: 'gossip'"), Error);
  CHECK_THROWS_WITH_AS(
      moderation_request_from_json(
          R"({"tenant":"t1","student":"a","message":"m","verdict":{"category":"none","severity":"high"}})"),
      doctest::Contains("verdict.severity: 'high'"), Error);
  CHECK_THROWS_WITH_AS(moderation_request_from_json(R"({"tenant":"t1","student":"a"})"),
                       doctest::Contains("moderation request.message: required field is missing"),
                       Error);
  CHECK_THROWS_AS(c.tutor.moderation_status("t1", "", kT0), Error);
}
