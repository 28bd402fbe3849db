// Bayesian Knowledge Tracing: the four per-skill parameters and the online
// update. Pure functions on doubles; they allocate nothing.
#pragma once

#include <cstddef>

namespace tutorcore {
inline namespace v0 {

struct BktParams {
  double p_init = 0.0;    // P(L0): known before the first attempt
  double p_learn = 0.0;   // P(T): unknown -> known after an attempt
  double p_guess = 0.0;   // P(G): correct while unknown
  double p_slip = 0.0;    // P(S): wrong while known
  double p_forget = 0.0;  // known -> unknown after an attempt (0 = classic BKT)
};

// P(correct) for a student whose P(known) is p.
inline double bkt_predict(double p, const BktParams &b) {
  return p * (1.0 - b.p_slip) + (1.0 - p) * b.p_guess;
}

// Posterior P(known) after observing one answer, then the learning (and
// forgetting) transition: the state that predicts the next answer.
inline double bkt_update(double p, bool correct, const BktParams &b) {
  double known, unknown;
  if (correct) {
    known = p * (1.0 - b.p_slip);
    unknown = (1.0 - p) * b.p_guess;
  } else {
    known = p * b.p_slip;
    unknown = (1.0 - p) * (1.0 - b.p_guess);
  }
  double denom = known + unknown;
  double post = denom > 0.0 ? known / denom : p;
  return post * (1.0 - b.p_forget) + (1.0 - post) * b.p_learn;
}

// How the skills of an item tagged with several combine into P(correct).
// Values equal tc_skill_combine.
enum class SkillCombine : int { product = 0, min = 1, mean = 2 };

// P(correct) of an item tagged with n >= 1 skills: product (every skill is
// needed), the weakest skill, or the mean of the per-skill predictions.
inline double bkt_predict_multi(const double *p, const BktParams *b, size_t n, SkillCombine rule) {
  double acc = rule == SkillCombine::product ? 1.0 : rule == SkillCombine::min ? 1.0 : 0.0;
  for (size_t k = 0; k < n; ++k) {
    double q = bkt_predict(p[k], b[k]);
    if (rule == SkillCombine::product)
      acc *= q;
    else if (rule == SkillCombine::min)
      acc = q < acc ? q : acc;
    else
      acc += q;
  }
  return rule == SkillCombine::mean && n > 0 ? acc / static_cast<double>(n) : acc;
}

}  // namespace v0
}  // namespace tutorcore
