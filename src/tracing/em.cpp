// EM (Baum-Welch) for one skill's two-state hidden Markov model:
// unknown/known, learn and forget transitions, guess and slip emissions.
// The forward pass keeps scaled state probabilities; the backward pass
// computes the posteriors and transition counts on the fly, so each
// iteration touches every answer twice and allocates nothing.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tutorcore/tracing/fit.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

constexpr double kEdge = 1e-12;

struct Counts {
  double ll = 0.0;
  double first_known = 0.0;  // sum over sequences of P(known) at the first answer
  double learn_num = 0.0, learn_den = 0.0;
  double forget_num = 0.0, forget_den = 0.0;
  double guess_num = 0.0, guess_den = 0.0;
  double slip_num = 0.0, slip_den = 0.0;
};

// Scratch for one sequence: normalised P(known) after each answer's
// evidence, and the scaling factors.
struct Scratch {
  std::vector<double> known, scale;
  void fit(size_t n) {
    if (known.size() < n) {
      known.resize(n);
      scale.resize(n);
    }
  }
};

void e_step(const SkillSequences &s, const BktParams &b, Scratch &w, Counts *c) {
  const double learn = b.p_learn, forget = b.p_forget;
  // Emission probabilities indexed by the answer (0 wrong, 1 right).
  const double ek[2] = {b.p_slip, 1.0 - b.p_slip};
  const double eu[2] = {1.0 - b.p_guess, b.p_guess};
  for (size_t q = 0; q < s.sequences(); ++q) {
    const uint8_t *obs = s.correct.data() + s.starts[q];
    const size_t n = s.starts[q + 1] - s.starts[q];
    w.fit(n);
    double *known = w.known.data(), *scale = w.scale.data();

    // Forward.
    double pk = b.p_init;
    for (size_t t = 0; t < n; ++t) {
      if (t > 0) pk = known[t - 1] * (1.0 - forget) + (1.0 - known[t - 1]) * learn;
      double ak = pk * ek[obs[t]];
      double au = (1.0 - pk) * eu[obs[t]];
      double ct = ak + au;
      scale[t] = ct;
      // Strictly inside (0, 1): a filtered 1.0 (rounded) against a future of
      // wrong answers would leave the backward pass with 0 / 0.
      known[t] = std::clamp(ak / ct, kEdge, 1.0 - kEdge);
      c->ll += std::log(ct);
    }

    // Backward. beta is kept only up to a common factor (renormalised to a
    // maximum of 1 at every step): the exact scaled beta can overflow on
    // long sequences once one state has become very unlikely. The factor
    // cancels in the posteriors, and the transition counts divide it out
    // through `norm`.
    double bk = 1.0, bu = 1.0;
    for (size_t t = n; t-- > 0;) {
      double gk = known[t] * bk;  // P(known at t | all answers), times the factor
      double gu = (1.0 - known[t]) * bu;
      const double norm = gk + gu;
      gk /= norm;
      gu /= norm;
      const uint8_t o = obs[t];
      c->guess_num += gu * o;
      c->guess_den += gu;
      c->slip_num += gk * (1 - o);
      c->slip_den += gk;
      if (t == 0) {
        c->first_known += gk;
        break;
      }
      // Expected transitions from t-1 to t: xi(i, j) = alpha(i) A(i, j) e_j(o_t) beta_t(j) / c_t.
      const double kp = known[t - 1], up = 1.0 - known[t - 1];
      const double inv = 1.0 / (scale[t] * norm);
      const double fk = ek[o] * bk * inv, fu = eu[o] * bu * inv;
      const double uk = up * learn * fk, uu = up * (1.0 - learn) * fu;
      const double ku = kp * forget * fu, kk = kp * (1.0 - forget) * fk;
      c->learn_num += uk;
      c->learn_den += uk + uu;
      c->forget_num += ku;
      c->forget_den += ku + kk;
      bk = (1.0 - forget) * fk + forget * fu;
      bu = learn * fk + (1.0 - learn) * fu;
      const double m = bk > bu ? bk : bu;
      bk /= m;
      bu /= m;
    }
  }
}

double clamp(double v, double lo, double hi, bool *hit = nullptr) {
  if (v > hi) {
    if (hit) *hit = true;
    return hi;
  }
  return v < lo ? lo : v;
}

}  // namespace

SkillFit fit_skill(const SkillSequences &s, const BktParams &start, const FitOptions &opts) {
  SkillFit out;
  out.skill = s.skill;
  out.sequences = s.sequences();
  out.responses = s.responses();
  const double lo = opts.min_probability, hi = 1.0 - opts.min_probability;
  BktParams b = start;
  if (!opts.forgets) b.p_forget = 0.0;
  Scratch w;
  double prev = -std::numeric_limits<double>::infinity();
  for (int it = 1; it <= opts.max_iterations; ++it) {
    Counts c;
    e_step(s, b, w, &c);
    out.iterations = it;
    out.log_likelihood = c.ll;
    out.params = b;
    if (opts.keep_trace) out.trace.push_back(c.ll);
    if (std::fabs(c.ll - prev) < opts.tolerance) break;
    prev = c.ll;
    // M-step. The Q-function is concave in each parameter, so clamping the
    // unconstrained maximiser to the bounds keeps EM monotone.
    BktParams n;
    n.p_init = clamp(c.first_known / static_cast<double>(s.sequences()), lo, hi);
    n.p_learn = c.learn_den > 0 ? clamp(c.learn_num / c.learn_den, lo, hi) : b.p_learn;
    n.p_forget =
        opts.forgets && c.forget_den > 0 ? clamp(c.forget_num / c.forget_den, lo, hi) : 0.0;
    bool g_hit = false, s_hit = false;
    n.p_guess = c.guess_den > 0
                    ? clamp(c.guess_num / c.guess_den, lo, std::min(hi, opts.max_guess), &g_hit)
                    : b.p_guess;
    n.p_slip = c.slip_den > 0
                   ? clamp(c.slip_num / c.slip_den, lo, std::min(hi, opts.max_slip), &s_hit)
                   : b.p_slip;
    out.guess_at_bound = g_hit;
    out.slip_at_bound = s_hit;
    b = n;
  }
  return out;
}

}  // namespace v0
}  // namespace tutorcore
