// The validity simulator's learners and study loop: the model's formulas on
// hand-built states, the world built from the bundled domain, determinism,
// and the request document's errors.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/sim/study.hpp"

using namespace tutorcore;

namespace {

const Domain &algebra() {
  static std::unique_ptr<Domain> d = [] {
    auto dom = std::make_unique<Domain>();
    DomainReport r =
        load_domain(testutil::source_dir() + "/examples/domains/algebra_fundamentals", dom.get());
    REQUIRE(r.ok());
    return dom;
  }();
  return *d;
}

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// A two-concept world: b needs a; a has two misconceptions, b one.
SimWorld tiny_world() {
  SimWorld w;
  w.concepts.resize(2);
  w.concepts[0].id = "a";
  w.concepts[0].misconceptions = {0, 1};
  w.concepts[1].id = "b";
  w.concepts[1].level = 2;
  w.concepts[1].prerequisites = {0};
  w.concepts[1].misconceptions = {2};
  w.misconceptions = {"a_m0", "a_m1", "b_m0"};
  w.misconception_concept = {0, 0, 1};
  w.items.resize(2);
  return w;
}

SimLearner learner_of(const SimWorld &w, double ka, double kb) {
  SimLearner l;
  l.knowledge = {ka, kb};
  l.strength.assign(w.misconceptions.size(), 0.0);
  l.pref = {0.2, 0.2, 0.2, 0.2, 0.2};
  return l;
}

}  // namespace

TEST_CASE(
    "sim learner: P(right) is guess + (1 - guess - slip) sigmoid(a (phi - b)), times the probes' "
    "misses") {
  LearnerConfig c;
  SimWorld w = tiny_world();
  SimLearner l = learner_of(w, 0.5, 0.7);
  SimItem it;
  it.concept = 0;
  it.irt = IrtItem{1.0, 0.0};
  CHECK(learner_p_correct(l, it, c) == doctest::Approx(0.1 + 0.85 * 0.5));
  it.concept = 1;
  it.irt = IrtItem{1.5, 0.4};
  CHECK(learner_p_correct(l, it, c) ==
        doctest::Approx(0.1 + 0.85 * sigmoid(1.5 * (5.0 * 0.2 - 0.4))));
  // A held misconception the item probes answers wrong with its strength.
  it.concept = 0;
  it.irt = IrtItem{1.0, 0.0};
  it.probes = {0, 1};
  l.strength[0] = 0.6;
  CHECK(learner_p_correct(l, it, c) == doctest::Approx(0.4 * 0.525));
  l.strength[1] = 0.5;
  CHECK(learner_p_correct(l, it, c) == doctest::Approx(0.4 * 0.5 * 0.525));
}

TEST_CASE(
    "sim learner: practice teaches most at the zpd centre, less with a weak prerequisite or a "
    "misconception") {
  LearnerConfig c;
  SimWorld w = tiny_world();
  SimItem it;
  it.concept = 1;
  SimLearner l = learner_of(w, 0.9, 0.4);
  learner_practice(l, w, it, c.zpd_center, c);
  CHECK(l.knowledge[1] == doctest::Approx(0.4 + c.practice_rate * 0.6));
  // Off the centre by one width: e^-1 of it.
  l = learner_of(w, 0.9, 0.4);
  learner_practice(l, w, it, c.zpd_center + c.zpd_width, c);
  CHECK(l.knowledge[1] == doctest::Approx(0.4 + c.practice_rate * std::exp(-1.0) * 0.6));
  // The prerequisite at 0.3 of the needed 0.6: floor + (1 - floor) / 2.
  l = learner_of(w, 0.3, 0.4);
  learner_practice(l, w, it, c.zpd_center, c);
  CHECK(l.knowledge[1] == doctest::Approx(0.4 + c.practice_rate * (0.2 + 0.8 * 0.5) * 0.6));
  // A misconception of strength 0.8 held on the concept blocks 0.7 x 0.8 of it.
  l = learner_of(w, 0.9, 0.4);
  l.strength[2] = 0.8;
  learner_practice(l, w, it, c.zpd_center, c);
  CHECK(l.knowledge[1] == doctest::Approx(0.4 + c.practice_rate * (1 - 0.7 * 0.8) * 0.6));
}

