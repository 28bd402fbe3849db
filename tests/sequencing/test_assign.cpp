// The assignment generator item by item on constructed classes (the fixture
// domain and the algebra domain): remediation for a weak prerequisite, a
// diagnostic item for an active misconception, target items nearest
// P(correct) 0.70, the spaced review from a stale mastered concept, never a
// seen item, generated instances when the bank runs dry; Tutor::assign and
// its event, replay and errors.
#include <simdjson.h>

#include <cmath>
#include <set>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/irt/irt.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sequencing/sequencing.hpp"
#include "tutorcore/sequencing/template.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

constexpr int64_t kDay = 86400LL * 1000000;
constexpr int64_t kNow = 1768867200000000;  // 2026-01-20

std::shared_ptr<const Domain> load(const std::string &name) {
  auto dom = std::make_shared<Domain>();
  DomainReport r = load_domain(testutil::source_dir() + name, dom.get());
  REQUIRE(r.ok());
  return dom;
}
std::shared_ptr<const Domain> minimal() {
  static auto d = load("/tests/fixtures/domains/minimal");
  return d;
}
std::shared_ptr<const Domain> algebra() {
  static auto d = load("/examples/domains/algebra_fundamentals");
  return d;
}

// A class whose history is written as events, so each state is exact.
struct Class {
  explicit Class(std::shared_ptr<const Domain> d, TutorConfig c = {})
      : domain(d), ledger(open_memory_store()), tutor(d, ledger, c) {}
  std::shared_ptr<const Domain> domain;
  Ledger ledger;
  Tutor tutor;

  void add(const std::string &student, const char *type, std::string payload, int64_t t) {
    std::vector<Event> ev(1);
    ev[0].tenant = "t1";
    ev[0].entity_type = "student";
    ev[0].entity_id = student;
    ev[0].type = type;
    ev[0].payload = std::move(payload);
    ev[0].time_us = t;
    ledger.append(ev);
  }
  void mastery(const std::string &s, const std::string &concept, double level, int64_t t = kNow) {
    JsonWriter w;
    w.begin_object().field("concept_id", concept).field("new_level", level).end_object();
    add(s, "mastery.updated", w.take(), t);
  }
  void practise(const std::string &s, const std::string &problem_id, int64_t t) {
    Problem storage;
    const Problem *p = find_problem_or_instance(*domain, problem_id, &storage);
    REQUIRE(p);
    JsonWriter w;
    w.begin_object().field("problem_id", p->id).field("concept_id", p->concept_id);
    w.field("correct", true).end_object();
    add(s, "response.submitted", w.take(), t);
  }
  void detect(const std::string &s, const std::string &mid, const std::string &concept) {
    JsonWriter w;
    w.begin_object().field("misconception_id", mid).field("concept_id", concept).end_object();
    add(s, "misconception.detected", w.take(), kNow - kDay);
  }
  void resolve(const std::string &s, const std::string &mid) {
    JsonWriter w;
    w.begin_object().field("misconception_id", mid).field("to", "resolved").end_object();
    add(s, "escalation.transitioned", w.take(), kNow - kDay);
  }
  AssignmentPlan plan(const std::string &s, const std::vector<std::string> &concepts,
                      const SequencingConfig &cfg = {}) {
    return ledger.with_views([&](const ViewSet &v) {
      return plan_assignment(*domain, v, {"t1", s}, concepts, kNow, cfg);
    });
  }
  bool seen(const std::string &s, const std::string &problem_id) {
    return ledger.with_views([&](const ViewSet &v) {
      return v.practice.find({"t1", s, problem_id}) != nullptr;
    });
  }
  double level(const std::string &s, const Concept &c) {
    return ledger.with_views([&](const ViewSet &v) {
      const MasteryRow *r = v.mastery.find({"t1", s, c.id});
      return r && r->has_level ? r->level : c.bkt.p_init;
    });
  }
};

std::vector<std::string> ids(const AssignmentPlan &p) {
  std::vector<std::string> out;
  for (const auto &it : p.items)
    out.push_back(it.problem.id);
  return out;
}

