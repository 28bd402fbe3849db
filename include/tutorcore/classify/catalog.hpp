// The catalog-similarity backend ("catalog"): the seed's experiment 03 proxy
// for an LLM reading the misconception catalog. An answer equivalent to the
// problem's correct answer is "correct"; otherwise the answer is compared
// with the wrong answers of the taxonomy's examples for the problem's
// concept by normalized edit distance, similarity = 1 - d / max(length)
// over the normalized texts (answer.hpp), and the misconception of the most
// similar example is the label when that similarity reaches the threshold
// (its confidence), "unknown" otherwise. Ties go to the misconception listed
// first in the taxonomy. Lengths count bytes of the normalized UTF-8 text.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/classify/classifier.hpp"

namespace tutorcore {
inline namespace v0 {

struct CatalogConfig {
  // The least similarity that names a misconception. At 0.7 the catalog
  // labels 53% of the bundled algebra bank's 292 wrong answers, 90% of them
  // correctly; at 0 it labels all, 70% correctly (tests/classify/test_catalog.cpp).
  double threshold = 0.7;
  // Examples used per misconception, in taxonomy order; 0 = all (the seed's
  // catalog-richness axis).
  int32_t max_examples = 0;
};

// Throws Error(invalid) naming the field ("catalog config.threshold").
void check_catalog_config(const CatalogConfig &c);

// The Levenshtein distance between two byte strings (unit costs).
size_t edit_distance(std::string_view a, std::string_view b);

// 1 - edit_distance / max(length); 1 for two empty strings.
double answer_similarity(std::string_view a, std::string_view b);

class CatalogClassifier : public ClassifierPlugin {
 public:
  explicit CatalogClassifier(std::shared_ptr<const Domain> domain, CatalogConfig config = {},
                             std::string name = "catalog");

  const std::string &name() const override { return name_; }
  Prediction predict(const Problem &problem, std::string_view answer,
                     const Concept &concept_) const override;
  // Concepts with at least one taxonomy example.
  bool supports_concept(std::string_view concept_id) const override;

  const CatalogConfig &config() const { return config_; }

 private:
  struct Example {
    size_t misconception;    // index into domain_->misconceptions
    std::string normalized;  // the example's wrong answer
  };
  std::shared_ptr<const Domain> domain_;
  CatalogConfig config_;
  std::string name_;
  std::map<std::string, std::vector<Example>, std::less<>> by_concept_;
  std::vector<std::string> correct_;  // normalized correct answers, parallel to the problems
};

}  // namespace v0
}  // namespace tutorcore
