#include "tutorcore/intervention/policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

void require(bool ok, const char *field, double value, const char *rule) {
  if (!ok)
    throw Error(Errc::invalid,
                fmt::format("PolicyConfig.{} is {}; it must be {}", field, value, rule));
}

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

// 8-point Gauss-Legendre on [-1, 1] and its integration matrix:
// S[k][l] = integral from -1 to t_k of the l-th Lagrange basis polynomial, so
// that sum_l S[k][l] f(t_l) integrates the interpolant of f up to node k.
constexpr int kNodes = 8;
struct GaussLegendre {
  double t[kNodes], w[kNodes];
  double S[kNodes][kNodes];
};

// P_0 .. P_{kNodes} at x by the three-term recurrence.
void legendre(double x, double *p) {
  p[0] = 1.0;
  p[1] = x;
  for (int n = 1; n < kNodes; ++n)
    p[n + 1] = ((2 * n + 1) * x * p[n] - n * p[n - 1]) / (n + 1);
}

GaussLegendre make_gauss_legendre() {
  GaussLegendre g{};
  double p[kNodes + 1];
  for (int i = 0; i < kNodes; ++i) {
    double x = std::cos(kPi * (i + 0.75) / (kNodes + 0.5));
    double dp = 0.0;
    for (int it = 0; it < 100; ++it) {
      legendre(x, p);
      dp = kNodes * (x * p[kNodes] - p[kNodes - 1]) / (x * x - 1.0);
      double dx = p[kNodes] / dp;
      x -= dx;
      if (std::fabs(dx) < 1e-16) break;
    }
    legendre(x, p);
    dp = kNodes * (x * p[kNodes] - p[kNodes - 1]) / (x * x - 1.0);
    g.t[i] = x;
    g.w[i] = 2.0 / ((1.0 - x * x) * dp * dp);
  }
  // A Lagrange basis polynomial in Legendre terms has coefficients
  // (2n+1)/2 w_l P_n(t_l) (the rule is exact at these degrees), and
  // integral_{-1}^{x} P_n = (P_{n+1}(x) - P_{n-1}(x)) / (2n+1) for n >= 1.
  double pk[kNodes + 1], pl[kNodes + 1];
  for (int k = 0; k < kNodes; ++k) {
    legendre(g.t[k], pk);
    for (int l = 0; l < kNodes; ++l) {
      legendre(g.t[l], pl);
      double s = 0.5 * (g.t[k] + 1.0);
      for (int n = 1; n < kNodes; ++n)
        s += 0.5 * pl[n] * (pk[n + 1] - pk[n - 1]);
      g.S[k][l] = g.w[l] * s;
    }
  }
  return g;
}

const GaussLegendre &gauss_legendre() {
  static const GaussLegendre g = make_gauss_legendre();
  return g;
}

// x^(a-1) (1-x)^(b-1) at its mode, in logs, with 0 * log 0 = 0 (a, b >= 1).
double log_kernel_at_mode(double a, double b) {
  double mode = a + b > 2.0 ? (a - 1.0) / (a + b - 2.0) : 0.5;
  double v = 0.0;
  if (a > 1.0) v += (a - 1.0) * std::log(mode);
  if (b > 1.0) v += (b - 1.0) * std::log1p(-mode);
  return v;
}

// One arm's Beta as the integrator sees it.
struct ArmShape {
  double am1, bm1;  // alpha - 1, beta - 1 (both >= 0)
  double mean, sd;  // where the density's mass is, for the panel widths
  double mode;      // where its kernel peaks (log-concave: alpha, beta >= 1)
  double log_mode;  // the log kernel at the mode: densities are scaled to peak at 1
};

// log of the scaled kernel from log x and log(1 - x); 0 * log 0 = 0.
double log_kernel(const ArmShape &s, double lx, double l1x) {
  double v = -s.log_mode;
  if (s.am1 > 0.0) v += s.am1 * lx;
  if (s.bm1 > 0.0) v += s.bm1 * l1x;
  return v;
}

