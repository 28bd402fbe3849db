// Validity experiment 04 (seed 003): the simulated students and the
// policies that choose a modality for them, shared by exp_04 (main.cpp) and
// its test (tests/experiments/test_exp04_bandit.cpp).
//
// The seed's design: every simulated student has a latent preference vector
// p ~ Dirichlet(1, ..., 1) over k modalities; assigning modality m resolves
// the misconception with probability p[m]. Every interaction is a fresh
// misconception episode with one attempt, so nothing is excluded as tried
// and peer tutoring is always offered: each interaction is one pull of a
// k-armed Bernoulli bandit.
//
// Students run one after another, each for all their interactions; the
// class counts per modality (attempts and resolutions) accumulate over the
// students run so far and the current one's interactions (the engine's
// class counts include the student deciding). The student's own counts are
// the evidence of the engine's `counts` posterior, and their Laplace-smoothed
// rate is the modality vector entry of its prior.
//
// The policies:
//   thompson, greedy, uniform: the engine's policies (tutorcore::decide with
//     its PolicyConfig, the library's defaults in exp_04). The engine has five
//     fixed modalities: for k <= 5 the modalities k..4 are marked tried, so
//     decide never offers them; for k > 5 the decision is the same rule over k
//     arms, written here from the engine's arm_posterior() and Rng (Thompson:
//     one Rng::beta per arm in order; greedy: the posterior mean, ties to the
//     earlier arm; uniform: one Rng::uniform per arm, the largest wins). For
//     k <= 5 that k-arm rule reproduces decide's choices draw for draw (the
//     test checks it), so it is the engine's policy generalised, not another.
//   thompson_plain, greedy_plain: the seed's table: Beta(s + 1, f + 1) from
//     the student's own outcomes only (a draw per arm, or the mean), no class
//     data and no prior blend.
//   oracle: always the student's true best modality.
//
// Random streams: preferences from one stream per (seed, k); outcomes from
// one stream per (seed, k, student), one uniform per interaction whatever the
// policy chooses (every policy meets the same students and the same uniforms:
// common random numbers, so paired differences are precise); each policy's
// own draws from one stream per (seed, k, policy).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tutorcore/intervention/policy.hpp"

namespace exp04 {

enum class Policy : uint8_t { oracle = 0, thompson, greedy, uniform, thompson_plain, greedy_plain };
constexpr std::array<Policy, 6> kPolicies = {Policy::oracle,         Policy::thompson,
                                             Policy::greedy,         Policy::uniform,
                                             Policy::thompson_plain, Policy::greedy_plain};
const char *policy_label(Policy p);

// preferences[student][arm]: each row is a Dirichlet(1, ..., 1) draw over k arms.
using Preferences = std::vector<std::vector<double>>;
Preferences draw_preferences(int students, int k, uint64_t seed);

struct SimOptions {
  int interactions = 50;
  uint64_t seed = 42;                // outcome and policy streams (mixed with k and the policy)
  tutorcore::PolicyConfig config{};  // the engine's posterior (thompson, greedy, uniform)
  // Decide through tutorcore::decide when k <= 5; false forces the k-arm
  // rule for every k (the test compares the two).
  bool engine_when_possible = true;
};

// One policy over a class of students. Per-interaction arrays are indexed
// [student * interactions + t].
struct Run {
  Policy policy = Policy::oracle;
  int k = 0;
  int students = 0;
  int interactions = 0;
  bool engine_decide = false;     // the choices came from tutorcore::decide
  std::vector<uint8_t> chosen;    // the arm assigned
  std::vector<uint8_t> resolved;  // the outcome (1 resolved)
  std::vector<double> expected;   // p[chosen]: the expected outcome
  std::vector<double> regret;     // max(p) - p[chosen]: the expected loss against the oracle
  // Interactions until the policy's best-modality estimate (the argmax of
  // its posterior means, ties to the earlier arm) is the student's true best
  // and stays so to the last interaction: 0 ... interactions, -1 when wrong
  // after the last one. The oracle's is 0. thompson, greedy and uniform
  // estimate with the engine's posterior, the plain policies with Beta(s + 1, f + 1).
  std::vector<int> converged_at;
};

Run simulate(Policy policy, const Preferences &prefs, const SimOptions &opt);

// Per-student summaries (one value per student).
std::vector<double> cumulative_rate(const Run &r, int n);      // mean outcome over the first n
std::vector<double> cumulative_expected(const Run &r, int n);  // mean p[chosen] over the first n
std::vector<double> cumulative_regret(const Run &r, int n);    // summed regret over the first n

struct Estimate {
  double mean = 0;
  double se = 0;        // sd / sqrt(N), students taken as independent
  double se_batch = 0;  // batch means: the sd of `batches` contiguous blocks' means / sqrt(batches)
};
// Students share the class counts, so they are not quite independent;
// the batch-means standard error allows for that dependence along the run order.
Estimate estimate(const std::vector<double> &per_student, int batches = 20);
std::vector<double> difference(const std::vector<double> &a, const std::vector<double> &b);

// Least squares of log y on log n for n = from ... to (y[n - 1] is the value at n):
// y ~ coefficient * n^exponent.
struct PowerFit {
  double exponent = 0;
  double coefficient = 0;
  double r2 = 0;
};
PowerFit fit_power(const std::vector<double> &y, int from, int to);

struct Convergence {
  double median = 0;          // over all students, never = infinity (reported as null)
  double mean_converged = 0;  // over the students that converged
  double share_never = 0;     // wrong best-modality estimate after the last interaction
  std::vector<double> share_converged_by;  // [t] for t = 0 ... interactions
};
Convergence convergence(const Run &r);

}  // namespace exp04
