// Item response theory: the 2PL model (Rasch when a = 1), Fisher information,
// ability estimation, and choosing the next item. Hot-path functions take and
// return plain doubles and allocate nothing.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace tutorcore {
inline namespace v0 {

// P(right | theta) = 1 / (1 + exp(-a (theta - b))).
struct IrtItem {
  double a = 1.0;  // discrimination (slope)
  double b = 0.0;  // difficulty
};

inline double irt_probability(double theta, const IrtItem &it) {
  return 1.0 / (1.0 + std::exp(-it.a * (theta - it.b)));
}

// Fisher information a^2 P (1 - P).
inline double irt_information(double theta, const IrtItem &it) {
  double p = irt_probability(theta, it);
  return it.a * it.a * p * (1.0 - p);
}

// The seed's bridge from a mastery estimate to ability: theta = logit(m),
// with m kept inside [1e-6, 1 - 1e-6].
inline double theta_from_mastery(double m) {
  m = m < 1e-6 ? 1e-6 : (m > 1 - 1e-6 ? 1 - 1e-6 : m);
  return std::log(m / (1.0 - m));
}

// The difficulty at which a student of ability theta answers right with
// probability p_target: b = theta - logit(p_target) / a.
inline double difficulty_for_target(double theta, double p_target, double a = 1.0) {
  return theta - std::log(p_target / (1.0 - p_target)) / a;
}

struct AbilityOptions {
  double min_theta = -4.0, max_theta = 4.0;
  double prior_mean = 0.0, prior_sd = 1.0;  // for EAP
  int quadrature_points = 81;               // for EAP
  int max_iterations = 50;
  double tolerance = 1e-8;
};

struct Ability {
  double theta = 0.0;
  double se = 0.0;   // 1 / sqrt(information) for MLE; posterior sd for EAP
  bool eap = false;  // true when the MLE does not exist (all right or all wrong)
};

// Maximum likelihood by bounded Newton steps; falls back to EAP when every
// answer is right or every one is wrong (the MLE is then infinite).
// `items` and `correct` are parallel. Throws Error(invalid) on size mismatch
// or empty input.
Ability estimate_ability(const std::vector<IrtItem> &items, const std::vector<uint8_t> &correct,
                         const AbilityOptions &opts = {});
// Expected a posteriori ability under a normal prior.
Ability estimate_ability_eap(const std::vector<IrtItem> &items, const std::vector<uint8_t> &correct,
                             const AbilityOptions &opts = {});

// Difficulty (and, for 2PL, discrimination) of one item by maximum
// likelihood given the abilities of the students who answered it.
IrtItem calibrate_item(const std::vector<double> &thetas, const std::vector<uint8_t> &correct,
                       bool two_pl, IrtItem start = {});

struct SelectionOptions {
  enum Rule { target_probability, max_information } rule = target_probability;
  double p_target = 0.70;  // the seed's default target P(correct)
  // Randomesque exposure control: pick at random among the best k (1 = the best).
  int randomesque = 1;
  // Sympson-Hetter exposure control (instead of randomesque): the chosen item
  // is given only with probability exposure[i]; a refused item passes the
  // turn to the next best, and the last candidate is always given. Parallel
  // to items; calibrate_sympson_hetter computes it.
  const std::vector<double> *exposure = nullptr;
  uint64_t seed = 0;  // the draws of randomesque and Sympson-Hetter
};

// The index of the next item among items not in `seen` (flags parallel to
// items), or -1 when every item was seen. Throws Error(invalid) when the
// exposure vector does not match the items or is combined with randomesque.
int64_t select_item(double theta, const std::vector<IrtItem> &items,
                    const std::vector<uint8_t> &seen, const SelectionOptions &opts);

// Calibrating Sympson-Hetter exposure parameters by simulation: simulated
// examinees (abilities drawn from N(0, 1), seeded) take fixed-length tests;
// after each round, an item selected for more than r_max of the examinees
// gets k = r_max / P(selected), others k = 1.
struct ExposureOptions {
  double r_max = 0.25;  // the highest exposure rate allowed
  int test_length = 10;
  int examinees = 2000;
  int rounds = 20;
  uint64_t seed = 42;
  SelectionOptions selection;  // the rule the tests use (exposure and seed are set here)
};
struct ExposureCalibration {
  std::vector<double> k;                   // the exposure parameters
  std::vector<double> exposure;            // each item's rate of administration in the last round
  double max_exposure = 0.0;               // in the last round
  double max_exposure_uncontrolled = 0.0;  // in the first round (k = 1)
};
ExposureCalibration calibrate_sympson_hetter(const std::vector<IrtItem> &items,
                                             const ExposureOptions &opts);

}  // namespace v0
}  // namespace tutorcore
