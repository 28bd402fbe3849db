// EM (Baum-Welch) for one skill's two-state hidden Markov model:
// unknown/known, learn and forget transitions, guess and slip emissions.
//
// Restarts of a skill share its data and differ only in parameters, so kLanes
// of them run in lockstep: every per-answer quantity is an array over lanes,
// and the inner loops over lanes compile to SIMD (AVX2 where the CPU has it,
// chosen at run time). The forward pass keeps scaled state probabilities; the
// backward pass computes the posteriors and transition counts on the fly, so
// each iteration touches every answer twice and allocates nothing.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "tutorcore/tracing/fit.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

constexpr int kMaxLanes = 4;
constexpr double kEdge = 1e-12;
// The scale factors' product is folded into the log-likelihood every this
// many answers: one log instead of one per answer, and no underflow.
constexpr size_t kLogEvery = 64;

template <int kLanes>
struct LaneParams {
  using Lane = std::array<double, kLanes>;
  Lane init, learn, forget, guess, slip;
};

template <int kLanes>
struct Counts {
  using Lane = std::array<double, kLanes>;
  Lane ll{}, first_known{};
  Lane learn_num{}, learn_den{}, forget_num{}, forget_den{};
  Lane guess_num{}, guess_den{}, slip_num{}, slip_den{};
};

// Per-answer scratch for one sequence, lane-major: known[t * lanes + l].
struct Scratch {
  std::vector<double> known, inv_scale;
  void fit(size_t n) {
    if (known.size() < n * kMaxLanes) {
      known.resize(n * kMaxLanes);
      inv_scale.resize(n * kMaxLanes);
    }
  }
};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TC_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TC_SIMD_CLONES
#endif

template <int kLanes>
TC_SIMD_CLONES void e_step(const SkillSequences &s, const LaneParams<kLanes> &b, Scratch &w,
                           Counts<kLanes> *c) {
  using Lane = std::array<double, kLanes>;
  Lane ek0, ek1, eu0, eu1;  // emission probabilities for wrong (0) and right (1)
  for (int l = 0; l < kLanes; ++l) {
    ek0[l] = b.slip[l];
    ek1[l] = 1.0 - b.slip[l];
    eu0[l] = 1.0 - b.guess[l];
    eu1[l] = b.guess[l];
  }
  for (size_t q = 0; q < s.sequences(); ++q) {
    const uint8_t *obs = s.correct.data() + s.starts[q];
    const size_t n = s.starts[q + 1] - s.starts[q];
    w.fit(n);
    double *known = w.known.data(), *inv_scale = w.inv_scale.data();

    // Forward. pk is P(known) before answer t's evidence.
    Lane pk = b.init, prod;
    prod.fill(1.0);
    for (size_t t = 0; t < n; ++t) {
      const Lane &ek = obs[t] ? ek1 : ek0;
      const Lane &eu = obs[t] ? eu1 : eu0;
      double *kt = known + t * kLanes, *it = inv_scale + t * kLanes;
      for (int l = 0; l < kLanes; ++l) {
        double ak = pk[l] * ek[l];
        double ct = ak + (1.0 - pk[l]) * eu[l];
        double inv = 1.0 / ct;
        it[l] = inv;
        prod[l] *= ct;
        // Strictly inside (0, 1): a filtered 1.0 (rounded) against a future
        // of wrong answers would leave the backward pass with 0 / 0.
        double k = std::clamp(ak * inv, kEdge, 1.0 - kEdge);
        kt[l] = k;
        pk[l] = k * (1.0 - b.forget[l]) + (1.0 - k) * b.learn[l];
      }
      if ((t + 1) % kLogEvery == 0 || t + 1 == n) {
        for (int l = 0; l < kLanes; ++l) {
          c->ll[l] += std::log(prod[l]);
          prod[l] = 1.0;
        }
      }
    }

    // Backward. beta is kept only up to a common factor, renormalised when
    // it grows large: the exact scaled beta can overflow on long sequences
    // once one state has become very unlikely. The factor cancels in the
    // posteriors, and the transition counts divide it out through `norm`.
    Lane bk, bu;
    bk.fill(1.0);
    bu.fill(1.0);
    for (size_t t = n - 1; t > 0; --t) {
      const uint8_t o = obs[t];
      const double *kt = known + t * kLanes, *kprev = kt - kLanes, *it = inv_scale + t * kLanes;
      const Lane &ek = o ? ek1 : ek0;
      const Lane &eu = o ? eu1 : eu0;
      const double right = o, wrong = 1.0 - right;
      for (int l = 0; l < kLanes; ++l) {
        double gk = kt[l] * bk[l];  // P(known at t | all answers), times the factor
        double gu = (1.0 - kt[l]) * bu[l];
        const double rnorm = 1.0 / (gk + gu);
        gk *= rnorm;
        gu *= rnorm;
        c->guess_num[l] += right * gu;
        c->guess_den[l] += gu;
        c->slip_num[l] += wrong * gk;
        c->slip_den[l] += gk;
        // Expected transitions from t-1 to t: alpha(i) A(i, j) e_j(o_t) beta_t(j) / c_t.
        const double kp = kprev[l], up = 1.0 - kp;
        const double f = it[l] * rnorm;
        const double fk = ek[l] * bk[l] * f, fu = eu[l] * bu[l] * f;
        const double uk = up * b.learn[l] * fk, uu = up * (1.0 - b.learn[l]) * fu;
        const double ku = kp * b.forget[l] * fu, kk = kp * (1.0 - b.forget[l]) * fk;
        c->learn_num[l] += uk;
        c->learn_den[l] += uk + uu;
        c->forget_num[l] += ku;
        c->forget_den[l] += ku + kk;
        bk[l] = (1.0 - b.forget[l]) * fk + b.forget[l] * fu;
        bu[l] = b.learn[l] * fk + (1.0 - b.learn[l]) * fu;
      }
      // Dividing by the posterior's norm keeps beta exact, and bounded by
      // about 1 / kEdge; the guard only matters for pathological input.
      for (int l = 0; l < kLanes; ++l) {
        double m = bk[l] > bu[l] ? bk[l] : bu[l];
        if (m > 1e100) {
          bk[l] /= m;
          bu[l] /= m;
        }
      }
    }
    // The first answer: posterior only.
    const double right = obs[0], wrong = 1.0 - right;
    for (int l = 0; l < kLanes; ++l) {
      double gk = known[l] * bk[l], gu = (1.0 - known[l]) * bu[l];
      const double rnorm = 1.0 / (gk + gu);
      gk *= rnorm;
      gu *= rnorm;
      c->guess_num[l] += right * gu;
      c->guess_den[l] += gu;
      c->slip_num[l] += wrong * gk;
      c->slip_den[l] += gk;
      c->first_known[l] += gk;
    }
  }
}

