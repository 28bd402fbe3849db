// Class analytics on constructed classes with known answers: co-occurrence
// by hand, effectiveness with Wilson intervals, two classrooms compared,
// discovered prerequisites, drift, the report and bad requests.
#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "tutorcore/analytics/analytics.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/pipeline/analytics.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

// Concepts a (L1) -> b (L2) -> d (L3); c, e, f (L1) and g (L2) stand alone.
// Misconceptions: a1, a2 on a; b on b; c on c; d on d; e on e; f on f; g on g.
Domain test_domain() {
  Domain d;
  d.id = "test";
  auto add_concept = [&](const char *id, int level, std::vector<std::string> pre) {
    Concept c;
    c.id = id;
    c.name = id;
    c.level = level;
    c.prerequisites = std::move(pre);
    d.concept_index[c.id] = d.concepts.size();
    d.concepts.push_back(c);
  };
  add_concept("c_a", 1, {});
  add_concept("c_b", 2, {"c_a"});
  add_concept("c_c", 1, {});
  add_concept("c_d", 3, {"c_b"});
  add_concept("c_e", 1, {});
  add_concept("c_f", 1, {});
  add_concept("c_g", 2, {});
  auto mis = [&](const char *id, const char *concept_id) {
    Misconception m;
    m.id = id;
    m.concept_id = concept_id;
    d.misconception_index[m.id] = d.misconceptions.size();
    d.misconceptions.push_back(m);
  };
  mis("m_a1", "c_a");
  mis("m_a2", "c_a");
  mis("m_b", "c_b");
  mis("m_c", "c_c");
  mis("m_d", "c_d");
  mis("m_e", "c_e");
  mis("m_f", "c_f");
  mis("m_g", "c_g");
  return d;
}

size_t mi(const Domain &d, const char *id) {
  return d.misconception_index.at(id);
}
size_t ci(const Domain &d, const char *id) {
  return d.concept_index.at(id);
}

// Events applied straight to a ViewSet (and enrollments to a Membership).
struct Log {
  ViewSet views;
  Membership membership;
  int64_t id = 0;

  void add(const std::string &student, const char *type, const std::string &payload,
           const char *tenant = "t1") {
    Event e;
    e.id = ++id;
    e.tenant = tenant;
    e.entity_type = "student";
    e.entity_id = student;
    e.type = type;
    e.payload = payload;
    e.time_us = 1000 * id;
    views.apply(e);
    if (std::string(tenant) == "t1") membership.apply(e);
  }
  void detect(const std::string &s, const Domain &d, const char *m, const char *tenant = "t1") {
    const Misconception *x = d.find_misconception(m);
    std::string concept_id = x ? x->concept_id : "c_zzz";
    add(s, "misconception.detected",
        fmt::format(R"({{"misconception_id":"{}","concept_id":"{}"}})", m, concept_id), tenant);
  }
  // n answers on a concept, then its mastery level.
  void practise(const std::string &s, const char *concept_id, int n, double level) {
    for (int i = 0; i < n; ++i)
      add(s, "response.submitted",
          fmt::format(R"({{"problem_id":"p","concept_id":"{}","correct":true}})", concept_id));
    add(s, "mastery.updated",
        fmt::format(R"({{"concept_id":"{}","new_level":{}}})", concept_id, level));
  }
  void outcome(const std::string &s, const char *m, const char *modality, bool resolved) {
    add(s, "intervention.outcome",
        fmt::format(R"({{"misconception_id":"{}","modality":"{}","outcome":"{}"}})", m, modality,
                    resolved ? "resolved" : "persisted"));
  }
  // The whole path: recommended, assigned, assessed.
  void treat(const std::string &s, const char *m, const char *modality, bool resolved) {
    std::string p = fmt::format(R"({{"misconception_id":"{}","modality":"{}"}})", m, modality);
    add(s, "intervention.recommended", p);
    add(s, "intervention.assigned", p);
    outcome(s, m, modality, resolved);
  }
  void enroll(const std::string &s, const char *classroom) {
    add(s, "classroom.enrolled", fmt::format(R"({{"classroom_id":"{}"}})", classroom));
  }
  ClassData data(const Domain &d) const { return class_data(views, d, "t1", membership); }
};

simdjson::dom::element parse(simdjson::dom::parser &p, const std::string &json) {
  simdjson::dom::element e;
  REQUIRE_FALSE(p.parse(json).get(e));
  return e;
}

}  // namespace

