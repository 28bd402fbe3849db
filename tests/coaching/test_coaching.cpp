// The coaching planner: the priority formula, candidate items on a
// constructed class, rendering with names that never reach the log, the
// debrief, the parent summary's fallback, and acknowledgments.
#include <simdjson.h>

#include <cmath>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

constexpr int64_t kDay = 86400000000LL;
constexpr int64_t kNow = 1767225600000000LL + 30 * kDay;

std::shared_ptr<const Domain> fixture() {
  auto d = std::make_shared<Domain>();
  REQUIRE(load_domain(TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal", d.get()).ok());
  return d;
}

Event ev(const std::string &student, const std::string &type, const std::string &payload,
         int64_t time_us) {
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = student;
  e.type = type;
  e.payload = payload;
  e.time_us = time_us;
  return e;
}

// Four students: s1 and s2 share mis_alpha_one (open), s3's mis_beta_one is
// escalated, s1 and s4 are near mastery of unit_beta, s2 regressed on unit_gamma.
void build_class(Ledger &l) {
  std::vector<Event> b = {
      ev("s1", "misconception.detected",
         R"({"misconception_id":"mis_alpha_one","concept_id":"unit_alpha"})", kNow - 2 * kDay),
      ev("s2", "misconception.detected",
         R"({"misconception_id":"mis_alpha_one","concept_id":"unit_alpha"})", kNow - 1 * kDay),
      ev("s3", "misconception.detected",
         R"({"misconception_id":"mis_beta_one","concept_id":"unit_beta"})", kNow - 5 * kDay),
      ev("s3", "escalation.transitioned", R"({"misconception_id":"mis_beta_one","to":"escalated"})",
         kNow - 3 * kDay),
      ev("s1", "mastery.updated", R"({"concept_id":"unit_beta","new_level":0.90})",
         kNow - 1 * kDay),
      ev("s4", "mastery.updated", R"({"concept_id":"unit_beta","new_level":0.88})",
         kNow - 1 * kDay),
      ev("s2", "mastery.updated", R"({"concept_id":"unit_gamma","new_level":0.80})",
         kNow - 6 * kDay),
      ev("s2", "mastery.updated", R"({"concept_id":"unit_gamma","new_level":0.55})",
         kNow - 2 * kDay),
      // A modality that resolved mis_alpha_one for others: the group's evidence.
      ev("s9", "intervention.outcome",
         R"({"misconception_id":"mis_alpha_one","modality":"concrete","outcome":"resolved"})",
         kNow - 9 * kDay),
      ev("s8", "intervention.outcome",
         R"({"misconception_id":"mis_alpha_one","modality":"concrete","outcome":"resolved"})",
         kNow - 9 * kDay),
      ev("s7", "intervention.outcome",
         R"({"misconception_id":"mis_alpha_one","modality":"visual","outcome":"persisted"})",
         kNow - 9 * kDay),
  };
  l.append(b);
}

simdjson::dom::element parse(simdjson::dom::parser &p, const std::string &json) {
  simdjson::dom::element e;
  REQUIRE(p.parse(json).get(e) == simdjson::SUCCESS);
  return e;
}

}  // namespace

TEST_CASE("coaching: the priority score is the seed's formula") {
  CoachingConfig c;
  // 0.4 * 1 + 0.2 * e^0 + 0.2 * 0.2 + 0.2 * (1 - 0.8) = 0.68
  CHECK(priority_score(1.0, 0.0, 0.2, 0.8, c) == doctest::Approx(0.68));
  // 0.4 * 0.3 + 0.2 * e^-1 + 0.2 * 0.5 + 0.2 * 0.8 = 0.45358 -> 0.454
  CHECK(priority_score(0.3, 10.0, 0.5, 0.2, c) == doctest::Approx(0.454));
  c.w_effort = 0.0;
  CHECK(priority_score(0.3, 10.0, 0.5, 0.2, c) == doctest::Approx(0.294));
  c.w_effort = 2.0;
  CHECK_THROWS_AS(check_coaching_config(c), Error);
}

TEST_CASE("coaching: the pre-class plan finds each kind of item, scored and ranked") {
  Ledger l(open_memory_store());
  Tutor t(fixture(), l);
  build_class(l);
  CoachingRequest r;
  r.tenant = "t1";
  r.students = {"s1", "s2", "s3", "s4"};
  r.roster = {{"s1", "Ana"}, {"s2", "Ben"}, {"s3", "Cleo"}, {"s4", "Dev"}};
  r.now_us = kNow;
  simdjson::dom::parser p;
  auto doc = parse(p, t.preclass_plan(r));
  auto items = doc["plan"]["action_items"].get_array().value();
  REQUIRE(items.size() == 4);
  std::map<std::string, simdjson::dom::element> by_type;
  double last = 2.0;
  int64_t priority = 0;
  for (simdjson::dom::element it : items) {
    by_type[std::string(it["action_type"].get_string().value())] = it;
    double score = it["score"].get_double().value();
    CHECK(score <= last);  // ranked by score
    last = score;
    CHECK(it["priority"].get_int64().value() == ++priority);
  }
  CoachingConfig c;
  // The escalated student: severity 1, 3 days, 1 of 4, effort 0.8.
  CHECK(by_type["one_on_one_conference"]["score"].get_double().value() ==
        doctest::Approx(priority_score(1.0, 3.0, 0.25, 0.8, c)));
  // The shared misconception: 2 of 4, last seen a day ago; the concrete
  // intervention resolved it 2/2, so it is recommended with that evidence.
  auto group = by_type["pull_out_group"];
  CHECK(group["score"].get_double().value() ==
        doctest::Approx(priority_score(0.7, 1.0, 0.5, 0.5, c)));
  CHECK(group["modality"].get_string().value() == "concrete");
  CHECK(std::string(group["evidence"].get_string().value()).find("2/2") != std::string::npos);
  // Near mastery on unit_beta (0.88 and 0.90 against 0.95): a warm-up with
  // two of the concept's problems.
  auto warm = by_type["whole_class_warmup"];
  CHECK(warm["concept_id"].get_string().value() == "unit_beta");
  CHECK(warm["problems"].get_array().value().size() == 2);
  // The regression: 0.80 -> 0.55 on unit_gamma.
  auto mon = by_type["monitor"];
  CHECK(mon["students"].at(0)["before"].get_double().value() == doctest::Approx(0.80));
  CHECK(mon["students"].at(0)["mastery"].get_double().value() == doctest::Approx(0.55));

  // The text names the students; the log holds ids only.
  std::string text(doc["text"].get_string().value());
  CHECK(text.find("One-on-one conference with Cleo") != std::string::npos);
  CHECK(text.find("Ana and Ben share the misconception \"Alpha one\"") != std::string::npos);
  CHECK(text.find("Monitor Ben") != std::string::npos);
  CHECK(text.find("Ben dropped from 0.80 to 0.55") != std::string::npos);
  int64_t id = doc["event_id"].get_int64().value();
  EventQuery q;
  q.tenant = "t1";
  q.type = "coaching.plan_generated";
  std::string stored;
  l.read(q, [&](const Event &e) {
    stored = e.payload;
    CHECK(e.id == id);
    CHECK(e.entity_type == "classroom");
    return true;
  });
  REQUIRE_FALSE(stored.empty());
  for (const char *name : {"Ana", "Ben", "Cleo", "Dev"})
    CHECK(stored.find(name) == std::string::npos);

  // The teacher acknowledges it with a modification.
  std::string ack = t.acknowledge_plan("t1", id, "teach1", R"({"removed":[3]})");
  CHECK(ack.find("\"event_id\":") != std::string::npos);
  CHECK_THROWS_AS(t.acknowledge_plan("t1", 1, "teach1", ""), Error);  // not a plan
}

TEST_CASE("coaching: the debrief reports new misconceptions, escalations and thresholds") {
  Ledger l(open_memory_store());
  Tutor t(fixture(), l);
  build_class(l);
  std::vector<Event> more = {
      ev("s4", "misconception.detected",
         R"({"misconception_id":"mis_alpha_one","concept_id":"unit_alpha","detections":1})",
         kNow + kDay),
      ev("s4", "mastery.updated", R"({"concept_id":"unit_beta","old_level":0.88,"new_level":0.96})",
         kNow + kDay),
  };
  l.append(more);
  CoachingRequest r;
  r.tenant = "t1";
  r.students = {"s1", "s2", "s3", "s4"};
  r.roster = {{"s3", "Cleo"}, {"s4", "Dev"}};
  r.since_us = kNow;
  r.now_us = kNow + 2 * kDay;
  r.title = "Diagnostic check 2";
  simdjson::dom::parser p;
  auto doc = parse(p, t.debrief(r));
  std::string text(doc["text"].get_string().value());
  INFO(text);
  CHECK(text.find("1 new student showing \"Alpha one\" (Dev)") != std::string::npos);
  CHECK(text.find("the concrete intervention (it resolved this for 2/2") != std::string::npos);
  CHECK(text.find("Cleo: \"Beta one\" persists") != std::string::npos);
  CHECK(text.find("1 student crossed the mastery threshold on Unit Beta (Dev)") !=
        std::string::npos);
  r.since_us = 0;
  CHECK_THROWS_AS(t.debrief(r), Error);
}

TEST_CASE("coaching: the parent summary falls back to the template when the host's text fails") {
  Ledger l(open_memory_store());
  Tutor t(fixture(), l);
  build_class(l);
  CoachingRequest r;
  r.tenant = "t1";
  r.student = "s1";
  r.roster = {{"s1", "Ana"}};
  r.now_us = kNow;
  simdjson::dom::parser p;
  auto plain = parse(p, t.parent_summary(r));
  CHECK(plain["source"].get_string().value() == "template");
  std::string text(plain["text"].get_string().value());
  CHECK(text.find("Student summary: Ana") != std::string::npos);
  CHECK(text.find("On Unit Alpha, Ana alpha one.") != std::string::npos);
  CHECK(plain["context"]["student"].get_string().value() == "s1");  // ids in the context

  t.set_text_generator([](const std::string &, std::string *) -> bool {
    throw std::runtime_error("the model is down");
  });
  CHECK(parse(p, t.parent_summary(r))["source"].get_string().value() == "template");
  t.set_text_generator([](const std::string &, std::string *out) {
    *out = "";
    return false;
  });
  CHECK(parse(p, t.parent_summary(r))["source"].get_string().value() == "template");
  t.set_text_generator([](const std::string &ctx, std::string *out) {
    *out = "Host text for " + std::to_string(ctx.size()) + " bytes of context";
    return true;
  });
  auto host = parse(p, t.parent_summary(r));
  CHECK(host["source"].get_string().value() == "host");
  CHECK(std::string(host["text"].get_string().value()).rfind("Host text", 0) == 0);
  // The log records that summaries were made, never their text.
  EventQuery q;
  q.tenant = "t1";
  q.type = "coaching.parent_summary_generated";
  int n = 0;
  l.read(q, [&](const Event &e) {
    ++n;
    CHECK(e.payload.find("Ana") == std::string::npos);
    return true;
  });
  CHECK(n == 4);
}

TEST_CASE("coaching: a classroom's plan covers the students enrolled in it") {
  Ledger l(open_memory_store());
  Tutor t(fixture(), l);
  build_class(l);
  std::vector<Event> enrol = {
      ev("s1", "classroom.enrolled", R"({"classroom_id":"7A"})", kNow - 20 * kDay),
      ev("s2", "classroom.enrolled", R"({"classroom_id":"7A"})", kNow - 20 * kDay),
      ev("s3", "classroom.enrolled", R"({"classroom_id":"7B"})", kNow - 20 * kDay),
  };
  l.append(enrol);
  CoachingRequest r;
  r.tenant = "t1";
  r.classroom = "7A";
  r.now_us = kNow;
  simdjson::dom::parser p;
  auto doc = parse(p, t.preclass_plan(r));
  CHECK(doc["plan"]["class_size"].get_int64().value() == 2);
  // s3's escalation belongs to 7B: no conference in 7A's plan.
  simdjson::dom::array items = doc["plan"]["action_items"].get_array().value();
  for (simdjson::dom::element it : items) {
    std::string_view type = it["action_type"].get_string().value();
    CHECK(type != "one_on_one_conference");
  }
  r.classroom = "9Z";
  CHECK_THROWS_AS(t.preclass_plan(r), Error);
}
