// Trained models as classifiers: a TorchScript model run by the model plugin
// libtutorcore_torch (plugins/torch/), which the core opens with dlopen when
// a model is loaded and never links. libtutorcore builds, links and works
// without libtorch; loading a model without the plugin is Error(unavailable).
//
// Rules:
//  - The plugin is looked for at ModelOptions::plugin when set, else at
//    $TUTORCORE_TORCH_PLUGIN when set, else as libtutorcore_torch.so beside
//    the library (or program) that holds tutorcore's code, then by name on
//    the dynamic loader's path. When none loads: Error(unavailable) naming
//    the file, each place tried with the loader's reason, the variable and
//    the option. A plugin once opened stays loaded until the process ends
//    (libtorch does not unload cleanly); models are released with their
//    classifier.
//  - The label map (labels.json, written by scripts/train_torch_classifier.py)
//    is {"schema_version":1,"labels":[...],"featurizer":{"name":"tc_hash_v1",
//    "dim":N},"task"?:"classify.answer","concepts"?:[...],"domain"?,"kind"?,
//    "model"?,"training"?}:
//    labels[i] is the label of the model's output column i, each "correct",
//    "unknown" or a misconception of the domain, none twice. Error(invalid)
//    names the field otherwise; Error(not_found) for a missing file.
//  - supports_concept: the concepts the map lists (every concept when it
//    lists none), so the router passes answers of other concepts on.
//  - A prediction is the softmax's most probable label with its probability
//    as the confidence; the reason names the model file, the device it ran
//    on ("cpu", "cuda:0") and the runner-up. predict_batch sends the whole
//    batch to the plugin (split into forward passes of max_batch answers).
//  - Safe for concurrent calls, as ClassifierPlugin requires.
//  - A label map's "task" says what the model does: "classify.answer" (the
//    default: answers, above) or "metacog.bias" (the bias detector's model
//    over dense features, metacog/model.hpp). tc_tutor_load_model reads it
//    (or the request's "task") to choose the loader; a model that reads
//    dense vectors goes through DenseModel below.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tutorcore/classify/classifier.hpp"

struct tc_model_plugin;

