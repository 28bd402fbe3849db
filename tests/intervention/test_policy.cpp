// Modality selection policies (Thompson, greedy, uniform), their samplers and
// propensities, and off-policy evaluation by IPS and SNIPS.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/intervention/off_policy.hpp"
#include "tutorcore/intervention/policy.hpp"

using namespace tutorcore;

namespace {

constexpr size_t kVisual = 0, kConcrete = 1, kPattern = 2, kVerbal = 3, kPeer = 4;

ArmContext arm(int32_t attempts, int32_t resolutions, double student_rate, bool tried = false) {
  ArmContext a;
  a.class_attempts = attempts;
  a.class_resolutions = resolutions;
  a.student_rate = student_rate;
  a.tried = tried;
  return a;
}

// The same arm with the student's own outcomes: `attempts` assignments of
// which `resolutions` resolved, and the matching Laplace-smoothed vector entry.
ArmContext with_student(ArmContext a, int32_t attempts, int32_t resolutions) {
  a.student_attempts = attempts;
  a.student_resolutions = resolutions;
  a.student_rate = (resolutions + 1.0) / (attempts + 2.0);
  return a;
}

// Posterior means (with the default config): visual 9.5/17, concrete 9.75/17,
// pattern 10.25/17, verbal 11/17, peer 14/17.
PolicyContext worked_context(bool resolved_peer) {
  PolicyContext c;
  c.arms[kVisual] = arm(10, 6, 0.5);
  c.arms[kConcrete] = arm(0, 0, 0.75);
  c.arms[kPattern] = arm(10, 8, 0.25);
  c.arms[kVerbal] = arm(4, 3, 0.5);
  c.arms[kPeer] = arm(10, 9, 0.8);
  c.resolved_peer_exists = resolved_peer;
  return c;
}

// P(X_b > X_a) for Beta variables with integer alpha_b (Evan Miller's closed form).
double p_b_beats_a(double aa, double ba, double ab, double bb) {
  auto lbeta = [](double x, double y) {
    return std::lgamma(x) + std::lgamma(y) - std::lgamma(x + y);
  };
  double p = 0.0;
  for (int i = 0; i < static_cast<int>(ab); ++i)
    p += std::exp(lbeta(aa + i, bb + ba) - std::log(bb + i) - lbeta(1.0 + i, bb) - lbeta(aa, ba));
  return p;
}

struct Thrown {
  Errc code = Errc::internal;
  std::string message;
};

template <class F>
Thrown thrown(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return {e.code(), e.what()};
  }
  FAIL("no tutorcore::Error was thrown");
  return {};
}

}  // namespace

TEST_CASE("policy: the generator is xoshiro256** seeded by splitmix64, the same everywhere") {
  // Reference values from an independent implementation of the two algorithms.
  Rng a(0);
  CHECK(a.next() == 0x99ec5f36cb75f2b4ULL);
  CHECK(a.next() == 0xbf6e1f784956452aULL);
  Rng b(42);
  CHECK(b.next() == 0x15780b2e0c2ec716ULL);
  CHECK(b.next() == 0x6104d9866d113a7eULL);
  CHECK(b.next() == 0xae17533239e499a1ULL);
  Rng u(1);
  for (int i = 0; i < 100000; ++i) {
    double x = u.uniform();
    REQUIRE(x > 0.0);
    REQUIRE(x < 1.0);
  }
}

TEST_CASE("policy: Gamma and Beta samplers match their mean and variance") {
  // 200,000 draws each: the mean within 5 standard errors, the variance
  // within 3% (its relative standard error is below 0.5% here).
  const int n = 200000;
  Rng rng(11);
  struct Shape {
    double a, b;
  };
  for (Shape s : {Shape{0.5, 0.5}, Shape{1, 1}, Shape{2, 5}, Shape{9.5, 7.5}, Shape{30, 3}}) {
    CAPTURE(s.a);
    CAPTURE(s.b);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      double x = rng.beta(s.a, s.b);
      REQUIRE(x >= 0.0);
      REQUIRE(x <= 1.0);
      sum += x;
      sum2 += x * x;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    double m = s.a / (s.a + s.b);
    double v = s.a * s.b / ((s.a + s.b) * (s.a + s.b) * (s.a + s.b + 1));
    CHECK(std::fabs(mean - m) < 5 * std::sqrt(v / n));
    CHECK(var == doctest::Approx(v).epsilon(0.03));
  }
  for (double shape : {0.3, 1.0, 4.5, 50.0}) {
    CAPTURE(shape);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      double x = rng.gamma(shape);
      sum += x;
      sum2 += x * x;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    CHECK(std::fabs(mean - shape) < 5 * std::sqrt(shape / n));  // Gamma(k, 1): mean = var = k
    CHECK(var == doctest::Approx(shape).epsilon(0.03));
  }
  CHECK(thrown([&] { rng.gamma(0.0); }).code == Errc::invalid);
  CHECK(thrown([&] { rng.beta(1.0, std::nan("")); }).code == Errc::invalid);
}

