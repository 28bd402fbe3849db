// Hybrid routing and the classification settings document (rules in router.hpp).
#include "tutorcore/classify/router.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"

namespace tutorcore {
inline namespace v0 {

void check_routing_config(const RoutingConfig &c) {
  if (c.route.empty())
    throw Error(Errc::invalid, "routing.route: is empty; name at least one classifier");
  for (size_t i = 0; i < c.route.size(); ++i) {
    try {
      check_classifier_name(c.route[i]);
    } catch (const Error &e) {
      throw Error(Errc::invalid, fmt::format("routing.route[{}]: {}", i, e.what()));
    }
    if (std::find(c.route.begin(), c.route.begin() + static_cast<ptrdiff_t>(i), c.route[i]) !=
        c.route.begin() + static_cast<ptrdiff_t>(i)) {
      throw Error(Errc::invalid,
                  fmt::format("routing.route[{}]: '{}' is listed twice", i, c.route[i]));
    }
  }
  if (!(c.min_confidence >= 0.0 && c.min_confidence <= 1.0)) {
    throw Error(Errc::invalid,
                fmt::format("routing.min_confidence: {} is outside [0, 1]", c.min_confidence));
  }
}

ClassifySettings classify_settings_from_json(std::string_view json, const ClassifySettings &base) {
  constexpr std::string_view what = "routing";
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parse_json_or_throw(parser, json, what).get_object().get(o))
    throw Error(Errc::invalid, "routing: must be a JSON object");
  reject_unknown_fields(o, {"route", "min_confidence", "on_error", "catalog"}, std::string(what));
  ClassifySettings s = base;
  simdjson::dom::element e;
  if (!o.at_key("route").get(e)) {
    simdjson::dom::array a;
    if (e.get_array().get(a)) {
      throw Error(Errc::invalid, fmt::format("routing.route: must be an array of names, found {}",
                                             json_type_name(e.type())));
    }
    s.routing.route.clear();
    size_t i = 0;
    for (simdjson::dom::element v : a) {
      std::string_view name;
      if (v.get_string().get(name)) {
        throw Error(Errc::invalid, fmt::format("routing.route[{}]: must be a string, found {}", i,
                                               json_type_name(v.type())));
      }
      s.routing.route.emplace_back(name);
      ++i;
    }
  }
  read_number(o, "min_confidence", 0.0, 1.0, what, &s.routing.min_confidence);
  std::string on_error;
  if (read_string(o, "on_error", false, what, &on_error)) {
    if (on_error == "fail") {
      s.routing.on_error = RouteErrorPolicy::fail;
    } else if (on_error == "skip") {
      s.routing.on_error = RouteErrorPolicy::skip;
    } else {
      throw Error(Errc::invalid,
                  fmt::format("routing.on_error: '{}' is not \"fail\" or \"skip\"", on_error));
    }
  }
  if (!o.at_key("catalog").get(e)) {
    simdjson::dom::object c;
    if (e.get_object().get(c)) {
      throw Error(Errc::invalid, fmt::format("routing.catalog: must be an object, found {}",
                                             json_type_name(e.type())));
    }
    constexpr std::string_view where = "routing.catalog";
    reject_unknown_fields(c, {"threshold", "max_examples"}, std::string(where));
    read_number(c, "threshold", 0.0, 1.0, where, &s.catalog.threshold);
    int64_t n;
    if (read_int(c, "max_examples", 0, 1000000, where, &n))
      s.catalog.max_examples = static_cast<int32_t>(n);
  }
  check_routing_config(s.routing);
  check_catalog_config(s.catalog);
  return s;
}

std::string classify_settings_to_json(const ClassifySettings &s) {
  JsonWriter w;
  w.begin_object().key("route").begin_array();
  for (const std::string &name : s.routing.route)
    w.value(name);
  w.end_array();
  w.field("min_confidence", s.routing.min_confidence);
  w.field("on_error", s.routing.on_error == RouteErrorPolicy::fail ? "fail" : "skip");
  w.key("catalog").begin_object().field("threshold", s.catalog.threshold);
  w.field("max_examples", static_cast<int64_t>(s.catalog.max_examples)).end_object();
  w.end_object();
  return w.take();
}

namespace {

// Why a backend's prediction does not answer, or empty when it does.
std::string pass_reason(const Prediction &p, const Domain &d, double min_confidence) {
  if (p.unknown()) return p.reason.empty() ? std::string("unknown") : "unknown: " + p.reason;
  if (!p.correct() && !d.find_misconception(p.label)) {
    return fmt::format("label '{}' is not a misconception of domain {}", p.label, d.id);
  }
  if (p.confidence < min_confidence) {
    return fmt::format("{} at confidence {:.3f} is below min_confidence {:.3f}", p.label,
                       p.confidence, min_confidence);
  }
  return {};
}

void note(std::string *trail, std::string_view backend, std::string_view why) {
  if (!trail->empty()) *trail += "; ";
  *trail += backend;
  *trail += ": ";
  *trail += why;
}

}  // namespace

HybridClassifier::HybridClassifier(std::shared_ptr<const Domain> domain,
                                   std::shared_ptr<const ClassifierRegistry> registry,
                                   RoutingConfig config)
    : domain_(std::move(domain)), registry_(std::move(registry)), config_(std::move(config)) {
  if (!domain_ || !registry_)
    throw Error(Errc::invalid, "hybrid classifier: no domain or registry");
  check_routing_config(config_);
}

Prediction HybridClassifier::predict(const Problem &problem, std::string_view answer,
                                     const Concept &concept_) const {
  std::string trail;  // the steps passed over
  for (const std::string &name : config_.route) {
    std::shared_ptr<const ClassifierPlugin> backend = registry_->find(name);
    if (!backend) {
      note(&trail, name, "not registered");
      continue;
    }
    if (!backend->supports_concept(concept_.id)) {
      note(&trail, name, fmt::format("does not support concept {}", concept_.id));
      continue;
    }
    Prediction p;
    try {
      p = backend->predict(problem, answer, concept_);
      check_prediction(p, name);
    } catch (const Error &e) {
      if (config_.on_error == RouteErrorPolicy::fail) throw;
      note(&trail, name, fmt::format("failed: {}", e.what()));
      continue;
    }
    std::string why = pass_reason(p, *domain_, config_.min_confidence);
    if (!why.empty()) {
      note(&trail, name, why);
      continue;
    }
    p.backend = name;
    if (!trail.empty()) {
      p.reason += " (passed over: ";
      p.reason += trail;
      p.reason += ')';
    }
    return p;
  }
  return {std::string(kLabelUnknown), 0.0, name_, "no backend labelled the answer: " + trail};
}

std::vector<Prediction> HybridClassifier::predict_batch(
    const std::vector<PredictInput> &inputs) const {
  for (const PredictInput &in : inputs) {
    if (!in.problem || !in.concept_)
      throw Error(Errc::invalid, "hybrid classifier: an input has no problem or concept");
  }
  const size_t n = inputs.size();
  std::vector<Prediction> out(n);
  std::vector<std::string> trail(n);  // the steps passed over, per answer
  std::vector<size_t> open(n);
  for (size_t i = 0; i < n; ++i)
    open[i] = i;

  for (const std::string &name : config_.route) {
    if (open.empty()) break;
    std::shared_ptr<const ClassifierPlugin> backend = registry_->find(name);
    if (!backend) {
      for (size_t i : open)
        note(&trail[i], name, "not registered");
      continue;
    }
    std::vector<size_t> asked;
    std::vector<PredictInput> batch;
    std::vector<size_t> still;
    for (size_t i : open) {
      if (backend->supports_concept(inputs[i].concept_->id)) {
        asked.push_back(i);
        batch.push_back(inputs[i]);
      } else {
        note(&trail[i], name, fmt::format("does not support concept {}", inputs[i].concept_->id));
        still.push_back(i);
      }
    }
    if (asked.empty()) continue;
    std::vector<Prediction> got;
    try {
      got = backend->predict_batch(batch);
      if (got.size() != batch.size()) {
        throw Error(Errc::invalid,
                    fmt::format("classifier '{}': returned {} predictions for {} answers", name,
                                got.size(), batch.size()));
      }
      for (const Prediction &p : got)
        check_prediction(p, name);
    } catch (const Error &e) {
      if (config_.on_error == RouteErrorPolicy::fail) throw;
      for (size_t i : asked)
        note(&trail[i], name, fmt::format("failed: {}", e.what()));
      open = std::move(still);
      for (size_t i : asked)
        open.push_back(i);
      std::sort(open.begin(), open.end());
      continue;
    }
    for (size_t k = 0; k < asked.size(); ++k) {
      size_t i = asked[k];
      Prediction &p = got[k];
      std::string why = pass_reason(p, *domain_, config_.min_confidence);
      if (!why.empty()) {
        note(&trail[i], name, why);
        still.push_back(i);
        continue;
      }
      p.backend = name;
      if (!trail[i].empty()) {
        p.reason += " (passed over: ";
        p.reason += trail[i];
        p.reason += ')';
      }
      out[i] = std::move(p);
    }
    std::sort(still.begin(), still.end());
    open = std::move(still);
  }
  for (size_t i : open) {
    Prediction &p = out[i];
    p.label = kLabelUnknown;
    p.confidence = 0.0;
    p.backend = name_;
    p.reason = "no backend labelled the answer: " + trail[i];
  }
  return out;
}

}  // namespace v0
}  // namespace tutorcore
