// Hybrid routing: the seed's HybridClassifier generalised to an ordered list
// of backend names. For each answer the router walks the route and asks each
// backend that is registered and supports the answer's concept; the first
// prediction whose label is "correct" or a misconception of the domain, with
// a confidence of at least min_confidence, is the answer. A backend that is
// absent, does not support the concept, says "unknown", is below
// min_confidence or names a label the domain does not know is passed over,
// and the prediction's reason lists each passed-over step and why. When no
// backend labels the answer the prediction is "unknown" from "hybrid".
//
// The default route is model > rules > catalog > host: a trained model
// where one is registered under "model" (the TorchScript plugin, or a host's
// own), then the rules, then catalog similarity, then a host callback
// registered under "host" (an LLM-backed catalog classifier, say).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/classify/catalog.hpp"
#include "tutorcore/classify/classifier.hpp"

namespace tutorcore {
inline namespace v0 {

enum class RouteErrorPolicy : uint8_t {
  fail,  // a backend's error is the classification's error (the submit fails, nothing stored)
  skip,  // a backend's error passes the answer to the next backend (noted in the reason)
};

struct RoutingConfig {
  std::vector<std::string> route = {"model", "rules", "catalog", "host"};
  double min_confidence = 0.0;  // a label below this falls through
  RouteErrorPolicy on_error = RouteErrorPolicy::fail;
};

// Throws Error(invalid) naming the field: an empty route, a bad or repeated
// name, min_confidence outside [0, 1].
void check_routing_config(const RoutingConfig &c);

// The classification settings a tutor takes as one document:
// {"route":[names],"min_confidence":0,"on_error":"fail"|"skip",
//  "catalog":{"threshold":0.7,"max_examples":0}}; fields left out keep
// `base`'s values. Throws Error(invalid) naming the field.
struct ClassifySettings {
  RoutingConfig routing;
  CatalogConfig catalog;
};
ClassifySettings classify_settings_from_json(std::string_view json, const ClassifySettings &base);
std::string classify_settings_to_json(const ClassifySettings &s);

class HybridClassifier : public ClassifierPlugin {
 public:
  HybridClassifier(std::shared_ptr<const Domain> domain,
                   std::shared_ptr<const ClassifierRegistry> registry, RoutingConfig config);

  const std::string &name() const override { return name_; }
  Prediction predict(const Problem &problem, std::string_view answer,
                     const Concept &concept_) const override;
  // Each backend of the route is asked once, with the answers still open
  // that it supports (so a model batches them); the predictions equal
  // predict's, answer by answer.
  std::vector<Prediction> predict_batch(const std::vector<PredictInput> &inputs) const override;

  const RoutingConfig &config() const { return config_; }

 private:
  std::shared_ptr<const Domain> domain_;
  std::shared_ptr<const ClassifierRegistry> registry_;
  RoutingConfig config_;
  std::string name_ = "hybrid";
};

}  // namespace v0
}  // namespace tutorcore
