// The Wilson score interval (interval.hpp).
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

}  // namespace v0
}  // namespace tutorcore