TEST_CASE(
    "sim learner: a well-targeted intervention resolves, a mistargeted one confuses and can "
    "entrench") {
  LearnerConfig c;
  SimWorld w = tiny_world();
  // The preferred modality resolves with min(0.95, 0.5 x 5 x 1).
  SimLearner l = learner_of(w, 0.5, 0.5);
  l.pref = {1.0, 0.0, 0.0, 0.0, 0.0};
  l.strength[0] = 0.7;
  int resolved = 0, persisted = 0;
  for (uint64_t s = 0; s < 2000; ++s) {
    SimLearner x = l;
    Rng rng(s);
    InterventionEffect e = learner_intervene(x, w, 0, Modality::visual, c, rng);
    if (e == InterventionEffect::resolved) {
      ++resolved;
      CHECK(x.strength[0] == 0.0);
      CHECK(x.knowledge[0] == doctest::Approx(0.5 + c.resolve_gain * 0.5));
    } else {
      ++persisted;
      CHECK(e == InterventionEffect::persisted);
      CHECK(x.strength[0] == 0.7);
    }
  }
  CHECK(resolved / 2000.0 == doctest::Approx(0.95).epsilon(0.02));
  // A modality the learner gets nothing from never resolves.
  Rng rng(1);
  SimLearner y = l;
  CHECK(learner_intervene(y, w, 0, Modality::concrete, c, rng) == InterventionEffect::persisted);

  // Teaching a_m1, which it does not hold, while it holds a_m0: always
  // confused (k falls by 10%), and with the negative-transfer chance a_m0
  // strengthens.
  int strengthened = 0;
  for (uint64_t s = 0; s < 2000; ++s) {
    SimLearner x = l;
    Rng r(s);
    InterventionEffect e = learner_intervene(x, w, 1, Modality::visual, c, r);
    CHECK(x.knowledge[0] == doctest::Approx(0.45));
    CHECK(x.strength[1] == 0.0);
    if (e == InterventionEffect::strengthened) {
      ++strengthened;
      CHECK(x.strength[0] == doctest::Approx(0.85));
    } else {
      CHECK(e == InterventionEffect::confused);
    }
  }
  CHECK(strengthened / 2000.0 == doctest::Approx(c.negative_transfer).epsilon(0.1));
  // Holding nothing on the concept: the taught misconception may take root.
  SimLearner clean = learner_of(w, 0.5, 0.5);
  int implanted = 0;
  for (uint64_t s = 0; s < 4000; ++s) {
    SimLearner x = clean;
    Rng r(s);
    if (learner_intervene(x, w, 1, Modality::visual, c, r) == InterventionEffect::implanted) {
      ++implanted;
      CHECK(x.strength[1] == doctest::Approx(c.implant_strength));
    }
  }
  CHECK(implanted / 4000.0 == doctest::Approx(c.negative_transfer * c.implant).epsilon(0.1));
}

TEST_CASE("sim learner: the held-out test scores plain and probing items from the latent state") {
  LearnerConfig c;
  SimWorld w = tiny_world();
  SimLearner l = learner_of(w, 0.5, 0.5);
  double plain = 0.0;
  for (double b : c.test_difficulties)
    plain += 0.1 + 0.85 * sigmoid(-b);
  plain /= static_cast<double>(c.test_difficulties.size());
  double probe = 0.1 + 0.85 * 0.5;
  CHECK(learner_concept_score(l, w, 0, c) == doctest::Approx(0.5 * plain + 0.5 * probe));
  l.strength[1] = 0.6;  // one of a's two probes now fails 60% of the time
  CHECK(learner_concept_score(l, w, 0, c) ==
        doctest::Approx(0.5 * plain + 0.5 * probe * (1.0 + 0.4) / 2.0));
  CHECK(learner_test_score(l, w, {0, 1}, c) ==
        doctest::Approx((learner_concept_score(l, w, 0, c) + learner_concept_score(l, w, 1, c)) /
                        2.0));
}

