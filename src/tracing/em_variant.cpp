// EM for the BKT variants (pyBKT's multigs, multilearn, multiprior): guess
// and slip per item, learn and forget per item, prior per group.
//
// The forward-backward pass is em.cpp's, with each parameter looked up per
// answer (per sequence for the prior) through an index array; a variant that
// is off indexes a single shared entry. It runs one start at a time: the
// plain kernel stays the fast path, and this one pays only for what it adds.
//
// Learning is attributed to the item just answered: the transition from
// answer t to answer t + 1 uses item t's learn and forget rates.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tutorcore/common/error.hpp"
#include "tutorcore/tracing/fit.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

constexpr double kEdge = 1e-12;
constexpr size_t kLogEvery = 64;

struct Slots {
  std::vector<double> num, den;
  void reset(size_t n) {
    num.assign(n, 0.0);
    den.assign(n, 0.0);
  }
};

struct VariantParams {
  std::vector<double> init, learn, forget, guess, slip;
};

struct VariantCounts {
  double ll = 0.0;
  Slots init, learn, forget, guess, slip;
};

// Which entry of each parameter vector an answer (or sequence) uses.
struct Indexing {
  std::vector<uint32_t> gs, lf, prior;  // per answer, per answer, per sequence
  size_t n_gs = 1, n_lf = 1, n_prior = 1;
};

Indexing make_indexing(const SkillSequences &s, const FitOptions &o) {
  Indexing x;
  auto per_item = [&](bool on, std::vector<uint32_t> *ix, size_t *n) {
    if (on) {
      *ix = s.item;
      *n = std::max<size_t>(1, s.items.size());
    } else {
      ix->assign(s.responses(), 0);
    }
  };
  per_item(o.multigs, &x.gs, &x.n_gs);
  per_item(o.multilearn, &x.lf, &x.n_lf);
  if (o.multiprior) {
    x.prior = s.group;
    x.n_prior = std::max<size_t>(1, s.groups.size());
  } else {
    x.prior.assign(s.sequences(), 0);
  }
  return x;
}

void e_step(const SkillSequences &s, const Indexing &x, const VariantParams &b,
            std::vector<double> &known, std::vector<double> &inv_scale, VariantCounts *c) {
  c->init.reset(x.n_prior);
  c->learn.reset(x.n_lf);
  c->forget.reset(x.n_lf);
  c->guess.reset(x.n_gs);
  c->slip.reset(x.n_gs);
  c->ll = 0.0;
  for (size_t q = 0; q < s.sequences(); ++q) {
    const size_t o = s.starts[q], n = s.starts[q + 1] - o;
    const uint8_t *obs = s.correct.data() + o;
    const uint32_t *gi = x.gs.data() + o, *li = x.lf.data() + o;
    if (known.size() < n) {
      known.resize(n);
      inv_scale.resize(n);
    }
    // Emission probabilities of answer t given known / unknown.
    auto ek = [&](size_t t) { return obs[t] ? 1.0 - b.slip[gi[t]] : b.slip[gi[t]]; };
    auto eu = [&](size_t t) { return obs[t] ? b.guess[gi[t]] : 1.0 - b.guess[gi[t]]; };

    double pk = b.init[x.prior[q]], prod = 1.0;
    for (size_t t = 0; t < n; ++t) {
      double ak = pk * ek(t), ct = ak + (1.0 - pk) * eu(t), inv = 1.0 / ct;
      inv_scale[t] = inv;
      prod *= ct;
      double k = std::clamp(ak * inv, kEdge, 1.0 - kEdge);
      known[t] = k;
      pk = k * (1.0 - b.forget[li[t]]) + (1.0 - k) * b.learn[li[t]];
      if ((t + 1) % kLogEvery == 0 || t + 1 == n) {
        c->ll += std::log(prod);
        prod = 1.0;
      }
    }

    double bk = 1.0, bu = 1.0;
    auto emit_counts = [&](size_t t, double gk, double gu) {
      const uint32_t g = gi[t];
      c->guess.num[g] += obs[t] * gu;
      c->guess.den[g] += gu;
      c->slip.num[g] += (1 - obs[t]) * gk;
      c->slip.den[g] += gk;
    };
    for (size_t t = n - 1; t > 0; --t) {
      double gk = known[t] * bk, gu = (1.0 - known[t]) * bu;
      const double rnorm = 1.0 / (gk + gu);
      emit_counts(t, gk * rnorm, gu * rnorm);
      const uint32_t l = li[t - 1];
      const double learn = b.learn[l], forget = b.forget[l];
      const double kp = known[t - 1], up = 1.0 - kp, f = inv_scale[t] * rnorm;
      const double fk = ek(t) * bk * f, fu = eu(t) * bu * f;
      const double uk = up * learn * fk, uu = up * (1.0 - learn) * fu;
      const double ku = kp * forget * fu, kk = kp * (1.0 - forget) * fk;
      c->learn.num[l] += uk;
      c->learn.den[l] += uk + uu;
      c->forget.num[l] += ku;
      c->forget.den[l] += ku + kk;
      bk = (1.0 - forget) * fk + forget * fu;
      bu = learn * fk + (1.0 - learn) * fu;
      double m = std::max(bk, bu);
      if (m > 1e100) {
        bk /= m;
        bu /= m;
      }
    }
    double gk = known[0] * bk, gu = (1.0 - known[0]) * bu;
    const double rnorm = 1.0 / (gk + gu);
    emit_counts(0, gk * rnorm, gu * rnorm);
    c->init.num[x.prior[q]] += gk * rnorm;
    c->init.den[x.prior[q]] += 1.0;
  }
}

