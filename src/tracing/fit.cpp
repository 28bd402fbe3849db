// Fitting all skills (restarts, threads, progress), prediction, metrics and
// cross-validation.
#include "tutorcore/tracing/fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <thread>
#include <unordered_map>

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

// splitmix64: a small, portable generator; each (seed, skill, restart) gets
// its own stream, so results do not depend on thread scheduling.
struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }
};

BktParams random_start(uint64_t seed, size_t skill, int restart, const FitOptions &o) {
  SplitMix r{seed ^ (0x5851f42d4c957f2dULL * (skill + 1)) ^
             (0x14057b7ef767814fULL * static_cast<uint64_t>(restart + 1))};
  r.next();
  BktParams b;
  b.p_init = r.uniform(0.05, 0.95);
  b.p_learn = r.uniform(0.01, 0.5);
  b.p_guess = r.uniform(0.01, o.max_guess);
  b.p_slip = r.uniform(0.01, o.max_slip);
  b.p_forget = o.forgets ? r.uniform(0.01, 0.2) : 0.0;
  return b;
}

// For each name of `data`, its index in `model` (-1 when absent).
void name_map(const std::vector<std::string> &model, const std::vector<std::string> &data,
              std::vector<int64_t> *out) {
  std::unordered_map<std::string_view, int64_t> index;
  index.reserve(model.size());
  for (size_t i = 0; i < model.size(); ++i)
    index.emplace(model[i], static_cast<int64_t>(i));
  out->assign(data.size(), -1);
  for (size_t i = 0; i < data.size(); ++i) {
    auto it = index.find(data[i]);
    if (it != index.end()) (*out)[i] = it->second;
  }
}

void check_options(const FitOptions &o) {
  auto bad = [](const std::string &m) { throw Error(Errc::invalid, "fit options: " + m); };
  if (o.restarts < 1 || o.restarts > 1000)
    bad(fmt::format("restarts = {} is outside 1..1000", o.restarts));
  if (o.max_iterations < 1 || o.max_iterations > 100000) {
    bad(fmt::format("max_iterations = {} is outside 1..100000", o.max_iterations));
  }
  if (!(o.tolerance > 0)) bad("tolerance must be positive");
  if (o.threads < 0) bad("threads is negative");
  if (!(o.min_probability > 0 && o.min_probability < 0.1))
    bad("min_probability must lie in (0, 0.1)");
  if (!(o.max_guess > o.min_probability && o.max_guess < 1))
    bad("max_guess must lie in (min_probability, 1)");
  if (!(o.max_slip > o.min_probability && o.max_slip < 1))
    bad("max_slip must lie in (min_probability, 1)");
  if (!(o.variant_pseudo_count >= 0 && o.variant_pseudo_count <= 1e6))
    bad("variant_pseudo_count must lie in 0..1e6");
  if (o.max_guess + o.max_slip >= 1) {
    bad(fmt::format(
        "max_guess + max_slip = {} allows guess + slip >= 1, where a wrong answer raises mastery",
        o.max_guess + o.max_slip));
  }
}

}  // namespace

Metrics score(const Predictions &pred) {
  Metrics m;
  m.responses = pred.p.size();
  if (m.responses == 0) return m;
  double se = 0, ll = 0;
  size_t right = 0;
  for (size_t i = 0; i < pred.p.size(); ++i) {
    double p = std::clamp(pred.p[i], 1e-12, 1.0 - 1e-12);
    double y = pred.y[i];
    se += (p - y) * (p - y);
    ll += y ? std::log(p) : std::log(1.0 - p);
    right += (p >= 0.5) == (pred.y[i] != 0);
  }
  m.rmse = std::sqrt(se / static_cast<double>(m.responses));
  m.accuracy = static_cast<double>(right) / static_cast<double>(m.responses);
  m.log_likelihood = ll;
  m.auc = roc_auc(pred.p, pred.y);
  return m;
}

