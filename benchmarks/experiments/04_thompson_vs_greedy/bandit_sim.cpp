// Validity experiment 04's simulation (bandit_sim.hpp says what it models).
#include "bandit_sim.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace exp04 {

using tutorcore::ArmContext;
using tutorcore::BetaParams;
using tutorcore::kModalityCount;
using tutorcore::PolicyConfig;
using tutorcore::PolicyContext;
using tutorcore::PolicyKind;
using tutorcore::Rng;

namespace {

// The seeds of the streams: splitmix64's finaliser over (seed, tag, k, index),
// so that every stream of a run is distinct and none depends on another's use.
uint64_t mix(uint64_t seed, uint64_t tag, uint64_t k, uint64_t index) {
  uint64_t z = seed;
  for (uint64_t v : {tag, k, index}) {
    z += 0x9e3779b97f4a7c15ULL + v;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
  }
  return z;
}

constexpr uint64_t kTagPreferences = 1, kTagOutcomes = 2, kTagPolicy = 3;

bool engine_policy(Policy p) {
  return p == Policy::thompson || p == Policy::greedy || p == Policy::uniform;
}

PolicyKind engine_kind(Policy p) {
  switch (p) {
    case Policy::greedy:
      return PolicyKind::greedy;
    case Policy::uniform:
      return PolicyKind::uniform;
    default:
      return PolicyKind::thompson;
  }
}

// The class's and one student's counts, and the engine's view of one arm.
struct Counts {
  std::vector<int32_t> class_att, class_res, att, res;
  explicit Counts(int k) : class_att(k), class_res(k), att(k), res(k) {}
  void new_student() {
    std::fill(att.begin(), att.end(), 0);
    std::fill(res.begin(), res.end(), 0);
  }
  ArmContext arm(int m, const PolicyConfig &cfg) const {
    ArmContext a;
    a.class_attempts = class_att[m];
    a.class_resolutions = class_res[m];
    a.student_rate = tutorcore::modality_vector_entry(res[m], att[m], cfg);
    a.student_attempts = att[m];
    a.student_resolutions = res[m];
    return a;
  }
  double plain_mean(int m) const { return (res[m] + 1.0) / (att[m] + 2.0); }
};

// The arm with the largest score; ties go to the earlier arm.
template <class F>
int argmax(int k, F &&score) {
  int best = 0;
  double best_score = score(0);
  for (int m = 1; m < k; ++m) {
    double s = score(m);
    if (s > best_score) {
      best = m;
      best_score = s;
    }
  }
  return best;
}

int choose(Policy policy, bool engine, int k, int oracle_best, const Counts &c,
           const PolicyConfig &cfg, Rng &rng) {
  switch (policy) {
    case Policy::oracle:
      return oracle_best;
    case Policy::thompson_plain:
      return argmax(k, [&](int m) { return rng.beta(c.res[m] + 1.0, c.att[m] - c.res[m] + 1.0); });
    case Policy::greedy_plain:
      return argmax(k, [&](int m) { return c.plain_mean(m); });
    default:
      break;
  }
  if (engine) {
    PolicyContext ctx;
    ctx.resolved_peer_exists = true;  // every modality is on offer
    for (size_t m = 0; m < kModalityCount; ++m) {
      if (static_cast<int>(m) < k)
        ctx.arms[m] = c.arm(static_cast<int>(m), cfg);
      else
        ctx.arms[m].tried = true;  // k < 5: the engine's way of not offering a modality
    }
    return static_cast<int>(tutorcore::decide(engine_kind(policy), ctx, cfg, rng).chosen);
  }
  // The engine's rule over k arms (decide's order of draws and tie rule).
  switch (policy) {
    case Policy::thompson:
      return argmax(k, [&](int m) {
        BetaParams p = tutorcore::arm_posterior(c.arm(m, cfg), cfg);
        return rng.beta(p.alpha, p.beta);
      });
    case Policy::greedy:
      return argmax(k, [&](int m) { return tutorcore::arm_posterior(c.arm(m, cfg), cfg).mean(); });
    default:
      return argmax(k, [&](int) { return rng.uniform(); });
  }
}

// The policy's current best-modality estimate: the argmax of its posterior means.
int best_estimate(Policy policy, int k, const Counts &c, const PolicyConfig &cfg) {
  if (policy == Policy::thompson_plain || policy == Policy::greedy_plain)
    return argmax(k, [&](int m) { return c.plain_mean(m); });
  return argmax(k, [&](int m) { return tutorcore::arm_posterior(c.arm(m, cfg), cfg).mean(); });
}

}  // namespace

