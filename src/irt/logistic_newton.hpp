// Newton steps for one item's logistic regression on ability: maximises
// sum_q r_q log P(x_q) + (n_q - r_q) log(1 - P(x_q)), P = sigmoid(a x + d).
// Serves both the MML M-step (x = quadrature nodes, r and n expected counts)
// and calibration from known abilities (x = abilities, n = 1, r = the answer).
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
};

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
    double sa = 0, sd;
    if (fit_slope) {
      const double det = haa * hdd - had * had;
      if (det <= 1e-12) break;
      sa = (hdd * ga - had * gd) / det;
      sd = (haa * gd - had * ga) / det;
    } else {
      if (hdd <= 1e-12) break;
      sd = gd / hdd;
    }
    // Damped: far from the optimum the quadratic model overshoots.
    sa = std::clamp(sa, -0.5, 0.5);
    sd = std::clamp(sd, -2.0, 2.0);
    *a = std::clamp(*a + sa, 0.01, lim.max_slope);
    *d = std::clamp(*d + sd, -30.0, 30.0);
    if (std::fabs(sa) < 1e-10 && std::fabs(sd) < 1e-10) break;
  }
}

}  // namespace v0
}  // namespace tutorcore
