// The classifier plugin interface: what a student's answer shows. Every
// backend (rules, catalog similarity, a trained model, a host's callback)
// implements ClassifierPlugin; a ClassifierRegistry holds them by name and
// the hybrid router (router.hpp) asks them in a configured order.
//
// A prediction's label is a misconception id of the domain, "correct" (the
// answer is right) or "unknown" (wrong, or undecided, with no misconception
// recognised). Its confidence lies in [0, 1] and is the backend's belief in
// the label; `backend` names who answered and `reason` says why.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/knowledge/domain.hpp"

namespace tutorcore {
inline namespace v0 {

inline constexpr std::string_view kLabelCorrect = "correct";
inline constexpr std::string_view kLabelUnknown = "unknown";

struct Prediction {
  std::string label;        // a misconception id, "correct" or "unknown"
  double confidence = 0.0;  // in [0, 1]
  std::string backend;      // the registered name of the backend that answered
  std::string reason;       // why (a routed prediction also lists the backends passed over)

  bool correct() const { return label == kLabelCorrect; }
  bool unknown() const { return label == kLabelUnknown; }
  // The misconception the label names; empty for "correct" and "unknown".
  std::string_view misconception() const {
    return correct() || unknown() ? std::string_view() : std::string_view(label);
  }
};

// One answer of a batch. The pointers must stay valid during the call.
struct PredictInput {
  const Problem *problem = nullptr;
  std::string_view answer;
  const Concept *concept_ = nullptr;
};

class ClassifierPlugin {
 public:
  virtual ~ClassifierPlugin() = default;

  // The name the plugin is registered under (see check_classifier_name).
  virtual const std::string &name() const = 0;

  // Classifies one answer to `problem`, whose concept is `concept_`. May
  // throw Error; Error(user) is a host callback's failure. Called from any
  // thread that classifies, possibly concurrently: implementations must be
  // safe for concurrent calls.
  virtual Prediction predict(const Problem &problem, std::string_view answer,
                             const Concept &concept_) const = 0;

  // Whether the plugin handles answers of this concept; the router skips it
  // for concepts it does not. Default: every concept.
  virtual bool supports_concept(std::string_view concept_id) const;

  // Classifies several answers, in order (one prediction per input). The
  // default calls predict for each; a model overrides it to batch.
  virtual std::vector<Prediction> predict_batch(const std::vector<PredictInput> &inputs) const;
};

// Throws Error(invalid) unless `name` is 1 to 64 characters of a-z, 0-9, '_'
// and '-', and is not "hybrid" (the router's own name).
void check_classifier_name(std::string_view name);

// Throws Error(invalid) naming the backend when a prediction breaks the
// contract: an empty label or a confidence outside [0, 1].
void check_prediction(const Prediction &p, std::string_view backend);

// Classifiers by name. All methods are safe to call from several threads;
// a plugin found stays alive while its caller holds the pointer, even when it
// is removed meanwhile.
class ClassifierRegistry {
 public:
  // Throws Error(invalid) for a bad name or a null plugin, Error(exists)
  // when the name is taken (remove it first).
  void add(std::shared_ptr<const ClassifierPlugin> plugin);
  // Adds or replaces.
  void put(std::shared_ptr<const ClassifierPlugin> plugin);
  // Returns false when no plugin has that name.
  bool remove(std::string_view name);
  // nullptr when no plugin has that name.
  std::shared_ptr<const ClassifierPlugin> find(std::string_view name) const;
  // The registered names, sorted.
  std::vector<std::string> names() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const ClassifierPlugin>, std::less<>> plugins_;
};

}  // namespace v0
}  // namespace tutorcore