const char *policy_label(Policy p) {
  switch (p) {
    case Policy::oracle:
      return "oracle";
    case Policy::thompson:
      return "thompson";
    case Policy::greedy:
      return "greedy";
    case Policy::uniform:
      return "uniform";
    case Policy::thompson_plain:
      return "thompson_plain";
    case Policy::greedy_plain:
      return "greedy_plain";
  }
  return "unknown";
}

Preferences draw_preferences(int students, int k, uint64_t seed) {
  if (students < 1 || k < 2) throw std::invalid_argument("draw_preferences: students >= 1, k >= 2");
  Rng rng(mix(seed, kTagPreferences, static_cast<uint64_t>(k), 0));
  Preferences prefs(students, std::vector<double>(k));
  for (std::vector<double> &p : prefs) {
    double sum = 0;
    for (double &x : p)
      sum += (x = rng.gamma(1.0));  // Dirichlet(1, ..., 1) as normalised Gamma(1) draws
    for (double &x : p)
      x /= sum;
  }
  return prefs;
}

Run simulate(Policy policy, const Preferences &prefs, const SimOptions &opt) {
  if (prefs.empty() || opt.interactions < 1)
    throw std::invalid_argument("simulate: no students or no interactions");
  const int k = static_cast<int>(prefs[0].size());
  if (k < 2 || k > 255) throw std::invalid_argument("simulate: k must be in [2, 255]");
  for (const std::vector<double> &p : prefs)
    if (static_cast<int>(p.size()) != k)
      throw std::invalid_argument("simulate: every student needs k preferences");
  tutorcore::check_policy_config(opt.config);

  Run r;
  r.policy = policy;
  r.k = k;
  r.students = static_cast<int>(prefs.size());
  r.interactions = opt.interactions;
  r.engine_decide =
      opt.engine_when_possible && engine_policy(policy) && k <= static_cast<int>(kModalityCount);
  const size_t cells = static_cast<size_t>(r.students) * static_cast<size_t>(r.interactions);
  r.chosen.resize(cells);
  r.resolved.resize(cells);
  r.expected.resize(cells);
  r.regret.resize(cells);
  r.converged_at.resize(r.students);

  const uint64_t uk = static_cast<uint64_t>(k);
  Rng policy_rng(mix(opt.seed, kTagPolicy, uk, static_cast<uint64_t>(policy)));
  Counts c(k);
  for (int s = 0; s < r.students; ++s) {
    const std::vector<double> &p = prefs[s];
    const int best = argmax(k, [&](int m) { return p[m]; });
    Rng outcomes(mix(opt.seed, kTagOutcomes, uk, static_cast<uint64_t>(s)));
    c.new_student();
    // The last interaction count after which the estimate was wrong (-1: never).
    int last_wrong = best_estimate(policy, k, c, opt.config) == best ? -1 : 0;
    for (int t = 0; t < r.interactions; ++t) {
      const int m = choose(policy, r.engine_decide, k, best, c, opt.config, policy_rng);
      const bool ok = outcomes.uniform() < p[m];
      const size_t i = static_cast<size_t>(s) * r.interactions + t;
      r.chosen[i] = static_cast<uint8_t>(m);
      r.resolved[i] = ok;
      r.expected[i] = p[m];
      r.regret[i] = p[best] - p[m];
      ++c.class_att[m];
      ++c.att[m];
      c.class_res[m] += ok;
      c.res[m] += ok;
      if (policy != Policy::oracle && best_estimate(policy, k, c, opt.config) != best)
        last_wrong = t + 1;
    }
    if (policy == Policy::oracle) last_wrong = -1;
    r.converged_at[s] = last_wrong == r.interactions ? -1 : last_wrong + 1;
  }
  return r;
}