namespace tutorcore {
inline namespace v0 {

inline constexpr std::string_view kTaskAnswer = "classify.answer";
inline constexpr std::string_view kTaskBias = "metacog.bias";

struct ModelOptions {
  std::string model;            // the TorchScript file (torch.jit.save)
  std::string labels;           // the label map (JSON, above)
  std::string name;             // registered under; empty: the task's ("model", "bias")
  std::string plugin;           // the plugin's path; empty: see the rules above
  std::string device = "auto";  // "auto" (CUDA when torch reports a device), "cpu", "cuda"
  int32_t max_batch = 256;      // inputs per forward pass, 1 to 65536
  std::string task;             // "classify.answer", "metacog.bias"; empty: the label map's
};

// tc_tutor_load_model's request: {"model","labels","name"?,"plugin"?,
// "device"?,"max_batch"?,"task"?}. Error(invalid) names the field.
ModelOptions model_options_from_json(std::string_view json);

// The task a label map declares: its "task" field, kTaskAnswer when it has
// none, "" when the file cannot be read as a JSON object (the loader then
// reports the problem in order: the plugin first).
std::string label_map_task(const std::string &path);

struct LabelMap {
  std::vector<std::string> labels;    // output column i -> label
  std::vector<std::string> concepts;  // empty: every concept
  std::string featurizer;             // "tc_hash_v1"
  uint32_t dim = 0;                   // the feature vector's size
  std::string domain;                 // the domain it was trained on, when given
};

// Reads and checks a label map against `d` (rules above).
LabelMap read_label_map(const std::string &path, const Domain &d);

// The loaded model plugin (shared by every model loaded through it).
struct ModelPlugin;

// Opens the plugin (rules above); Error(unavailable) when it cannot be loaded.
std::shared_ptr<const ModelPlugin> open_model_plugin(const std::string &path = "");
// The file the plugin was loaded from, its runtime ("libtorch 1.13.0") and
// the runtime's intra-op threads for CPU inference.
std::string model_plugin_path(const ModelPlugin &p);
std::string model_plugin_runtime(const ModelPlugin &p);
int32_t model_plugin_threads(const ModelPlugin &p);

// The plugin's tc_hash_v1 vector of one answer (tests and tools; the
// training script computes the same in Python). dim: a power of two.
std::vector<float> model_features(const ModelPlugin &p, std::string_view answer,
                                  std::string_view problem_text, std::string_view correct_answer,
                                  std::string_view concept_id, uint32_t dim);

// One prediction of a model: the softmax's best and runner-up output
// columns (second -1 when the model has one output).
struct ModelOutput {
  int32_t label = 0, second = -1;
  double confidence = 0.0, second_confidence = 0.0;
};

struct DenseModelOptions {
  std::string model;            // the TorchScript file
  std::string plugin;           // as ModelOptions::plugin
  std::string device = "auto";  // as ModelOptions::device
  uint32_t dim = 0;             // the feature vector's length, 1 to 65536
  int32_t num_labels = 0;       // the model's output columns
  int32_t max_batch = 256;      // rows per forward pass, 1 to 65536
};

// A TorchScript model over dense float32 vectors the caller computes
// (TC_MODEL_INPUT_DENSE): forward takes [batch, dim] and returns
// [batch, num_labels] logits, which opening checks. Opens the plugin first
// (Error(unavailable) without it), then the model: Error(not_found) for a
// missing file, Error(invalid) for a bad option or model. Safe for
// concurrent calls.
class DenseModel {
 public:
  explicit DenseModel(const DenseModelOptions &options);
  ~DenseModel();
  DenseModel(const DenseModel &) = delete;
  DenseModel &operator=(const DenseModel &) = delete;

  // n rows of dim() values, row-major; Error(invalid) for another size or a
  // value that is not finite.
  std::vector<ModelOutput> predict(const std::vector<float> &rows, size_t n) const;
  uint32_t dim() const { return options_.dim; }
  int32_t num_labels() const { return options_.num_labels; }
  const std::string &device() const { return device_; }  // "cpu" or "cuda:0"
  const ModelPlugin &plugin() const { return *plugin_; }
  const DenseModelOptions &options() const { return options_; }

 private:
  DenseModelOptions options_;
  std::shared_ptr<const ModelPlugin> plugin_;
  void *model_ = nullptr;
  std::string device_;
};

class ModelClassifier : public ClassifierPlugin {
 public:
  // Opens the plugin and the model, checking the label map against `domain`
  // and the model's output against the label map. Error(unavailable): no
  // plugin, or device "cuda" without one; Error(not_found): a missing file;
  // Error(invalid): a bad option, label map or model.
  ModelClassifier(const Domain &domain, const ModelOptions &options);
  ~ModelClassifier() override;
  ModelClassifier(const ModelClassifier &) = delete;
  ModelClassifier &operator=(const ModelClassifier &) = delete;

  const std::string &name() const override { return name_; }
  bool supports_concept(std::string_view concept_id) const override;
  Prediction predict(const Problem &problem, std::string_view answer,
                     const Concept &concept_) const override;
  std::vector<Prediction> predict_batch(const std::vector<PredictInput> &inputs) const override;

  const LabelMap &label_map() const { return labels_; }
  const std::string &device() const { return device_; }  // "cpu" or "cuda:0"
  const ModelPlugin &plugin() const { return *plugin_; }
  // {"name","task","model","labels","plugin","runtime","device","threads","max_batch",
  //  "featurizer":{"name","dim"},"label_map":[...],"concepts":[...]}
  std::string describe_json() const;

 private:
  std::string name_;
  ModelOptions options_;
  LabelMap labels_;
  std::unordered_set<std::string> concepts_;
  std::shared_ptr<const ModelPlugin> plugin_;
  void *model_ = nullptr;
  std::string device_;
  std::string file_;  // the model file's name, for reasons
};

}  // namespace v0
}  // namespace tutorcore
