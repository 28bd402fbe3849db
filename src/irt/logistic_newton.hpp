// Newton steps for one item's logistic regression on ability: maximises
// sum_q r_q log P(x_q) + (n_q - r_q) log(1 - P(x_q)), P = sigmoid(a x + d).
// logistic_newton serves calibration from known abilities (x = abilities, n =
// 1, r = the answer); logistic_newton_grid the MML M-step (x = the quadrature
// grid, r and w expected right and wrong counts).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace tutorcore {
inline namespace v0 {

struct NewtonLimits {
  int steps = 25;
  double max_slope = 8.0;
  double ridge = 0.0;  // N(0, 1/ridge) penalty on the intercept
  // Grid version only: > 0 adds a lognormal prior log a ~ N(mean, sd^2) on the slope.
  double slope_prior_sd = 0.0;
  double slope_prior_mean = 0.0;
};

// One damped Newton step from the gradient (ga, gd) and the information
// (haa, had, hdd). The slope moves at most 0.5 and stays in [0.01,
// max_slope]; when that cuts its step, the intercept takes the best step of
// the quadratic model given the slope's actual step (for a slope held at a
// bound, plain Newton on the intercept), so the model still increases.
// Returns false when the information is singular or the step negligible.
inline bool newton_step(double ga, double gd, double haa, double had, double hdd, bool fit_slope,
                        const NewtonLimits &lim, double *a, double *d) {
  double sa = 0, sd;
  if (fit_slope) {
    const double det = haa * hdd - had * had;
    if (det <= 1e-12) return false;
    const double full = (hdd * ga - had * gd) / det, step = std::clamp(full, -0.5, 0.5);
    const double a_new = std::clamp(*a + step, 0.01, lim.max_slope);
    sa = a_new - *a;
    sd = step == full && a_new == *a + step ? (haa * gd - had * ga) / det : (gd - had * sa) / hdd;
    *a = a_new;
  } else {
    if (hdd <= 1e-12) return false;
    sd = gd / hdd;
  }
  sd = std::clamp(sd, -2.0, 2.0);  // damped: far from the optimum the model overshoots
  *d = std::clamp(*d + sd, -30.0, 30.0);
  return std::fabs(sa) >= 1e-10 || std::fabs(sd) >= 1e-10;
}

// Updates *a (when fit_slope) and *d in place. `n` may be null (all 1).
inline void logistic_newton(const double *x, const double *r, const double *n, size_t count,
                            bool fit_slope, const NewtonLimits &lim, double *a, double *d) {
  for (int it = 0; it < lim.steps; ++it) {
    double ga = 0, gd = -lim.ridge * *d, haa = 0, had = 0, hdd = lim.ridge;
    for (size_t q = 0; q < count; ++q) {
      const double nq = n ? n[q] : 1.0;
      const double p = 1.0 / (1.0 + std::exp(-(*a * x[q] + *d)));
      const double res = r[q] - nq * p, w = nq * p * (1 - p);
      ga += res * x[q];
      gd += res;
      haa += w * x[q] * x[q];
      had += w * x[q];
      hdd += w;
    }
    if (!newton_step(ga, gd, haa, had, hdd, fit_slope, lim, a, d)) break;
  }
}

// True when exp(-(a x + d)) for every |x| <= x_max is far from overflow, so a
// geometric recurrence over a grid stays finite and accurate.
inline bool grid_recurrence_safe(double a, double d, double x_max) {
  return std::fabs(a) * x_max + std::fabs(d) < 500.0;
}

// The MML M-step's case: the nodes form an equally spaced grid (x[q] = x[0] +
// q h) and r, w are the expected right and wrong counts at each node. P at all
// nodes takes two exponentials per step, exp(-(a x[q] + d)) = exp(-(a x[0] +
// d)) exp(-a h)^q (rounding grows by about an ulp per node), instead of
// one per node. The ridge and the optional slope prior are in `lim`.
inline void logistic_newton_grid(const double *x, double h, const double *r, const double *w,
                                 size_t count, bool fit_slope, const NewtonLimits &lim, double *a,
                                 double *d) {
  const double x_max = std::max(std::fabs(x[0]), std::fabs(x[count - 1]));
  const bool prior = fit_slope && lim.slope_prior_sd > 0;
  for (int it = 0; it < lim.steps; ++it) {
    double ga = 0, gd = -lim.ridge * *d, haa = 0, had = 0, hdd = lim.ridge;
    const bool recur = grid_recurrence_safe(*a, *d, x_max);
    double e = std::exp(-(*a * x[0] + *d));
    const double ratio = std::exp(-*a * h);
    for (size_t q = 0; q < count; ++q) {
      double p;
      if (recur) {
        p = 1.0 / (1.0 + e);
        e *= ratio;
      } else {
        p = 1.0 / (1.0 + std::exp(-(*a * x[q] + *d)));
      }
      const double nq = r[q] + w[q];
      const double res = r[q] - nq * p, wt = nq * p * (1 - p);
      ga += res * x[q];
      gd += res;
      haa += wt * x[q] * x[q];
      had += wt * x[q];
      hdd += wt;
    }
    if (prior) {
      // log density -(log a - m)^2 / (2 s^2) - log a; its expected information
      // 1 / (s a)^2 stands in for the curvature, which can be positive.
      const double s2 = lim.slope_prior_sd * lim.slope_prior_sd, la = std::log(*a);
      ga += -(la - lim.slope_prior_mean) / (s2 * *a) - 1.0 / *a;
      haa += 1.0 / (s2 * *a * *a);
    }
    if (!newton_step(ga, gd, haa, had, hdd, fit_slope, lim, a, d)) break;
  }
}

}  // namespace v0
}  // namespace tutorcore