// Rules every plan keeps: nothing seen, nothing twice, P as predicted, and
// each target item the nearest 0.70 among the concept's problems not seen
// and not chosen before it.
void check_plan_invariants(Class &k, const std::string &s, const AssignmentPlan &p,
                           double target = 0.70) {
  std::set<std::string> chosen;
  for (const SequencedItem &it : p.items) {
    CAPTURE(it.problem.id);
    CHECK_FALSE(k.seen(s, it.problem.id));
    CHECK(chosen.insert(it.problem.id).second);
    CHECK_FALSE(it.reason.empty());
    const Concept *c = k.domain->find_concept(it.problem.concept_id);
    REQUIRE(c);
    double theta = theta_from_mastery(k.level(s, *c));
    CHECK(it.p_correct ==
          doctest::Approx(irt_probability(theta, {it.problem.irt_a, it.problem.irt_b})));
    if (it.kind != ItemKind::target || it.generated) continue;
    for (const Problem &q : k.domain->problems) {
      if (q.concept_id != c->id || k.seen(s, q.id) || chosen.count(q.id)) continue;
      double pq = irt_probability(theta, {q.irt_a, q.irt_b});
      CHECK(std::fabs(it.p_correct - target) <= std::fabs(pq - target) + 1e-12);
    }
  }
}

const SequencedItem *of_kind(const AssignmentPlan &p, ItemKind k) {
  for (const auto &it : p.items)
    if (it.kind == k) return &it;
  return nullptr;
}

}  // namespace

