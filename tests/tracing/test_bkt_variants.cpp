// The BKT variants (per-item guess/slip, per-item learn, per-group prior):
// each beats plain BKT on held-out data generated with its effect, recovers
// the generating parameters, keeps EM monotone, and round-trips as a model.
#include <cmath>
#include <random>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/tracing/fit.hpp"

using namespace tutorcore;

namespace {

// Per-item and per-group truths for one skill.
struct Truth {
  BktParams base;
  std::vector<double> guess, slip, learn;  // per item (empty = base)
  std::vector<double> init;                // per group (empty = base)
};

// Students answer random items of one skill; each student belongs to group
// s % groups.
std::vector<ResponseRow> simulate(const Truth &t, int students, int answers, uint64_t seed,
                                  const std::string &prefix) {
  std::mt19937_64 rng(seed);
  auto u = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  const size_t items = std::max({t.guess.size(), t.learn.size(), size_t{1}});
  const size_t groups = std::max<size_t>(t.init.size(), 1);
  std::vector<ResponseRow> rows;
  for (int s = 0; s < students; ++s) {
    size_t g = static_cast<size_t>(s) % groups;
    bool known = u() < (t.init.empty() ? t.base.p_init : t.init[g]);
    for (int a = 0; a < answers; ++a) {
      size_t i = static_cast<size_t>(rng() % items);
      double guess = t.guess.empty() ? t.base.p_guess : t.guess[i];
      double slip = t.slip.empty() ? t.base.p_slip : t.slip[i];
      double learn = t.learn.empty() ? t.base.p_learn : t.learn[i];
      bool correct = known ? u() >= slip : u() < guess;
      rows.push_back({prefix + std::to_string(s), "k", correct, "item" + std::to_string(i),
                      "group" + std::to_string(g)});
      known = known || u() < learn;
    }
  }
  return rows;
}

FitOptions options() {
  FitOptions o;
  o.threads = 2;
  o.restarts = 3;
  return o;
}

// Held-out log-likelihood and AUC of plain BKT and of a variant.
struct Comparison {
  Metrics plain, variant;
  FitReport report;
};
Comparison compare(const Truth &t, FitOptions variant, int students = 1500, int answers = 20) {
  Dataset train = dataset_from_rows(simulate(t, students, answers, 11, "a"));
  Dataset test = dataset_from_rows(simulate(t, students / 2, answers, 12, "b"));
  Comparison c;
  FitOptions plain = options();
  c.plain = evaluate(model_from_fit(fit_bkt(train, plain), false), test);
  c.report = fit_bkt(train, variant);
  c.variant = evaluate(model_from_fit(c.report, false), test);
  return c;
}

}  // namespace

TEST_CASE("per-item guess and slip (multigs) beat plain BKT and recover the items") {
  Truth t;
  t.base = {0.3, 0.15, 0.2, 0.1, 0.0};
  t.guess = {0.02, 0.05, 0.1, 0.2, 0.28, 0.04};
  t.slip = {0.02, 0.2, 0.05, 0.15, 0.04, 0.25};
  FitOptions o = options();
  o.multigs = true;
  Comparison c = compare(t, o);
  INFO("plain ll ", c.plain.log_likelihood, " auc ", c.plain.auc, "; multigs ll ",
       c.variant.log_likelihood, " auc ", c.variant.auc);
  CHECK(c.variant.log_likelihood > c.plain.log_likelihood + 100);
  CHECK(c.variant.auc > c.plain.auc + 0.01);
  const BktVariant &v = c.report.skills[0].variant;
  REQUIRE(v.items.size() == 6);
  CHECK(v.learn.empty());
  for (size_t i = 0; i < 6; ++i) {
    size_t truth = static_cast<size_t>(std::stoi(v.items[i].substr(4)));
    CHECK(std::fabs(v.slip[i] - t.slip[truth]) < 0.04);
    CHECK(std::fabs(v.guess[i] - t.guess[truth]) < 0.04);
  }
}