TEST_CASE("analytics: co-occurrence C[i][j] = P(j | i) on a hand-computed class") {
  const Domain d = test_domain();
  Log log;
  // s1 {a1, b}, s2 {a1, b, c}, s3 {a1}, s4 {b, c}, s5 {c}, s6 {c}.
  log.detect("s1", d, "m_a1");
  log.detect("s1", d, "m_b");
  log.detect("s2", d, "m_a1");
  log.detect("s2", d, "m_b");
  log.detect("s2", d, "m_c");
  log.detect("s2", d, "m_c");  // detected twice: one student still
  log.detect("s3", d, "m_a1");
  log.detect("s4", d, "m_b");
  log.detect("s4", d, "m_c");
  log.detect("s5", d, "m_c");
  log.detect("s6", d, "m_c");
  log.detect("s6", d, "m_zzz");       // not in the domain: skipped
  log.detect("x1", d, "m_a1", "t2");  // another tenant
  log.practise("s7", "c_a", 2, 0.4);  // a student without misconceptions
  for (const char *s : {"s1", "s2", "s3"})
    log.enroll(s, "room-1");
  for (const char *s : {"s4", "s5", "s6"})
    log.enroll(s, "room-2");

  const ClassData data = log.data(d);
  CHECK(data.students.size() == 7);
  CHECK(data.skipped_rows == 1);
  const Cooccurrence co = misconception_cooccurrence(data, d);
  const Eigen::Index a1 = mi(d, "m_a1"), b = mi(d, "m_b"), c = mi(d, "m_c");
  CHECK(co.students == 7);
  CHECK(co.with(a1) == 3);
  CHECK(co.with(b) == 3);
  CHECK(co.with(c) == 4);
  CHECK(co.with(mi(d, "m_d")) == 0);
  CHECK(co.both(a1, b) == 2);
  CHECK(co.both(b, a1) == 2);
  CHECK(co.both(a1, c) == 1);
  CHECK(co.both(b, c) == 2);
  CHECK(co.both(c, c) == 4);
  CHECK(co.rate(a1, b) == doctest::Approx(2.0 / 3));
  CHECK(co.rate(a1, c) == doctest::Approx(1.0 / 3));
  CHECK(co.rate(c, a1) == doctest::Approx(1.0 / 4));
  CHECK(co.rate(b, c) == doctest::Approx(2.0 / 3));
  CHECK(co.rate(c, b) == doctest::Approx(2.0 / 4));
  CHECK(co.rate(a1, a1) == 1.0);
  CHECK(co.rate(mi(d, "m_d"), a1) == 0.0);  // nobody has it: 0, as the seed's code
  const Eigen::MatrixXd m = co.conditional();
  CHECK(m(c, b) == doctest::Approx(0.5));
  CHECK(m(b, a1) == doctest::Approx(2.0 / 3));

  // One classroom: s1, s2, s3.
  const Cooccurrence room = misconception_cooccurrence(data, d, "room-1");
  CHECK(room.students == 3);
  CHECK(room.with(a1) == 3);
  CHECK(room.with(c) == 1);
  CHECK(room.rate(c, a1) == 1.0);
  CHECK(room.rate(a1, c) == doctest::Approx(1.0 / 3));
  CHECK_THROWS_AS(misconception_cooccurrence(data, d, "room-9"), Error);

  // The document lists the misconceptions some student has, in domain order.
  simdjson::dom::parser p;
  auto doc = parse(p, cooccurrence_json(co, d));
  CHECK(std::string_view(doc["analysis"]) == "cooccurrence");
  CHECK(int64_t(doc["students"]) == 7);
  simdjson::dom::array ids = doc["misconceptions"];
  REQUIRE(ids.size() == 3);
  CHECK(std::string_view(ids.at(0)["misconception_id"]) == "m_a1");
  CHECK(std::string_view(ids.at(2)["misconception_id"]) == "m_c");
  CHECK(int64_t(ids.at(2)["students"]) == 4);
  CHECK(double(doc["matrix"].at(2).at(1)) == doctest::Approx(0.5));  // C[c][b]
  CHECK(int64_t(doc["both"].at(0).at(1)) == 2);
}