TEST_CASE("policy: seed_rates posteriors follow the seed's formula and ignore the counts") {
  PolicyConfig cfg;
  cfg.evidence = PolicyEvidence::seed_rates;
  CHECK(modality_vector_entry(0, 0, cfg) == 0.5);
  CHECK(modality_vector_entry(3, 4, cfg) == doctest::Approx(4.0 / 6.0));
  PolicyContext c = worked_context(true);
  // The student's own counts play no part in the seed's formula.
  c.arms[kVisual].student_attempts = 40;
  c.arms[kVisual].student_resolutions = 4;
  BetaParams v = arm_posterior(c.arms[kVisual], cfg);  // 1 + 10 * 0.6 + 5 * 0.5
  CHECK(v.alpha == doctest::Approx(9.5));
  CHECK(v.beta == doctest::Approx(7.5));
  BetaParams k = arm_posterior(c.arms[kConcrete], cfg);  // no class data: 0.5
  CHECK(k.alpha == doctest::Approx(1 + 5 + 3.75));
  CHECK(k.beta == doctest::Approx(1 + 5 + 1.25));
  BetaParams p = arm_posterior(c.arms[kPeer], cfg);
  CHECK(p.alpha == doctest::Approx(14));
  CHECK(p.beta == doctest::Approx(3));
  // Without any outcomes of the student's (and no class evidence, the
  // default), the counts posterior is the seed's prior itself.
  PolicyConfig counts;
  CHECK(counts.evidence == PolicyEvidence::counts);
  CHECK(counts.class_evidence_weight == 0.0);
  CHECK(counts.student_evidence_weight == 1.0);
  for (size_t m = 0; m < kModalityCount; ++m) {
    BetaParams a = arm_posterior(worked_context(true).arms[m], counts);
    BetaParams b = arm_posterior(worked_context(true).arms[m], cfg);
    CHECK(a.alpha == b.alpha);
    CHECK(a.beta == b.beta);
  }
  CHECK(std::string(evidence_name(PolicyEvidence::counts)) == "counts");
  CHECK(std::string(evidence_name(PolicyEvidence::seed_rates)) == "seed_rates");
}

TEST_CASE("policy: counts posteriors add the outcomes to the seed's prior") {
  PolicyConfig cfg;  // counts, student outcomes at weight 1, class outcomes at 0
  // Visual: class 6 of 10 (c = 0.6), vector 0.5, the student 1 of 4.
  ArmContext v = arm(10, 6, 0.5);
  v.student_attempts = 4;
  v.student_resolutions = 1;
  BetaParams p = arm_posterior(v, cfg);
  CHECK(p.alpha == doctest::Approx(1 + 6 + 2.5 + 1));  // 10.5
  CHECK(p.beta == doctest::Approx(1 + 4 + 2.5 + 3));   // 10.5
  // Concrete: no class data (0.5), the student 2 of 2 (vector 0.75).
  BetaParams k = arm_posterior(with_student(arm(0, 0, 0.0), 2, 2), cfg);
  CHECK(k.alpha == doctest::Approx(1 + 5 + 3.75 + 2));  // 11.75
  CHECK(k.beta == doctest::Approx(1 + 5 + 1.25 + 0));   // 7.25
  // The class's outcomes at 0.1 each, the student's at 0.5 each.
  PolicyConfig w = cfg;
  w.class_evidence_weight = 0.1;
  w.student_evidence_weight = 0.5;
  p = arm_posterior(v, w);
  CHECK(p.alpha == doctest::Approx(1 + 6 + 2.5 + 0.5 * 1 + 0.1 * 6));  // 10.6
  CHECK(p.beta == doctest::Approx(1 + 4 + 2.5 + 0.5 * 3 + 0.1 * 4));   // 9.4

  // The posterior narrows as the student's evidence grows, and its mean
  // goes to the student's own rate (0.7 here; the class's is 0.5); the
  // seed's never narrows (17 pseudo-observations, however much is known).
  PolicyConfig seed = cfg;
  seed.evidence = PolicyEvidence::seed_rates;
  auto sd = [](BetaParams b) {
    double n = b.alpha + b.beta;
    return std::sqrt(b.alpha * b.beta / (n * n * (n + 1)));
  };
  double last_sd = 1, last_gap = 1;
  for (int n : {0, 10, 100, 1000, 10000}) {
    CAPTURE(n);
    ArmContext a = with_student(arm(20, 10, 0.5), n, 7 * n / 10);
    BetaParams c = arm_posterior(a, cfg), s = arm_posterior(a, seed);
    CHECK(sd(c) < last_sd);
    CHECK(std::fabs(c.mean() - 0.7) < last_gap);
    last_sd = sd(c);
    last_gap = std::fabs(c.mean() - 0.7);
    CHECK(s.alpha + s.beta == doctest::Approx(17));
  }
  CHECK(last_sd < 0.005);
  CHECK(last_gap < 0.001);
}