double clamp_hi(double v, double lo, double hi, bool *hit) {
  if (v > hi) {
    *hit = true;
    return hi;
  }
  return v < lo ? lo : v;
}

// Runs starts[base, base + kLanes) in lockstep until each has converged.
template <int kLanes>
void run_lanes(const SkillSequences &s, const std::vector<BktParams> &starts, size_t base,
               const FitOptions &opts, Scratch &w, std::vector<SkillFit> *out) {
  using Lane = std::array<double, kLanes>;
  const double lo = opts.min_probability, hi = 1.0 - opts.min_probability;
  LaneParams<kLanes> b;
  for (int l = 0; l < kLanes; ++l) {
    const BktParams &p = starts[base + static_cast<size_t>(l)];
    b.init[l] = p.p_init;
    b.learn[l] = p.p_learn;
    b.forget[l] = opts.forgets ? p.p_forget : 0.0;
    b.guess[l] = p.p_guess;
    b.slip[l] = p.p_slip;
  }
  Lane prev;
  prev.fill(-std::numeric_limits<double>::infinity());
  std::array<bool, kLanes> done{};
  for (int it = 1; it <= opts.max_iterations; ++it) {
    Counts<kLanes> c;
    e_step<kLanes>(s, b, w, &c);
    bool all_done = true;
    for (size_t l = 0; l < kLanes; ++l) {
      if (done[l]) continue;
      SkillFit &f = (*out)[base + l];
      f.iterations = it;
      f.log_likelihood = c.ll[l];
      f.params = {b.init[l], b.learn[l], b.guess[l], b.slip[l], b.forget[l]};
      if (opts.keep_trace) f.trace.push_back(c.ll[l]);
      if (std::fabs(c.ll[l] - prev[l]) < opts.tolerance) {
        done[l] = true;
        continue;
      }
      all_done = false;
      prev[l] = c.ll[l];
      // M-step. The Q-function is concave in each parameter, so clamping
      // the unconstrained maximiser to the bounds keeps EM monotone.
      bool g_hit = false, s_hit = false, unused = false;
      const double seqs = static_cast<double>(s.sequences());
      b.init[l] = clamp_hi(c.first_known[l] / seqs, lo, hi, &unused);
      if (c.learn_den[l] > 0)
        b.learn[l] = clamp_hi(c.learn_num[l] / c.learn_den[l], lo, hi, &unused);
      if (opts.forgets && c.forget_den[l] > 0) {
        b.forget[l] = clamp_hi(c.forget_num[l] / c.forget_den[l], lo, hi, &unused);
      }
      if (c.guess_den[l] > 0) {
        b.guess[l] =
            clamp_hi(c.guess_num[l] / c.guess_den[l], lo, std::min(hi, opts.max_guess), &g_hit);
      }
      if (c.slip_den[l] > 0) {
        b.slip[l] =
            clamp_hi(c.slip_num[l] / c.slip_den[l], lo, std::min(hi, opts.max_slip), &s_hit);
      }
      f.guess_at_bound = g_hit;
      f.slip_at_bound = s_hit;
    }
    if (all_done) break;
  }
}

}  // namespace

std::vector<SkillFit> fit_skill_restarts(const SkillSequences &s,
                                         const std::vector<BktParams> &starts,
                                         const FitOptions &opts) {
  std::vector<SkillFit> out(starts.size());
  Scratch w;
  // Four lanes at a time; a remainder runs as two lanes and one.
  size_t base = 0;
  for (; base + 4 <= starts.size(); base += 4)
    run_lanes<4>(s, starts, base, opts, w, &out);
  for (; base + 2 <= starts.size(); base += 2)
    run_lanes<2>(s, starts, base, opts, w, &out);
  for (; base < starts.size(); ++base)
    run_lanes<1>(s, starts, base, opts, w, &out);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].skill = s.skill;
    out[i].sequences = s.sequences();
    out[i].responses = s.responses();
    out[i].best_restart = static_cast<int>(i);
  }
  return out;
}

SkillFit fit_skill(const SkillSequences &s, const BktParams &start, const FitOptions &opts) {
  return fit_skill_restarts(s, {start}, opts).front();
}

}  // namespace v0
}  // namespace tutorcore