TEST_CASE("assign: the selection rules item by item on the fixture class") {
  Class k(minimal());
  // s1: alpha weak (0.40, one problem seen), beta mastered and last practised
  // 10 days ago, gamma at 0.50 with an open misconception and one problem seen.
  k.practise("s1", "unit_alpha_p0", kNow - 2 * kDay);
  k.mastery("s1", "unit_alpha", 0.40);
  k.practise("s1", "unit_beta_p2", kNow - 10 * kDay);
  k.mastery("s1", "unit_beta", 0.97, kNow - 10 * kDay);
  k.practise("s1", "unit_gamma_p3", kNow - kDay);
  k.mastery("s1", "unit_gamma", 0.50);
  k.detect("s1", "mis_gamma_one", "unit_gamma");

  AssignmentPlan p = k.plan("s1", {"unit_gamma"});
  check_plan_invariants(k, "s1", p);
  // 1. remediation: alpha (0.40 < 0.60), the unseen item nearest P 0.80 at
  //    theta = logit(0.4): every alpha item is below 0.80, the easiest unseen
  //    (b = -0.5: P 0.52) is nearest. Beta (0.97) needs none.
  // 2. diagnostic: mis_gamma_one, gamma items at theta 0: b = -1 gives 0.73.
  // 3. targets: the next nearest 0.70 (b = -0.5: 0.62, b = 0: 0.50); p3 seen.
  // 4. review: beta, nearest 0.80 at theta logit(0.97): b = 1 gives 0.92 (p2 seen).
  CHECK(ids(p) == std::vector<std::string>{"unit_alpha_p1", "unit_gamma_p0", "unit_gamma_p1",
                                           "unit_gamma_p2", "unit_beta_p4"});
  REQUIRE(p.items.size() == 5);
  CHECK(p.items[0].kind == ItemKind::remediation);
  CHECK(p.items[0].for_concept == "unit_gamma");
  CHECK(p.items[0].mastery == doctest::Approx(0.40));
  CHECK(p.items[0].reason.find("prerequisite unit_alpha of unit_gamma is at mastery 0.40, below "
                               "0.60") != std::string::npos);
  CHECK(p.items[1].kind == ItemKind::diagnostic);
  CHECK(p.items[1].misconception_id == "mis_gamma_one");
  CHECK(p.items[1].p_correct == doctest::Approx(1 / (1 + std::exp(-1.0))));
  CHECK(p.items[1].reason.find("misconception mis_gamma_one is open (detected)") !=
        std::string::npos);
  CHECK(p.items[2].kind == ItemKind::target);
  CHECK(p.items[3].kind == ItemKind::target);
  CHECK(p.items[2].p_correct == doctest::Approx(1 / (1 + std::exp(-0.5))));
  CHECK(p.items[3].p_correct == doctest::Approx(0.5));
  CHECK(p.items[4].kind == ItemKind::review);
  CHECK(p.items[4].problem.concept_id == "unit_beta");
  CHECK(p.items[4].days_since_practice == doctest::Approx(10.0));
  CHECK(p.items[4].reason.find("last practised 10.0 days ago (review after 7)") !=
        std::string::npos);
  CHECK(p.notes.empty());
  CHECK(p.concepts == std::vector<std::string>{"unit_gamma"});

  SUBCASE("no review when the mastered concept was practised within the window") {
    SequencingConfig cfg;
    cfg.review_after_days = 14;
    AssignmentPlan q = k.plan("s1", {"unit_gamma"}, cfg);
    CHECK(of_kind(q, ItemKind::review) == nullptr);
    REQUIRE(q.notes.size() == 1);
    CHECK(q.notes[0].kind == ItemKind::review);
  }
  SUBCASE("a resolved misconception gets no diagnostic item") {
    k.resolve("s1", "mis_gamma_one");
    AssignmentPlan q = k.plan("s1", {"unit_gamma"});
    CHECK(of_kind(q, ItemKind::diagnostic) == nullptr);
    check_plan_invariants(k, "s1", q);
    // The target items move up to the nearest 0.70.
    CHECK(q.items[1].problem.id == "unit_gamma_p0");
    CHECK(q.items[1].kind == ItemKind::target);
  }
  SUBCASE("a misconception outside the targets and their prerequisites is not diagnosed") {
    AssignmentPlan q = k.plan("s1", {"unit_alpha"});
    CHECK(of_kind(q, ItemKind::diagnostic) == nullptr);
    CHECK(of_kind(q, ItemKind::remediation) == nullptr);  // alpha has no prerequisites
    // The review still comes from beta; gamma is not mastered.
    REQUIRE(of_kind(q, ItemKind::review));
    CHECK(of_kind(q, ItemKind::review)->problem.concept_id == "unit_beta");
  }
  SUBCASE("a prerequisite at the threshold is not remediated") {
    k.mastery("s1", "unit_alpha", 0.60);
    AssignmentPlan q = k.plan("s1", {"unit_gamma"});
    CHECK(of_kind(q, ItemKind::remediation) == nullptr);
  }
  SUBCASE("max_items cuts the list at the end and says so") {
    SequencingConfig cfg;
    cfg.max_items = 3;
    AssignmentPlan q = k.plan("s1", {"unit_gamma"}, cfg);
    CHECK(ids(q) == std::vector<std::string>{"unit_alpha_p1", "unit_gamma_p0", "unit_gamma_p1"});
    REQUIRE(q.notes.size() == 2);
    CHECK(q.notes[0].kind == ItemKind::review);
    CHECK(q.notes[0].text.find("cut") != std::string::npos);
    CHECK(q.notes[1].kind == ItemKind::target);
  }
  SUBCASE("a target concept is not its own review") {
    AssignmentPlan q = k.plan("s1", {"unit_beta"});
    CHECK(of_kind(q, ItemKind::review) == nullptr);
  }
}

