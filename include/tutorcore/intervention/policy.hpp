// Modality selection: which of the five intervention modalities to assign
// next for a student's misconception. Three policies share one context:
// Thompson sampling (the seed's default), greedy on the posterior mean, and
// uniform at random (the exploration baseline and a safe logging policy).
//
// Every modality m has a Beta posterior for the student's resolution
// probability. Its prior is the seed's blend: the class-wide rate c_m
// (resolutions / attempts across the class, no_data_rate with no data) at
// class_weight pseudo-observations and the student's modality vector entry
// e_m at student_weight, on top of Beta(prior_alpha, prior_beta):
//   alpha0_m = prior_alpha + class_weight c_m + student_weight e_m
//   beta0_m  = prior_beta + class_weight (1 - c_m) + student_weight (1 - e_m)
// With the defaults, 1 + 10 c_m + 5 e_m and 1 + 10 (1 - c_m) + 5 (1 - e_m).
//
// PolicyEvidence::counts (the default) adds the outcomes as counts, so the
// posterior narrows as evidence accumulates and its mean tends to the
// student's own rate: with the student's s_m resolutions and f_m failures
// with m and the class's S_m and F_m,
//   alpha_m = alpha0_m + student_evidence_weight s_m + class_evidence_weight S_m
//   beta_m  = beta0_m + student_evidence_weight f_m + class_evidence_weight F_m.
// PolicyEvidence::seed_rates is the seed's literal select_intervention:
// alpha0_m, beta0_m alone. Its draws never narrow (17 pseudo-observations
// however much is known), so Thompson keeps exploring at the same rate.
// In bench_policy's simulated classes counts lowers Thompson's regret in
// every world (by 4% to 33% after 50 interactions), but greedy on the same
// posterior mean resolves as much or more at every horizon measured (15 to
// 500 interactions per student).
//
// Modalities already tried for this misconception are not offered again, and
// peer tutoring only when a classmate has resolved the same misconception.
//
// Every decision also reports its propensity, the probability that the
// policy picks the chosen modality given the context, so that logged
// decisions can evaluate other policies off-line (off_policy.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "tutorcore/knowledge/domain.hpp"

