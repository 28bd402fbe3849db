// Hybrid routing: model > rules > catalog > host, what passes an answer on,
// error policies, batches, the registry and the settings document.
#include <atomic>
#include <functional>
#include <set>

#include "domains.hpp"
#include "tutorcore/classify/router.hpp"
#include "tutorcore/classify/rules.hpp"
#include "tutorcore/common/error.hpp"

using namespace tutorcore;
using classify_test::algebra;

namespace {

// A scripted backend: answers `label` (for the concepts it supports), or throws.
class Stub : public ClassifierPlugin {
 public:
  Stub(std::string name, std::string label, double confidence = 0.9,
       std::set<std::string> concepts = {})
      : name_(std::move(name)),
        label_(std::move(label)),
        confidence_(confidence),
        concepts_(std::move(concepts)) {}
  const std::string &name() const override { return name_; }
  bool supports_concept(std::string_view id) const override {
    return concepts_.empty() || concepts_.count(std::string(id));
  }
  Prediction predict(const Problem &, std::string_view, const Concept &) const override {
    ++calls;
    if (fail) throw Error(Errc::user, "the language model timed out");
    return {label_, confidence_, "stub", "scripted"};
  }
  std::vector<Prediction> predict_batch(const std::vector<PredictInput> &in) const override {
    ++batches;
    batch_sizes.push_back(in.size());
    return ClassifierPlugin::predict_batch(in);
  }
  bool fail = false;
  mutable std::atomic<int> calls{0}, batches{0};
  mutable std::vector<size_t> batch_sizes;

 private:
  std::string name_, label_;
  double confidence_;
  std::set<std::string> concepts_;
};

struct Setup {
  std::shared_ptr<const Domain> d = algebra();
  std::shared_ptr<ClassifierRegistry> reg = std::make_shared<ClassifierRegistry>();
  Setup() {
    reg->add(std::make_shared<const RuleClassifier>(d));
    reg->add(std::make_shared<const CatalogClassifier>(d));
  }
  Prediction ask(const std::string &problem, const std::string &answer, RoutingConfig cfg = {}) {
    const Problem *p = d->find_problem(problem);
    REQUIRE(p);
    HybridClassifier h(d, reg, cfg);
    return h.predict(*p, answer, *d->find_concept(p->concept_id));
  }
};

bool has(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("classify: routing asks the model first, then rules and catalog, then the host") {
  Setup s;
  // No model, no host: the rules answer; the reason says the model was passed over.
  Prediction r = s.ask("ias_01", "-4");
  CHECK(r.label == "correct");
  CHECK(r.backend == "rules");
  CHECK(has(r.reason, "equivalent to the correct answer"));
  CHECK(has(r.reason, "model: not registered"));
  CHECK(s.ask("ias_01", "-10").label == "ias_add_magnitudes");
  CHECK(s.ask("ias_01", "-10").backend == "rules");

  // An answer only the catalog knows (the taxonomy's other example).
  r = s.ask("ias_01", "17");
  CHECK(r.label == "ias_add_magnitudes");
  CHECK(r.backend == "catalog");
  CHECK(has(r.reason, "rules: unknown"));

  // Nobody labels it: "unknown" from the router, with every step's reason.
  r = s.ask("ias_01", "banana");
  CHECK(r.label == "unknown");
  CHECK(r.backend == "hybrid");
  CHECK(r.confidence == 0.0);
  CHECK(has(r.reason, "model: not registered"));
  CHECK(has(r.reason, "rules: unknown"));
  CHECK(has(r.reason, "catalog: unknown"));
  CHECK(has(r.reason, "host: not registered"));

  // The host callback: the last fallback.
  auto host = std::make_shared<Stub>("host", "ias_order_subtraction", 0.85);
  s.reg->add(host);
  r = s.ask("ias_01", "banana");
  CHECK(r.label == "ias_order_subtraction");
  CHECK(r.backend == "host");
  CHECK(r.confidence == 0.85);
  CHECK(s.ask("ias_01", "-4").backend == "rules");  // the host is not asked first
  CHECK(host->calls == 1);

  // A model for one concept answers first there, and only there.
  auto model = std::make_shared<Stub>("model", "ias_subtract_negative", 0.95,
                                      std::set<std::string>{"integer_add_sub"});
  s.reg->add(model);
  r = s.ask("ias_01", "-4");  // even a right answer: the model decides
  CHECK(r.label == "ias_subtract_negative");
  CHECK(r.backend == "model");
  CHECK(r.reason == "scripted");  // nothing passed over
  r = s.ask("imd_01", "24");
  CHECK(r.backend == "rules");
  CHECK(has(r.reason, "model: does not support concept integer_mult_div"));

  // The route is configurable: host before the rules.
  RoutingConfig cfg;
  cfg.route = {"host", "rules"};
  CHECK(s.ask("imd_01", "24", cfg).backend == "host");
  cfg.route = {"rules"};
  CHECK(s.ask("ias_01", "17", cfg).backend == "hybrid");
}

TEST_CASE("classify: the router passes over low confidence, foreign labels and, if told, errors") {
  Setup s;
  auto model = std::make_shared<Stub>("model", "ias_subtract_negative", 0.5);
  s.reg->add(model);
  RoutingConfig cfg;
  CHECK(s.ask("ias_01", "-4", cfg).backend == "model");
  cfg.min_confidence = 0.8;
  Prediction r = s.ask("ias_01", "-4", cfg);
  CHECK(r.backend == "rules");
  CHECK(has(r.reason, "model: ias_subtract_negative at confidence 0.500 is below min_confidence"));

  // A label the domain does not know.
  s.reg->remove("model");
  s.reg->add(std::make_shared<Stub>("model", "no_such_misconception", 1.0));
  r = s.ask("ias_01", "-4");
  CHECK(r.backend == "rules");
  CHECK(has(r.reason, "label 'no_such_misconception' is not a misconception of domain"));

  // A failing host: the error is the answer's error, or with "skip" passed over.
  auto host = std::make_shared<Stub>("host", "ias_add_magnitudes");
  host->fail = true;
  s.reg->add(host);
  try {
    s.ask("ias_01", "banana");
    FAIL("the host's error was swallowed");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::user);
    CHECK(has(e.what(), "the language model timed out"));
  }
  cfg = {};
  cfg.on_error = RouteErrorPolicy::skip;
  r = s.ask("ias_01", "banana", cfg);
  CHECK(r.label == "unknown");
  CHECK(r.backend == "hybrid");
  CHECK(has(r.reason, "host: failed: the language model timed out"));
  CHECK(s.ask("ias_01", "-4", cfg).backend == "rules");  // answered before the host

  // A broken prediction (confidence outside [0, 1]) is an error.
  s.reg->remove("model");
  s.reg->add(std::make_shared<Stub>("model", "correct", 1.5));
  try {
    s.ask("ias_01", "-4");
    FAIL("a confidence of 1.5 was accepted");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid);
    CHECK(has(e.what(), "classifier 'model': returned confidence 1.5"));
  }
  CHECK(s.ask("ias_01", "-4", cfg).backend == "rules");
}