TEST_CASE("analytics: effectiveness per misconception and modality with Wilson intervals") {
  const Domain d = test_domain();
  Log log;
  // The seed's table for one misconception: resolved of n per modality.
  struct Row {
    const char *modality;
    int resolved, n;
    double low, high;
  };
  const Row rows[] = {{"visual", 15, 22, 0.473182, 0.836396},
                      {"concrete", 14, 19, 0.512080, 0.881938},
                      {"pattern", 13, 16, 0.569906, 0.934085},
                      {"verbal", 6, 11, 0.280088, 0.787290},
                      {"peer", 1, 3, 0.061490, 0.792345}};
  int student = 0;
  for (const Row &r : rows) {
    for (int i = 0; i < r.n; ++i)
      log.outcome(fmt::format("s{}", student++ % 20), "m_b", r.modality, i < r.resolved);
  }
  log.outcome("s1", "m_c", "visual", true);
  for (int i = 0; i < 10; ++i)
    log.enroll(fmt::format("s{}", i), "room-1");
  const ClassData data = log.data(d);
  const AnalyticsConfig config;
  const Effectiveness e = intervention_effectiveness(data, d, config);
  REQUIRE(e.by_misconception.size() == 2);
  const MisconceptionEffect &b = e.by_misconception[0];
  CHECK(b.misconception_index == static_cast<int32_t>(mi(d, "m_b")));
  REQUIRE(b.modalities.size() == 5);
  for (size_t k = 0; k < 5; ++k) {
    CAPTURE(rows[k].modality);
    const RateEstimate &r = b.modalities[k].resolution;
    CHECK(r.trials == rows[k].n);
    CHECK(r.successes == rows[k].resolved);
    CHECK(r.rate == doctest::Approx(double(rows[k].resolved) / rows[k].n));
    CHECK(r.ci.low == doctest::Approx(rows[k].low).epsilon(1e-5));
    CHECK(r.ci.high == doctest::Approx(rows[k].high).epsilon(1e-5));
  }
  CHECK(b.modalities[4].resolution.insufficient);  // peer, n = 3 (the seed's "insufficient data")
  CHECK_FALSE(b.modalities[3].resolution.insufficient);
  CHECK(b.overall.trials == 71);
  CHECK(b.overall.successes == 49);
  CHECK(b.best == 2);                               // pattern: the highest lower bound
  CHECK_FALSE(b.clear);                             // its interval overlaps the others'
  CHECK(e.by_modality[0].resolution.trials == 23);  // visual, both misconceptions
  // One misconception only.
  CHECK(intervention_effectiveness(data, d, config, {}, "m_c").by_misconception.size() == 1);
  CHECK_THROWS_AS(intervention_effectiveness(data, d, config, {}, "m_nope"), Error);
  // A classroom: per modality from the students' own counts.
  const Effectiveness room = intervention_effectiveness(data, d, config, "room-1");
  CHECK_FALSE(room.tenant_wide);
  CHECK(room.by_misconception.empty());
  int64_t n = 0;
  for (const ModalityEffect &m : room.by_modality)
    n += m.resolution.trials;
  CHECK(n == 40 + 1);  // s0..s9's share of 71 outcomes dealt round robin to s0..s19, and s1's m_c
  // A clear winner: 18 of 20 against 2 of 20.
  Log two;
  for (int i = 0; i < 20; ++i) {
    two.outcome("s1", "m_d", "visual", i < 18);
    two.outcome("s1", "m_d", "verbal", i < 2);
  }
  const Effectiveness clear = intervention_effectiveness(two.data(d), d, config);
  CHECK(clear.by_misconception.at(0).best == 0);
  CHECK(clear.by_misconception.at(0).clear);
}

