// Trained models through the model plugin (rules in classify/model.hpp): the
// plugin found and opened with dlopen, the label map, the model as a
// ClassifierPlugin. No torch header here: the plugin is reached through the
// C table of classify/model_plugin.h alone.
#include "tutorcore/classify/model.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "tutorcore/classify/model_plugin.h"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"

namespace tutorcore {
inline namespace v0 {

struct ModelPlugin {
  std::string path;
  const tc_model_plugin *api = nullptr;
};

namespace {

constexpr size_t kErrLen = 1024;
constexpr int32_t kMaxBatch = 65536;
constexpr uint32_t kMaxDim = 1u << 22;

Errc errc_of(int status) {
  switch (status) {
    case -1:
      return Errc::invalid;
    case -2:
      return Errc::not_found;
    case -5:
      return Errc::unavailable;
    case -8:
      return Errc::nomem;
    default:
      return Errc::internal;
  }
}

// The directory of the file holding this code (libtutorcore.so, or the
// program a static build is linked into); empty when unknown.
std::string own_directory() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&own_directory), &info) == 0 || !info.dli_fname) return {};
  std::string file = info.dli_fname;
  size_t slash = file.rfind('/');
  return slash == std::string::npos ? std::string() : file.substr(0, slash);
}

std::mutex g_plugins_mu;
std::map<std::string, std::shared_ptr<const ModelPlugin>> g_plugins;  // never unloaded

// dlopen and check one candidate; nullptr with *why set when it does not load.
std::shared_ptr<const ModelPlugin> try_open(const std::string &path, std::string *why) {
  auto it = g_plugins.find(path);
  if (it != g_plugins.end()) return it->second;
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *e = dlerror();
    *why = e ? e : "cannot be opened";
    return nullptr;
  }
  void *sym = dlsym(handle, TC_TORCH_PLUGIN_ENTRY);
  if (!sym) {
    *why = fmt::format("loads but has no {} symbol: not a tutorcore model plugin",
                       TC_TORCH_PLUGIN_ENTRY);
    return nullptr;
  }
  auto entry = reinterpret_cast<tc_model_plugin_entry>(sym);
  const tc_model_plugin *api = entry();
  if (!api || api->abi_version != TC_MODEL_PLUGIN_ABI) {
    *why = fmt::format(
        "is a model plugin of ABI {}, this library reads ABI {}: use the plugin "
        "built with this tutorcore",
        api ? static_cast<int>(api->abi_version) : -1, TC_MODEL_PLUGIN_ABI);
    return nullptr;
  }
  if (!api->featurize || !api->open || !api->close || !api->device || !api->predict ||
      !api->threads || !api->predict_dense) {
    *why = "has an incomplete function table";
    return nullptr;
  }
  auto plugin = std::make_shared<ModelPlugin>();
  plugin->path = path;
  plugin->api = api;
  g_plugins.emplace(path, plugin);
  return plugin;
}

