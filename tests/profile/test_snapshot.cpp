// The student snapshot: Beta percentiles against reference values, mastery
// from counts, strategy bands and quiz adjustments, misconception lifecycle,
// weak areas and the recent window.
//
// Reference values: for integer a, b the Beta CDF is a binomial tail,
// I_x(a, b) = P(Binomial(a + b - 1, x) >= a), inverted by bisection in plain
// Python; Beta(2.5, 7.5) by Simpson's rule on the density (20,000 panels);
// Beta(1/2, 1/2) in closed form, x_p = sin^2(pi p / 2).
#include <cmath>
#include <string>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/profile/snapshot.hpp"

using namespace tutorcore;

namespace {
ResponseRecord resp(const std::string &concept_id, bool correct, const std::string &mis,
                    int64_t t) {
  ResponseRecord r;
  r.concept_id = concept_id;
  r.correct = correct;
  r.misconception_id = mis;
  r.time_us = t;
  return r;
}
const MisconceptionEntry *find(const StudentSnapshot &s, const std::string &id) {
  for (const auto &m : s.misconceptions)
    if (m.misconception_id == id) return &m;
  return nullptr;
}
}  // namespace

TEST_CASE("snapshot: Beta percentiles match reference values") {
  auto q = [](double p, double a, double b) { return beta_quantile(p, a, b); };
  // Beta(1, 1) is uniform.
  CHECK(q(0.05, 1, 1) == doctest::Approx(0.05).epsilon(1e-12));
  CHECK(q(0.95, 1, 1) == doctest::Approx(0.95).epsilon(1e-12));
  // Beta(2, 2): CDF 3x^2 - 2x^3.
  CHECK(q(0.05, 2, 2) == doctest::Approx(0.135350362172).epsilon(1e-10));
  CHECK(q(0.95, 2, 2) == doctest::Approx(0.864649637828).epsilon(1e-10));
  double x = q(0.05, 2, 2);
  CHECK(3 * x * x - 2 * x * x * x == doctest::Approx(0.05).epsilon(1e-12));
  CHECK(q(0.05, 10, 3) == doctest::Approx(0.561894564885).epsilon(1e-10));
  CHECK(q(0.95, 10, 3) == doctest::Approx(0.928129744458).epsilon(1e-10));
  CHECK(q(0.05, 3, 10) == doctest::Approx(0.071870255542).epsilon(1e-10));
  CHECK(q(0.05, 1, 20) == doctest::Approx(0.002561378777).epsilon(1e-10));
  CHECK(q(0.95, 1, 20) == doctest::Approx(0.139108340668).epsilon(1e-10));
  CHECK(q(0.05, 50, 50) == doctest::Approx(0.418109221588).epsilon(1e-10));
  CHECK(q(0.05, 2.5, 7.5) == doctest::Approx(0.0673116136).epsilon(1e-8));
  CHECK(q(0.95, 2.5, 7.5) == doctest::Approx(0.4916369651).epsilon(1e-8));
  CHECK(q(0.05, 0.5, 0.5) == doctest::Approx(0.006155829702).epsilon(1e-10));
  CHECK(q(0.0, 3, 4) == 0.0);
  CHECK(q(1.0, 3, 4) == 1.0);

  CHECK(incomplete_beta(0.7, 10, 3) == doctest::Approx(0.252815347855).epsilon(1e-11));
  CHECK(incomplete_beta(0.7, 2, 2) == doctest::Approx(0.784).epsilon(1e-12));
  CHECK(incomplete_beta(0.3, 2.5, 7.5) == doctest::Approx(0.678943485868).epsilon(1e-10));
  CHECK(incomplete_beta(0.7, 50, 50) == doctest::Approx(0.999984452200).epsilon(1e-11));

  // The quantile inverts the CDF across shapes, tails included, and mirrors:
  // x_p(a, b) = 1 - x_{1-p}(b, a). (Shapes whose quantiles lie closer to 1
  // than a double can tell from 1, such as Beta(30, 0.1) at 0.95, cannot
  // round-trip and are left out.)
  const double shapes[][2] = {{0.1, 30}, {0.5, 2}, {7, 3},       {200, 800},
                              {1, 1},    {1e5, 3}, {1000, 1000}, {3, 0.5}};
  for (const auto &ab : shapes) {
    for (double p : {1e-6, 0.05, 0.5, 0.95, 1 - 1e-6}) {
      double xq = q(p, ab[0], ab[1]);
      INFO("a=", ab[0], " b=", ab[1], " p=", p, " x=", xq);
      CHECK(xq >= 0.0);
      CHECK(xq <= 1.0);
      CHECK(incomplete_beta(xq, ab[0], ab[1]) == doctest::Approx(p).epsilon(1e-9));
    }
  }
  for (double p : {0.05, 0.3, 0.95})
    CHECK(q(p, 7, 3) == doctest::Approx(1.0 - q(1.0 - p, 3, 7)).epsilon(1e-12));
  // Far in a tail I_x = x^a / (a B(a, b)) (1 + O(x)), so x_p = (p a B(a, b))^(1/a)
  // to double precision (Python's math.lgamma for B).
  CHECK(q(1e-6, 0.1, 30) == doctest::Approx(2.05508004608811e-62).epsilon(1e-9));
  CHECK_THROWS_AS(beta_quantile(0.5, 0.0, 1.0), Error);
  CHECK_THROWS_AS(beta_quantile(1.5, 1.0, 1.0), Error);
  CHECK_THROWS_AS(incomplete_beta(std::nan(""), 1.0, 1.0), Error);
}