// Panels resolve every arm on the scale of its own spread: at most
// kNearWidth of its standard deviation wide, or kFarWidth times the
// distance from the panel's nearer end to the arm's mean. (The errors come
// mostly from the CDFs at interior nodes, which integrate the degree-7
// interpolant; with these factors they stay near 1e-12 on random
// posteriors, see choice_probabilities.)
constexpr double kNearWidth = 0.75;
constexpr double kFarWidth = 1.0 / 3.0;

// The widest panel that starts at x (at most half the unit interval, so
// that the first and last panels differ).
double panel_width(const ArmShape *arms, int k, double x) {
  double h = 0.5;
  for (int j = 0; j < k; ++j) {
    const ArmShape &s = arms[j];
    // Right of the mean the nearer end is x; left of it, x + h, and
    // h <= f (mean - x - h) means h <= f / (1 + f) (mean - x).
    double far =
        x >= s.mean ? kFarWidth * (x - s.mean) : kFarWidth / (1.0 + kFarWidth) * (s.mean - x);
    h = std::min(h, std::max(kNearWidth * s.sd, far));
  }
  return h;
}

// Near 0 a kernel behaves as x^e, e = alpha - 1 (near 1 as (1 - x)^e, e =
// beta - 1), which is not smooth there when e is fractional. The 8-point
// rule's integral over a panel that ends there is then off by up to r(e) of
// the panel's mass, an error every later CDF inherits. r(e) bounds the
// measured relative error for x^e on [0, 1] by a factor of about 3 (6e-4 at
// e = 0.2, 5e-6 at 1.5, 1.3e-8 at 3.5, 5e-11 at 6.5, 4e-12 at 9.5); 0 for
// integers, where the kernel is smooth. (The CDFs at the panel's interior
// nodes, which integrate the degree-7 interpolant, are off by more, 1e-3
// at e = 0.2 and 4e-7 at 6.5, but only locally: they count against other
// arms' densities in that panel, and the panels near a rough end, below,
// keep them small.)
double end_panel_error(double e) {
  if (e == std::floor(e)) return 0.0;
  static constexpr double kBound[] = {2e-3, 2e-5, 1e-6, 4e-8, 4e-9, 7e-10, 1.5e-10, 5e-11};
  return e < 8.0 ? kBound[static_cast<int>(e)] : 2e-11;
}

// Such an end is graded: panels halving towards it, until the last one,
// [0, y], holds so little of the arm's mass that its error is below
// kEndError sd (an arm's scaled mass is at least one sd, log-concave).
// A halving panel (its width equal to its distance from the end) is
// accurate to 1e-9 of its own mass for e < 1 (its interior CDFs; its
// integral to ~1e-12).
constexpr double kEndError = 1e-13;
constexpr int kMaxGrading = 48;  // 2^-48 of the panel: still apart from 1 in doubles

// While an arm is rough at an end (a fractional exponent below
// kRoughBelow), every panel near that end is kept no wider than its
// distance from it; above, the kernel's mass sits far enough from the end
// for the panels around its mean.
constexpr double kRoughBelow = 12.0;
bool is_rough(double e) {
  return e < kRoughBelow && end_panel_error(e) > 0.0;
}

// How many halvings the end panel of width `w` needs for an arm whose
// exponent at that end is `e`: with the scaled kernel at most
// y^e / kernel(mode) on [0, y], the mass of [0, y] is at most
// y^(e + 1) / kernel(mode).
int grading_levels(double e, const ArmShape &s, double w) {
  double r = end_panel_error(e);
  if (r == 0.0) return 0;
  double log_y = (std::log(kEndError * s.sd / r) + s.log_mode) / (e + 1.0);
  double levels = std::ceil((std::log(w) - log_y) / std::log(2.0));
  return levels <= 0.0 ? 0 : static_cast<int>(std::min<double>(levels, kMaxGrading));
}

// Below this log of the scaled kernel, an arm's density is taken as 0 on a
// panel: at most e^-50 < 2e-22 of the panel width against a scaled mass of
// at least one sd (above 7e-9 with the config's limits), so below 1e-13 of
// the arm's mass.
constexpr double kNegligibleLog = -50.0;