TEST_CASE("analytics: two classrooms compared with intervals against the school") {
  const Domain d = test_domain();
  Log log;
  const double high[] = {0.9, 0.8, 0.7, 0.6}, low[] = {0.3, 0.2, 0.4, 0.1};
  for (int i = 0; i < 4; ++i) {
    const std::string h = fmt::format("h{}", i), l = fmt::format("l{}", i);
    log.enroll(h, "room-high");
    log.enroll(l, "room-low");
    log.practise(h, "c_a", 3, high[i]);
    log.practise(l, "c_a", 3, low[i]);
  }
  log.enroll("l9", "room-low");       // enrolled, no answers yet
  log.practise("u1", "c_c", 1, 0.5);  // answers, no classroom
  log.enroll("u2", "room-high");
  log.enroll("u2", "room-low");  // moved: the latest enrollment wins
  log.practise("u2", "c_c", 1, 0.5);
  // room-high: a1 in h0..h2; two resolved, one persisted.
  for (int i = 0; i < 3; ++i) {
    log.detect(fmt::format("h{}", i), d, "m_a1");
    log.treat(fmt::format("h{}", i), "m_a1", "visual", i < 2);
  }
  // room-low: c in l0, l1, both persisted.
  for (int i = 0; i < 2; ++i) {
    log.detect(fmt::format("l{}", i), d, "m_c");
    log.treat(fmt::format("l{}", i), "m_c", "concrete", false);
  }
  const ClassData data = log.data(d);
  CHECK(data.classrooms == std::vector<std::string>{"room-high", "room-low"});
  CHECK(data.enrolled == std::vector<int32_t>{4, 6});
  {
    const EscalationRow *r = log.views.escalation.find({"t1", "h0", "m_a1"});
    REQUIRE(r);
    CHECK(r->state() == EscalationState::resolved);
  }

  AnalyticsConfig config;
  config.min_trials = 2;
  const CohortComparison cmp = compare_cohorts(data, d, config);
  CHECK(cmp.unassigned == 1);
  CHECK(cmp.school.students == 10);
  CHECK(cmp.school.enrolled == 10);
  REQUIRE(cmp.classrooms.size() == 2);
  const Cohort &hi = cmp.classrooms[0], &lo = cmp.classrooms[1];
  CHECK(hi.classroom == "room-high");
  CHECK(hi.students == 4);
  CHECK(lo.students == 5);  // l0..l3 and u2 (l9 has no answers)
  CHECK(lo.enrolled == 6);
  CHECK(hi.mastery.mean == doctest::Approx(0.75));
  CHECK(hi.mastery.ci.low == doctest::Approx(0.6234825).epsilon(1e-6));
  CHECK(hi.mastery.ci.high == doctest::Approx(0.8765175).epsilon(1e-6));
  CHECK(hi.mastery_vs == Versus::higher);
  CHECK(lo.mastery.mean == doctest::Approx((0.3 + 0.2 + 0.4 + 0.1 + 0.5) / 5));
  CHECK(lo.mastery_vs == Versus::lower);
  // Per concept: c_a's mean in each room.
  REQUIRE(hi.concepts.size() == 1);
  CHECK(hi.concepts[0].concept_index == static_cast<int32_t>(ci(d, "c_a")));
  CHECK(hi.concepts[0].level.mean == doctest::Approx(0.75));
  CHECK(hi.concepts[0].mastered.successes == 0);
  // Misconceptions seen in the school, domain order: a1, c.
  REQUIRE(hi.misconceptions.size() == 2);
  const CohortMisconception &a1 = hi.misconceptions[0], &c_low = lo.misconceptions[1];
  CHECK(a1.prevalence.successes == 3);
  CHECK(a1.prevalence.trials == 4);
  CHECK(a1.resolution.successes == 2);
  CHECK(a1.resolution.trials == 3);
  CHECK(a1.resolution.ci.low == doctest::Approx(0.207655).epsilon(1e-5));
  CHECK(c_low.prevalence.successes == 2);
  CHECK(c_low.resolution.successes == 0);
  CHECK(c_low.resolution.trials == 2);
  CHECK(cmp.school.misconceptions[0].prevalence.trials == 10);
  CHECK(cmp.school.resolution.successes == 2);
  CHECK(cmp.school.resolution.trials == 5);
  CHECK(hi.resolution.rate == doctest::Approx(2.0 / 3));
  CHECK(lo.resolution.rate == 0.0);
  CHECK(lo.resolution_vs == Versus::similar);  // [0, 0.658] holds the school's 0.4
  // Outcomes per modality from the students' own counts.
  CHECK(hi.modalities[0].trials == 3);
  CHECK(hi.modalities[0].successes == 2);
  CHECK(lo.modalities[1].trials == 2);

  // One misconception only.
  const CohortComparison one = compare_cohorts(data, d, config, "m_c");
  REQUIRE(one.classrooms[0].misconceptions.size() == 1);
  CHECK(one.classrooms[1].misconceptions[0].prevalence.successes == 2);
  CHECK(one.school.resolution.trials == 2);
}