TEST_CASE("per-item learn rates (multilearn) beat plain BKT on data generated with them") {
  Truth t;
  t.base = {0.15, 0.1, 0.15, 0.1, 0.0};
  t.learn = {0.01, 0.02, 0.4, 0.03, 0.5};
  FitOptions o = options();
  o.multilearn = true;
  Comparison c = compare(t, o);
  INFO("plain ll ", c.plain.log_likelihood, " multilearn ll ", c.variant.log_likelihood);
  CHECK(c.variant.log_likelihood > c.plain.log_likelihood + 20);
  const BktVariant &v = c.report.skills[0].variant;
  REQUIRE(v.learn.size() == 5);
  CHECK(v.guess.empty());
  // The two fast items are told apart from the three slow ones.
  for (size_t i = 0; i < 5; ++i) {
    size_t truth = static_cast<size_t>(std::stoi(v.items[i].substr(4)));
    if (t.learn[truth] > 0.3) CHECK(v.learn[i] > 0.25);
    if (t.learn[truth] < 0.05) CHECK(v.learn[i] < 0.1);
  }
}

TEST_CASE("per-group priors (multiprior) beat plain BKT and recover each group's prior") {
  Truth t;
  t.base = {0.5, 0.1, 0.15, 0.1, 0.0};
  t.init = {0.1, 0.85, 0.45};
  FitOptions o = options();
  o.multiprior = true;
  Comparison c = compare(t, o, 1500, 8);
  INFO("plain ll ", c.plain.log_likelihood, " multiprior ll ", c.variant.log_likelihood);
  CHECK(c.variant.log_likelihood > c.plain.log_likelihood + 50);
  const BktVariant &v = c.report.skills[0].variant;
  REQUIRE(v.groups.size() == 3);
  for (size_t g = 0; g < 3; ++g) {
    size_t truth = static_cast<size_t>(std::stoi(v.groups[g].substr(5)));
    CHECK(std::fabs(v.init[g] - t.init[truth]) < 0.05);
  }
}

TEST_CASE("the variant EM log-likelihood never decreases") {
  Truth t;
  t.base = {0.3, 0.15, 0.2, 0.1, 0.05};
  t.guess = {0.05, 0.25, 0.1};
  t.slip = {0.1, 0.05, 0.2};
  Dataset d = dataset_from_rows(simulate(t, 300, 25, 5, "s"));
  FitOptions o = options();
  o.multigs = o.multilearn = o.multiprior = o.forgets = true;
  o.keep_trace = true;
  o.tolerance = 1e-9;
  o.max_iterations = 200;
  SkillFit f = fit_skill_variant(d.skills[0], {0.6, 0.3, 0.1, 0.2, 0.1}, o);
  REQUIRE(f.trace.size() > 5);
  for (size_t i = 1; i < f.trace.size(); ++i)
    CHECK(f.trace[i] >= f.trace[i - 1] - 1e-7 * std::fabs(f.trace[i - 1]));
  // With every variant off, the variant kernel is the plain kernel.
  FitOptions plain = options();
  plain.keep_trace = true;
  plain.forgets = true;
  SkillFit a = fit_skill(d.skills[0], {0.6, 0.3, 0.1, 0.2, 0.1}, plain);
  SkillFit b = fit_skill_variant(d.skills[0], {0.6, 0.3, 0.1, 0.2, 0.1}, plain);
  CHECK(a.iterations == b.iterations);
  CHECK(a.log_likelihood == doctest::Approx(b.log_likelihood).epsilon(1e-10));
  CHECK(a.params.p_learn == doctest::Approx(b.params.p_learn).epsilon(1e-9));
  CHECK(a.params.p_guess == doctest::Approx(b.params.p_guess).epsilon(1e-9));
}