// The quadrature's running state: the scaled CDFs G_j at the left end of
// the next panel and the integrals of g_i prod_{j != i} G_j so far.
struct Integration {
  const GaussLegendre &gl = gauss_legendre();
  const ArmShape *arms = nullptr;
  int k = 0;
  double cdf0[kModalityCount] = {};
  double acc[kModalityCount] = {};

  void panel(double x0, double x1) {
    if (!(x1 > x0)) return;
    // An arm is live on the panel unless its kernel is negligible there:
    // log-concave, it peaks at the mode or at the end nearer the mode.
    // (A mode below x0 means x0 > 0; above x1, x1 < 1: the logs are finite.)
    double lx0 = 0.0, l1x0 = 0.0, lx1 = 0.0, l1x1 = 0.0;
    bool left_logs = false, right_logs = false;
    bool live[kModalityCount];
    int nlive = 0;
    for (int j = 0; j < k; ++j) {
      const ArmShape &s = arms[j];
      if (s.mode < x0) {
        if (!left_logs) {
          lx0 = std::log(x0);
          l1x0 = std::log1p(-x0);
          left_logs = true;
        }
        live[j] = log_kernel(s, lx0, l1x0) > kNegligibleLog;
      } else if (s.mode > x1) {
        if (!right_logs) {
          lx1 = std::log(x1);
          l1x1 = std::log1p(-x1);
          right_logs = true;
        }
        live[j] = log_kernel(s, lx1, l1x1) > kNegligibleLog;
      } else {
        live[j] = true;
      }
      nlive += live[j];
    }
    if (nlive == 0) return;
    double g[kNodes][kModalityCount], cdf[kNodes][kModalityCount];
    double h = 0.5 * (x1 - x0);
    for (int q = 0; q < kNodes; ++q) {
      double x = x0 + h * (gl.t[q] + 1.0);
      double lx = std::log(x), l1x = std::log1p(-x);
      for (int j = 0; j < k; ++j)
        g[q][j] = live[j] ? std::exp(log_kernel(arms[j], lx, l1x)) : 0.0;
    }
    for (int j = 0; j < k; ++j) {
      if (!live[j]) {
        for (int q = 0; q < kNodes; ++q)
          cdf[q][j] = cdf0[j];
        continue;
      }
      for (int q = 0; q < kNodes; ++q) {
        double s = 0.0;
        for (int l = 0; l < kNodes; ++l)
          s += gl.S[q][l] * g[l][j];
        cdf[q][j] = std::max(0.0, cdf0[j] + h * s);
      }
    }
    for (int q = 0; q < kNodes; ++q) {
      // prod_{j != i} G_j as prefix times suffix products.
      double pre[kModalityCount + 1], suf[kModalityCount + 1];
      pre[0] = 1.0;
      suf[k] = 1.0;
      for (int j = 0; j < k; ++j)
        pre[j + 1] = pre[j] * cdf[q][j];
      for (int j = k - 1; j >= 0; --j)
        suf[j] = suf[j + 1] * cdf[q][j];
      double hw = h * gl.w[q];
      for (int i = 0; i < k; ++i)
        if (live[i]) acc[i] += hw * g[q][i] * pre[i] * suf[i + 1];
    }
    for (int j = 0; j < k; ++j) {
      if (!live[j]) continue;
      double s = 0.0;
      for (int q = 0; q < kNodes; ++q)
        s += gl.w[q] * g[q][j];
      cdf0[j] += h * s;
    }
  }
};

