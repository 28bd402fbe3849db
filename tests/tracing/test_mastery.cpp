// The mastery policy: thresholds, minimum attempts, the gating streak, and
// response-time credibility.
#include "../test_util.hpp"
#include "tutorcore/tracing/mastery.hpp"

using namespace tutorcore;

TEST_CASE("mastery needs the threshold and at least eight attempts") {
  MasteryPolicy policy;
  BktParams b{0.5, 0.3, 0.1, 0.05, 0.0};
  MasteryState s{b.p_init, 0, 0};
  int first_above = -1;
  for (int i = 1; i <= 10; ++i) {
    s = mastery_step(s, true, 1.0, b, policy, false);
    if (first_above < 0 && s.p_known >= 0.95) first_above = i;
    CHECK(is_mastered(s, policy, false) == (i >= 8 && s.p_known >= 0.95));
  }
  CHECK(first_above > 0);
  CHECK(first_above < 8);  // the estimate crossed early; the attempt rule held it back
  CHECK(is_mastered(s, policy, false));
}

TEST_CASE("low-stakes concepts use the lower threshold") {
  MasteryPolicy policy;
  MasteryState s{0.9, 8, 0};
  CHECK_FALSE(is_mastered(s, policy, false));
  CHECK(is_mastered(s, policy, true));
}

TEST_CASE("prerequisites open their dependants after two right answers at mastery level") {
  MasteryPolicy policy;
  BktParams b{0.96, 0.2, 0.1, 0.05, 0.0};
  MasteryState s{0.96, 8, 0};
  s = mastery_step(s, true, 1.0, b, policy, false);
  CHECK(is_mastered(s, policy, false));
  CHECK_FALSE(opens_dependants(s, policy, false));
  s = mastery_step(s, true, 1.0, b, policy, false);
  CHECK(opens_dependants(s, policy, false));
  s = mastery_step(s, false, 1.0, b, policy, false);
  CHECK(s.streak == 0);
  CHECK_FALSE(opens_dependants(s, policy, false));
}

TEST_CASE("a much-too-fast answer moves the estimate less") {
  MasteryPolicy policy;
  // Seed 001: two seconds on a problem that typically takes 45 is suspicious.
  double w = response_credibility(2000, 45000, policy);
  CHECK(w == doctest::Approx(2000.0 / (0.25 * 45000.0)));
  CHECK(response_credibility(30000, 45000, policy) == 1.0);
  CHECK(response_credibility(10, 45000, policy) == policy.min_credibility);
  CHECK(response_credibility(0, 45000, policy) == 1.0);  // unknown time
  BktParams b{0.3, 0.1, 0.2, 0.1, 0.0};
  MasteryState s{0.3, 0, 0};
  MasteryState normal = mastery_step(s, true, 1.0, b, policy, false);
  MasteryState fast = mastery_step(s, true, w, b, policy, false);
  CHECK(fast.p_known == doctest::Approx(0.3 + w * (normal.p_known - 0.3)));
  CHECK(fast.p_known < normal.p_known);
  CHECK(fast.attempts == 1);
}