TEST_CASE("analytics: discovered prerequisites from a constructed co-occurrence matrix") {
  const Domain d = test_domain();
  Cooccurrence co;
  const Eigen::Index n = static_cast<Eigen::Index>(d.misconceptions.size());
  co.students = 100;
  co.with = Eigen::VectorXi::Zero(n);
  co.both = Eigen::MatrixXi::Zero(n, n);
  auto with = [&](const char *m, int k) {
    co.with(mi(d, m)) = k;
    co.both(mi(d, m), mi(d, m)) = k;
  };
  auto both = [&](const char *x, const char *y, int k) {
    co.both(mi(d, x), mi(d, y)) = co.both(mi(d, y), mi(d, x)) = k;
  };
  with("m_a1", 20);
  with("m_a2", 20);
  with("m_b", 30);
  with("m_c", 12);
  with("m_d", 24);
  with("m_e", 95);  // nearly everyone: P(e | i) high without telling anything
  with("m_f", 5);   // too few students for support
  with("m_g", 12);
  both("m_a1", "m_a2", 19);  // same concept: never a prerequisite
  both("m_a1", "m_b", 18);   // C[a1][b] = 0.9: a -> b is in the graph (confirmed)
  both("m_a1", "m_d", 20);   // C[a1][d] = 1.0: a -> d through b (confirmed);
                             // C[d][a1] = 0.833: d -> a would close a cycle
  both("m_c", "m_d", 11);    // C[c][d] = 0.917: propose c -> d; C[d][c] = 0.458
  both("m_c", "m_g", 11);    // 0.917 both ways: c (L1) -> g (L2), mutual
  both("m_b", "m_e", 27);    // C[b][e] = 0.9 but lift 0.947 < 1
  both("m_f", "m_b", 5);     // C[f][b] = 1.0 but 5 students < 10

  const AnalyticsConfig config;
  const PrerequisiteDiscovery p = discover_prerequisites(co, d, config);
  REQUIRE(p.proposals.size() == 2);
  CHECK(p.proposals[0].prerequisite == static_cast<int32_t>(ci(d, "c_c")));
  CHECK(p.proposals[0].concept_index == static_cast<int32_t>(ci(d, "c_d")));
  CHECK(p.proposals[0].strength == doctest::Approx(11.0 / 12));
  CHECK_FALSE(p.proposals[0].mutual);
  REQUIRE(p.proposals[0].evidence.size() == 1);
  const PrerequisiteEvidence &ev = p.proposals[0].evidence[0];
  CHECK(ev.from_misconception == static_cast<int32_t>(mi(d, "m_c")));
  CHECK(ev.to_misconception == static_cast<int32_t>(mi(d, "m_d")));
  CHECK(ev.students_with == 12);
  CHECK(ev.students_both == 11);
  CHECK(ev.lift == doctest::Approx((11.0 / 12) / 0.24));
  CHECK(p.proposals[1].prerequisite == static_cast<int32_t>(ci(d, "c_c")));
  CHECK(p.proposals[1].concept_index == static_cast<int32_t>(ci(d, "c_g")));
  CHECK(p.proposals[1].mutual);
  REQUIRE(p.confirmed.size() == 2);
  CHECK(p.confirmed[0].concept_index == static_cast<int32_t>(ci(d, "c_d")));  // 1.0 first
  CHECK(p.confirmed[1].concept_index == static_cast<int32_t>(ci(d, "c_b")));
  CHECK(p.would_cycle == 1);
  CHECK(p.pairs_considered == 6);

  // Thresholds move the answer: above 0.95 nothing new; the lift check off
  // lets the common misconception through; less support lets f in.
  AnalyticsConfig strict = config;
  strict.prerequisite_cooccurrence = 0.95;
  CHECK(discover_prerequisites(co, d, strict).proposals.empty());
  AnalyticsConfig loose = config;
  loose.prerequisite_min_lift = 0.0;
  loose.prerequisite_min_students = 5;
  const PrerequisiteDiscovery l = discover_prerequisites(co, d, loose);
  bool b_to_e = false, f_to_b = false;
  for (const auto &x : l.proposals) {
    b_to_e |= x.prerequisite == static_cast<int32_t>(ci(d, "c_b")) &&
              x.concept_index == static_cast<int32_t>(ci(d, "c_e"));
    f_to_b |= x.prerequisite == static_cast<int32_t>(ci(d, "c_f")) &&
              x.concept_index == static_cast<int32_t>(ci(d, "c_b"));
  }
  CHECK(b_to_e);
  CHECK(f_to_b);

  simdjson::dom::parser parser;
  auto doc = parse(parser, prerequisites_json(p, d));
  CHECK(std::string_view(doc["proposals"].at(0)["prerequisite_id"]) == "c_c");
  CHECK(std::string_view(doc["proposals"].at(0)["concept_id"]) == "c_d");
  CHECK(std::string_view(doc["proposals"].at(0)["evidence"].at(0)["from_misconception"]) == "m_c");
  CHECK(int64_t(doc["would_cycle"]) == 1);
}