TEST_CASE("policy: tried modalities and peer without a resolved peer are never chosen") {
  PolicyConfig cfg;
  PolicyContext c = worked_context(false);
  // The arms that look best are the ones excluded.
  c.arms[kVerbal] = arm(100, 100, 1.0, true);
  c.arms[kPattern] = arm(100, 95, 1.0, true);
  c.arms[kPeer] = arm(100, 100, 1.0);
  ModalityFlags avail = available_modalities(c);
  CHECK(avail == ModalityFlags{true, true, false, false, false});
  Rng rng(5);
  for (PolicyKind kind : {PolicyKind::thompson, PolicyKind::greedy, PolicyKind::uniform}) {
    CAPTURE(policy_name(kind));
    for (int i = 0; i < 2000; ++i) {
      Decision d = decide(kind, c, cfg, rng);
      REQUIRE(d.available_count == 2);
      REQUIRE((d.chosen == Modality::visual || d.chosen == Modality::concrete));
      REQUIRE((d.greedy == Modality::visual || d.greedy == Modality::concrete));
      CHECK(d.probabilities[kPattern] == 0.0);
      CHECK(d.probabilities[kVerbal] == 0.0);
      CHECK(d.probabilities[kPeer] == 0.0);
      CHECK(std::isnan(d.scores[kPeer]));
    }
  }
  // With a resolved classmate, peer tutoring is offered (and here is best).
  c.resolved_peer_exists = true;
  Decision d = decide(PolicyKind::greedy, c, cfg, rng);
  CHECK(d.chosen == Modality::peer);

  // Nothing left: a clear answer, no choice, the caller escalates.
  for (ArmContext &a : c.arms)
    a.tried = true;
  for (PolicyKind kind : {PolicyKind::thompson, PolicyKind::greedy, PolicyKind::uniform}) {
    Decision none = decide(kind, c, cfg, rng);
    CHECK(none.none_available());
    CHECK(none.propensity == 0.0);
    CHECK(none.probabilities == ModalityValues{});
    Modality m;
    CHECK_FALSE(greedy_choice(c, cfg, &m));
  }
  PolicyContext only_peer;  // every other modality tried and no resolved peer
  for (size_t m = 0; m < kPeer; ++m)
    only_peer.arms[m].tried = true;
  CHECK(decide(PolicyKind::thompson, only_peer, cfg, rng).none_available());
}

