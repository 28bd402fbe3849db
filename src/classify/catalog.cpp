// The catalog-similarity backend (rules in catalog.hpp).
#include "tutorcore/classify/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "tutorcore/classify/answer.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

void check_catalog_config(const CatalogConfig &c) {
  if (!(c.threshold >= 0.0 && c.threshold <= 1.0)) {
    throw Error(Errc::invalid,
                fmt::format("catalog config.threshold: {} is outside [0, 1]", c.threshold));
  }
  if (c.max_examples < 0) {
    throw Error(Errc::invalid, fmt::format("catalog config.max_examples: {} is negative; 0 means "
                                           "all examples",
                                           c.max_examples));
  }
}

size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() < b.size()) std::swap(a, b);  // one row of the shorter length
  if (b.empty()) return a.size();
  constexpr size_t kStack = 128;
  size_t stack[kStack + 1];
  std::vector<size_t> heap;
  size_t *row = stack;
  if (b.size() > kStack) {
    heap.resize(b.size() + 1);
    row = heap.data();
  }
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];  // row[i-1][j-1]
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];  // row[i-1][j]
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({up + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

double answer_similarity(std::string_view a, std::string_view b) {
  size_t longest = std::max(a.size(), b.size());
  if (longest == 0) return 1.0;
  return 1.0 - static_cast<double>(edit_distance(a, b)) / static_cast<double>(longest);
}

CatalogClassifier::CatalogClassifier(std::shared_ptr<const Domain> domain, CatalogConfig config,
                                     std::string name)
    : domain_(std::move(domain)), config_(config), name_(std::move(name)) {
  if (!domain_) throw Error(Errc::invalid, "catalog classifier: no domain");
  check_catalog_config(config_);
  check_classifier_name(name_);
  const Domain &d = *domain_;
  correct_.reserve(d.problems.size());
  for (const Problem &p : d.problems)
    correct_.push_back(normalize_answer(p.correct_answer));
  for (size_t m = 0; m < d.misconceptions.size(); ++m) {
    const Misconception &mc = d.misconceptions[m];
    size_t used = 0;
    for (const MisconceptionExample &ex : mc.examples) {
      if (config_.max_examples > 0 && used == static_cast<size_t>(config_.max_examples)) break;
      if (ex.wrong.empty()) continue;
      by_concept_[mc.concept_id].push_back({m, normalize_answer(ex.wrong)});
      ++used;
    }
  }
}

bool CatalogClassifier::supports_concept(std::string_view concept_id) const {
  return by_concept_.find(concept_id) != by_concept_.end();
}

Prediction CatalogClassifier::predict(const Problem &problem, std::string_view answer,
                                      const Concept &concept_) const {
  Prediction out;
  out.backend = name_;
  std::string a = normalize_answer(answer);
  const std::vector<Problem> &problems = domain_->problems;
  std::less<const Problem *> before;
  bool ours = !problems.empty() && !before(&problem, problems.data()) &&
              before(&problem, problems.data() + problems.size());
  bool right = ours ? normalized_answers_equivalent(
                          a, correct_[static_cast<size_t>(&problem - problems.data())])
                    : answers_equivalent(a, problem.correct_answer);
  if (right) {
    out.label = kLabelCorrect;
    out.confidence = 1.0;
    out.reason = "equivalent to the correct answer";
    return out;
  }
  out.label = kLabelUnknown;
  auto it = by_concept_.find(concept_.id);
  if (it == by_concept_.end()) {
    out.reason = fmt::format("concept {} has no taxonomy examples", concept_.id);
    return out;
  }
  const Example *best = nullptr;
  double best_sim = -1.0;
  for (const Example &ex : it->second) {
    // The similarity cannot beat the best so far when the lengths differ too much.
    size_t longest = std::max(a.size(), ex.normalized.size());
    size_t gap = a.size() > ex.normalized.size() ? a.size() - ex.normalized.size()
                                                 : ex.normalized.size() - a.size();
    if (best && longest > 0 &&
        1.0 - static_cast<double>(gap) / static_cast<double>(longest) <= best_sim)
      continue;
    double s = answer_similarity(a, ex.normalized);
    if (s > best_sim) {
      best_sim = s;
      best = &ex;
    }
  }
  const Misconception &m = domain_->misconceptions[best->misconception];
  if (best_sim >= config_.threshold) {
    out.label = m.id;
    out.confidence = best_sim;
    out.reason = fmt::format(
        "nearest taxonomy example of {} is '{}' at similarity {:.3f} (threshold "
        "{:.2f})",
        m.id, best->normalized, best_sim, config_.threshold);
  } else {
    out.reason = fmt::format(
        "nearest taxonomy example ('{}' of {}) is at similarity {:.3f}, below "
        "the threshold {:.2f}",
        best->normalized, m.id, best_sim, config_.threshold);
  }
  return out;
}

}  // namespace v0
}  // namespace tutorcore