TEST_CASE("analytics: discovered prerequisites from the views") {
  const Domain d = test_domain();
  Log log;
  // 20 students: 12 with c, 11 of them also with d; one more with d only.
  for (int s = 0; s < 20; ++s) {
    const std::string id = fmt::format("s{}", s);
    log.practise(id, "c_a", 1, 0.5);
    if (s < 12) log.detect(id, d, "m_c");
    if (s < 11 || s == 12) log.detect(id, d, "m_d");
  }
  const Cooccurrence co = misconception_cooccurrence(log.data(d), d);
  CHECK(co.rate(mi(d, "m_c"), mi(d, "m_d")) == doctest::Approx(11.0 / 12));
  const PrerequisiteDiscovery p = discover_prerequisites(co, d, AnalyticsConfig{});
  REQUIRE(p.proposals.size() == 1);
  CHECK(p.proposals[0].prerequisite == static_cast<int32_t>(ci(d, "c_c")));
  CHECK(p.proposals[0].concept_index == static_cast<int32_t>(ci(d, "c_d")));
  CHECK(p.proposals[0].mutual);  // C[d][c] = 11/12 too; c is the lower level
}

TEST_CASE("analytics: prerequisite drift flags an edge above 40% failing") {
  const Domain d = test_domain();
  Log log;
  // 12 mastered a; 10 of them practised b (8 answers): 5 failing, 5 mastered.
  for (int s = 0; s < 12; ++s) {
    const std::string id = fmt::format("s{}", s);
    log.enroll(id, s < 6 ? "room-1" : "room-2");
    log.practise(id, "c_a", 8, 0.97);
    if (s < 10) {
      log.practise(id, "c_b", 8, s % 2 ? 0.5 : 0.97);
    } else {
      log.practise(id, "c_b", 3, 0.4);  // too few answers on b to count
    }
  }
  // Did not master a (level or attempts): not counted.
  log.practise("n1", "c_a", 8, 0.6);
  log.practise("n1", "c_b", 8, 0.2);
  log.practise("n2", "c_a", 5, 0.99);
  log.practise("n2", "c_b", 8, 0.2);
  // b -> d: of the 5 who mastered b, those that practised d; one fails.
  for (int s = 0; s < 10; s += 2)
    log.practise(fmt::format("s{}", s), "c_d", 8, s == 0 ? 0.3 : 0.96);

  const ClassData data = log.data(d);
  const AnalyticsConfig config;
  const std::vector<DriftEdge> edges = prerequisite_drift(data, d, config);
  REQUIRE(edges.size() == 2);  // a -> b, b -> d (domain order)
  const DriftEdge &ab = edges[0], &bd = edges[1];
  CHECK(ab.prerequisite == static_cast<int32_t>(ci(d, "c_a")));
  CHECK(ab.concept_index == static_cast<int32_t>(ci(d, "c_b")));
  CHECK(ab.failing.trials == 10);
  CHECK(ab.failing.successes == 5);
  CHECK(ab.failing.rate == 0.5);
  CHECK(ab.failing.ci.low == doctest::Approx(0.236590).epsilon(1e-5));
  CHECK(ab.flagged);
  CHECK(bd.failing.trials == 5);
  CHECK(bd.failing.successes == 1);
  CHECK_FALSE(bd.flagged);  // 20%, and only 5 students
  // The threshold is strict, and the support matters.
  AnalyticsConfig half = config;
  half.drift_fail_rate = 0.5;
  CHECK_FALSE(prerequisite_drift(data, d, half)[0].flagged);
  AnalyticsConfig few = config;
  few.drift_min_students = 11;
  CHECK_FALSE(prerequisite_drift(data, d, few)[0].flagged);
  // One classroom: s0..s5 (s1, s3, s5 failing b).
  const DriftEdge room = prerequisite_drift(data, d, config, "room-1")[0];
  CHECK(room.failing.trials == 6);
  CHECK(room.failing.successes == 3);
  CHECK_FALSE(room.flagged);  // 6 students < 10

  simdjson::dom::parser p;
  auto doc = parse(p, drift_json(edges, d));
  CHECK(int64_t(doc["flagged"]) == 1);
  CHECK(bool(doc["edges"].at(0)["flagged"]));
  CHECK(double(doc["edges"].at(0)["failing"]["rate"]) == 0.5);
}

