// The pipeline's side of classification: the original Classification and
// Classifier types over the plugin interface, and the Tutor's registry,
// routing and classify calls (rules in classify.hpp and tutor.hpp).
#include "tutorcore/pipeline/classify.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include <deque>

#include "tutorcore/classify/rules.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sequencing/template.hpp"

namespace tutorcore {
inline namespace v0 {

Classification to_classification(const Prediction &p) {
  Classification c;
  c.correct = p.correct();
  c.misconception_id = std::string(p.misconception());
  c.confidence = p.confidence;
  c.backend = p.backend;
  c.reason = p.reason;
  return c;
}

Prediction to_prediction(const Classification &c) {
  Prediction p;
  p.label = c.correct                    ? std::string(kLabelCorrect)
            : c.misconception_id.empty() ? std::string(kLabelUnknown)
                                         : c.misconception_id;
  p.confidence = c.confidence;
  p.backend = c.backend;
  p.reason = c.reason;
  return p;
}

namespace {

// A Classifier function as a plugin.
class FunctionPlugin : public ClassifierPlugin {
 public:
  explicit FunctionPlugin(Classifier c) : c_(std::move(c)) {}
  const std::string &name() const override { return c_.name; }
  Prediction predict(const Problem &problem, std::string_view answer,
                     const Concept &concept_) const override {
    Prediction p = to_prediction(c_.predict(problem, answer, concept_));
    if (p.backend.empty()) p.backend = c_.name;
    return p;
  }

 private:
  Classifier c_;
};

}  // namespace

std::shared_ptr<const ClassifierPlugin> classifier_plugin(Classifier c) {
  if (!c.predict)
    throw Error(Errc::invalid, fmt::format("classifier '{}': has no predict function", c.name));
  check_classifier_name(c.name);
  return std::make_shared<FunctionPlugin>(std::move(c));
}

Classification classify_by_rules(const Problem &p, std::string_view answer) {
  static const std::string kBackend = "rules";
  return to_classification(classify_with_rules(problem_rules(p, nullptr), answer, kBackend));
}

Classifier rule_classifier() {
  return {"rules", [](const Problem &p, std::string_view answer, const Concept &) {
            return classify_by_rules(p, answer);
          }};
}

ClassifyRequest classify_request_from_json(std::string_view json, bool batch) {
  const std::string what = batch ? "classify batch request" : "classify request";
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parse_json_or_throw(parser, json, what).get_object().get(o))
    throw Error(Errc::invalid, what + ": must be a JSON object");
  ClassifyRequest r;
  auto item = [&](simdjson::dom::object io, const std::string &where) {
    ClassifyItem it;
    read_string(io, "problem_id", true, where, &it.problem_id);
    read_string(io, "answer", true, where, &it.answer);
    if (it.answer.empty()) throw Error(Errc::invalid, where + ".answer: is empty");
    r.items.push_back(std::move(it));
  };
  if (!batch) {
    reject_unknown_fields(o, {"problem_id", "answer", "backend"}, what);
    item(o, what);
  } else {
    reject_unknown_fields(o, {"items", "backend"}, what);
    simdjson::dom::array a;
    simdjson::dom::element e;
    if (o.at_key("items").get(e))
      throw Error(Errc::invalid, what + ".items: required field is missing");
    if (e.get_array().get(a)) {
      throw Error(Errc::invalid, fmt::format("{}.items: must be an array, found {}", what,
                                             json_type_name(e.type())));
    }
    size_t i = 0;
    for (simdjson::dom::element v : a) {
      std::string where = path_index(what + ".items", i++);
      simdjson::dom::object io;
      if (v.get_object().get(io)) throw Error(Errc::invalid, where + ": must be an object");
      reject_unknown_fields(io, {"problem_id", "answer"}, where);
      item(io, where);
    }
  }
  read_string(o, "backend", false, what, &r.backend);
  return r;
}

std::string prediction_json(const Prediction &p) {
  JsonWriter w;
  w.begin_object().field("label", p.label).field("confidence", p.confidence);
  w.field("backend", p.backend).field("reason", p.reason).end_object();
  return w.take();
}

// --- the Tutor's registry and routing ------------------------------------------

std::shared_ptr<const HybridClassifier> Tutor::router() const {
  std::lock_guard<std::mutex> lock(classify_mu_);
  return router_;
}

void Tutor::register_classifier(std::shared_ptr<const ClassifierPlugin> plugin) {
  registry_->add(std::move(plugin));
}

bool Tutor::unregister_classifier(std::string_view name) {
  return registry_->remove(name);
}

std::vector<std::string> Tutor::classifier_names() const {
  return registry_->names();
}

void Tutor::set_classify_settings(const ClassifySettings &s) {
  check_routing_config(s.routing);
  check_catalog_config(s.catalog);
  auto router = std::make_shared<const HybridClassifier>(domain_, registry_, s.routing);
  std::lock_guard<std::mutex> lock(classify_mu_);
  const CatalogConfig &old = classify_settings_.catalog;
  if (old.threshold != s.catalog.threshold || old.max_examples != s.catalog.max_examples)
    registry_->put(std::make_shared<const CatalogClassifier>(domain_, s.catalog));
  classify_settings_ = s;
  router_ = std::move(router);
}

ClassifySettings Tutor::classify_settings() const {
  std::lock_guard<std::mutex> lock(classify_mu_);
  return classify_settings_;
}

void Tutor::set_classifier(Classifier c) {
  std::string name = c.name;
  auto plugin = classifier_plugin(std::move(c));
  ClassifySettings s = classify_settings();
  s.routing.route = {name};
  auto router = std::make_shared<const HybridClassifier>(domain_, registry_, s.routing);
  registry_->put(std::move(plugin));
  std::lock_guard<std::mutex> lock(classify_mu_);
  classify_settings_.routing = s.routing;
  router_ = std::move(router);
}

std::vector<Prediction> Tutor::classify_batch(const std::vector<ClassifyItem> &items,
                                              const std::string &backend) {
  const Domain &d = *domain_;
  std::vector<PredictInput> inputs;
  inputs.reserve(items.size());
  std::deque<Problem> generated;  // template instances named by their ids
  for (size_t i = 0; i < items.size(); ++i) {
    const ClassifyItem &it = items[i];
    Problem instance;
    const Problem *p = find_problem_or_instance(d, it.problem_id, &instance);
    if (p == &instance) p = &generated.emplace_back(std::move(instance));
    if (!p) {
      throw Error(Errc::not_found,
                  fmt::format("classify items[{}].problem_id: '{}' is not a problem of domain '{}'",
                              i, it.problem_id, d.id));
    }
    if (it.answer.empty())
      throw Error(Errc::invalid, fmt::format("classify items[{}].answer: is empty", i));
    const Concept *c = d.find_concept(p->concept_id);
    if (!c) {
      throw Error(Errc::invalid, fmt::format("domain '{}': problem '{}' names unknown concept '{}'",
                                             d.id, p->id, p->concept_id));
    }
    inputs.push_back({p, it.answer, c});
  }
  if (backend.empty() || backend == "hybrid") return router()->predict_batch(inputs);
  std::shared_ptr<const ClassifierPlugin> plugin = registry_->find(backend);
  if (!plugin) {
    throw Error(Errc::not_found, fmt::format("classify: no classifier '{}' is registered ({})",
                                             backend, fmt::join(registry_->names(), ", ")));
  }
  std::vector<Prediction> out = plugin->predict_batch(inputs);
  if (out.size() != inputs.size()) {
    throw Error(Errc::invalid,
                fmt::format("classifier '{}': returned {} predictions for {} answers", backend,
                            out.size(), inputs.size()));
  }
  for (Prediction &p : out) {
    check_prediction(p, backend);
    p.backend = backend;
  }
  return out;
}

Prediction Tutor::classify(const ClassifyItem &item, const std::string &backend) {
  return std::move(classify_batch({item}, backend).front());
}

}  // namespace v0
}  // namespace tutorcore
