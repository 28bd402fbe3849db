// The bias detector's TorchScript model (rules in metacog/model.hpp): the
// manifest checked against the features this library computes, the model
// run as dense input through the plugin's C table (classify/model.hpp's
// DenseModel; no torch header here), detections with the runner-up.
#include "tutorcore/metacog/model.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

std::string base_name(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string joined_feature_names() {
  std::string out;
  for (const std::string &n : bias_feature_names()) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Checks a feature_names array against bias_feature_names().
void check_feature_names(simdjson::dom::element e, const std::string &where,
                         std::vector<std::string> *out) {
  const std::vector<std::string> &want = bias_feature_names();
  simdjson::dom::array a;
  if (e.get_array().get(a)) {
    throw Error(Errc::invalid, fmt::format("{}: must be an array of the {} feature names ({})",
                                           where, want.size(), joined_feature_names()));
  }
  std::vector<std::string> names;
  for (simdjson::dom::element v : a) {
    std::string_view name;
    if (v.get_string().get(name))
      throw Error(Errc::invalid, path_index(where, names.size()) + ": must be a string");
    names.emplace_back(name);
  }
  for (size_t i = 0; i < names.size() && i < want.size(); ++i) {
    if (names[i] != want[i]) {
      throw Error(Errc::invalid,
                  fmt::format("{}: '{}' where this library computes '{}': the model must read "
                              "the bias features in this library's order ({})",
                              path_index(where, i), names[i], want[i], joined_feature_names()));
    }
  }
  if (names.size() != want.size()) {
    throw Error(Errc::invalid,
                fmt::format("{}: {} names; this library computes {} features ({})", where,
                            names.size(), want.size(), joined_feature_names()));
  }
  if (out) *out = std::move(names);
}

}  // namespace

BiasManifest read_bias_manifest(const std::string &path) {
  const std::string where = fmt::format("bias model manifest '{}'", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::not_found, fmt::format("{}: not found", where));
  std::ostringstream text;
  text << in.rdbuf();
  const std::string json = text.str();
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parse_json_or_throw(parser, json, where).get_object().get(o))
    throw Error(Errc::invalid, where + ": must be a JSON object");
  int64_t version = 0;
  if (!read_int(o, "schema_version", 1, 1000000, where, &version))
    throw Error(Errc::invalid, where + ".schema_version: required field is missing");
  if (version > 1) {
    throw Error(Errc::version, fmt::format("{}.schema_version: {} is newer than this library's 1",
                                           where, version));
  }
  // The task first: an answer model's label map is told apart by it, not by
  // its other fields.
  std::string task, input;
  read_string(o, "task", true, where, &task);
  if (task != kTaskBias) {
    throw Error(Errc::invalid, fmt::format("{}.task: '{}' is not \"{}\"", where, task, kTaskBias));
  }
  reject_unknown_fields(
      o,
      {"schema_version", "kind", "task", "input", "feature_names", "labels", "model", "training"},
      where);
  read_string(o, "input", true, where, &input);
  if (input != kBiasInput) {
    throw Error(Errc::invalid, fmt::format("{}.input: '{}' is not an input this library computes "
                                           "(\"{}\")",
                                           where, input, kBiasInput));
  }
  BiasManifest m;
  simdjson::dom::element e;
  if (o.at_key("feature_names").get(e))
    throw Error(Errc::invalid, where + ".feature_names: required field is missing");
  check_feature_names(e, where + ".feature_names", &m.feature_names);

  simdjson::dom::array a;
  const std::string lwhere = where + ".labels";
  if (o.at_key("labels").get(e) || e.get_array().get(a)) {
    throw Error(Errc::invalid, lwhere +
                                   ": must be an array of the four bias labels (output "
                                   "column order)");
  }
  for (simdjson::dom::element v : a) {
    std::string at = path_index(lwhere, m.labels.size());
    std::string_view label;
    Bias b;
    if (v.get_string().get(label))
      throw Error(Errc::invalid, fmt::format("{}: must be a string", at));
    if (!parse_bias(label, &b)) {
      throw Error(Errc::invalid, fmt::format("{}: '{}' is not no_bias, confirmation, anchoring or "
                                             "overconfidence",
                                             at, label));
    }
    for (Bias seen : m.labels)
      if (seen == b) throw Error(Errc::invalid, fmt::format("{}: '{}' is listed twice", at, label));
    m.labels.push_back(b);
  }
  if (m.labels.size() != kBiasCount) {
    throw Error(Errc::invalid,
                fmt::format("{}: {} labels; a bias model has the four: no_bias, confirmation, "
                            "anchoring, overconfidence",
                            lwhere, m.labels.size()));
  }
  return m;
}