std::string read_file(const std::string &path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::not_found, fmt::format("{} '{}': not found", what, path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string base_name(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

tc_model_text text(std::string_view s) {
  return {s.data(), s.size()};
}

void check_device(const std::string &device) {
  if (device != "auto" && device != "cpu" && device != "cuda") {
    throw Error(
        Errc::invalid,
        fmt::format("load_model.device: '{}' is not \"auto\", \"cpu\" or \"cuda\"", device));
  }
}

void check_max_batch(int32_t max_batch) {
  if (max_batch < 1 || max_batch > kMaxBatch) {
    throw Error(Errc::invalid,
                fmt::format("load_model.max_batch: {} is outside [1, {}]", max_batch, kMaxBatch));
  }
}

void check_model_file(const std::string &path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw Error(Errc::not_found, fmt::format("model file '{}': not found", path));
}

// Opens a model through the plugin; *device_out is where it runs.
void *open_plugin_model(const ModelPlugin &plugin, const tc_model_open_options &o,
                        std::string *device_out) {
  void *model = nullptr;
  char err[kErrLen] = "";
  int rc = plugin.api->open(&model, &o, err, sizeof err);
  if (rc != 0 || !model) {
    throw Error(errc_of(rc != 0 ? rc : -9),
                fmt::format("model '{}' ({}): {}", o.model, plugin.path, err));
  }
  *device_out = plugin.api->device(model);
  return model;
}

}  // namespace

std::shared_ptr<const ModelPlugin> open_model_plugin(const std::string &path) {
  std::vector<std::pair<std::string, std::string>> candidates;  // path, where it came from
  const char *env = std::getenv(TC_TORCH_PLUGIN_ENV);
  if (!path.empty()) {
    candidates.emplace_back(path, "the \"plugin\" option");
  } else if (env && *env) {
    candidates.emplace_back(env, TC_TORCH_PLUGIN_ENV);
  } else {
    std::string dir = own_directory();
    if (!dir.empty()) candidates.emplace_back(dir + "/" + TC_TORCH_PLUGIN_FILE, "beside tutorcore");
    candidates.emplace_back(TC_TORCH_PLUGIN_FILE, "the loader's search path");
  }
  std::string tried;
  std::lock_guard<std::mutex> lock(g_plugins_mu);
  for (const auto &[file, from] : candidates) {
    std::string why;
    if (auto p = try_open(file, &why)) return p;
    if (!tried.empty()) tried += "; ";
    tried += fmt::format("{} ({}): {}", file, from, why);
  }
  throw Error(Errc::unavailable,
              fmt::format("model plugin: cannot load {}, the TorchScript backend (tried {}). It "
                          "is built beside libtutorcore when libtorch is found (apt install "
                          "libtorch-dev); give its path in the \"plugin\" field of the "
                          "tc_tutor_load_model request (ModelOptions::plugin) or in the {} "
                          "environment variable",
                          TC_TORCH_PLUGIN_FILE, tried, TC_TORCH_PLUGIN_ENV));
}

std::string model_plugin_path(const ModelPlugin &p) {
  return p.path;
}

std::string model_plugin_runtime(const ModelPlugin &p) {
  return p.api->runtime ? p.api->runtime : "";
}

int32_t model_plugin_threads(const ModelPlugin &p) {
  return p.api->threads();
}

std::vector<float> model_features(const ModelPlugin &p, std::string_view answer,
                                  std::string_view problem_text, std::string_view correct_answer,
                                  std::string_view concept_id, uint32_t dim) {
  tc_model_input in{text(answer), text(problem_text), text(correct_answer), text(concept_id)};
  std::vector<float> out(dim);
  char err[kErrLen] = "";
  int rc = p.api->featurize(&in, dim, out.data(), err, sizeof err);
  if (rc != 0) throw Error(errc_of(rc), fmt::format("model plugin: {}", err));
  return out;
}

ModelOptions model_options_from_json(std::string_view json) {
  constexpr std::string_view what = "load_model request";
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parse_json_or_throw(parser, json, what).get_object().get(o))
    throw Error(Errc::invalid, "load_model request: must be a JSON object");
  reject_unknown_fields(o, {"model", "labels", "name", "plugin", "device", "max_batch", "task"},
                        std::string(what));
  ModelOptions m;
  read_string(o, "model", true, what, &m.model);
  read_string(o, "labels", true, what, &m.labels);
  read_string(o, "name", false, what, &m.name);
  read_string(o, "plugin", false, what, &m.plugin);
  read_string(o, "device", false, what, &m.device);
  int64_t n;
  if (read_int(o, "max_batch", 1, kMaxBatch, what, &n)) m.max_batch = static_cast<int32_t>(n);
  read_string(o, "task", false, what, &m.task);
  if (!m.task.empty() && m.task != kTaskAnswer && m.task != kTaskBias) {
    throw Error(Errc::invalid, fmt::format("{}.task: '{}' is not \"{}\" or \"{}\"", what, m.task,
                                           kTaskAnswer, kTaskBias));
  }
  return m;
}

std::string label_map_task(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(text.str()).get_object().get(o)) return "";
  std::string_view task;
  simdjson::dom::element e;
  if (o.at_key("task").get(e)) return std::string(kTaskAnswer);
  if (e.get_string().get(task)) return "";
  return std::string(task);
}

