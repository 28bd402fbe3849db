// The plugin interface's defaults and the registry (rules in classifier.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "tutorcore/classify/classifier.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

bool ClassifierPlugin::supports_concept(std::string_view) const {
  return true;
}

std::vector<Prediction> ClassifierPlugin::predict_batch(
    const std::vector<PredictInput> &inputs) const {
  std::vector<Prediction> out;
  out.reserve(inputs.size());
  for (const PredictInput &in : inputs) {
    if (!in.problem || !in.concept_)
      throw Error(Errc::invalid, "classifier batch: an input has no problem or concept");
    out.push_back(predict(*in.problem, in.answer, *in.concept_));
  }
  return out;
}

void check_classifier_name(std::string_view name) {
  constexpr size_t kMax = 64;
  if (name.empty()) throw Error(Errc::invalid, "classifier name: is empty");
  if (name.size() > kMax) {
    throw Error(Errc::invalid,
                fmt::format("classifier name '{}...': is {} characters; at most {} are allowed",
                            name.substr(0, 16), name.size(), kMax));
  }
  bool ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!ok) {
    throw Error(
        Errc::invalid,
        fmt::format("classifier name '{}': use lower-case letters, digits, '_' and '-'", name));
  }
  if (name == "hybrid") {
    throw Error(Errc::invalid,
                "classifier name 'hybrid': is the router's own name; choose another name");
  }
}

void check_prediction(const Prediction &p, std::string_view backend) {
  if (p.label.empty())
    throw Error(Errc::invalid, fmt::format("classifier '{}': returned an empty label", backend));
  if (!(p.confidence >= 0.0 && p.confidence <= 1.0)) {
    throw Error(Errc::invalid,
                fmt::format("classifier '{}': returned confidence {} for label '{}'; it must lie "
                            "in [0, 1]",
                            backend, p.confidence, p.label));
  }
}

void ClassifierRegistry::add(std::shared_ptr<const ClassifierPlugin> plugin) {
  if (!plugin) throw Error(Errc::invalid, "classifier registry: the plugin is null");
  check_classifier_name(plugin->name());
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (plugins_.count(plugin->name())) {
    throw Error(Errc::exists,
                fmt::format("classifier '{}': a classifier of that name is registered; "
                            "unregister it first",
                            plugin->name()));
  }
  std::string name = plugin->name();
  plugins_.emplace(std::move(name), std::move(plugin));
}

void ClassifierRegistry::put(std::shared_ptr<const ClassifierPlugin> plugin) {
  if (!plugin) throw Error(Errc::invalid, "classifier registry: the plugin is null");
  check_classifier_name(plugin->name());
  std::shared_ptr<const ClassifierPlugin> old;  // released after the lock
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto &slot = plugins_[plugin->name()];
  old = std::move(slot);
  slot = std::move(plugin);
}

bool ClassifierRegistry::remove(std::string_view name) {
  std::shared_ptr<const ClassifierPlugin> old;  // released after the lock
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = plugins_.find(name);
  if (it == plugins_.end()) return false;
  old = std::move(it->second);
  plugins_.erase(it);
  return true;
}

std::shared_ptr<const ClassifierPlugin> ClassifierRegistry::find(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : it->second;
}

std::vector<std::string> ClassifierRegistry::names() const {
  std::vector<std::string> out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto &[name, plugin] : plugins_)
    out.push_back(name);
  return out;  // a std::map: sorted
}

}  // namespace v0
}  // namespace tutorcore