// P(arm i's draw is the largest) for independent Betas; see choice_probabilities.
void thompson_probabilities(const BetaParams *arms, int k, double *out) {
  if (k == 1) {
    out[0] = 1.0;
    return;
  }
  ArmShape shape[kModalityCount];
  for (int j = 0; j < k; ++j) {
    double a = arms[j].alpha, b = arms[j].beta, n = a + b;
    ArmShape &s = shape[j];
    s.am1 = a - 1.0;
    s.bm1 = b - 1.0;
    s.mean = a / n;
    s.sd = std::sqrt(a * b / (n * n * (n + 1.0)));
    s.mode = n > 2.0 ? (a - 1.0) / (n - 2.0) : 0.5;
    s.log_mode = log_kernel_at_mode(a, b);
  }

  // The densities are left unnormalised (at most 1, their value at the
  // mode): their integrals Z_j come out of the same pass, and
  // P_i = integral g_i prod_{j != i} G_j / prod_j Z_j.
  Integration in;
  in.arms = shape;
  in.k = k;
  // An end where some arm is rough (a fractional exponent below
  // kRoughBelow) also limits the width of every panel near it to the
  // panel's distance from it (a ratio of 1 keeps the rule at ~1e-12).
  bool rough0 = false, rough1 = false;
  for (int j = 0; j < k; ++j) {
    rough0 = rough0 || is_rough(shape[j].am1);
    rough1 = rough1 || is_rough(shape[j].bm1);
  }
  for (double x0 = 0.0; x0 < 1.0;) {
    double h = panel_width(shape, k, x0), x1;
    if (x0 == 0.0) {
      x1 = h;
      int levels = 0;
      for (int j = 0; j < k; ++j)
        levels = std::max(levels, grading_levels(shape[j].am1, shape[j], x1));
      double y = std::ldexp(x1, -levels);
      in.panel(0.0, y);
      for (int i = levels; i > 0; --i, y *= 2.0)
        in.panel(y, 2.0 * y);
    } else if (!(x0 + h < 1.0)) {
      x1 = 1.0;
      double w = 1.0 - x0;
      int levels = 0;
      for (int j = 0; j < k; ++j)
        levels = std::max(levels, grading_levels(shape[j].bm1, shape[j], w));
      double left = x0;
      for (int i = 1; i <= levels; ++i) {
        double right = 1.0 - std::ldexp(w, -i);
        in.panel(left, right);
        left = right;
      }
      in.panel(left, 1.0);
    } else {
      if (rough0) h = std::min(h, x0);
      if (rough1) h = std::min(h, 0.5 * (1.0 - x0));
      x1 = x0 + h;
      in.panel(x0, x1);
    }
    x0 = x1;
  }
  double z = 1.0, sum = 0.0;
  for (int j = 0; j < k; ++j)
    z *= in.cdf0[j];
  for (int i = 0; i < k; ++i)
    sum += (out[i] = in.acc[i] / z);
  for (int i = 0; i < k; ++i)
    out[i] /= sum;  // removes the last of the quadrature error
}

ModalityValues probabilities_for(PolicyKind kind, const PolicyContext &ctx, const PolicyConfig &cfg,
                                 const ModalityFlags &avail) {
  ModalityValues p{};
  int k = 0;
  for (bool a : avail)
    k += a;
  if (k == 0) return p;
  switch (kind) {
    case PolicyKind::uniform:
      for (size_t m = 0; m < kModalityCount; ++m)
        if (avail[m]) p[m] = 1.0 / k;
      break;
    case PolicyKind::greedy: {
      Modality best;
      greedy_choice(ctx, cfg, &best);
      p[static_cast<size_t>(best)] = 1.0;
      break;
    }
    case PolicyKind::thompson: {
      BetaParams arms[kModalityCount];
      double out[kModalityCount];
      int n = 0;
      for (size_t m = 0; m < kModalityCount; ++m)
        if (avail[m]) arms[n++] = arm_posterior(ctx.arms[m], cfg);
      thompson_probabilities(arms, n, out);
      n = 0;
      for (size_t m = 0; m < kModalityCount; ++m)
        if (avail[m]) p[m] = out[n++];
      break;
    }
  }
  return p;
}

}  // namespace

