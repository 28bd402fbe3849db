// Classifying a student's answer, as the pipeline sees it: right or wrong,
// and which misconception a wrong answer shows. The backends and the router
// live in the classify engine (classify/classifier.hpp, rules.hpp,
// catalog.hpp, router.hpp); a Tutor routes every answer through its
// registry (Tutor::register_classifier, Tutor::set_classify_settings). This
// header keeps the pipeline's original types: a Classification, and a
// Classifier given as one function, which Tutor::set_classifier accepts.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/classify/classifier.hpp"
#include "tutorcore/knowledge/domain.hpp"

namespace tutorcore {
inline namespace v0 {

struct Classification {
  bool correct = false;
  std::string misconception_id;  // empty: none recognised
  double confidence = 0.0;       // in the label (1 for a rule match)
  std::string backend;           // which classifier answered
  std::string reason;            // why (see Prediction::reason)
};

// A prediction as the pipeline reads it.
Classification to_classification(const Prediction &p);
// A classification as a prediction: "correct", the misconception, or "unknown".
Prediction to_prediction(const Classification &c);

// A classifier given as one function. `predict` must be safe to call from
// the threads that submit; it may throw Error.
struct Classifier {
  std::string name;
  std::function<Classification(const Problem &, std::string_view answer, const Concept &)> predict;
};

// A Classifier as a plugin registered under c.name. Throws Error(invalid)
// for a bad name or a missing function.
std::shared_ptr<const ClassifierPlugin> classifier_plugin(Classifier c);

// One answer to classify without storing it (Tutor::classify).
struct ClassifyItem {
  std::string problem_id;
  std::string answer;
};

// A classification request: {"problem_id","answer","backend"?} (one item)
// or, with `batch`, {"items":[{"problem_id","answer"},...],"backend"?}.
// Error(invalid) names the field.
struct ClassifyRequest {
  std::vector<ClassifyItem> items;
  std::string backend;  // empty: the router
};
ClassifyRequest classify_request_from_json(std::string_view json, bool batch);

// {"label","confidence","backend","reason"}.
std::string prediction_json(const Prediction &p);

// The rule-based classification of one answer (backend "rules") against the
// problem's own answers (rules.hpp; templates need the domain: RuleClassifier).
Classification classify_by_rules(const Problem &p, std::string_view answer);

// classify_by_rules as a Classifier.
Classifier rule_classifier();

}  // namespace v0
}  // namespace tutorcore