TEST_CASE("policy: greedy picks the hand-computed best and breaks ties by modality order") {
  PolicyConfig cfg;
  Rng rng(3), untouched(3);
  // Means 9.5, 9.75, 10.25, 11 (of 17) and peer excluded: verbal.
  Decision d = decide(PolicyKind::greedy, worked_context(false), cfg, rng);
  CHECK(d.chosen == Modality::verbal);
  CHECK(d.greedy == Modality::verbal);
  CHECK(d.propensity == 1.0);
  CHECK(d.probabilities == ModalityValues{0, 0, 0, 1, 0});
  CHECK(d.scores[kVerbal] == doctest::Approx(11.0 / 17.0));
  CHECK(d.scores[kPattern] == doctest::Approx(10.25 / 17.0));
  CHECK(rng.next() == untouched.next());  // greedy draws nothing
  CHECK(decide(PolicyKind::greedy, worked_context(true), cfg, rng).chosen == Modality::peer);

  PolicyContext tie;
  tie.arms[kConcrete] = arm(10, 7, 0.6);
  tie.arms[kVerbal] = arm(10, 7, 0.6);
  Modality m;
  REQUIRE(greedy_choice(tie, cfg, &m));
  CHECK(m == Modality::concrete);
  // The Thompson decision reports the same greedy choice beside its own.
  CHECK(decide(PolicyKind::thompson, tie, cfg, rng).greedy == Modality::concrete);

  // The student's own record decides under counts, the class's under the
  // seed's formula. Visual: class 10 of 20, the student 7 of 8 (vector 0.8);
  // concrete: class 14 of 20, the student never tried it (vector 0.5).
  PolicyContext own;
  for (ArmContext &a : own.arms)
    a.tried = true;
  own.arms[kVisual] = with_student(arm(20, 10, 0.5), 8, 7);
  own.arms[kConcrete] = arm(20, 14, 0.5);
  PolicyConfig seed = cfg;
  seed.evidence = PolicyEvidence::seed_rates;
  // seed_rates: visual 10/17 = 0.588, concrete 10.5/17 = 0.618.
  Decision s = decide(PolicyKind::greedy, own, seed, rng);
  CHECK(s.chosen == Modality::concrete);
  CHECK(s.scores[kVisual] == doctest::Approx(10.0 / 17.0));
  CHECK(s.scores[kConcrete] == doctest::Approx(10.5 / 17.0));
  // counts: visual (10 + 7) / (17 + 8) = 0.68, concrete still 0.618.
  Decision n = decide(PolicyKind::greedy, own, cfg, rng);
  CHECK(n.chosen == Modality::visual);
  CHECK(n.scores[kVisual] == doctest::Approx(17.0 / 25.0));
  CHECK(n.greedy == Modality::visual);
  CHECK(decide(PolicyKind::thompson, own, cfg, rng).greedy == Modality::visual);
}

TEST_CASE("policy: uniform propensity is 1/k over the available modalities") {
  PolicyConfig cfg;
  PolicyContext c = worked_context(false);
  c.arms[kConcrete].tried = true;  // visual, pattern, verbal remain
  Rng rng(8);
  const int n = 30000;
  int counts[kModalityCount] = {};
  for (int i = 0; i < n; ++i) {
    Decision d = decide(PolicyKind::uniform, c, cfg, rng);
    REQUIRE(d.propensity == doctest::Approx(1.0 / 3.0));
    counts[static_cast<size_t>(d.chosen)]++;
  }
  CHECK(counts[kConcrete] == 0);
  CHECK(counts[kPeer] == 0);
  for (size_t m : {kVisual, kPattern, kVerbal})
    CHECK(std::fabs(counts[m] / double(n) - 1.0 / 3.0) < 4.5 * std::sqrt(2.0 / 9.0 / n));
  ModalityValues p = choice_probabilities(PolicyKind::uniform, worked_context(true), cfg);
  for (double x : p)
    CHECK(x == doctest::Approx(0.2));
}

