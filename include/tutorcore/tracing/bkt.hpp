// Bayesian Knowledge Tracing: the four per-skill parameters and the online
// update. Pure functions on doubles; they allocate nothing.
#pragma once

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

}  // namespace v0
}  // namespace tutorcore