TEST_CASE(
    "sim world: the bundled domain's graph, misconceptions and banks, templates fill a bank") {
  const Domain &d = algebra();
  SimWorld w = build_sim_world(d, 0, 42);
  REQUIRE(w.concepts.size() == d.concepts.size());
  size_t edges = 0, items = 0;
  for (size_t c = 0; c < w.concepts.size(); ++c) {
    edges += w.concepts[c].prerequisites.size();
    items += w.items[c].size();
    for (int32_t m : w.concepts[c].misconceptions)
      CHECK(w.misconception_concept[m] == int32_t(c));
  }
  CHECK(w.concepts.size() >= 15);
  CHECK(edges == 42);
  CHECK(items == d.problems.size());
  CHECK(w.misconceptions.size() == d.misconceptions.size());
  CHECK(w.template_instances == 0);

  SimWorld big = build_sim_world(d, 30, 42);
  CHECK(big.template_instances > 0);
  for (size_t c = 0; c < big.concepts.size(); ++c) {
    bool has_template = false;
    for (const ProblemTemplate &t : d.templates)
      has_template |= t.concept_id == d.concepts[c].id;
    if (has_template) CHECK(big.items[c].size() > w.items[c].size());
    CHECK(big.items[c].size() <= 30);
  }
  CHECK_THROWS_WITH_AS(build_sim_world(d, -1, 42), doctest::Contains("bank_size"), Error);
}

TEST_CASE("sim study: the same seed gives the same result, another seed other learners") {
  const Domain &d = algebra();
  StudyOptions o;
  o.students = 120;
  o.threads = 2;
  o.per_student = true;
  StudyResult a = run_study(d, o);
  o.threads = 1;
  StudyResult b = run_study(d, o);
  CHECK(a.gains == b.gains);  // thread count does not change a result
  CHECK(a.bkt_rmse == b.bkt_rmse);
  o.seed = 43;
  StudyResult c = run_study(d, o);
  CHECK(a.gains != c.gains);
  // Budget: the RMSE curve has one point before the first answer and one after each.
  CHECK(a.bkt_rmse.size() == size_t(o.budget) + 1);
  CHECK(a.selection_chance == doctest::Approx(1.0 / o.block_size));
}

TEST_CASE("sim study: the oracle agrees with itself, without interventions nothing is resolved") {
  const Domain &d = algebra();
  StudyOptions o;
  o.students = 100;
  o.concept_selection = ConceptSelection::oracle;
  StudyResult r = run_study(d, o);
  CHECK(r.selection_agreement == doctest::Approx(1.0));
  o.interventions = false;
  o.concept_selection = ConceptSelection::bkt;
  r = run_study(d, o);
  CHECK(r.interventions == 0.0);
  CHECK(r.resolved == 0.0);
  CHECK(r.misconceptions_end == doctest::Approx(r.misconceptions_start));
}

TEST_CASE("sim request: fields, defaults and errors naming the field") {
  StudyOptions o = study_options_from_json(
      R"({"seed":7,"students":10,"item_selection":"hardest","errors":{"misroute":0.25},)"
      R"("learner":{"hold_rate":0.5,"test_difficulties":[0,1]},"modality_policy":"greedy"})");
  CHECK(o.seed == 7);
  CHECK(o.students == 10);
  CHECK(o.item_selection == ItemSelection::hardest);
  CHECK(o.errors.misroute == 0.25);
  CHECK(o.learner.hold_rate == 0.5);
  CHECK(o.learner.test_difficulties == std::vector<double>{0, 1});
  CHECK(o.modality_policy == PolicyKind::greedy);
  CHECK(o.budget == 12);
  auto fails = [](const char *json, const char *msg) {
    CHECK_THROWS_WITH_AS(study_options_from_json(json), doctest::Contains(msg), Error);
  };
  fails(R"({"students":0})", "simulation.students");
  fails(R"({"budget":"many"})", "simulation.budget");
  fails(R"({"item_selection":"best"})", "simulation.item_selection: 'best' is not one of irt");
  fails(R"({"errors":{"misroute":1.5}})", "simulation.errors.misroute");
  fails(R"({"errors":{"typo":0.1}})", "typo");
  fails(R"({"learner":{"hold_rate":2}})", "learner.hold_rate");
  fails(R"({"learner":{"nope":1}})", "simulation.learner.nope: unknown field");
  fails(R"({"learner":{"test_difficulties":[1,"x"]}})", "test_difficulties[1]");
  fails(R"({"learner":{"guess":0.6,"slip":0.5}})", "learner.slip");
  fails(R"({"modality_policy":"best"})", "simulation.modality_policy");
  fails(R"({"seeds":1})", "seeds");
  fails(R"([1,2])", "must be a JSON object");
  fails(R"({"students":)", "line 1");
}
