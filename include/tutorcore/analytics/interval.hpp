// Confidence intervals for rates (effectiveness, resolution rates): the
// Wilson score interval, which stays inside [0, 1] and behaves at small
// counts, where the normal approximation does not; and the interval of a
// mean (mastery means of a cohort).
#pragma once

#include <cstdint>

namespace tutorcore {
inline namespace v0 {

struct Interval {
  double low = 0.0, high = 1.0;
};

// The Wilson score interval for `successes` of `trials` at the normal
// quantile z (1.96: 95%). [0, 1] when trials is 0.
Interval wilson_interval(int64_t successes, int64_t trials, double z = 1.96);

// The normal-approximation interval of a mean, mean +- z sd / sqrt(n) with the
// sample standard deviation, from the sum and the sum of squares of n values,
// kept inside [lo, hi]. [lo, hi] when n < 2.
Interval mean_interval(double sum, double sum_squares, int64_t n, double z = 1.96, double lo = 0.0,
                       double hi = 1.0);

}  // namespace v0
}  // namespace tutorcore
