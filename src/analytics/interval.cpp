// The Wilson score interval and the interval of a mean (interval.hpp).
#include "tutorcore/analytics/interval.hpp"

#include <algorithm>
#include <cmath>

namespace tutorcore {
inline namespace v0 {

Interval wilson_interval(int64_t successes, int64_t trials, double z) {
  if (trials <= 0) return {0.0, 1.0};
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(std::clamp<int64_t>(successes, 0, trials)) / n;
  const double z2 = z * z, denom = 1.0 + z2 / n;
  const double centre = (p + z2 / (2.0 * n)) / denom;
  const double half = z * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval mean_interval(double sum, double sum_squares, int64_t n, double z, double lo, double hi) {
  if (n < 2) return {lo, hi};
  const double k = static_cast<double>(n);
  const double mean = sum / k;
  const double var = std::max(0.0, (sum_squares - sum * mean) / (k - 1.0));
  const double half = z * std::sqrt(var / k);
  return {std::clamp(mean - half, lo, hi), std::clamp(mean + half, lo, hi)};
}

}  // namespace v0
}  // namespace tutorcore