namespace tutorcore {
inline namespace v0 {

// What the posterior counts beyond the seed's prior (formulas above).
enum class PolicyEvidence : uint8_t {
  counts = 0,  // prior + the outcomes as counts: a posterior that narrows
  seed_rates,  // the seed's formula: the prior alone, rates at fixed weights
};
const char *evidence_name(PolicyEvidence evidence);

// The largest prior, weight or evidence weight a config may hold.
constexpr double kMaxPolicyWeight = 1e6;

// Every weight is in [0, kMaxPolicyWeight], the prior's parameters in [1, kMaxPolicyWeight].
struct PolicyConfig {
  PolicyEvidence evidence = PolicyEvidence::counts;
  // The Beta every modality starts from before any data (the seed's +1s).
  // Both at least 1, so every posterior density is bounded and log-concave
  // (the Thompson propensities integrate it numerically).
  double prior_alpha = 1.0;
  double prior_beta = 1.0;
  // Pseudo-observations the class-wide resolution rate counts for in the prior.
  double class_weight = 10.0;
  // Pseudo-observations the student's modality vector entry counts for in
  // the prior. The vector is the student's own Laplace-smoothed rate, so
  // under `counts` these 5 pseudo-observations count the student's data a
  // second time: a bounded overconfidence that the evidence outgrows.
  double student_weight = 5.0;
  // The class-wide rate assumed for a modality the class has never tried.
  double no_data_rate = 0.5;
  // Laplace smoothing of the student's modality vector:
  // e_m = (resolutions + laplace) / (attempts + 2 laplace), 0.5 with no data.
  double laplace = 1.0;
  // `counts` only: what one of the student's own outcomes with a modality
  // counts for. 1 is Bayes' rule for independent outcomes of one student;
  // below 1 discounts the student's history (for example, to forget).
  double student_evidence_weight = 1.0;
  // `counts` only: what one outcome of the class (all students, this one
  // included) counts for as evidence about this student. 0 by default: the
  // class rate is already in the prior, and other students differ from this
  // one, so class counts at any fixed positive weight grow without bound
  // and pull every student's posterior onto the class rate as the class
  // accumulates data (with 0.05 and 250 class attempts, 12.5
  // pseudo-observations; with 2,500, 125).
  double class_evidence_weight = 0.0;
};

// Throws Error(invalid) naming the field when `cfg` is out of range.
void check_policy_config(const PolicyConfig &cfg);

// The student's modality vector entry for one modality (seed 003, phase 2).
double modality_vector_entry(int32_t resolutions, int32_t attempts, const PolicyConfig &cfg);

// What the policies know about one modality for this decision.
struct ArmContext {
  int32_t class_attempts = 0;     // assignments of this modality across the class
  int32_t class_resolutions = 0;  // of which resolved the misconception
  double student_rate = 0.5;      // the student's modality vector entry, in [0, 1]
  // The student's own assignments of this modality and their resolutions
  // (LearningProfile::modality_tried and modality_resolved): the evidence
  // under PolicyEvidence::counts, unused under seed_rates.
  int32_t student_attempts = 0;
  int32_t student_resolutions = 0;
  bool tried = false;  // already tried for this misconception: not offered again
};

struct PolicyContext {
  std::array<ArmContext, kModalityCount> arms;  // indexed by Modality
  // Peer tutoring needs a classmate who resolved the same misconception.
  bool resolved_peer_exists = false;
};

// Throws Error(invalid) naming the modality and field when counts (class or
// student) are negative, resolutions exceed attempts, or a rate is outside
// [0, 1].
void check_policy_context(const PolicyContext &ctx);

using ModalityFlags = std::array<bool, kModalityCount>;
using ModalityValues = std::array<double, kModalityCount>;

// The modalities a policy may choose: untried, and peer only with a resolved peer.
ModalityFlags available_modalities(const PolicyContext &ctx);

struct BetaParams {
  double alpha = 1.0;
  double beta = 1.0;
  double mean() const { return alpha / (alpha + beta); }
};

// The Beta a Thompson draw for one modality comes from, and whose mean
// greedy ranks by (formulas above, per cfg.evidence).
BetaParams arm_posterior(const ArmContext &arm, const PolicyConfig &cfg);

enum class PolicyKind : uint8_t { thompson = 0, greedy, uniform };
const char *policy_name(PolicyKind kind);
// "thompson", "greedy" or "uniform"; throws Error(invalid) naming `where`
// and the value for anything else.
PolicyKind parse_policy_kind(std::string_view name, std::string_view where);

// A small, seeded generator whose output is the same on every platform and
// standard library (the std:: distributions are not): xoshiro256** seeded
// through splitmix64, with its own uniform, normal, Gamma and Beta samplers.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  double uniform();  // in (0, 1): never exactly 0 or 1
  double normal();   // standard normal (Marsaglia's polar method)
  // Gamma(shape, 1) by Marsaglia and Tsang (2000); shapes below 1 by the
  // boost Gamma(shape + 1) * U^(1 / shape). Throws Error(invalid) unless shape > 0.
  double gamma(double shape);
  // Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
  double beta(double a, double b);

 private:
  uint64_t s_[4];
  double spare_ = 0.0;  // the polar method makes normals in pairs
  bool has_spare_ = false;
};

struct Decision {
  PolicyKind policy = PolicyKind::thompson;
  ModalityFlags available{};
  int32_t available_count = 0;
  // No modality is available (every one tried, peer without a resolved
  // peer): nothing was chosen and the caller escalates.
  bool none_available() const { return available_count == 0; }
  Modality chosen = Modality::visual;
  Modality greedy = Modality::visual;  // the highest posterior mean, for comparison
  // P(the policy picks `chosen` | context); 0 when none is available.
  double propensity = 0.0;
  // P(the policy picks m | context) for every modality; 0 when unavailable.
  ModalityValues probabilities{};
  // What the policy took the argmax of: the Beta draws (Thompson), the
  // posterior means (greedy) or uniform draws (uniform). NaN when unavailable.
  ModalityValues scores{};
};

// P(the policy picks m | context) for each modality, without sampling.
// Greedy gives 1 to its choice, uniform 1/k to each of k. Thompson's
// P(m's draw is the largest) = integral of f_m(x) prod_{j != m} F_j(x) dx is
// integrated numerically, not by Monte Carlo: 8-point Gauss-Legendre panels,
// each CDF accumulated on the same nodes by the exact integration matrix of
// the 8-point interpolant. A panel is at most 0.75 standard deviations of
// every arm wide, or a third of its distance from that arm's mean, so arms
// far apart share few panels (14 for five typical arms); an arm costs
// nothing on a panel where its density is below e^-50 of its peak. Where a
// fractional exponent (alpha - 1 near 0, beta - 1 near 1) makes a density
// non-smooth at an end of [0, 1], the panels there halve towards it.
// Accuracy against a reference on 8 times finer panels with deeper grading
// (itself within 2e-13 of the two-arm closed forms), 20,000 random contexts
// of 2 to 5 arms per family: at most 2e-12 for posteriors from the seed's
// prior plus up to 60 outcomes, for sharp ones (up to 1e6
// pseudo-observations), for fractional exponents near 0 or 1 and for
// near-uniform ones. The worst found is 3.5e-10, an arm with alpha = 1 (its
// density peaks at 0) against a sharper one beside it, Beta(1, 27) against
// Beta(5, 57). The result is renormalised to sum to exactly 1.
ModalityValues choice_probabilities(PolicyKind kind, const PolicyContext &ctx,
                                    const PolicyConfig &cfg);

// The available modality with the highest posterior mean; ties go to the
// earlier modality (visual, concrete, pattern, verbal, peer). Returns false
// when none is available.
bool greedy_choice(const PolicyContext &ctx, const PolicyConfig &cfg, Modality *out);

// One decision. Deterministic for a given generator state: Thompson draws
// one Beta per available modality in modality order, uniform one uniform per
// available modality, greedy draws nothing. Throws Error(invalid) on an
// invalid config or context.
Decision decide(PolicyKind kind, const PolicyContext &ctx, const PolicyConfig &cfg, Rng &rng);

}  // namespace v0
}  // namespace tutorcore