namespace {

template <class F>
std::vector<double> per_student(const Run &r, int n, F &&f) {
  if (n < 1 || n > r.interactions) throw std::invalid_argument("per_student: n out of range");
  std::vector<double> out(r.students);
  for (int s = 0; s < r.students; ++s) {
    double sum = 0;
    for (int t = 0; t < n; ++t)
      sum += f(static_cast<size_t>(s) * r.interactions + t);
    out[s] = sum;
  }
  return out;
}

}  // namespace

std::vector<double> cumulative_rate(const Run &r, int n) {
  std::vector<double> v =
      per_student(r, n, [&](size_t i) { return static_cast<double>(r.resolved[i]); });
  for (double &x : v)
    x /= n;
  return v;
}

std::vector<double> cumulative_expected(const Run &r, int n) {
  std::vector<double> v = per_student(r, n, [&](size_t i) { return r.expected[i]; });
  for (double &x : v)
    x /= n;
  return v;
}

std::vector<double> cumulative_regret(const Run &r, int n) {
  return per_student(r, n, [&](size_t i) { return r.regret[i]; });
}

namespace {

void mean_sd(const double *x, size_t n, double *mean, double *sd) {
  double m = 0;
  for (size_t i = 0; i < n; ++i)
    m += x[i];
  m /= static_cast<double>(n);
  double ss = 0;
  for (size_t i = 0; i < n; ++i)
    ss += (x[i] - m) * (x[i] - m);
  *mean = m;
  *sd = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
}

}  // namespace

Estimate estimate(const std::vector<double> &v, int batches) {
  Estimate e;
  if (v.empty()) return e;
  const size_t n = v.size();
  double sd = 0;
  mean_sd(v.data(), n, &e.mean, &sd);
  e.se = sd / std::sqrt(static_cast<double>(n));
  const size_t b = std::min(n, static_cast<size_t>(std::max(batches, 1)));
  std::vector<double> means(b);
  for (size_t j = 0; j < b; ++j) {
    const size_t lo = j * n / b, hi = (j + 1) * n / b;
    double sum = 0;
    for (size_t i = lo; i < hi; ++i)
      sum += v[i];
    means[j] = sum / static_cast<double>(hi - lo);
  }
  double bm = 0, bsd = 0;
  mean_sd(means.data(), b, &bm, &bsd);
  e.se_batch = bsd / std::sqrt(static_cast<double>(b));
  return e;
}

std::vector<double> difference(const std::vector<double> &a, const std::vector<double> &b) {
  if (a.size() != b.size()) throw std::invalid_argument("difference: sizes differ");
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    d[i] = a[i] - b[i];
  return d;
}

PowerFit fit_power(const std::vector<double> &y, int from, int to) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  int n = 0;
  for (int i = std::max(from, 1); i <= to && i <= static_cast<int>(y.size()); ++i) {
    if (!(y[i - 1] > 0)) continue;
    double lx = std::log(static_cast<double>(i)), ly = std::log(y[i - 1]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
    syy += ly * ly;
    ++n;
  }
  PowerFit f;
  if (n < 2) return f;
  const double cxx = sxx - sx * sx / n, cxy = sxy - sx * sy / n, cyy = syy - sy * sy / n;
  f.exponent = cxy / cxx;
  f.coefficient = std::exp((sy - f.exponent * sx) / n);
  f.r2 = cyy > 0 ? cxy * cxy / (cxx * cyy) : 1.0;
  return f;
}

Convergence convergence(const Run &r) {
  Convergence c;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> t(r.converged_at.size());
  double sum = 0;
  int converged = 0;
  c.share_converged_by.assign(r.interactions + 1, 0.0);
  for (size_t s = 0; s < t.size(); ++s) {
    const int at = r.converged_at[s];
    t[s] = at < 0 ? inf : at;
    if (at >= 0) {
      sum += at;
      ++converged;
      for (int j = at; j <= r.interactions; ++j)
        c.share_converged_by[j] += 1.0;
    }
  }
  const double n = static_cast<double>(t.size());
  for (double &x : c.share_converged_by)
    x /= n;
  c.share_never = 1.0 - converged / n;
  c.mean_converged = converged > 0 ? sum / converged : std::numeric_limits<double>::quiet_NaN();
  std::sort(t.begin(), t.end());
  const size_t mid = t.size() / 2;
  c.median = t.size() % 2 ? t[mid] : 0.5 * (t[mid - 1] + t[mid]);
  return c;
}

}  // namespace exp04