TEST_CASE("policy: Thompson propensities agree with the closed form for two arms") {
  // Integer Beta parameters: alpha = 1 + 10 c + 5 e with c = 0.6, e = 0.4
  // gives Beta(9, 8); c = 0.8, e = 0.6 gives Beta(12, 5).
  PolicyConfig cfg;
  PolicyContext c;
  for (ArmContext &a : c.arms)
    a.tried = true;
  c.arms[kVisual] = arm(10, 6, 0.4);
  c.arms[kPattern] = arm(10, 8, 0.6);
  ModalityValues p = choice_probabilities(PolicyKind::thompson, c, cfg);
  double exact = p_b_beats_a(9, 8, 12, 5);
  CHECK(p[kPattern] == doctest::Approx(exact).epsilon(1e-9));
  CHECK(p[kVisual] == doctest::Approx(1 - exact).epsilon(1e-9));

  // Much more concentrated posteriors (2,000 pseudo-observations) still integrate well.
  PolicyConfig sharp;
  sharp.class_weight = 1000;
  sharp.student_weight = 1000;
  c.arms[kVisual] = arm(100, 60, 0.4);   // Beta(1001, 1001)
  c.arms[kPattern] = arm(100, 51, 0.5);  // Beta(1011, 991)
  p = choice_probabilities(PolicyKind::thompson, c, sharp);
  exact = p_b_beats_a(1001, 1001, 1011, 991);
  CHECK(p[kPattern] == doctest::Approx(exact).epsilon(1e-8));

  // Fractional exponents near 0 and near 1, where a density is not smooth
  // at the end of [0, 1] (the exact answer needs an integer alpha for the
  // second arm only). class_weight 1.5, student_weight 1:
  //   alpha = 1 + 1.5 c + e + s,  beta = 1 + 1.5 (1 - c) + (1 - e) + f.
  PolicyConfig frac;
  frac.class_weight = 1.5;
  frac.student_weight = 1.0;
  PolicyContext z = c;
  z.arms[kVisual] = arm(10, 2, 0.0);  // Beta(1.3, 3.2 + 37) with 37 failures
  z.arms[kVisual].student_attempts = 37;
  z.arms[kPattern] = arm(10, 0, 0.0);  // Beta(1 + 2, 3.5 + 26)
  z.arms[kPattern].student_attempts = 28;
  z.arms[kPattern].student_resolutions = 2;
  REQUIRE(arm_posterior(z.arms[kVisual], frac).alpha == doctest::Approx(1.3));
  REQUIRE(arm_posterior(z.arms[kVisual], frac).beta == doctest::Approx(40.2));
  REQUIRE(arm_posterior(z.arms[kPattern], frac).alpha == doctest::Approx(3.0));
  REQUIRE(arm_posterior(z.arms[kPattern], frac).beta == doctest::Approx(29.5));
  p = choice_probabilities(PolicyKind::thompson, z, frac);
  exact = p_b_beats_a(1.3, 40.2, 3.0, 29.5);
  CHECK(std::fabs(p[kPattern] - exact) < 1e-11);
  // The mirror image near 1: Beta(40.2, 1.3) and Beta(29.5, 3).
  PolicyContext one = c;
  one.arms[kVisual] = arm(10, 8, 1.0);
  one.arms[kVisual].student_attempts = one.arms[kVisual].student_resolutions = 37;
  one.arms[kPattern] = arm(10, 10, 1.0);
  one.arms[kPattern].student_attempts = 28;
  one.arms[kPattern].student_resolutions = 26;
  REQUIRE(arm_posterior(one.arms[kVisual], frac).beta == doctest::Approx(1.3));
  REQUIRE(arm_posterior(one.arms[kPattern], frac).alpha == doctest::Approx(29.5));
  p = choice_probabilities(PolicyKind::thompson, one, frac);
  CHECK(std::fabs(p[kVisual] - exact) < 1e-11);

  // Identical arms split evenly.
  PolicyContext same;
  same.resolved_peer_exists = true;
  p = choice_probabilities(PolicyKind::thompson, same, cfg);
  for (double x : p)
    CHECK(x == doctest::Approx(0.2).epsilon(1e-10));
}

TEST_CASE("policy: Thompson propensities sum to 1 and match the empirical choice frequencies") {
  PolicyConfig cfg;
  // The worked context (the seed's prior alone), and one where the
  // student's own outcomes have sharpened every posterior differently.
  PolicyContext worked = worked_context(true), seen = worked_context(true);
  seen.arms[kVisual] = with_student(seen.arms[kVisual], 12, 9);
  seen.arms[kConcrete] = with_student(seen.arms[kConcrete], 3, 1);
  seen.arms[kPattern] = with_student(seen.arms[kPattern], 30, 21);
  seen.arms[kVerbal] = with_student(seen.arms[kVerbal], 1, 1);
  seen.arms[kPeer] = with_student(seen.arms[kPeer], 6, 3);
  for (const PolicyContext *c : {&worked, &seen}) {
    ModalityValues p = choice_probabilities(PolicyKind::thompson, *c, cfg);
    double sum = 0;
    for (double x : p)
      sum += x;
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-12));
    if (c == &worked) {
      CHECK(p[kPeer] > p[kVerbal]);
      CHECK(p[kVerbal] > p[kVisual]);
    }
    // 40,000 decisions: each frequency within 4.5 binomial standard errors.
    const int n = 40000;
    int counts[kModalityCount] = {};
    Rng rng(2024);
    for (int i = 0; i < n; ++i) {
      Decision d = decide(PolicyKind::thompson, *c, cfg, rng);
      REQUIRE(d.propensity == p[static_cast<size_t>(d.chosen)]);
      counts[static_cast<size_t>(d.chosen)]++;
    }
    for (size_t m = 0; m < kModalityCount; ++m) {
      CAPTURE(m);
      CAPTURE(p[m]);
      CHECK(std::fabs(counts[m] / double(n) - p[m]) < 4.5 * std::sqrt(p[m] * (1 - p[m]) / n));
    }
  }
}