LabelMap read_label_map(const std::string &path, const Domain &d) {
  const std::string where = fmt::format("labels file '{}'", path);
  std::string json = read_file(path, "labels file");
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parse_json_or_throw(parser, json, where).get_object().get(o))
    throw Error(Errc::invalid, where + ": must be a JSON object");
  std::string task(kTaskAnswer);
  read_string(o, "task", false, where, &task);
  if (task != kTaskAnswer) {
    throw Error(Errc::invalid,
                fmt::format("{}.task: '{}' is not \"{}\": this label map is not an answer "
                            "classifier's{}",
                            where, task, kTaskAnswer,
                            task == kTaskBias
                                ? " (the bias detector's model: tc_tutor_load_model loads it as "
                                  "one unless the request names another task; in C++, BiasModel "
                                  "of metacog/model.hpp)"
                                : ""));
  }
  reject_unknown_fields(o,
                        {"schema_version", "kind", "domain", "labels", "concepts", "featurizer",
                         "model", "training", "task"},
                        where);
  int64_t version = 0;
  if (!read_int(o, "schema_version", 1, 1000000, where, &version))
    throw Error(Errc::invalid, where + ".schema_version: required field is missing");
  if (version > 1) {
    throw Error(Errc::version, fmt::format("{}.schema_version: {} is newer than this library's 1",
                                           where, version));
  }
  LabelMap m;
  read_string(o, "domain", false, where, &m.domain);
  simdjson::dom::element e;
  simdjson::dom::array a;
  if (o.at_key("labels").get(e) || e.get_array().get(a))
    throw Error(Errc::invalid, where + ".labels: must be an array of labels (output column order)");
  for (simdjson::dom::element v : a) {
    std::string at = path_index(where + ".labels", m.labels.size());
    std::string_view label;
    if (v.get_string().get(label))
      throw Error(Errc::invalid, fmt::format("{}: must be a string", at));
    if (label != kLabelCorrect && label != kLabelUnknown && !d.find_misconception(label)) {
      throw Error(
          Errc::invalid,
          fmt::format("{}: '{}' is not \"correct\", \"unknown\" or a misconception of "
                      "domain {}{}",
                      at, label, d.id,
                      m.domain.empty() || m.domain == d.id
                          ? std::string()
                          : fmt::format(" (the model was trained on domain {})", m.domain)));
    }
    for (const std::string &seen : m.labels) {
      if (seen == label)
        throw Error(Errc::invalid, fmt::format("{}: '{}' is listed twice", at, label));
    }
    m.labels.emplace_back(label);
  }
  if (m.labels.empty()) throw Error(Errc::invalid, where + ".labels: is empty");
  if (!o.at_key("concepts").get(e)) {
    if (e.get_array().get(a))
      throw Error(Errc::invalid, where + ".concepts: must be an array of concept ids");
    for (simdjson::dom::element v : a) {
      std::string at = path_index(where + ".concepts", m.concepts.size());
      std::string_view id;
      if (v.get_string().get(id)) throw Error(Errc::invalid, at + ": must be a string");
      if (!d.find_concept(id)) {
        throw Error(Errc::invalid,
                    fmt::format("{}: '{}' is not a concept of domain {}", at, id, d.id));
      }
      m.concepts.emplace_back(id);
    }
  }
  simdjson::dom::object f;
  if (o.at_key("featurizer").get(e) || e.get_object().get(f)) {
    throw Error(Errc::invalid,
                where + ".featurizer: must be an object {\"name\":\"tc_hash_v1\",\"dim\":N}");
  }
  const std::string fwhere = where + ".featurizer";
  read_string(f, "name", true, fwhere, &m.featurizer);
  if (m.featurizer != TC_MODEL_FEATURIZER) {
    throw Error(Errc::invalid, fmt::format("{}.name: '{}' is not a featurizer this library knows "
                                           "(\"{}\")",
                                           fwhere, m.featurizer, TC_MODEL_FEATURIZER));
  }
  int64_t dim = 0;
  if (!read_int(f, "dim", 2, kMaxDim, fwhere, &dim))
    throw Error(Errc::invalid, fwhere + ".dim: required field is missing");
  if ((dim & (dim - 1)) != 0)
    throw Error(Errc::invalid, fmt::format("{}.dim: {} is not a power of two", fwhere, dim));
  m.dim = static_cast<uint32_t>(dim);
  return m;
}

