// Classifying a student's answer: right or wrong, and which misconception a
// wrong answer shows. The pipeline calls a Classifier; the rule-based one is
// the default: an answer equivalent to the problem's correct answer is
// right, one equivalent to a misconception's wrong answer (from the problem
// bank) shows that misconception.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "tutorcore/knowledge/domain.hpp"

namespace tutorcore {
inline namespace v0 {

struct Classification {
  bool correct = false;
  std::string misconception_id;  // empty: none recognised
  double confidence = 0.0;       // in the label (1 for a rule match)
  std::string backend;           // which classifier answered
};

// The plugin interface the pipeline uses. `predict` must be safe to call
// from the thread that submits; it may throw Error.
struct Classifier {
  std::string name;
  std::function<Classification(const Problem &, std::string_view answer, const Concept &)> predict;
};

// The rule-based classification of one answer (backend "rules").
Classification classify_by_rules(const Problem &p, std::string_view answer);

// classify_by_rules as a Classifier.
Classifier rule_classifier();

}  // namespace v0
}  // namespace tutorcore