TEST_CASE("snapshot: concept mastery is Beta(1 + correct, 1 + wrong)") {
  SnapshotConfig c;
  ConceptMastery m = concept_mastery("c", 8, 6, QuizContext{}, c);
  CHECK(m.alpha == 7.0);
  CHECK(m.beta == 3.0);
  CHECK(m.mean == doctest::Approx(0.7));
  CHECK(m.lower == doctest::Approx(0.450358350493).epsilon(1e-10));
  CHECK(m.upper == doctest::Approx(0.902253186561).epsilon(1e-10));
  CHECK(m.strategy == Strategy::guided_practice);

  ConceptMastery none = concept_mastery("new", 0, 0, QuizContext{}, c);
  CHECK(none.mean == 0.5);
  CHECK(none.lower == doctest::Approx(0.05));
  CHECK(none.upper == doctest::Approx(0.95));
  CHECK(none.strategy == Strategy::socratic);

  CHECK_THROWS_AS(concept_mastery("c", 3, 4, QuizContext{}, c), Error);
  c.lower_percentile = 0.96;  // above upper_percentile
  CHECK_THROWS_AS(concept_mastery("c", 3, 1, QuizContext{}, c), Error);
}

TEST_CASE("strategy: the five mastery bands") {
  StrategyConfig c;
  CHECK(strategy_for_mastery(0.0, c) == Strategy::direct_instruction);
  CHECK(strategy_for_mastery(0.29, c) == Strategy::direct_instruction);
  CHECK(strategy_for_mastery(0.3, c) == Strategy::scaffolding);
  CHECK(strategy_for_mastery(0.49, c) == Strategy::scaffolding);
  CHECK(strategy_for_mastery(0.5, c) == Strategy::socratic);
  CHECK(strategy_for_mastery(0.69, c) == Strategy::socratic);
  CHECK(strategy_for_mastery(0.7, c) == Strategy::guided_practice);
  CHECK(strategy_for_mastery(0.9, c) == Strategy::guided_practice);  // challenge is > 0.9
  CHECK(strategy_for_mastery(0.91, c) == Strategy::challenge);
  CHECK(strategy_for_mastery(1.0, c) == Strategy::challenge);
  CHECK(std::string(strategy_name(Strategy::direct_instruction)) == "direct_instruction");
  // Without quiz evidence select_strategy is the band.
  CHECK(select_strategy(0.95, QuizContext{}, c) == Strategy::challenge);
}

TEST_CASE("strategy: quiz divergence nudges one band and a low pass rate caps at scaffolding") {
  StrategyConfig c;
  // High mastery, low quiz score: surface-level understanding, one band down.
  CHECK(select_strategy(0.8, {5, 0.3, 0.6}, c) == Strategy::socratic);
  CHECK(select_strategy(0.95, {5, 0.3, 0.6}, c) == Strategy::guided_practice);
  // Low mastery, high quiz score: a quiet student, one band up.
  CHECK(select_strategy(0.35, {5, 0.8, 0.9}, c) == Strategy::socratic);
  CHECK(select_strategy(0.1, {5, 0.8, 0.9}, c) == Strategy::scaffolding);
  // Agreement: no nudge.
  CHECK(select_strategy(0.8, {5, 0.8, 0.9}, c) == Strategy::guided_practice);
  CHECK(select_strategy(0.55, {5, 0.3, 0.9}, c) == Strategy::socratic);  // mastery not high
  // Pass rate below 40%: no further than scaffolding, whatever the band.
  CHECK(select_strategy(0.95, {5, 0.6, 0.3}, c) == Strategy::scaffolding);
  CHECK(select_strategy(0.6, {5, 0.6, 0.39}, c) == Strategy::scaffolding);
  CHECK(select_strategy(0.6, {5, 0.6, 0.40}, c) == Strategy::socratic);
  CHECK(select_strategy(0.2, {5, 0.6, 0.1}, c) == Strategy::direct_instruction);  // a cap only
  // The quiet student nudged up still meets the cap.
  CHECK(select_strategy(0.35, {5, 0.8, 0.2}, c) == Strategy::scaffolding);
  // Bad input.
  CHECK_THROWS_AS(select_strategy(1.2, QuizContext{}, c), Error);
  CHECK_THROWS_AS(select_strategy(0.5, {1, 1.5, 0.5}, c), Error);
  c.socratic_from = 0.8;  // above guided_practice_from
  CHECK_THROWS_AS(select_strategy(0.5, QuizContext{}, c), Error);
}