void check_policy_config(const PolicyConfig &cfg) {
  // Weights up to kMaxPolicyWeight keep every posterior below ~5e15
  // pseudo-observations (counts are int32): sd above 7e-9, which the
  // propensity integration resolves.
  const double cap = kMaxPolicyWeight;
  auto in = [cap](double v, double lo) { return std::isfinite(v) && v >= lo && v <= cap; };
  require(in(cfg.prior_alpha, 1.0), "prior_alpha", cfg.prior_alpha, "in [1, 1e6]");
  require(in(cfg.prior_beta, 1.0), "prior_beta", cfg.prior_beta, "in [1, 1e6]");
  require(in(cfg.class_weight, 0.0), "class_weight", cfg.class_weight, "in [0, 1e6]");
  require(in(cfg.student_weight, 0.0), "student_weight", cfg.student_weight, "in [0, 1e6]");
  require(cfg.no_data_rate >= 0.0 && cfg.no_data_rate <= 1.0, "no_data_rate", cfg.no_data_rate,
          "in [0, 1]");
  require(std::isfinite(cfg.laplace) && cfg.laplace > 0.0, "laplace", cfg.laplace,
          "a finite number > 0");
  require(in(cfg.student_evidence_weight, 0.0), "student_evidence_weight",
          cfg.student_evidence_weight, "in [0, 1e6]");
  require(in(cfg.class_evidence_weight, 0.0), "class_evidence_weight", cfg.class_evidence_weight,
          "in [0, 1e6]");
  if (cfg.evidence != PolicyEvidence::counts && cfg.evidence != PolicyEvidence::seed_rates)
    throw Error(Errc::invalid,
                fmt::format("PolicyConfig.evidence is {}; it must be counts or seed_rates",
                            static_cast<int>(cfg.evidence)));
}

void check_policy_context(const PolicyContext &ctx) {
  for (size_t m = 0; m < kModalityCount; ++m) {
    const ArmContext &a = ctx.arms[m];
    const char *name = modality_name(static_cast<Modality>(m));
    if (a.class_attempts < 0 || a.class_resolutions < 0 || a.class_resolutions > a.class_attempts)
      throw Error(
          Errc::invalid,
          fmt::format("policy context, modality {}: class_resolutions {} and class_attempts "
                      "{}; they must satisfy 0 <= resolutions <= attempts",
                      name, a.class_resolutions, a.class_attempts));
    if (a.student_attempts < 0 || a.student_resolutions < 0 ||
        a.student_resolutions > a.student_attempts)
      throw Error(
          Errc::invalid,
          fmt::format("policy context, modality {}: student_resolutions {} and student_attempts "
                      "{}; they must satisfy 0 <= resolutions <= attempts",
                      name, a.student_resolutions, a.student_attempts));
    if (!(a.student_rate >= 0.0 && a.student_rate <= 1.0))
      throw Error(
          Errc::invalid,
          fmt::format("policy context, modality {}: student_rate is {}; it must be in [0, 1]", name,
                      a.student_rate));
  }
}

double modality_vector_entry(int32_t resolutions, int32_t attempts, const PolicyConfig &cfg) {
  if (attempts < 0 || resolutions < 0 || resolutions > attempts)
    throw Error(
        Errc::invalid,
        fmt::format("modality vector: {} resolutions of {} attempts; they must satisfy 0 <= "
                    "resolutions <= attempts",
                    resolutions, attempts));
  return (resolutions + cfg.laplace) / (attempts + 2.0 * cfg.laplace);
}

ModalityFlags available_modalities(const PolicyContext &ctx) {
  ModalityFlags f{};
  for (size_t m = 0; m < kModalityCount; ++m)
    f[m] = !ctx.arms[m].tried;
  if (!ctx.resolved_peer_exists) f[static_cast<size_t>(Modality::peer)] = false;
  return f;
}

BetaParams arm_posterior(const ArmContext &arm, const PolicyConfig &cfg) {
  double c = arm.class_attempts > 0
                 ? static_cast<double>(arm.class_resolutions) / arm.class_attempts
                 : cfg.no_data_rate;
  double e = arm.student_rate;
  BetaParams p{cfg.prior_alpha + cfg.class_weight * c + cfg.student_weight * e,
               cfg.prior_beta + cfg.class_weight * (1.0 - c) + cfg.student_weight * (1.0 - e)};
  if (cfg.evidence == PolicyEvidence::counts) {
    double s = arm.student_resolutions, f = arm.student_attempts - arm.student_resolutions;
    double cs = arm.class_resolutions, cf = arm.class_attempts - arm.class_resolutions;
    p.alpha += cfg.student_evidence_weight * s + cfg.class_evidence_weight * cs;
    p.beta += cfg.student_evidence_weight * f + cfg.class_evidence_weight * cf;
  }
  return p;
}