// M-step for one parameter vector: each entry's ratio, pulled toward the
// pooled ratio by `pseudo` answers, clamped to [lo, hi]. Entries without
// data keep their value. Returns true when an entry was clamped at hi.
bool m_step(const Slots &c, double pseudo, double lo, double hi, std::vector<double> *v) {
  double num = 0, den = 0;
  for (size_t i = 0; i < v->size(); ++i) {
    num += c.num[i];
    den += c.den[i];
  }
  const double pooled = den > 0 ? num / den : 0.0;
  bool hit = false;
  for (size_t i = 0; i < v->size(); ++i) {
    double d = c.den[i] + pseudo;
    if (!(c.den[i] > 0) || !(d > 0)) continue;
    double x = (c.num[i] + pseudo * pooled) / d;
    if (x > hi) {
      x = hi;
      hit = true;
    }
    (*v)[i] = std::max(lo, x);
  }
  return hit;
}

// Mean of v weighted by w (the answers or sequences behind each entry).
double weighted_mean(const std::vector<double> &v, const std::vector<double> &w) {
  double s = 0, n = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    s += v[i] * w[i];
    n += w[i];
  }
  return n > 0 ? s / n : (v.empty() ? 0.0 : v[0]);
}

}  // namespace

bool has_variants(const FitOptions &o) {
  return o.multigs || o.multilearn || o.multiprior;
}

