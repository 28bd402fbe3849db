// Validity experiment 04's simulation (benchmarks/experiments/04_thompson_vs_greedy/
// bandit_sim.hpp): the students, the policies and the summaries exp_04 reports.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "bandit_sim.hpp"

using exp04::Policy;

namespace {

exp04::Preferences same_student(int students, const std::vector<double> &p) {
  return exp04::Preferences(students, p);
}

double mean(const std::vector<double> &v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

TEST_CASE("exp04: preferences are Dirichlet rows, the same for the same seed") {
  exp04::Preferences a = exp04::draw_preferences(500, 5, 42);
  exp04::Preferences b = exp04::draw_preferences(500, 5, 42);
  exp04::Preferences c = exp04::draw_preferences(500, 5, 43);
  CHECK(a == b);
  CHECK(a != c);
  std::vector<double> first(a.size()), best(a.size());
  for (size_t s = 0; s < a.size(); ++s) {
    REQUIRE(a[s].size() == 5);
    CHECK(std::accumulate(a[s].begin(), a[s].end(), 0.0) == doctest::Approx(1.0).epsilon(1e-12));
    for (double x : a[s])
      CHECK(x > 0.0);
    first[s] = a[s][0];
    best[s] = *std::max_element(a[s].begin(), a[s].end());
  }
  // Dirichlet(1, ..., 1): each entry has mean 1/k, the largest H_k / k (0.4567 for k = 5).
  CHECK(mean(first) == doctest::Approx(0.2).epsilon(0.1));
  CHECK(mean(best) ==
        doctest::Approx((1 + 1 / 2.0 + 1 / 3.0 + 1 / 4.0 + 1 / 5.0) / 5).epsilon(0.05));
}

TEST_CASE("exp04: the oracle's expected rate is max(p) and its regret 0") {
  const std::vector<double> p = {0.05, 0.1, 0.6, 0.2, 0.05};
  exp04::SimOptions opt;
  opt.interactions = 40;
  exp04::Run r = exp04::simulate(Policy::oracle, same_student(300, p), opt);
  for (uint8_t m : r.chosen)
    CHECK(m == 2);
  CHECK(mean(exp04::cumulative_expected(r, 40)) == doctest::Approx(0.6).epsilon(1e-12));
  CHECK(mean(exp04::cumulative_regret(r, 40)) == 0.0);
  // The realised outcomes: 12,000 draws at 0.6.
  CHECK(std::abs(mean(exp04::cumulative_rate(r, 40)) - 0.6) < 0.02);
  exp04::Convergence c = exp04::convergence(r);
  CHECK(c.share_never == 0.0);
  CHECK(c.median == 0.0);
}

TEST_CASE("exp04: uniform spreads evenly, its expected rate is mean(p)") {
  const std::vector<double> p = {0.05, 0.1, 0.6, 0.2, 0.05};
  exp04::SimOptions opt;
  exp04::Run r = exp04::simulate(Policy::uniform, same_student(400, p), opt);
  CHECK(r.engine_decide);
  std::vector<int> count(5, 0);
  for (uint8_t m : r.chosen)
    ++count[m];
  for (int c : count)
    CHECK(std::abs(c / 20000.0 - 0.2) < 0.01);
  CHECK(std::abs(mean(exp04::cumulative_expected(r, 50)) - 0.2) < 0.005);
  // Cumulative regret grows linearly: exponent 1.
  std::vector<double> curve;
  for (int n = 1; n <= 50; ++n)
    curve.push_back(mean(exp04::cumulative_regret(r, n)));
  CHECK(exp04::fit_power(curve, 1, 50).exponent == doctest::Approx(1.0).epsilon(0.03));
}

TEST_CASE("exp04: thompson and greedy beat uniform clearly on the same students and seed") {
  exp04::Preferences prefs = exp04::draw_preferences(300, 5, 42);
  exp04::SimOptions opt;
  exp04::Run ts = exp04::simulate(Policy::thompson, prefs, opt);
  exp04::Run gr = exp04::simulate(Policy::greedy, prefs, opt);
  exp04::Run un = exp04::simulate(Policy::uniform, prefs, opt);
  exp04::Run orc = exp04::simulate(Policy::oracle, prefs, opt);
  const double u = mean(exp04::cumulative_expected(un, 50));
  const double o = mean(exp04::cumulative_expected(orc, 50));
  CHECK(u == doctest::Approx(0.2).epsilon(0.05));
  CHECK(o > 0.4);
  for (const exp04::Run *r : {&ts, &gr}) {
    exp04::Estimate d = exp04::estimate(
        exp04::difference(exp04::cumulative_rate(*r, 50), exp04::cumulative_rate(un, 50)));
    CHECK(d.mean > 0.08);
    CHECK(d.mean > 5 * d.se);
    CHECK(mean(exp04::cumulative_regret(*r, 50)) < 0.7 * mean(exp04::cumulative_regret(un, 50)));
    CHECK(mean(exp04::cumulative_expected(*r, 50)) < o);
    // Learning: the last ten interactions resolve more than the first ten.
    double first = 0, last = 0;
    for (int s = 0; s < r->students; ++s)
      for (int t = 0; t < 10; ++t) {
        first += r->expected[static_cast<size_t>(s) * 50 + t];
        last += r->expected[static_cast<size_t>(s) * 50 + 40 + t];
      }
    CHECK(last > first * 1.2);
  }
}

TEST_CASE("exp04: runs are deterministic for a seed and change with it") {
  exp04::Preferences prefs = exp04::draw_preferences(100, 5, 42);
  exp04::SimOptions opt;
  for (Policy p : exp04::kPolicies) {
    CAPTURE(exp04::policy_label(p));
    exp04::Run a = exp04::simulate(p, prefs, opt);
    exp04::Run b = exp04::simulate(p, prefs, opt);
    CHECK(a.chosen == b.chosen);
    CHECK(a.resolved == b.resolved);
    CHECK(a.converged_at == b.converged_at);
    exp04::SimOptions other = opt;
    other.seed = 43;
    CHECK(exp04::simulate(p, prefs, other).resolved != a.resolved);
  }
}

TEST_CASE("exp04: every policy meets the same outcome uniforms (common random numbers)") {
  // Two policies that choose the same arm at the same (student, t) see the same outcome:
  // with one arm at p = 1 and the rest at 0, outcome = (chosen is that arm) for every policy.
  const std::vector<double> p = {0.0, 0.0, 1.0};
  exp04::SimOptions opt;
  for (Policy pol : exp04::kPolicies) {
    exp04::Run r = exp04::simulate(pol, same_student(20, p), opt);
    for (size_t i = 0; i < r.chosen.size(); ++i)
      CHECK(r.resolved[i] == (r.chosen[i] == 2));
  }
  exp04::Preferences prefs = exp04::draw_preferences(50, 5, 7);
  exp04::Run a = exp04::simulate(Policy::oracle, prefs, opt);
  exp04::Run b = exp04::simulate(Policy::greedy, prefs, opt);
  for (size_t i = 0; i < a.chosen.size(); ++i)
    if (a.chosen[i] == b.chosen[i]) CHECK(a.resolved[i] == b.resolved[i]);
}

TEST_CASE("exp04: the k-arm rule reproduces tutorcore::decide for k <= 5") {
  // The k > 5 arms of the scalability axis use this rule; for k <= 5 it must
  // choose exactly what the engine chooses, draw for draw.
  for (int k = 3; k <= 5; ++k) {
    exp04::Preferences prefs = exp04::draw_preferences(60, k, 42);
    for (Policy p : {Policy::thompson, Policy::greedy, Policy::uniform}) {
      CAPTURE(k);
      CAPTURE(exp04::policy_label(p));
      exp04::SimOptions engine, rule;
      rule.engine_when_possible = false;
      exp04::Run a = exp04::simulate(p, prefs, engine);
      exp04::Run b = exp04::simulate(p, prefs, rule);
      CHECK(a.engine_decide);
      CHECK_FALSE(b.engine_decide);
      CHECK(a.chosen == b.chosen);
      CHECK(a.converged_at == b.converged_at);
    }
  }
  // k > 5 never reaches the engine's five-modality context, and every arm is used.
  exp04::Preferences prefs = exp04::draw_preferences(50, 8, 42);
  exp04::Run r = exp04::simulate(Policy::uniform, prefs, exp04::SimOptions{});
  CHECK_FALSE(r.engine_decide);
  CHECK(*std::max_element(r.chosen.begin(), r.chosen.end()) == 7);
}

TEST_CASE("exp04: a clear best arm is found and kept") {
  const std::vector<double> p = {0.1, 0.9, 0.1, 0.1, 0.1};
  exp04::SimOptions opt;
  for (Policy pol :
       {Policy::thompson, Policy::greedy, Policy::thompson_plain, Policy::greedy_plain}) {
    CAPTURE(exp04::policy_label(pol));
    exp04::Run r = exp04::simulate(pol, same_student(200, p), opt);
    exp04::Convergence c = exp04::convergence(r);
    CHECK(c.share_never < 0.05);
    CHECK(c.median < 15);
    CHECK(mean(exp04::cumulative_expected(r, 50)) > 0.75);
  }
}

TEST_CASE("exp04: summaries: power fit, batch standard errors, convergence") {
  std::vector<double> y;
  for (int n = 1; n <= 50; ++n)
    y.push_back(3.0 * std::sqrt(n));
  exp04::PowerFit f = exp04::fit_power(y, 1, 50);
  CHECK(f.exponent == doctest::Approx(0.5));
  CHECK(f.coefficient == doctest::Approx(3.0));
  CHECK(f.r2 == doctest::Approx(1.0));

  exp04::Estimate e = exp04::estimate({1, 2, 3, 4}, 2);
  CHECK(e.mean == 2.5);
  CHECK(e.se == doctest::Approx(std::sqrt(5.0 / 3.0) / 2));
  CHECK(e.se_batch == doctest::Approx(1.0));  // blocks {1, 2}, {3, 4}: means 1.5 and 3.5

  exp04::Run r;
  r.interactions = 10;
  r.converged_at = {0, 4, 6, -1};
  exp04::Convergence c = exp04::convergence(r);
  CHECK(c.median == 5.0);
  CHECK(c.mean_converged == doctest::Approx(10.0 / 3));
  CHECK(c.share_never == 0.25);
  CHECK(c.share_converged_by[0] == 0.25);
  CHECK(c.share_converged_by[5] == 0.5);
  CHECK(c.share_converged_by[10] == 0.75);
  r.converged_at = {0, -1, -1, -1};
  CHECK(std::isinf(exp04::convergence(r).median));
}
