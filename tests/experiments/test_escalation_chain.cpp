// Experiment 06's absorbing chain (benchmarks/experiments/06_escalation_convergence/
// chain.hpp), built from the escalation engine: absorption probabilities sum to
// one from every state, closed forms from the engine's rules, the Monte Carlo
// through escalation_step agrees with the analysis.
#include <doctest/doctest.h>

#include <cmath>

#include "../../benchmarks/experiments/06_escalation_convergence/chain.hpp"

using namespace exp06;
using tutorcore::EscalationState;

namespace {
ChainParams params(double p, double q, int max_attempts) {
  ChainParams c;
  c.p_resolve = p;
  c.p_prereq_low = q;
  c.p_remediated = 0.5;
  c.config.max_modality_attempts = max_attempts;
  return c;
}
double resolved(const Analysis &a) {
  return a.p_outcome[static_cast<size_t>(Outcome::resolved)];
}
double conference(const Analysis &a) {
  return a.p_outcome[static_cast<size_t>(Outcome::teacher_conference)];
}
}  // namespace

TEST_CASE("exp06 chain: a stochastic matrix whose absorption rows sum to one") {
  for (double q : {0.0, 0.25, 1.0}) {
    for (int m : {2, 4, 8}) {
      const Chain c = build_chain(params(0.35, q, m));
      const Analysis a = analyse(c);
      CAPTURE(q);
      CAPTURE(m);
      REQUIRE(c.Q.rows() > 0);
      CHECK(c.transient[0] == Node{tutorcore::escalation_begin(), false});
      for (Eigen::Index i = 0; i < c.Q.rows(); ++i) {
        CHECK(c.Q.row(i).sum() + c.R.row(i).sum() == doctest::Approx(1.0).epsilon(1e-12));
        CHECK(a.B.row(i).sum() == doctest::Approx(1.0).epsilon(1e-12));
        CHECK(a.outcome.row(i).sum() == doctest::Approx(1.0).epsilon(1e-12));
        CHECK(a.t(i) >= 1.0);
      }
      // Every absorbing state is one of the seed's terminal states.
      for (const Node &n : c.absorbing)
        CHECK((n.esc.state == EscalationState::resolved ||
               n.esc.state == EscalationState::teacher_conference));
    }
  }
}

TEST_CASE("exp06 chain: no remediation gives 1 - (1 - p)^m and the closed-form steps") {
  for (double p : {0.1, 0.2, 0.5, 0.9}) {
    for (int m : {2, 3, 4, 6, 8}) {
      const ChainParams cp = params(p, 0.0, m);
      const Analysis a = analyse(build_chain(cp));
      CAPTURE(p);
      CAPTURE(m);
      CHECK(resolved(a) == doctest::Approx(1.0 - std::pow(1.0 - p, m)).epsilon(1e-12));
      CHECK(conference(a) == doctest::Approx(std::pow(1.0 - p, m)).epsilon(1e-12));
      CHECK(a.e_steps == doctest::Approx(closed_form_steps_no_prereq(cp)).epsilon(1e-12));
      // One modality per attempt while there are untried ones.
      CHECK(a.e_attempts == doctest::Approx(a.e_assessments).epsilon(1e-12));
      if (m <= 5) CHECK(a.e_modalities == doctest::Approx(a.e_attempts).epsilon(1e-12));
    }
  }
  // The seed's reading at the default four attempts.
  CHECK(resolved(analyse(build_chain(params(0.5, 0.0, 4)))) == doctest::Approx(0.9375));
}

TEST_CASE("exp06 chain: remediation re-assesses the current intervention") {
  for (double q : {0.25, 0.5, 1.0}) {
    for (int m : {2, 4, 7}) {
      const ChainParams cp = params(0.3, q, m);
      const Analysis a = analyse(build_chain(cp));
      CAPTURE(q);
      CAPTURE(m);
      CHECK(conference(a) == doctest::Approx(closed_form_p_escalated(cp)).epsilon(1e-12));
      // Attempts never exceed the configured limit; re-assessments add assessments.
      CHECK(a.e_attempts <= m + 1e-12);
      if (m >= 3)
        CHECK(a.e_assessments > a.e_attempts);
      else  // m = 2: no prerequisite check, so no remediation
        CHECK(a.e_assessments == doctest::Approx(a.e_attempts).epsilon(1e-12));
    }
  }
  // m = 2: there is no prerequisite check at all.
  const Chain c = build_chain(params(0.3, 1.0, 2));
  for (const Node &n : c.transient)
    CHECK(n.esc.state != EscalationState::prerequisite_check);
}

TEST_CASE("exp06 chain: conferences lead to iep_referral when modelled") {
  ChainParams cp = params(0.2, 0.25, 4);
  cp.model_conferences = true;
  cp.p_conference = 0.5;
  const Analysis a = analyse(build_chain(cp));
  const double esc = closed_form_p_escalated(cp);
  const double fail = std::pow(0.5, cp.config.conferences_before_referral);
  CHECK(resolved(a) == doctest::Approx(1.0 - esc).epsilon(1e-12));
  CHECK(a.p_outcome[static_cast<size_t>(Outcome::teacher_resolved)] ==
        doctest::Approx(esc * (1.0 - fail)).epsilon(1e-12));
  CHECK(a.p_outcome[static_cast<size_t>(Outcome::iep_referral)] ==
        doctest::Approx(esc * fail).epsilon(1e-12));
  CHECK(conference(a) == 0.0);
}

TEST_CASE("exp06 chain: the Monte Carlo through escalation_step agrees with N = (I - Q)^-1") {
  for (double p : {0.2, 0.5, 0.8}) {
    ChainParams cp = params(p, 0.25, 4);
    const Analysis a = analyse(build_chain(cp));
    tutorcore::Rng rng(42);
    const McResult m = simulate(cp, 20000, rng);
    const Agreement g = compare(a, m);
    CAPTURE(p);
    // Fixed seed; a deviation beyond 4 standard errors would be a bug, not chance.
    CHECK(g.max_z() < 4.0);
    CHECK(g.max_abs_diff_p < 0.015);
    CHECK(m.mean_assessments == doctest::Approx(a.e_assessments).epsilon(0.03));
    CHECK(m.mean_attempts == doctest::Approx(a.e_attempts).epsilon(0.03));
  }
}

TEST_CASE("exp06 chain: bad parameters are refused") {
  ChainParams cp = params(1.5, 0.25, 4);
  CHECK_THROWS(build_chain(cp));
  cp = params(0.5, 0.25, 4);
  cp.p_remediated = 0.0;
  CHECK_THROWS(build_chain(cp));
  cp = params(0.5, 0.25, 1);
  CHECK_THROWS(build_chain(cp));
}