TEST_CASE("policy: under counts Thompson settles on the student's best modality") {
  // The student resolved 80% with visual and 50% with concrete over 80
  // tries each; the class found both at 50%.
  PolicyContext c;
  for (ArmContext &a : c.arms)
    a.tried = true;
  c.arms[kVisual] = with_student(arm(20, 10, 0.5), 80, 64);
  c.arms[kConcrete] = with_student(arm(20, 10, 0.5), 80, 40);
  PolicyConfig counts, seed;
  seed.evidence = PolicyEvidence::seed_rates;
  // counts: Beta(73.96, 23.04) against Beta(48.5, 48.5), four sds apart.
  ModalityValues pc = choice_probabilities(PolicyKind::thompson, c, counts);
  CHECK(pc[kVisual] > 0.9999);
  // seed_rates: Beta(9.96, 7.04) against Beta(8.5, 8.5), and so after any
  // number of tries: concrete keeps being drawn a quarter of the time.
  ModalityValues ps = choice_probabilities(PolicyKind::thompson, c, seed);
  CHECK(ps[kVisual] > 0.6);
  CHECK(ps[kVisual] < 0.8);
}

TEST_CASE("policy: the same seed gives the same decisions") {
  PolicyConfig cfg;
  PolicyContext c = worked_context(true);
  for (PolicyKind kind : {PolicyKind::thompson, PolicyKind::uniform}) {
    Rng a(99), b(99), other(100);
    bool differs = false;
    for (int i = 0; i < 300; ++i) {
      Decision x = decide(kind, c, cfg, a), y = decide(kind, c, cfg, b);
      Decision z = decide(kind, c, cfg, other);
      REQUIRE(x.chosen == y.chosen);
      REQUIRE(x.propensity == y.propensity);
      for (size_t m = 0; m < kModalityCount; ++m)
        REQUIRE(x.scores[m] == y.scores[m]);
      differs = differs || x.chosen != z.chosen;
    }
    CHECK(differs);
  }
}

TEST_CASE("policy: invalid configs and contexts are refused, naming the field") {
  PolicyContext c;
  Rng rng(1);
  PolicyConfig cfg;
  cfg.class_weight = -1;
  Thrown t = thrown([&] { decide(PolicyKind::thompson, c, cfg, rng); });
  CHECK(t.code == Errc::invalid);
  CHECK(t.message.find("class_weight") != std::string::npos);
  cfg = {};
  cfg.prior_alpha = 0.5;
  CHECK(thrown([&] { check_policy_config(cfg); }).message.find("prior_alpha") != std::string::npos);
  cfg = {};
  cfg.no_data_rate = std::nan("");
  CHECK(thrown([&] { check_policy_config(cfg); }).code == Errc::invalid);
  c.arms[kPattern] = arm(3, 5, 0.5);
  t = thrown([&] { decide(PolicyKind::greedy, c, PolicyConfig{}, rng); });
  CHECK(t.code == Errc::invalid);
  CHECK(t.message.find("pattern") != std::string::npos);
  c.arms[kPattern] = arm(3, 2, 1.5);
  CHECK(thrown([&] {
          choice_probabilities(PolicyKind::uniform, c, PolicyConfig{});
        }).message.find("student_rate") != std::string::npos);
  CHECK(thrown([&] { modality_vector_entry(2, 1, PolicyConfig{}); }).code == Errc::invalid);

  // The counts posterior's fields, the evidence kind and the weights' ceiling.
  struct Bad {
    const char *field;
    PolicyConfig cfg;
  };
  std::vector<Bad> bad;
  for (double v : {-0.5, std::nan(""), std::numeric_limits<double>::infinity(), 2e6}) {
    PolicyConfig a, b, w;
    a.student_evidence_weight = v;
    b.class_evidence_weight = v;
    w.class_weight = v;
    bad.push_back({"student_evidence_weight", a});
    bad.push_back({"class_evidence_weight", b});
    bad.push_back({"class_weight", w});
  }
  PolicyConfig big_prior;
  big_prior.prior_beta = 1e7;
  bad.push_back({"prior_beta", big_prior});
  PolicyConfig kind;
  kind.evidence = static_cast<PolicyEvidence>(7);
  bad.push_back({"evidence", kind});
  for (const Bad &b : bad) {
    CAPTURE(b.field);
    Thrown e = thrown([&] { check_policy_config(b.cfg); });
    CHECK(e.code == Errc::invalid);
    CHECK(e.message.find(b.field) != std::string::npos);
  }
  PolicyConfig edge;
  edge.class_weight = edge.student_weight = kMaxPolicyWeight;
  edge.class_evidence_weight = edge.student_evidence_weight = kMaxPolicyWeight;
  CHECK_NOTHROW(check_policy_config(edge));

  // The student's counts, like the class's.
  PolicyContext s;
  s.arms[kVerbal].student_attempts = 2;
  s.arms[kVerbal].student_resolutions = 3;
  t = thrown([&] { decide(PolicyKind::thompson, s, PolicyConfig{}, rng); });
  CHECK(t.code == Errc::invalid);
  CHECK(t.message.find("verbal") != std::string::npos);
  CHECK(t.message.find("student_resolutions") != std::string::npos);
  s.arms[kVerbal].student_attempts = -1;
  s.arms[kVerbal].student_resolutions = 0;
  CHECK(thrown([&] { choice_probabilities(PolicyKind::greedy, s, PolicyConfig{}); }).code ==
        Errc::invalid);
}