TEST_CASE("assign: when the bank runs dry the items are generated instances, never repeated") {
  Class k(minimal());
  for (int i = 0; i < 5; ++i)
    k.practise("s2", "unit_alpha_p" + std::to_string(i), kNow - kDay);
  SequencingConfig cfg;
  cfg.items_per_concept = 3;
  AssignmentPlan p = k.plan("s2", {"unit_alpha"}, cfg);
  check_plan_invariants(k, "s2", p);
  REQUIRE(p.items.size() == 3);
  for (const auto &it : p.items) {
    CHECK(it.generated);
    CHECK(it.kind == ItemKind::target);
    CHECK(it.problem.template_id == "tpl_alpha_add");
    CHECK(it.problem.id.rfind("tpl_alpha_add:a=", 0) == 0);
    CHECK(it.reason.find("generated from template tpl_alpha_add") != std::string::npos);
  }
  // Deterministic for the student.
  CHECK(ids(k.plan("s2", {"unit_alpha"}, cfg)) == ids(p));
  // Another student gets other instances (the seed mixes tenant and student).
  for (int i = 0; i < 5; ++i)
    k.practise("s3", "unit_alpha_p" + std::to_string(i), kNow - kDay);
  CHECK(ids(k.plan("s3", {"unit_alpha"}, cfg)) != ids(p));
  // Once answered, a generated item is seen and never assigned again.
  SubmitRequest r;
  r.tenant = "t1";
  r.student = "s2";
  r.problem_id = p.items[0].problem.id;
  r.answer = p.items[0].problem.correct_answer;
  r.idempotency_key = "dry1";
  r.time_us = kNow - 1;
  k.tutor.submit(r);
  AssignmentPlan q = k.plan("s2", {"unit_alpha"}, cfg);
  check_plan_invariants(k, "s2", q);
  for (const auto &it : q.items)
    CHECK(it.problem.id != p.items[0].problem.id);
  // No template and nothing unseen: a note instead of an item.
  for (int i = 0; i < 5; ++i)
    k.practise("s2", "unit_beta_p" + std::to_string(i), kNow - kDay);
  AssignmentPlan b = k.plan("s2", {"unit_beta"}, cfg);
  CHECK(b.items.empty());
  REQUIRE_FALSE(b.notes.empty());
  CHECK(b.notes[0].kind == ItemKind::target);
  CHECK(b.notes[0].concept_id == "unit_beta");
}

TEST_CASE("assign: the selection rules on an algebra class") {
  Class k(algebra());
  const std::string s = "a1";
  // two_step_equations requires one_step_equations and order_of_operations.
  k.mastery(s, "two_step_equations", 0.55);  // the seed's example: theta 0.20
  k.mastery(s, "one_step_equations", 0.30);  // weak
  k.mastery(s, "order_of_operations", 0.80);
  k.detect(s, "tse_move_without_sign_change", "two_step_equations");
  k.detect(s, "ose_same_operation", "one_step_equations");  // a prerequisite's: in scope
  k.detect(s, "pct_divide_by_part", "percent_problems");    // unrelated: not diagnosed
  // Mastered concepts: practised 30, 8 and 2 days ago; a stale unmastered one.
  k.mastery(s, "fraction_operations", 0.97);
  k.practise(s, "fo_01", kNow - 30 * kDay);
  k.mastery(s, "integer_add_sub", 0.98);
  k.practise(s, "ias_01", kNow - 8 * kDay);
  k.mastery(s, "integer_mult_div", 0.99);
  k.practise(s, "imd_01", kNow - 2 * kDay);
  k.mastery(s, "ratios_rates", 0.50);
  k.practise(s, "rr_01", kNow - 40 * kDay);

  AssignmentPlan p = k.plan(s, {"two_step_equations"});
  check_plan_invariants(k, s, p);
  const SequencedItem *rem = of_kind(p, ItemKind::remediation);
  REQUIRE(rem);
  CHECK(rem->problem.concept_id == "one_step_equations");
  CHECK(std::count_if(p.items.begin(), p.items.end(),
                      [](const auto &it) { return it.kind == ItemKind::remediation; }) == 1);
  // The remediation item is the nearest 0.80 among one_step_equations' problems.
  double theta = theta_from_mastery(0.30);
  for (const Problem &q : algebra()->problems) {
    if (q.concept_id != "one_step_equations") continue;
    double pq = irt_probability(theta, {q.irt_a, q.irt_b});
    CHECK(std::fabs(rem->p_correct - 0.80) <= std::fabs(pq - 0.80) + 1e-12);
  }
  std::vector<std::string> diagnosed;
  for (const auto &it : p.items) {
    if (it.kind != ItemKind::diagnostic) continue;
    diagnosed.push_back(it.misconception_id);
    const auto &tags = it.problem.diagnostic_for;
    CHECK(std::find(tags.begin(), tags.end(), it.misconception_id) != tags.end());
  }
  // In the taxonomy's order: one_step_equations' before two_step_equations'.
  CHECK(diagnosed ==
        std::vector<std::string>{"ose_same_operation", "tse_move_without_sign_change"});
  int targets = 0;
  for (const auto &it : p.items) {
    if (it.kind != ItemKind::target) continue;
    ++targets;
    CHECK(it.problem.concept_id == "two_step_equations");
    CHECK(it.mastery == doctest::Approx(0.55));
  }
  CHECK(targets == 2);
  const SequencedItem *rev = of_kind(p, ItemKind::review);
  REQUIRE(rev);
  CHECK(rev->problem.concept_id == "fraction_operations");  // the stalest mastered
  CHECK(rev->days_since_practice == doctest::Approx(30.0));
  CHECK(p.items.back().kind == ItemKind::review);
}