TEST_CASE("a variant model round-trips through JSON and predicts the same") {
  Truth t;
  t.base = {0.3, 0.15, 0.2, 0.1, 0.0};
  t.guess = {0.05, 0.25};
  t.slip = {0.1, 0.05};
  t.init = {0.2, 0.7};
  Dataset d = dataset_from_rows(simulate(t, 200, 10, 9, "s"));
  FitOptions o = options();
  o.multigs = o.multilearn = o.multiprior = true;
  BktModel m = model_from_fit(fit_bkt(d, o), false);
  REQUIRE(m.variants.size() == 1);
  BktModel back = model_from_json(model_to_json(m));
  REQUIRE(back.variants.size() == 1);
  CHECK(back.variants[0].items == m.variants[0].items);
  CHECK(back.variants[0].groups == m.variants[0].groups);
  Predictions p1 = predict(m, d), p2 = predict(back, d);
  REQUIRE(p1.p.size() == p2.p.size());
  for (size_t i = 0; i < p1.p.size(); ++i)
    CHECK(p1.p[i] == doctest::Approx(p2.p[i]).epsilon(1e-12));
  // An item the model never saw takes the skill's base parameters.
  BktParams unseen = m.variants[0].resolve(m.params[0], m.variants[0].find_item("nope"), -1);
  CHECK(unseen.p_guess == m.params[0].p_guess);
  int64_t i1 = m.variants[0].find_item("item1");
  REQUIRE(i1 >= 0);
  CHECK(m.variants[0].resolve(m.params[0], i1, -1).p_guess ==
        m.variants[0].guess[static_cast<size_t>(i1)]);
  // Bad variant entries are refused with their path.
  std::string json = model_to_json(m);
  std::string broken = json;
  broken.replace(broken.find("\"p_guess\"", broken.find("\"items\"")), 9, "\"p_gues\"");
  try {
    model_from_json(broken);
    FAIL("expected an error");
  } catch (const Error &e) {
    INFO(std::string(e.what()));
    CHECK(std::string(e.what()).find("skills[0].items[0]") != std::string::npos);
  }
}

TEST_CASE("a variant without its column is refused before fitting") {
  Dataset d = dataset_from_rows({{"s1", "k", true}, {"s1", "k", false}});
  FitOptions o = options();
  o.multigs = true;
  try {
    fit_bkt(d, o);
    FAIL("expected an error");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid);
    CHECK(std::string(e.what()).find("multigs needs an item") != std::string::npos);
  }
  o.multigs = false;
  o.multiprior = true;
  CHECK_THROWS_AS(fit_bkt(d, o), Error);
  // A row without an item while others have one is an error that names the row.
  try {
    dataset_from_rows({{"s1", "k", true, "i1", ""}, {"s1", "k", false, "", ""}});
    FAIL("expected an error");
  } catch (const Error &e) {
    CHECK(std::string(e.what()).find("row 1: item is empty") != std::string::npos);
  }
}

TEST_CASE("an item tagged with several skills combines their predictions by the rule") {
  const BktParams b[2] = {{0.3, 0.2, 0.1, 0.05, 0.0}, {0.5, 0.1, 0.2, 0.1, 0.0}};
  const double p[2] = {0.8, 0.4};
  // P1 = 0.8 * 0.95 + 0.2 * 0.1 = 0.78; P2 = 0.4 * 0.9 + 0.6 * 0.2 = 0.48.
  CHECK(bkt_predict_multi(p, b, 2, SkillCombine::product) == doctest::Approx(0.78 * 0.48));
  CHECK(bkt_predict_multi(p, b, 2, SkillCombine::min) == doctest::Approx(0.48));
  CHECK(bkt_predict_multi(p, b, 2, SkillCombine::mean) == doctest::Approx((0.78 + 0.48) / 2));
  CHECK(bkt_predict_multi(p, b, 1, SkillCombine::product) == doctest::Approx(0.78));
}