TEST_CASE("snapshot: misconception lifecycle active, resolving, resolved") {
  SnapshotConfig c;
  CHECK(misconception_lifecycle(EscalationState::resolved, 0, c) ==
        MisconceptionLifecycle::resolved);
  CHECK(misconception_lifecycle(EscalationState::intervention_assigned, 0, c) ==
        MisconceptionLifecycle::active);
  CHECK(misconception_lifecycle(EscalationState::intervention_assigned, 1, c) ==
        MisconceptionLifecycle::resolving);
  c.resolving_after = 2;
  CHECK(misconception_lifecycle(EscalationState::escalated, 1, c) ==
        MisconceptionLifecycle::active);

  SnapshotInput in;
  in.responses = {resp("a", false, "m1", 1), resp("b", false, "m2", 2), resp("a", true, "", 3),
                  resp("b", false, "m2", 4), resp("c", false, "m3", 5), resp("c", true, "", 6)};
  in.misconceptions = {{"m1", "", EscalationState::intervention_assigned},
                       {"m3", "c", EscalationState::resolved},
                       {"m4", "a", EscalationState::detected}};
  StudentSnapshot s = student_snapshot(in, SnapshotConfig{});
  REQUIRE(s.misconceptions.size() == 3);  // m1, m2, m4; m3 is resolved
  const MisconceptionEntry *m1 = find(s, "m1");
  REQUIRE(m1);
  CHECK(m1->concept_id == "a");
  CHECK(m1->occurrences == 1);
  CHECK(m1->clean_since_last == 1);
  CHECK(m1->lifecycle == MisconceptionLifecycle::resolving);
  const MisconceptionEntry *m2 = find(s, "m2");  // seen only in responses: open
  REQUIRE(m2);
  CHECK(m2->state == EscalationState::detected);
  CHECK(m2->occurrences == 2);
  CHECK(m2->lifecycle == MisconceptionLifecycle::active);
  const MisconceptionEntry *m4 = find(s, "m4");  // never shown in this history
  REQUIRE(m4);
  CHECK(m4->occurrences == 0);
  CHECK(m4->clean_since_last == 2);
  CHECK(m4->lifecycle == MisconceptionLifecycle::resolving);
  CHECK(find(s, "m3") == nullptr);
}

TEST_CASE("snapshot: weak areas below 0.4 and the recent history window") {
  SnapshotInput in;
  // Out of time order on purpose: the snapshot orders by time.
  in.responses = {resp("weak", false, "", 5), resp("weak", true, "", 1),
                  resp("weak", false, "", 3), resp("weak", false, "", 7),
                  resp("weak", false, "", 9), resp("ok", true, "", 2),
                  resp("ok", true, "", 4),    resp("ok", false, "", 6),
                  resp("ok", true, "", 8),    resp("ok", false, "", 10)};
  in.quiz = {4, 0.5, 0.5};
  SnapshotConfig c;
  c.recent_window = 3;
  StudentSnapshot s = student_snapshot(in, c);
  REQUIRE(s.mastery.size() == 2);
  CHECK(s.mastery[0].concept_id == "ok");                // by id
  CHECK(s.mastery[0].mean == doctest::Approx(4.0 / 7));  // Beta(4, 3)
  CHECK(s.mastery[1].mean == doctest::Approx(2.0 / 7));  // Beta(2, 5)
  CHECK(s.mastery[1].lower == doctest::Approx(0.062849891708).epsilon(1e-10));
  CHECK(s.mastery[1].upper == doctest::Approx(0.581803409252).epsilon(1e-10));
  CHECK(s.mastery[1].strategy == Strategy::direct_instruction);
  REQUIRE(s.weak_areas.size() == 1);
  CHECK(s.weak_areas[0] == "weak");
  REQUIRE(s.recent.size() == 3);
  CHECK(s.recent[0].time_us == 8);
  CHECK(s.recent[1].time_us == 9);
  CHECK(s.recent[2].time_us == 10);
  CHECK(s.quiz.attempts == 4);

  c.recent_window = 0;
  CHECK(student_snapshot(in, c).recent.empty());
  c.recent_window = 50;
  CHECK(student_snapshot(in, c).recent.size() == 10);
  c.weak_below = 0.6;
  CHECK(student_snapshot(in, c).weak_areas.size() == 2);
  in.quiz.pass_rate = 2.0;
  CHECK_THROWS_AS(student_snapshot(in, c), Error);
}