TEST_CASE("classify: a routed batch asks each backend once with the answers still open") {
  Setup s;
  auto model = std::make_shared<Stub>("model", "ias_add_magnitudes", 0.9,
                                      std::set<std::string>{"integer_add_sub"});
  auto host = std::make_shared<Stub>("host", "imd_neg_times_neg_negative", 0.7);
  s.reg->add(model);
  s.reg->add(host);
  HybridClassifier h(s.d, s.reg, {});
  const Domain &d = *s.d;
  std::vector<std::pair<std::string, std::string>> items = {
      {"ias_01", "-4"}, {"imd_01", "24"}, {"ias_02", "x"}, {"imd_01", "banana"}, {"imd_03", "-4"}};
  std::vector<PredictInput> in;
  for (const auto &[pid, answer] : items) {
    const Problem *p = d.find_problem(pid);
    REQUIRE(p);
    in.push_back({p, answer, d.find_concept(p->concept_id)});
  }
  std::vector<Prediction> out = h.predict_batch(in);
  REQUIRE(out.size() == in.size());
  CHECK(out[0].backend == "model");
  CHECK(out[1].backend == "rules");
  CHECK(out[1].label == "correct");
  CHECK(out[2].backend == "model");
  CHECK(out[3].backend == "host");
  CHECK(out[4].backend == "rules");
  CHECK(model->batches == 1);
  CHECK(model->batch_sizes == std::vector<size_t>{2});
  CHECK(host->batches == 1);
  CHECK(host->batch_sizes == std::vector<size_t>{1});
  // Each equals the answer routed alone.
  for (size_t i = 0; i < in.size(); ++i) {
    Prediction one = h.predict(*in[i].problem, in[i].answer, *in[i].concept_);
    CHECK(one.label == out[i].label);
    CHECK(one.backend == out[i].backend);
    CHECK(one.reason == out[i].reason);
  }
  CHECK(h.predict_batch({}).empty());
}