BiasModel::BiasModel(const ModelOptions &options)
    : name_(options.name.empty() ? std::string("bias") : options.name), options_(options) {
  check_classifier_name(name_);
  if (options_.model.empty()) throw Error(Errc::invalid, "load_model: \"model\" is empty");
  if (options_.labels.empty()) throw Error(Errc::invalid, "load_model: \"labels\" is empty");
  if (!options_.task.empty() && options_.task != kTaskBias) {
    throw Error(Errc::invalid, fmt::format("load_model.task: '{}': a bias model's task is \"{}\"",
                                           options_.task, kTaskBias));
  }
  if (options_.device != "auto" && options_.device != "cpu" && options_.device != "cuda") {
    throw Error(Errc::invalid,
                fmt::format("load_model.device: '{}' is not \"auto\", \"cpu\" or \"cuda\"",
                            options_.device));
  }
  if (options_.max_batch < 1 || options_.max_batch > 65536) {
    throw Error(Errc::invalid,
                fmt::format("load_model.max_batch: {} is outside [1, 65536]", options_.max_batch));
  }
  // The plugin first: without it nothing else can work.
  try {
    open_model_plugin(options_.plugin);
  } catch (const Error &e) {
    if (e.code() != Errc::unavailable) throw;
    throw Error(Errc::unavailable,
                fmt::format("bias model '{}': {}. Until it loads, the bias detector answers with "
                            "its rules",
                            options_.model, e.what()));
  }
  manifest_ = read_bias_manifest(options_.labels);
  DenseModelOptions d;
  d.model = options_.model;
  d.plugin = options_.plugin;
  d.device = options_.device;
  d.dim = static_cast<uint32_t>(bias_feature_names().size());
  d.num_labels = static_cast<int32_t>(manifest_.labels.size());
  d.max_batch = options_.max_batch;
  model_ = std::make_unique<DenseModel>(d);
  file_ = base_name(options_.model);
}

bool BiasModel::supports_concept(std::string_view concept_id) const {
  return concept_id == "metacog";
}

std::vector<BiasDetection> BiasModel::detect_features(
    const std::vector<std::vector<double>> &rows) const {
  const size_t dim = model_->dim();
  std::vector<float> flat;
  flat.reserve(rows.size() * dim);
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != dim) {
      throw Error(Errc::invalid, fmt::format("bias model '{}': row {} has {} features, not {}",
                                             name_, r, rows[r].size(), dim));
    }
    for (double v : rows[r])
      flat.push_back(static_cast<float>(v));
  }
  std::vector<ModelOutput> out = model_->predict(flat, rows.size());
  std::vector<BiasDetection> res;
  res.reserve(out.size());
  for (const ModelOutput &o : out) {
    BiasDetection d;
    d.bias = manifest_.labels[static_cast<size_t>(o.label)];
    d.confidence = o.confidence;
    d.scores[static_cast<size_t>(d.bias)] = o.confidence;
    d.backend = name_;
    if (o.second >= 0) {
      Bias next = manifest_.labels[static_cast<size_t>(o.second)];
      d.scores[static_cast<size_t>(next)] = o.second_confidence;
      d.reason = fmt::format("torchscript {} on {}: {} p={:.3f} (next: {} {:.3f})", file_,
                             model_->device(), bias_name(d.bias), d.confidence, bias_name(next),
                             o.second_confidence);
    } else {
      d.reason = fmt::format("torchscript {} on {}: {} p={:.3f}", file_, model_->device(),
                             bias_name(d.bias), d.confidence);
    }
    res.push_back(std::move(d));
  }
  return res;
}

Prediction BiasModel::predict(const Problem &problem, std::string_view answer,
                              const Concept &concept_) const {
  return predict_batch({PredictInput{&problem, answer, &concept_}}).front();
}

std::vector<Prediction> BiasModel::predict_batch(const std::vector<PredictInput> &inputs) const {
  const std::string where = fmt::format("bias model '{}': the feature document", name_);
  const size_t dim = model_->dim();
  std::vector<std::vector<double>> rows;
  rows.reserve(inputs.size());
  simdjson::dom::parser parser;
  for (const PredictInput &in : inputs) {
    simdjson::dom::object o;
    if (parse_json_or_throw(parser, in.answer, where).get_object().get(o))
      throw Error(Errc::invalid, where + ": must be a JSON object (bias_model_input_json)");
    simdjson::dom::element e;
    if (!o.at_key("feature_names").get(e))
      check_feature_names(e, where + ".feature_names", nullptr);
    simdjson::dom::array a;
    if (o.at_key("features").get(e) || e.get_array().get(a)) {
      throw Error(Errc::invalid,
                  fmt::format("{}.features: must be an array of {} numbers", where, dim));
    }
    std::vector<double> row;
    for (simdjson::dom::element v : a) {
      double x;
      if (v.get_double().get(x)) {
        throw Error(Errc::invalid,
                    path_index(where + ".features", row.size()) + ": must be a number");
      }
      row.push_back(x);
    }
    if (row.size() != dim) {
      throw Error(Errc::invalid,
                  fmt::format("{}.features: {} values, not {}", where, row.size(), dim));
    }
    rows.push_back(std::move(row));
  }
  std::vector<Prediction> out;
  out.reserve(rows.size());
  for (BiasDetection &d : detect_features(rows))
    out.push_back({bias_name(d.bias), d.confidence, name_, std::move(d.reason)});
  return out;
}

std::string BiasModel::describe_json() const {
  JsonWriter w;
  w.begin_object().field("name", name_).field("task", kTaskBias);
  w.field("model", options_.model).field("labels", options_.labels);
  w.field("plugin", model_plugin_path(model_->plugin()));
  w.field("runtime", model_plugin_runtime(model_->plugin())).field("device", model_->device());
  w.field("threads", static_cast<int64_t>(model_plugin_threads(model_->plugin())));
  w.field("max_batch", static_cast<int64_t>(options_.max_batch)).field("input", kBiasInput);
  w.key("feature_names").begin_array();
  for (const std::string &n : manifest_.feature_names)
    w.value(n);
  w.end_array().key("label_map").begin_array();
  for (Bias b : manifest_.labels)
    w.value(bias_name(b));
  w.end_array().end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