DenseModel::DenseModel(const DenseModelOptions &options) : options_(options) {
  if (options_.model.empty()) throw Error(Errc::invalid, "load_model: \"model\" is empty");
  check_device(options_.device);
  check_max_batch(options_.max_batch);
  if (options_.dim < 1 || options_.dim > TC_MODEL_DENSE_MAX_DIM) {
    throw Error(Errc::invalid, fmt::format("dense model: {} features (1 to {})", options_.dim,
                                           TC_MODEL_DENSE_MAX_DIM));
  }
  if (options_.num_labels < 1)
    throw Error(Errc::invalid, fmt::format("dense model: {} labels", options_.num_labels));
  // The plugin first: without it nothing else can work.
  plugin_ = open_model_plugin(options_.plugin);
  check_model_file(options_.model);
  tc_model_open_options o{
      TC_MODEL_OPEN_OPTIONS_VERSION, options_.model.c_str(), options_.device.c_str(), options_.dim,
      options_.num_labels,           options_.max_batch,     TC_MODEL_INPUT_DENSE};
  model_ = open_plugin_model(*plugin_, o, &device_);
}

DenseModel::~DenseModel() {
  if (model_) plugin_->api->close(model_);
}

std::vector<ModelOutput> DenseModel::predict(const std::vector<float> &rows, size_t n) const {
  if (rows.size() != n * options_.dim) {
    throw Error(Errc::invalid,
                fmt::format("dense model '{}': {} values for {} rows of {}",
                            base_name(options_.model), rows.size(), n, options_.dim));
  }
  std::vector<tc_model_output> out(n);
  char err[kErrLen] = "";
  int rc = plugin_->api->predict_dense(model_, rows.data(), n, options_.dim, out.data(), err,
                                       sizeof err);
  if (rc != 0) {
    throw Error(errc_of(rc), fmt::format("dense model '{}': {}", base_name(options_.model), err));
  }
  std::vector<ModelOutput> res;
  res.reserve(n);
  for (const tc_model_output &o : out) {
    if (o.label < 0 || o.label >= options_.num_labels) {
      throw Error(Errc::internal,
                  fmt::format("dense model '{}': the plugin returned label index {} of {}",
                              base_name(options_.model), o.label, options_.num_labels));
    }
    ModelOutput m;
    m.label = o.label;
    m.confidence = std::min(1.0, std::max(0.0, o.confidence));
    m.second = o.second >= 0 && o.second < options_.num_labels ? o.second : -1;
    m.second_confidence = m.second >= 0 ? std::min(1.0, std::max(0.0, o.second_confidence)) : 0.0;
    res.push_back(m);
  }
  return res;
}