TEST_CASE("classify: the registry and the routing settings refuse bad input") {
  ClassifierRegistry reg;
  reg.add(std::make_shared<Stub>("model", "correct"));
  try {
    reg.add(std::make_shared<Stub>("model", "correct"));
    FAIL("a taken name was accepted");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::exists);
  }
  reg.put(std::make_shared<Stub>("model", "unknown"));  // put replaces
  CHECK(reg.find("model")->predict(Problem{}, "", Concept{}).label == "unknown");
  for (const std::string &bad :
       std::vector<std::string>{"", "Model", "a b", "hybrid", std::string(65, 'a')}) {
    CHECK_THROWS_AS(reg.add(std::make_shared<Stub>(bad, "correct")), Error);
    CHECK_THROWS_AS(check_classifier_name(bad), Error);
  }
  CHECK_THROWS_AS(reg.add(nullptr), Error);
  reg.add(std::make_shared<Stub>("llm-catalog_2", "correct"));
  CHECK(reg.names() == std::vector<std::string>{"llm-catalog_2", "model"});
  CHECK(reg.remove("model"));
  CHECK_FALSE(reg.remove("model"));
  CHECK(reg.find("model") == nullptr);

  auto invalid = [](auto fn, const char *part) {
    try {
      fn();
      FAIL("accepted: " << part);
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid);
      CHECK_MESSAGE(has(e.what(), part), e.what());
    }
  };
  RoutingConfig cfg;
  cfg.route = {};
  invalid([&] { check_routing_config(cfg); }, "routing.route: is empty");
  cfg.route = {"rules", "rules"};
  invalid([&] { check_routing_config(cfg); }, "routing.route[1]: 'rules' is listed twice");
  cfg.route = {"rules", "Bad"};
  invalid([&] { check_routing_config(cfg); }, "routing.route[1]");
  cfg = {};
  cfg.min_confidence = 2;
  invalid([&] { check_routing_config(cfg); }, "routing.min_confidence");

  ClassifySettings base;
  auto parse = [&](const std::string &json) { return classify_settings_from_json(json, base); };
  invalid([&] { parse("{\"rout\":[]}"); }, "routing.rout: unknown field");
  invalid([&] { parse("{\"route\":\"rules\"}"); }, "routing.route: must be an array");
  invalid([&] { parse("{\"route\":[\"rules\",3]}"); }, "routing.route[1]: must be a string");
  invalid([&] { parse("{\"on_error\":\"retry\"}"); }, "routing.on_error: 'retry'");
  invalid([&] { parse("{\"min_confidence\":1.5}"); }, "routing.min_confidence");
  invalid([&] { parse("{\"catalog\":{\"threshold\":3}}"); }, "routing.catalog.threshold");
  invalid([&] { parse("{\"catalog\":{\"examples\":3}}"); }, "routing.catalog.examples");
  invalid([&] { parse("{\"catalog\":[]}"); }, "routing.catalog: must be an object");
  invalid([&] { parse("{\"route\":[}"); }, "routing");
  invalid([&] { parse("[]"); }, "routing: must be a JSON object");

  ClassifySettings s = parse(
      "{\"route\":[\"model\",\"rules\"],\"min_confidence\":0.25,\"on_error\":\"skip\","
      "\"catalog\":{\"threshold\":0.5,\"max_examples\":2}}");
  CHECK(s.routing.route == std::vector<std::string>{"model", "rules"});
  CHECK(s.routing.min_confidence == 0.25);
  CHECK(s.routing.on_error == RouteErrorPolicy::skip);
  CHECK(s.catalog.threshold == 0.5);
  CHECK(s.catalog.max_examples == 2);
  CHECK(classify_settings_to_json(s) ==
        "{\"route\":[\"model\",\"rules\"],\"min_confidence\":0.25,\"on_error\":\"skip\","
        "\"catalog\":{\"threshold\":0.5,\"max_examples\":2}}");
  // Fields left out keep the base's values.
  ClassifySettings kept = classify_settings_from_json("{\"min_confidence\":0.5}", s);
  CHECK(kept.routing.route == s.routing.route);
  CHECK(kept.catalog.threshold == 0.5);
  CHECK(kept.routing.min_confidence == 0.5);
}