TEST_CASE("assign: Tutor::assign appends assignment.created, replays, and refuses bad requests") {
  Class k(minimal());
  k.mastery("s1", "unit_alpha", 0.40);
  k.mastery("s1", "unit_beta", 0.90);  // above the threshold, not mastered
  AssignRequest r;
  r.tenant = "t1";
  r.student = "s1";
  r.concepts = {"unit_gamma", "unit_gamma"};
  r.idempotency_key = "as1";
  r.time_us = kNow;
  std::string out = k.tutor.assign(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out).value();
  CHECK(doc["schema_version"].get_int64().value() == 1);
  int64_t id = doc["event_id"].get_int64().value();
  simdjson::dom::element a = doc["assignment"];
  CHECK(a["student"].get_string().value() == "s1");
  CHECK(a["concepts"].get_array().size() == 1);
  auto problems = a["problems"].get_array().value();
  REQUIRE(problems.size() == 3);  // remediation + two targets; no misconception, no review
  CHECK(problems.at(0)["kind"].get_string().value() == "remediation");
  CHECK(problems.at(0)["problem_id"].get_string().value() == "unit_alpha_p0");
  CHECK(problems.at(0)["prerequisite_of"].get_string().value() == "unit_gamma");
  CHECK(problems.at(1)["kind"].get_string().value() == "target");
  for (auto e : problems) {
    CHECK_FALSE(e["reason"].get_string().value().empty());
    CHECK_FALSE(e["text"].get_string().value().empty());
  }
  CHECK(a["rules"]["target_p_correct"].get_double().value() == doctest::Approx(0.70));
  // The event in the log.
  std::vector<Event> events;
  EventQuery q;
  q.tenant = "t1";
  q.type = "assignment.created";
  k.ledger.read(q, [&](const Event &e) {
    events.push_back(e);
    return true;
  });
  REQUIRE(events.size() == 1);
  CHECK(events[0].id == id);
  CHECK(events[0].entity_id == "s1");
  CHECK(events[0].time_us == kNow);
  // A retry returns the first result and appends nothing.
  CHECK(k.tutor.assign(r) == out);
  int64_t n = 0;
  k.ledger.read(q, [&](const Event &) {
    ++n;
    return true;
  });
  CHECK(n == 1);

  // The JSON request, with the rules overridden for this request.
  AssignRequest j = assign_request_from_json(
      R"({"tenant":"t1","student":"s1","concepts":["unit_gamma"],"time_us":1768867200000000,)"
      R"("config":{"items_per_concept":1,"prereq_threshold":0.3}})",
      k.tutor.config().sequencing);
  REQUIRE(j.config);
  CHECK(j.config->items_per_concept == 1);
  CHECK(j.config->prereq_threshold == doctest::Approx(0.3));
  CHECK(j.config->target_p_correct == doctest::Approx(0.70));  // kept
  simdjson::dom::element d2 = parser.parse(k.tutor.assign(j)).value();
  auto p2 = d2["assignment"]["problems"].get_array().value();
  REQUIRE(p2.size() == 1);  // alpha at 0.40 is above 0.30: no remediation
  CHECK(p2.at(0)["kind"].get_string().value() == "target");

  auto code = [&](auto fn) {
    try {
      fn();
    } catch (const Error &e) {
      return e.code();
    }
    return Errc::internal;
  };
  AssignRequest bad = r;
  bad.idempotency_key.clear();
  bad.concepts.clear();
  CHECK(code([&] { k.tutor.assign(bad); }) == Errc::invalid);
  bad.concepts = {"unit_gamma", "no_such_concept"};
  CHECK(code([&] { k.tutor.assign(bad); }) == Errc::not_found);
  try {
    k.tutor.assign(bad);
  } catch (const Error &e) {
    CHECK(std::string(e.what()).find("assignment.concepts[1]: 'no_such_concept'") !=
          std::string::npos);
  }
  bad.concepts = {"unit_gamma"};
  bad.student.clear();
  CHECK(code([&] { k.tutor.assign(bad); }) == Errc::invalid);
  bad.student = "s1";
  SequencingConfig cfg;
  cfg.target_p_correct = 1.5;
  bad.config = cfg;
  CHECK(code([&] { k.tutor.assign(bad); }) == Errc::invalid);
  const SequencingConfig base;
  for (const char *json :
       {R"({"tenant":"t1","student":"s1"})", R"({"tenant":"t1","student":"s1","concepts":"x"})",
        R"({"tenant":"t1","student":"s1","concepts":[1]})",
        R"({"tenant":"t1","student":"s1","concepts":["a"],"extra":1})",
        R"({"tenant":"t1","student":"s1","concepts":["a"],"config":3})",
        R"({"tenant":"t1","student":"s1","concepts":["a"],"config":{"max_itemz":3}})",
        R"({"tenant":"t1","student":"s1","concepts":["a"],"config":{"max_items":0}})",
        R"({"tenant":"t1","student":"s1","concepts":["a"],"time_us":-1})", R"([1])", "{"}) {
    CAPTURE(json);
    CHECK(code([&] { assign_request_from_json(json, base); }) == Errc::invalid);
  }
  // Nothing was appended by the failures.
  n = 0;
  k.ledger.read(q, [&](const Event &) {
    ++n;
    return true;
  });
  CHECK(n == 2);
}

