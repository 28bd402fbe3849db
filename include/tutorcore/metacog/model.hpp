// The bias detector's trained model (seed 000's classifier): a TorchScript
// module over the 15 bias features (metacog.hpp, bias_feature_names()),
// run by the model plugin as dense input (classify/model.hpp, DenseModel).
// Like every model it needs libtutorcore_torch only when it is loaded.
//
// Rules:
//  - The manifest (the labels file, written by scripts/train_torch_bias.py)
//    is {"schema_version":1,"task":"metacog.bias","input":"bias_features_v1",
//    "feature_names":[...],"labels":[...],"kind"?,"model"?,"training"?}:
//    feature_names must equal bias_feature_names(), names and order (the
//    message names the first that differs); labels[i], the label of output
//    column i, lists no_bias, confirmation, anchoring and overconfidence
//    once each, in any order. Error(invalid) names the field otherwise;
//    Error(version) for a newer schema; Error(not_found) for a missing file.
//  - The model reads raw features, float32 [batch, 15], and returns logits
//    [batch, 4]: standardisation (or any other scaling) is part of the
//    scripted module, so the core passes bias_feature_vector() as it is.
//  - Loading opens the plugin first: without it Error(unavailable), whose
//    message names the library and how to give its path and says that the
//    detector keeps answering with its rules.
//  - Registered under "bias" by default (MetacogConfig::model), so the
//    detector's backend "auto" picks it. supports_concept is true for
//    "metacog" alone: the answer router never asks it.
//  - A detection is the softmax's most probable label with its probability
//    as the confidence; scores hold it and the runner-up's; the reason names
//    the file, the device and the runner-up. The detector's threshold
//    (0.65) still decides whether a question is proposed.
//  - As a ClassifierPlugin (predict) it reads the feature document
//    (bias_model_input_json) as the answer, checking its feature_names; the
//    detector skips the document and hands it the vector
//    (BiasFeatureModel::detect_features).
//  - Device selection as for answer models ("auto": CUDA when torch reports
//    a device, else the CPU). Safe for concurrent calls.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/classify/model.hpp"
#include "tutorcore/metacog/metacog.hpp"

namespace tutorcore {
inline namespace v0 {

inline constexpr std::string_view kBiasInput = "bias_features_v1";

struct BiasManifest {
  std::vector<Bias> labels;  // output column i -> bias
  std::vector<std::string> feature_names;
};

// Reads and checks a bias model's manifest (rules above).
BiasManifest read_bias_manifest(const std::string &path);

class BiasModel : public ClassifierPlugin, public BiasFeatureModel {
 public:
  // options.labels is the manifest; options.task must be empty or
  // "metacog.bias"; options.name defaults to "bias".
  explicit BiasModel(const ModelOptions &options);

  const std::string &name() const override { return name_; }
  bool supports_concept(std::string_view concept_id) const override;
  Prediction predict(const Problem &problem, std::string_view answer,
                     const Concept &concept_) const override;
  std::vector<Prediction> predict_batch(const std::vector<PredictInput> &inputs) const override;
  std::vector<BiasDetection> detect_features(
      const std::vector<std::vector<double>> &rows) const override;

  const BiasManifest &manifest() const { return manifest_; }
  const std::string &device() const { return model_->device(); }
  const ModelPlugin &plugin() const { return model_->plugin(); }
  // {"name","task":"metacog.bias","model","labels","plugin","runtime",
  //  "device","threads","max_batch","input":"bias_features_v1",
  //  "feature_names":[...],"label_map":[...]}
  std::string describe_json() const;

 private:
  std::string name_;
  ModelOptions options_;
  BiasManifest manifest_;
  std::unique_ptr<DenseModel> model_;
  std::string file_;
};

}  // namespace v0
}  // namespace tutorcore