FitReport fit_bkt(const Dataset &d, const FitOptions &opts) {
  check_options(opts);
  // Checked here: the workers must not throw.
  const bool variants = has_variants(opts);
  for (const SkillSequences &s : d.skills) {
    if ((opts.multigs || opts.multilearn) && !s.has_items()) {
      throw Error(Errc::invalid,
                  fmt::format("fit options: {} needs an item per answer, and the data has none "
                              "(name the item column)",
                              opts.multigs ? "multigs" : "multilearn"));
    }
    if (opts.multiprior && !s.has_groups()) {
      throw Error(Errc::invalid,
                  "fit options: multiprior needs a group per student, and the data has none "
                  "(name the group column)");
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  FitReport report;
  report.skills.resize(d.skills.size());
  const size_t total = d.skills.size();
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> cancel{false};
  std::atomic<int64_t> visits{0};
  std::mutex mu;
  std::condition_variable cv;

  auto worker = [&] {
    for (size_t k; !cancel && (k = next++) < total;) {
      const SkillSequences &s = d.skills[k];
      SkillFit best;
      best.skill = s.skill;
      bool have = s.sequences() == 0;  // nothing to fit; left out of models
      int64_t v = 0;
      if (!have) {
        std::vector<BktParams> starts;
        for (int r = 0; r < opts.restarts; ++r)
          starts.push_back(random_start(opts.seed, k, r, opts));
        std::vector<SkillFit> fits;
        if (variants) {
          for (size_t r = 0; r < starts.size(); ++r) {
            fits.push_back(fit_skill_variant(s, starts[r], opts));
            fits.back().best_restart = static_cast<int>(r);
          }
        } else {
          fits = fit_skill_restarts(s, starts, opts);
        }
        for (SkillFit &f : fits) {
          v += static_cast<int64_t>(f.iterations) * static_cast<int64_t>(s.responses());
          if (!have || f.log_likelihood > best.log_likelihood) {
            best = std::move(f);
            have = true;
          }
        }
      }
      visits += v;
      report.skills[k] = std::move(best);
      {
        std::lock_guard<std::mutex> lock(mu);
        ++done;
      }
      cv.notify_one();
    }
  };

  int threads = opts.threads > 0
                    ? opts.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads =
      static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(total, 1)));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back(worker);
  // Progress is reported from the calling thread, as skills finish.
  size_t reported = 0;
  while (reported < total && !cancel) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done > reported; });
    reported = done;
    lock.unlock();
    if (opts.progress && !opts.progress(reported, total)) cancel = true;
  }
  for (auto &t : pool)
    t.join();
  report.cancelled = cancel;
  report.threads = threads;
  report.response_iterations = visits;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

int64_t BktModel::find(const std::string &skill) const {
  for (size_t i = 0; i < skills.size(); ++i) {
    if (skills[i] == skill) return static_cast<int64_t>(i);
  }
  return -1;
}

BktParams BktModel::fallback() const {
  BktParams m;
  if (params.empty()) return BktParams{0.5, 0.1, 0.2, 0.1, 0.0};
  for (const auto &p : params) {
    m.p_init += p.p_init;
    m.p_learn += p.p_learn;
    m.p_guess += p.p_guess;
    m.p_slip += p.p_slip;
    m.p_forget += p.p_forget;
  }
  double n = static_cast<double>(params.size());
  m.p_init /= n;
  m.p_learn /= n;
  m.p_guess /= n;
  m.p_slip /= n;
  m.p_forget /= n;
  return m;
}

BktModel model_from_fit(const FitReport &r, bool forgets) {
  BktModel m;
  m.forgets = forgets;
  bool variants = false;
  for (const auto &f : r.skills)
    variants |= !f.variant.empty();
  for (const auto &f : r.skills) {
    if (f.responses == 0) continue;
    m.skills.push_back(f.skill);
    m.params.push_back(f.params);
    if (variants) m.variants.push_back(f.variant);
  }
  m.fits = r.skills;
  return m;
}