TEST_CASE("sequencing: the configuration is checked field by field") {
  SequencingConfig c;
  CHECK_NOTHROW(check_sequencing_config(c));
  auto bad = [](auto edit, const char *field) {
    SequencingConfig x;
    edit(x);
    try {
      check_sequencing_config(x);
      FAIL("expected a refusal for " << field);
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid);
      CHECK(std::string(e.what()).find(std::string("sequencing config.") + field) !=
            std::string::npos);
    }
  };
  bad([](SequencingConfig &x) { x.target_p_correct = 0; }, "target_p_correct");
  bad([](SequencingConfig &x) { x.prereq_threshold = 1.5; }, "prereq_threshold");
  bad([](SequencingConfig &x) { x.review_after_days = -1; }, "review_after_days");
  bad([](SequencingConfig &x) { x.max_items = 0; }, "max_items");
  bad([](SequencingConfig &x) { x.diagnostic_max_items = 4; }, "diagnostic_max_items");
  bad([](SequencingConfig &x) { x.diagnostic_decay = 1; }, "diagnostic_decay");
  bad([](SequencingConfig &x) { x.prerequisite_weight = 2; }, "prerequisite_weight");
  // The tutor refuses a bad sequencing configuration at construction.
  TutorConfig tc;
  tc.sequencing.items_per_concept = -1;
  Ledger ledger(open_memory_store());
  CHECK_THROWS_AS(Tutor(minimal(), ledger, tc), Error);
  // JSON over a base.
  SequencingConfig base;
  base.max_items = 4;
  SequencingConfig j = sequencing_config_from_json(
      R"({"review_after_days":3,"template_seed":7,"diagnostic_min_items":6})", base);
  CHECK(j.max_items == 4);
  CHECK(j.review_after_days == doctest::Approx(3));
  CHECK(j.template_seed == 7);
  CHECK(j.diagnostic_min_items == 6);
  CHECK_THROWS_AS(sequencing_config_from_json(R"({"diagnostic_min_items":9})", base), Error);
}