ModelClassifier::ModelClassifier(const Domain &domain, const ModelOptions &options)
    : name_(options.name.empty() ? std::string("model") : options.name), options_(options) {
  check_classifier_name(name_);
  if (options_.model.empty()) throw Error(Errc::invalid, "load_model: \"model\" is empty");
  if (options_.labels.empty()) throw Error(Errc::invalid, "load_model: \"labels\" is empty");
  check_device(options_.device);
  check_max_batch(options_.max_batch);
  if (!options_.task.empty() && options_.task != kTaskAnswer) {
    throw Error(Errc::invalid, fmt::format("load_model.task: '{}': an answer classifier's task is "
                                           "\"{}\"",
                                           options_.task, kTaskAnswer));
  }
  // The plugin first: without it nothing else can work.
  plugin_ = open_model_plugin(options_.plugin);
  labels_ = read_label_map(options_.labels, domain);
  concepts_.insert(labels_.concepts.begin(), labels_.concepts.end());
  check_model_file(options_.model);
  tc_model_open_options o{TC_MODEL_OPEN_OPTIONS_VERSION,
                          options_.model.c_str(),
                          options_.device.c_str(),
                          labels_.dim,
                          static_cast<int32_t>(labels_.labels.size()),
                          options_.max_batch,
                          TC_MODEL_INPUT_ANSWER};
  model_ = open_plugin_model(*plugin_, o, &device_);
  file_ = base_name(options_.model);
}

ModelClassifier::~ModelClassifier() {
  if (model_) plugin_->api->close(model_);
}

bool ModelClassifier::supports_concept(std::string_view concept_id) const {
  return concepts_.empty() || concepts_.count(std::string(concept_id)) > 0;
}

Prediction ModelClassifier::predict(const Problem &problem, std::string_view answer,
                                    const Concept &concept_) const {
  return predict_batch({PredictInput{&problem, answer, &concept_}}).front();
}

std::vector<Prediction> ModelClassifier::predict_batch(
    const std::vector<PredictInput> &inputs) const {
  std::vector<tc_model_input> in;
  in.reserve(inputs.size());
  for (const PredictInput &x : inputs) {
    if (!x.problem || !x.concept_)
      throw Error(Errc::invalid, "model classifier: an input has no problem or concept");
    in.push_back({text(x.answer), text(x.problem->text), text(x.problem->correct_answer),
                  text(x.problem->concept_id)});
  }
  std::vector<tc_model_output> out(in.size());
  char err[kErrLen] = "";
  int rc = plugin_->api->predict(model_, in.data(), in.size(), out.data(), err, sizeof err);
  if (rc != 0) {
    throw Error(errc_of(rc), fmt::format("classifier '{}' (model {}): {}", name_, file_, err));
  }
  const int32_t n_labels = static_cast<int32_t>(labels_.labels.size());
  std::vector<Prediction> preds;
  preds.reserve(out.size());
  for (const tc_model_output &o : out) {
    if (o.label < 0 || o.label >= n_labels) {
      throw Error(Errc::internal,
                  fmt::format("classifier '{}': the plugin returned label index {} of {}", name_,
                              o.label, n_labels));
    }
    Prediction p;
    p.label = labels_.labels[static_cast<size_t>(o.label)];
    p.confidence = std::min(1.0, std::max(0.0, o.confidence));
    p.backend = name_;
    if (o.second >= 0 && o.second < n_labels) {
      p.reason = fmt::format("torchscript {} on {}: p={:.3f} (next: {} {:.3f})", file_, device_,
                             p.confidence, labels_.labels[static_cast<size_t>(o.second)],
                             o.second_confidence);
    } else {
      p.reason = fmt::format("torchscript {} on {}: p={:.3f}", file_, device_, p.confidence);
    }
    preds.push_back(std::move(p));
  }
  return preds;
}

std::string ModelClassifier::describe_json() const {
  JsonWriter w;
  w.begin_object().field("name", name_).field("task", kTaskAnswer);
  w.field("model", options_.model).field("labels", options_.labels);
  w.field("plugin", plugin_->path);
  w.field("runtime", model_plugin_runtime(*plugin_)).field("device", device_);
  w.field("threads", static_cast<int64_t>(model_plugin_threads(*plugin_)));
  w.field("max_batch", static_cast<int64_t>(options_.max_batch));
  w.key("featurizer").begin_object().field("name", labels_.featurizer);
  w.field("dim", static_cast<int64_t>(labels_.dim)).end_object();
  w.key("label_map").begin_array();
  for (const std::string &l : labels_.labels)
    w.value(l);
  w.end_array().key("concepts").begin_array();
  for (const std::string &c : labels_.concepts)
    w.value(c);
  w.end_array().end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