const char *evidence_name(PolicyEvidence evidence) {
  switch (evidence) {
    case PolicyEvidence::counts:
      return "counts";
    case PolicyEvidence::seed_rates:
      return "seed_rates";
  }
  return "unknown";
}

PolicyKind parse_policy_kind(std::string_view name, std::string_view where) {
  for (PolicyKind k : {PolicyKind::thompson, PolicyKind::greedy, PolicyKind::uniform}) {
    if (name == policy_name(k)) return k;
  }
  throw Error(Errc::invalid,
              fmt::format("{}: '{}' is not thompson, greedy or uniform", where, name));
}

const char *policy_name(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::thompson:
      return "thompson";
    case PolicyKind::greedy:
      return "greedy";
    case PolicyKind::uniform:
      return "uniform";
  }
  return "unknown";
}

Rng::Rng(uint64_t seed) {
  for (uint64_t &s : s_)
    s = splitmix64(seed);
}

uint64_t Rng::next() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  // The midpoints of 2^53 equal cells: log(u) and log(1 - u) stay finite.
  return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * f;
  has_spare_ = true;
  return u * f;
}

double Rng::gamma(double shape) {
  if (!(shape > 0.0) || !std::isfinite(shape))
    throw Error(Errc::invalid,
                fmt::format("Rng::gamma: shape is {}; it must be a finite number > 0", shape));
  if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform(), 1.0 / shape);
  double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = normal(), v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    double u = uniform(), x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;  // the cheap squeeze accepts ~98%
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double Rng::beta(double a, double b) {
  double x = gamma(a), y = gamma(b);
  // Both underflow only for tiny shapes, where Beta(a, b) is nearly a coin
  // with P(1) = a / (a + b).
  if (x + y == 0.0) return uniform() < a / (a + b) ? 1.0 : 0.0;
  return x / (x + y);
}

bool greedy_choice(const PolicyContext &ctx, const PolicyConfig &cfg, Modality *out) {
  ModalityFlags avail = available_modalities(ctx);
  int best = -1;
  double best_mean = 0.0;
  for (size_t m = 0; m < kModalityCount; ++m) {
    if (!avail[m]) continue;
    double mean = arm_posterior(ctx.arms[m], cfg).mean();
    if (best < 0 || mean > best_mean) {  // strict: ties keep the earlier modality
      best = static_cast<int>(m);
      best_mean = mean;
    }
  }
  if (best < 0) return false;
  *out = static_cast<Modality>(best);
  return true;
}

ModalityValues choice_probabilities(PolicyKind kind, const PolicyContext &ctx,
                                    const PolicyConfig &cfg) {
  check_policy_config(cfg);
  check_policy_context(ctx);
  return probabilities_for(kind, ctx, cfg, available_modalities(ctx));
}

Decision decide(PolicyKind kind, const PolicyContext &ctx, const PolicyConfig &cfg, Rng &rng) {
  check_policy_config(cfg);
  check_policy_context(ctx);
  Decision d;
  d.policy = kind;
  d.available = available_modalities(ctx);
  d.scores.fill(kNaN);
  for (bool a : d.available)
    d.available_count += a;
  if (d.none_available()) return d;

  greedy_choice(ctx, cfg, &d.greedy);
  d.probabilities = probabilities_for(kind, ctx, cfg, d.available);
  int best = -1;
  for (size_t m = 0; m < kModalityCount; ++m) {
    if (!d.available[m]) continue;
    switch (kind) {
      case PolicyKind::thompson: {
        BetaParams p = arm_posterior(ctx.arms[m], cfg);
        d.scores[m] = rng.beta(p.alpha, p.beta);
        break;
      }
      case PolicyKind::greedy:
        d.scores[m] = arm_posterior(ctx.arms[m], cfg).mean();
        break;
      case PolicyKind::uniform:
        d.scores[m] = rng.uniform();
        break;
    }
    if (best < 0 || d.scores[m] > d.scores[static_cast<size_t>(best)]) best = static_cast<int>(m);
  }
  d.chosen = static_cast<Modality>(best);
  d.propensity = d.probabilities[static_cast<size_t>(best)];
  return d;
}

}  // namespace v0
}  // namespace tutorcore