namespace {

// A known bandit: every student has the same true resolution probability
// per modality, and four kinds of context (what was tried, whether a peer
// resolved) arrive equally often.
constexpr double kTrueP[kModalityCount] = {0.30, 0.55, 0.45, 0.40, 0.70};

std::vector<PolicyContext> bandit_contexts() {
  std::vector<PolicyContext> cs(4);
  cs[0].arms[kVisual] = arm(20, 6, 0.5);
  cs[0].arms[kConcrete] = arm(20, 11, 0.6);
  cs[0].arms[kPattern] = arm(20, 9, 0.5);
  cs[0].arms[kVerbal] = arm(20, 8, 0.4);
  cs[0].arms[kPeer] = arm(20, 14, 0.5);
  // The student's own record sharpens two of the posteriors.
  cs[0].arms[kVisual] = with_student(cs[0].arms[kVisual], 5, 1);
  cs[0].arms[kConcrete] = with_student(cs[0].arms[kConcrete], 4, 3);
  cs[1] = cs[0];
  cs[1].resolved_peer_exists = true;
  cs[2] = cs[1];
  cs[2].arms[kConcrete].tried = true;
  cs[2].arms[kPeer].student_rate = 0.25;
  cs[3] = cs[0];
  cs[3].arms[kConcrete].tried = true;
  cs[3].arms[kPattern].tried = true;
  return cs;
}

// The true value of a policy: the average over contexts of sum_m P(m) p_m.
double true_value(const std::vector<ModalityValues> &probs) {
  double v = 0;
  for (const ModalityValues &p : probs)
    for (size_t m = 0; m < kModalityCount; ++m)
      v += p[m] * kTrueP[m];
  return v / static_cast<double>(probs.size());
}

ModalityValues oracle(const PolicyContext &c) {
  ModalityFlags avail = available_modalities(c);
  size_t best = kModalityCount;
  for (size_t m = 0; m < kModalityCount; ++m)
    if (avail[m] && (best == kModalityCount || kTrueP[m] > kTrueP[best])) best = m;
  ModalityValues p{};
  p[best] = 1.0;
  return p;
}

}  // namespace