TEST_CASE("analytics: the report through a ledger, with enrollments from the log") {
  const Domain d = test_domain();
  Ledger ledger(open_memory_store());
  std::vector<Event> batch;
  auto ev = [&](const std::string &s, const char *type, std::string payload) {
    Event e;
    e.tenant = "t1";
    e.entity_type = "student";
    e.entity_id = s;
    e.type = type;
    e.payload = std::move(payload);
    batch.push_back(e);
  };
  for (int s = 0; s < 6; ++s) {
    const std::string id = fmt::format("s{}", s);
    ev(id, "classroom.enrolled", fmt::format(R"({{"classroom_id":"room-{}"}})", s % 2));
    ev(id, "response.submitted", R"({"problem_id":"p","concept_id":"c_a","correct":false})");
    ev(id, "mastery.updated", R"({"concept_id":"c_a","new_level":0.4})");
    ev(id, "misconception.detected", R"({"misconception_id":"m_a1","concept_id":"c_a"})");
    if (s < 3) ev(id, "misconception.detected", R"({"misconception_id":"m_b","concept_id":"c_b"})");
  }
  ev("s0", "classroom.enrolled", R"({"classroom_id":"room-9"})");  // moved
  ledger.append(batch);

  AnalyticsRequest r = analytics_request_from_json(R"({"analysis":"all","tenant":"t1"})");
  CHECK(r.analyses == kAnalysisAll);
  const std::string json = run_analytics(ledger, d, r);
  simdjson::dom::parser p;
  auto doc = parse(p, json);
  CHECK(int64_t(doc["schema_version"]) == 1);
  CHECK(int64_t(doc["students"]) == 6);
  CHECK(int64_t(doc["classrooms"]) == 3);
  CHECK(doc["classroom"].is_null());
  CHECK(double(doc["config"]["prerequisite_cooccurrence"]) == 0.8);
  CHECK(double(doc["cooccurrence"]["matrix"].at(1).at(0)) == 1.0);  // C[b][a1]
  CHECK(std::string_view(doc["effectiveness"]["scope"]) == "tenant");
  simdjson::dom::array rooms = doc["cohorts"]["classrooms"];
  REQUIRE(rooms.size() == 3);
  CHECK(std::string_view(rooms.at(2)["classroom_id"]) == "room-9");
  CHECK(int64_t(rooms.at(0)["students"]) == 2);  // room-0: s2, s4 (s0 moved)
  CHECK(int64_t(doc["cohorts"]["school"]["students"]) == 6);
  simdjson::dom::array proposals = doc["prerequisites"]["proposals"], edges = doc["drift"]["edges"];
  CHECK(proposals.size() == 0);
  CHECK(edges.size() == 2);

  // One analysis, one classroom.
  r = analytics_request_from_json(
      R"({"analysis":"cooccurrence","tenant":"t1","classroom":"room-1","config":{"z":2.58}})");
  auto one = parse(p, run_analytics(ledger, d, r));
  CHECK(std::string_view(one["classroom"]) == "room-1");
  CHECK(int64_t(one["students"]) == 3);                                          // s1, s3, s5
  CHECK(int64_t(one["cooccurrence"]["misconceptions"].at(1)["students"]) == 1);  // b: s1
  CHECK(one["effectiveness"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(double(one["config"]["z"]) == 2.58);

  // A tenant without data: an empty report.
  r = analytics_request_from_json(R"({"analysis":"all","tenant":"empty"})");
  auto none = parse(p, run_analytics(ledger, d, r));
  CHECK(int64_t(none["students"]) == 0);
}

TEST_CASE("analytics: bad requests name the field") {
  const Domain d = test_domain();
  auto fails = [](const char *json, const char *message) {
    CAPTURE(json);
    try {
      analytics_request_from_json(json);
      FAIL("accepted");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid);
      CHECK_MESSAGE(std::string(e.what()).find(message) != std::string::npos, e.what());
    }
  };
  fails("[1]", "analytics request: must be a JSON object");
  fails("{\"analysis\":", "analytics request: malformed JSON");
  fails(R"({"tenant":"t1"})", "analytics request.analysis: required field is missing");
  fails(R"({"analysis":"trends","tenant":"t1"})",
        "analytics request.analysis: 'trends' is not one of");
  fails(R"({"analysis":"all"})", "analytics request.tenant: required field is missing");
  fails(R"({"analysis":"all","tenant":"t1","class":"x"})", "analytics request.class: unknown");
  fails(R"({"analysis":"all","tenant":"t1","classroom":""})",
        "analytics request.classroom: is empty");
  fails(R"({"analysis":"all","tenant":"t1","config":[]})", "analytics request.config: must be");
  fails(R"({"analysis":"all","tenant":"t1","config":{"z":0}})", "analytics request.config.z:");
  fails(R"({"analysis":"all","tenant":"t1","config":{"drift_fail_rate":1.5}})",
        "analytics request.config.drift_fail_rate:");
  fails(R"({"analysis":"all","tenant":"t1","config":{"min_trials":"5"}})",
        "analytics request.config.min_trials: must be an integer");
  fails(R"({"analysis":"all","tenant":"t1","config":{"threshold":0.9}})",
        "analytics request.config.threshold: unknown field");

  // Unknown classroom and misconception: not found, naming the field.
  Log log;
  log.practise("s1", "c_a", 1, 0.5);
  log.enroll("s1", "room-1");
  const ClassData data = log.data(d);
  auto not_found = [&](const char *json, const char *message) {
    CAPTURE(json);
    try {
      analytics_report_json(data, d, analytics_request_from_json(json));
      FAIL("accepted");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::not_found);
      CHECK_MESSAGE(std::string(e.what()).find(message) != std::string::npos, e.what());
    }
  };
  not_found(R"({"analysis":"drift","tenant":"t1","classroom":"room-2"})",
            "analytics request.classroom: no student of tenant 't1' is enrolled in 'room-2'");
  not_found(R"({"analysis":"cohorts","tenant":"t1","misconception_id":"m_zz"})",
            "analytics request.misconception_id: 'm_zz' is not in domain 'test'");

  // Bad configurations in C++.
  AnalyticsConfig c;
  c.prerequisite_min_students = 0;
  CHECK_THROWS_WITH_AS(check_analytics_config(c),
                       doctest::Contains("analytics config.prerequisite_min_students"), Error);

  // The log refuses enrollments without a classroom or not on a student.
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = "s1";
  e.type = "classroom.enrolled";
  e.payload = R"({"classroom":"room-1"})";
  CHECK_THROWS_WITH_AS(check_event(e, 0),
                       doctest::Contains("event[0].payload.classroom_id: is required"), Error);
  e.payload = R"({"classroom_id":"room-1"})";
  e.entity_type = "classroom";
  CHECK_THROWS_WITH_AS(check_event(e, 0), doctest::Contains("event[0].entity_type"), Error);
  e.entity_type = "student";
  CHECK_NOTHROW(check_event(e, 0));
  Membership m;
  e.payload = R"({"classroom_id":7})";
  e.id = 12;
  CHECK_THROWS_WITH_AS(m.apply(e), doctest::Contains("event 12"), Error);
}

TEST_CASE("analytics: the mean interval") {
  // 0.9, 0.8, 0.7, 0.6: mean 0.75, sd 0.1291, half 1.96 sd / 2.
  const double v[] = {0.9, 0.8, 0.7, 0.6};
  double s = 0, s2 = 0;
  for (double x : v) {
    s += x;
    s2 += x * x;
  }
  const Interval i = mean_interval(s, s2, 4);
  CHECK(i.low == doctest::Approx(0.6234825).epsilon(1e-6));
  CHECK(i.high == doctest::Approx(0.8765175).epsilon(1e-6));
  CHECK(mean_interval(0.5, 0.25, 1).low == 0.0);  // one value: no interval
  CHECK(mean_interval(0.5, 0.25, 1).high == 1.0);
  CHECK(mean_interval(1.9, 1.81, 2).high == 1.0);  // 0.9 and 1.0: 0.95 + 0.098, kept inside [0, 1]
}
