// Ability estimation: bounded Newton MLE, EAP on a quadrature grid.
#include <fmt/format.h>

#include <algorithm>

#include "logistic_newton.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/irt/irt.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
void check_input(const std::vector<IrtItem> &items, const std::vector<uint8_t> &correct) {
  if (items.size() != correct.size()) {
    throw Error(Errc::invalid,
                fmt::format("ability: {} items but {} answers; give one answer per item",
                            items.size(), correct.size()));
  }
  if (items.empty()) throw Error(Errc::invalid, "ability: no answers to estimate from");
}
}  // namespace

Ability estimate_ability_eap(const std::vector<IrtItem> &items, const std::vector<uint8_t> &correct,
                             const AbilityOptions &opts) {
  check_input(items, correct);
  const int n = std::max(3, opts.quadrature_points);
  const double lo = opts.prior_mean - 6 * opts.prior_sd, hi = opts.prior_mean + 6 * opts.prior_sd;
  double sum_w = 0, sum_wt = 0, sum_wt2 = 0, max_log = -1e300;
  std::vector<double> logpost(static_cast<size_t>(n));
  for (int q = 0; q < n; ++q) {
    double t = lo + (hi - lo) * q / (n - 1);
    double z = (t - opts.prior_mean) / opts.prior_sd;
    double lp = -0.5 * z * z;
    for (size_t i = 0; i < items.size(); ++i) {
      double p = irt_probability(t, items[i]);
      lp += correct[i] ? std::log(p) : std::log1p(-p);
    }
    logpost[static_cast<size_t>(q)] = lp;
    max_log = std::max(max_log, lp);
  }
  for (int q = 0; q < n; ++q) {
    double t = lo + (hi - lo) * q / (n - 1);
    double w = std::exp(logpost[static_cast<size_t>(q)] - max_log);
    sum_w += w;
    sum_wt += w * t;
    sum_wt2 += w * t * t;
  }
  Ability a;
  a.eap = true;
  a.theta = sum_wt / sum_w;
  a.se = std::sqrt(std::max(0.0, sum_wt2 / sum_w - a.theta * a.theta));
  return a;
}

Ability estimate_ability(const std::vector<IrtItem> &items, const std::vector<uint8_t> &correct,
                         const AbilityOptions &opts) {
  check_input(items, correct);
  size_t right = static_cast<size_t>(std::count(correct.begin(), correct.end(), 1));
  if (right == 0 || right == correct.size()) return estimate_ability_eap(items, correct, opts);
  double theta = 0.0, info = 0.0;
  for (int it = 0; it < opts.max_iterations; ++it) {
    double grad = 0.0;
    info = 0.0;
    for (size_t i = 0; i < items.size(); ++i) {
      double p = irt_probability(theta, items[i]);
      grad += items[i].a * ((correct[i] ? 1.0 : 0.0) - p);
      info += items[i].a * items[i].a * p * (1.0 - p);
    }
    double step = grad / std::max(info, 1e-12);
    step = std::clamp(step, -1.0, 1.0);  // damped: the likelihood is flat far out
    double next = std::clamp(theta + step, opts.min_theta, opts.max_theta);
    bool done = std::fabs(next - theta) < opts.tolerance;
    theta = next;
    if (done) break;
  }
  Ability a;
  a.theta = theta;
  a.se = info > 0 ? 1.0 / std::sqrt(info) : 0.0;
  return a;
}

IrtItem calibrate_item(const std::vector<double> &thetas, const std::vector<uint8_t> &correct,
                       bool two_pl, IrtItem start) {
  if (thetas.size() != correct.size() || thetas.empty()) {
    throw Error(Errc::invalid,
                fmt::format("item calibration: {} abilities and {} answers; give one ability "
                            "per answer, at least one",
                            thetas.size(), correct.size()));
  }
  // Newton on (a, b) in slope-intercept form (a, d = -a b), which is
  // concave: each student is one node with one answer.
  std::vector<double> r(correct.begin(), correct.end());
  double a = start.a, d = -start.a * start.b;
  NewtonLimits lim;
  lim.steps = 100;
  logistic_newton(thetas.data(), r.data(), nullptr, thetas.size(), two_pl, lim, &a, &d);
  return IrtItem{a, -d / a};
}

}  // namespace v0
}  // namespace tutorcore