TEST_CASE("ips: a uniform logging policy's log recovers the true value of other policies") {
  PolicyConfig cfg;
  std::vector<PolicyContext> cs = bandit_contexts();
  const size_t n = 80000;  // enough for 3 standard errors below 0.02 with weights up to 4
  Rng rng(42);
  std::vector<LoggedDecision> log;
  std::vector<size_t> kind;  // the context each record came from
  for (size_t i = 0; i < n; ++i) {
    size_t k = std::min<size_t>(cs.size() - 1, static_cast<size_t>(rng.uniform() * cs.size()));
    Decision d = decide(PolicyKind::uniform, cs[k], cfg, rng);
    LoggedDecision r;
    r.context = cs[k];
    r.chosen = d.chosen;
    r.propensity = d.propensity;
    r.reward = rng.uniform() < kTrueP[static_cast<size_t>(d.chosen)] ? 1.0 : 0.0;
    log.push_back(r);
    kind.push_back(k);
  }
  // The tolerance: 3 standard errors of the estimate, and never above 0.02.
  auto close = [](double est, double se, double truth) {
    CAPTURE(est);
    CAPTURE(se);
    CAPTURE(truth);
    CHECK(se < 0.02 / 3);
    CHECK(std::fabs(est - truth) < 3 * se);
  };

  // The logging policy itself: all weights 1, IPS = the mean reward.
  OffPolicyEstimate self = estimate_off_policy(log, PolicyKind::uniform, cfg);
  double mean_reward = 0;
  for (const LoggedDecision &r : log)
    mean_reward += r.reward;
  CHECK(self.ips == doctest::Approx(mean_reward / n));
  CHECK(self.snips == doctest::Approx(mean_reward / n));
  CHECK(self.effective_records == doctest::Approx(double(n)));

  // Greedy on the true means (a deterministic target), as a function.
  std::vector<ModalityValues> oracle_probs;
  for (const PolicyContext &c : cs)
    oracle_probs.push_back(oracle(c));
  OffPolicyEstimate o = estimate_off_policy(
      log, std::function<double(const LoggedDecision &)>([](const LoggedDecision &r) {
        return oracle(r.context)[static_cast<size_t>(r.chosen)];
      }));
  double v_oracle = true_value(oracle_probs);  // (0.55 + 0.70 + 0.70 + 0.40) / 4
  CHECK(v_oracle == doctest::Approx(0.5875));
  close(o.ips, o.ips_se, v_oracle);
  close(o.snips, o.snips_se, v_oracle);
  CHECK(o.mean_weight == doctest::Approx(1.0).epsilon(0.05));

  // Thompson under the default config (a stochastic target), by kind.
  std::vector<ModalityValues> ts_probs;
  for (const PolicyContext &c : cs)
    ts_probs.push_back(choice_probabilities(PolicyKind::thompson, c, cfg));
  OffPolicyEstimate t = estimate_off_policy(log, PolicyKind::thompson, cfg);
  close(t.ips, t.ips_se, true_value(ts_probs));
  close(t.snips, t.snips_se, true_value(ts_probs));

  // A fixed stochastic policy given as precomputed target propensities.
  std::vector<ModalityValues> mix_probs;
  for (const PolicyContext &c : cs) {
    ModalityValues u = choice_probabilities(PolicyKind::uniform, c, cfg), g = oracle(c), p;
    for (size_t m = 0; m < kModalityCount; ++m)
      p[m] = 0.3 * u[m] + 0.7 * g[m];
    mix_probs.push_back(p);
  }
  std::vector<double> target(n);
  for (size_t i = 0; i < n; ++i)
    target[i] = mix_probs[kind[i]][static_cast<size_t>(log[i].chosen)];
  OffPolicyEstimate mix = estimate_off_policy(log, target);
  close(mix.ips, mix.ips_se, true_value(mix_probs));
  close(mix.snips, mix.snips_se, true_value(mix_probs));
}

TEST_CASE("ips: bad propensities and rewards are refused, naming the record") {
  std::vector<LoggedDecision> log(4);
  for (LoggedDecision &r : log) {
    r.propensity = 0.25;
    r.reward = 1.0;
  }
  std::vector<double> target(4, 0.5);
  CHECK_NOTHROW(estimate_off_policy(log, target));
  log[3].propensity = 1.0;  // a deterministic logging policy is allowed
  CHECK_NOTHROW(estimate_off_policy(log, target));
  for (double bad : {0.0, -0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    CAPTURE(bad);
    std::vector<LoggedDecision> b = log;
    b[2].propensity = bad;
    Thrown t = thrown([&] { estimate_off_policy(b, target); });
    CHECK(t.code == Errc::invalid);
    CHECK(t.message.find("record 2") != std::string::npos);
    CHECK(t.message.find("logged propensity") != std::string::npos);
  }
  for (double bad : {-0.5, 1.01, std::numeric_limits<double>::quiet_NaN()}) {
    std::vector<double> tb = target;
    tb[1] = bad;
    Thrown t = thrown([&] { estimate_off_policy(log, tb); });
    CHECK(t.code == Errc::invalid);
    CHECK(t.message.find("record 1") != std::string::npos);
  }
  std::vector<LoggedDecision> b = log;
  b[0].reward = std::numeric_limits<double>::infinity();
  CHECK(thrown([&] { estimate_off_policy(b, target); }).message.find("record 0") !=
        std::string::npos);
  CHECK(thrown([&] { estimate_off_policy(log, std::vector<double>(3, 0.5)); }).code ==
        Errc::invalid);
  CHECK(thrown([&] { estimate_off_policy({}, std::vector<double>{}); }).code == Errc::invalid);

  // A target that never takes the logged choices: IPS 0, SNIPS undefined.
  OffPolicyEstimate e = estimate_off_policy(log, std::vector<double>(4, 0.0));
  CHECK(e.ips == 0.0);
  CHECK(std::isnan(e.snips));
  CHECK(e.effective_records == 0.0);
}