Predictions predict(const BktModel &m, const Dataset &test, size_t *unseen_skills) {
  Predictions out;
  out.p.reserve(test.responses);
  out.y.reserve(test.responses);
  size_t unseen = 0;
  const BktParams fallback = m.fallback();
  std::vector<int64_t> item_map, group_map;
  for (const SkillSequences &s : test.skills) {
    int64_t k = m.find(s.skill);
    if (k < 0) ++unseen;
    const BktParams &b = k < 0 ? fallback : m.params[static_cast<size_t>(k)];
    const BktVariant *v =
        k >= 0 && !m.variants.empty() ? &m.variants[static_cast<size_t>(k)] : nullptr;
    if (v && v->empty()) v = nullptr;
    if (!v) {
      for (size_t q = 0; q < s.sequences(); ++q) {
        double p = b.p_init;
        for (uint32_t t = s.starts[q]; t < s.starts[q + 1]; ++t) {
          out.p.push_back(bkt_predict(p, b));
          out.y.push_back(s.correct[t]);
          p = bkt_update(p, s.correct[t] != 0, b);
        }
      }
      continue;
    }
    // The test data's item and group indices, in the model's numbering
    // (-1: not in the model, which then uses the skill's base parameters).
    name_map(v->items, s.items, &item_map);
    name_map(v->groups, s.groups, &group_map);
    for (size_t q = 0; q < s.sequences(); ++q) {
      int64_t g = s.has_groups() ? group_map[s.group[q]] : -1;
      double p = v->resolve(b, -1, g).p_init;
      for (uint32_t t = s.starts[q]; t < s.starts[q + 1]; ++t) {
        const BktParams bt = v->resolve(b, s.has_items() ? item_map[s.item[t]] : -1, g);
        out.p.push_back(bkt_predict(p, bt));
        out.y.push_back(s.correct[t]);
        p = bkt_update(p, s.correct[t] != 0, bt);
      }
    }
  }
  if (unseen_skills) *unseen_skills = unseen;
  return out;
}

Metrics evaluate(const BktModel &m, const Dataset &test) {
  size_t unseen = 0;
  Metrics r = score(predict(m, test, &unseen));
  r.unseen_skills = unseen;
  return r;
}

double roc_auc(const std::vector<double> &p, const std::vector<uint8_t> &y) {
  const size_t n = p.size();
  std::vector<uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return p[a] < p[b]; });
  // Mann-Whitney U with tied scores given their average rank.
  double rank_sum = 0;
  size_t pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;  // at least one: a NaN equals nothing, not even itself
    while (j < n && p[idx[j]] == p[idx[i]])
      ++j;
    double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (y[idx[k]]) {
        rank_sum += avg_rank;
        ++pos;
      }
    }
    i = j;
  }
  size_t neg = n - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - static_cast<double>(pos) * static_cast<double>(pos + 1) / 2.0) /
         (static_cast<double>(pos) * static_cast<double>(neg));
}

CrossValidation cross_validate(const Dataset &d, int folds, const FitOptions &opts) {
  if (folds < 2 || static_cast<size_t>(folds) > d.students.size()) {
    throw Error(
        Errc::invalid,
        fmt::format("cross-validation: folds = {} must lie in 2..{} (the number of students)",
                    folds, d.students.size()));
  }
  // A seeded shuffle of the students, dealt into folds.
  std::vector<uint32_t> order(d.students.size());
  std::iota(order.begin(), order.end(), 0u);
  SplitMix r{opts.seed ^ 0x243f6a8885a308d3ULL};
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[r.next() % i]);
  std::vector<int> fold_of(d.students.size());
  for (size_t i = 0; i < order.size(); ++i)
    fold_of[order[i]] = static_cast<int>(i % static_cast<size_t>(folds));

  CrossValidation cvr;
  cvr.folds = folds;
  Predictions pooled;
  for (int f = 0; f < folds; ++f) {
    Dataset train = subset_students(d, [&](uint32_t s) { return fold_of[s] != f; });
    Dataset test = subset_students(d, [&](uint32_t s) { return fold_of[s] == f; });
    FitOptions o = opts;
    o.progress = nullptr;
    BktModel m = model_from_fit(fit_bkt(train, o), opts.forgets);
    size_t unseen = 0;
    Predictions p = predict(m, test, &unseen);
    Metrics fm = score(p);
    fm.unseen_skills = unseen;
    cvr.per_fold.push_back(fm);
    pooled.p.insert(pooled.p.end(), p.p.begin(), p.p.end());
    pooled.y.insert(pooled.y.end(), p.y.begin(), p.y.end());
    if (opts.progress && !opts.progress(static_cast<size_t>(f + 1), static_cast<size_t>(folds)))
      break;
  }
  cvr.pooled = score(pooled);
  return cvr;
}

}  // namespace v0
}  // namespace tutorcore
