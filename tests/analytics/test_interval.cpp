// The Wilson interval against hand-computed values.
#include <cmath>

#include "../test_util.hpp"
#include "tutorcore/analytics/interval.hpp"

using namespace tutorcore;

TEST_CASE("analytics: the Wilson interval matches the formula and stays in [0, 1]") {
  // 8 of 10 at z = 1.96: centre (0.8 + 0.19208) / 1.38416 = 0.71682,
  // half 1.96 sqrt(0.016 + 0.0096040) / 1.38416 = 0.22659.
  Interval i = wilson_interval(8, 10);
  CHECK(i.low == doctest::Approx(0.49016).epsilon(1e-4));
  CHECK(i.high == doctest::Approx(0.94332).epsilon(1e-4));
  Interval zero = wilson_interval(0, 5);
  CHECK(zero.low == 0.0);
  CHECK(zero.high == doctest::Approx(0.43448).epsilon(1e-4));  // z^2/(n+z^2) = 3.8416/8.8416
  Interval all = wilson_interval(5, 5);
  CHECK(all.high == 1.0);
  CHECK(all.low == doctest::Approx(1 - 0.43448).epsilon(1e-4));
  Interval none = wilson_interval(0, 0);
  CHECK(none.low == 0.0);
  CHECK(none.high == 1.0);
  // Narrower with more trials at the same rate.
  CHECK(wilson_interval(80, 100).high - wilson_interval(80, 100).low < i.high - i.low);
}