SkillFit fit_skill_variant(const SkillSequences &s, const BktParams &start,
                           const FitOptions &opts) {
  if ((opts.multigs || opts.multilearn) && !s.has_items()) {
    throw Error(Errc::invalid, fmt::format("skill '{}': {} needs an item per answer, and the data "
                                           "has no item column",
                                           s.skill, opts.multigs ? "multigs" : "multilearn"));
  }
  if (opts.multiprior && !s.has_groups()) {
    throw Error(Errc::invalid, fmt::format("skill '{}': multiprior needs a group per sequence, and "
                                           "the data has no group column",
                                           s.skill));
  }
  const Indexing x = make_indexing(s, opts);
  const double lo = opts.min_probability, hi = 1.0 - opts.min_probability;
  VariantParams b;
  b.init.assign(x.n_prior, start.p_init);
  b.learn.assign(x.n_lf, start.p_learn);
  b.forget.assign(x.n_lf, opts.forgets ? start.p_forget : 0.0);
  b.guess.assign(x.n_gs, start.p_guess);
  b.slip.assign(x.n_gs, start.p_slip);

  SkillFit f;
  f.skill = s.skill;
  f.sequences = s.sequences();
  f.responses = s.responses();
  std::vector<double> known, inv_scale;
  VariantCounts c;
  VariantParams fitted = b;
  double prev = -std::numeric_limits<double>::infinity();
  for (int it = 1; it <= opts.max_iterations; ++it) {
    e_step(s, x, b, known, inv_scale, &c);
    f.iterations = it;
    f.log_likelihood = c.ll;
    fitted = b;
    if (opts.keep_trace) f.trace.push_back(c.ll);
    if (std::fabs(c.ll - prev) < opts.tolerance) break;
    prev = c.ll;
    const double a = opts.variant_pseudo_count;
    m_step(c.init, a, lo, hi, &b.init);
    m_step(c.learn, a, lo, hi, &b.learn);
    if (opts.forgets) m_step(c.forget, a, lo, hi, &b.forget);
    f.guess_at_bound = m_step(c.guess, a, lo, std::min(hi, opts.max_guess), &b.guess);
    f.slip_at_bound = m_step(c.slip, a, lo, std::min(hi, opts.max_slip), &b.slip);
  }

  // Answers behind each item and sequences behind each group: the weights of
  // the base parameters, and which entries had data at all.
  std::vector<double> item_answers(s.items.size(), 0.0), group_seqs(x.n_prior, 0.0);
  for (uint32_t i : s.item)
    item_answers[i] += 1.0;
  for (uint32_t g : x.prior)
    group_seqs[g] += 1.0;
  auto per_item = [&](const std::vector<double> &v) {
    return v.size() > 1 ? weighted_mean(v, item_answers) : v[0];
  };
  f.params.p_init = x.n_prior > 1 ? weighted_mean(fitted.init, group_seqs) : fitted.init[0];
  f.params.p_learn = per_item(fitted.learn);
  f.params.p_forget = per_item(fitted.forget);
  f.params.p_guess = per_item(fitted.guess);
  f.params.p_slip = per_item(fitted.slip);

  BktVariant &v = f.variant;
  if (opts.multigs || opts.multilearn) {
    for (size_t i = 0; i < s.items.size(); ++i) {
      if (item_answers[i] == 0) continue;  // no data in this fit
      v.items.push_back(s.items[i]);
      if (opts.multigs) {
        v.guess.push_back(fitted.guess[i]);
        v.slip.push_back(fitted.slip[i]);
      }
      if (opts.multilearn) {
        v.learn.push_back(fitted.learn[i]);
        v.forget.push_back(fitted.forget[i]);
      }
    }
  }
  if (opts.multiprior) {
    for (size_t g = 0; g < s.groups.size(); ++g) {
      if (group_seqs[g] == 0) continue;
      v.groups.push_back(s.groups[g]);
      v.init.push_back(fitted.init[g]);
    }
  }
  return f;
}

int64_t BktVariant::find_item(std::string_view name) const {
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i] == name) return static_cast<int64_t>(i);
  return -1;
}

int64_t BktVariant::find_group(std::string_view name) const {
  for (size_t i = 0; i < groups.size(); ++i)
    if (groups[i] == name) return static_cast<int64_t>(i);
  return -1;
}

BktParams BktVariant::resolve(const BktParams &base, int64_t item, int64_t group) const {
  BktParams b = base;
  if (item >= 0) {
    const size_t i = static_cast<size_t>(item);
    if (i < guess.size()) {
      b.p_guess = guess[i];
      b.p_slip = slip[i];
    }
    if (i < learn.size()) {
      b.p_learn = learn[i];
      b.p_forget = forget[i];
    }
  }
  if (group >= 0 && static_cast<size_t>(group) < init.size())
    b.p_init = init[static_cast<size_t>(group)];
  return b;
}

}  // namespace v0
}  // namespace tutorcore
