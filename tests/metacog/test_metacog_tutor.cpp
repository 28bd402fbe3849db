// The bias detector inside the Tutor: interaction events from the log, the
// alert appended once per window and delivered to subscribers, a model
// registered under "bias", sessions, the summary, and bad requests.
#include <doctest/doctest.h>

#include "../classify/domains.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

constexpr int64_t kT0 = 1767225600000000;
constexpr int64_t kSecond = 1000000;

class FixedModel : public ClassifierPlugin {
 public:
  FixedModel(std::string label, double confidence, bool supports = true)
      : label_(std::move(label)), confidence_(confidence), supports_(supports) {}
  const std::string &name() const override { return name_; }
  bool supports_concept(std::string_view) const override { return supports_; }
  Prediction predict(const Problem &, std::string_view answer, const Concept &) const override {
    last_input = std::string(answer);
    return {label_, confidence_, "bias", "the bias model"};
  }
  mutable std::string last_input;

 private:
  std::string name_ = "bias", label_;
  double confidence_;
  bool supports_;
};

struct Class {
  Ledger ledger{open_memory_store()};
  Tutor tutor{classify_test::fixture(), ledger};
  int64_t clock = kT0;

  int64_t add(const std::string &student, const std::string &type, const std::string &payload,
              int64_t after_s = 1) {
    clock += after_s * kSecond;
    std::vector<Event> batch(1);
    Event &e = batch.front();
    e.tenant = "t1";
    e.entity_type = "student";
    e.entity_id = student;
    e.type = type;
    e.payload = payload;
    e.time_us = clock;
    return ledger.append(batch).front().id;
  }
  // Three fast, wrong, unverified submits in session `session`.
  void rush(const std::string &student, const std::string &session) {
    for (const char *p : {"p1", "p2", "p3"}) {
      std::string ids = R"({"session_id":")" + session + R"(","problem_id":")" + p + "\"";
      add(student, "interaction.problem_started", ids + "}", 10);
      add(student, "interaction.submitted", ids + R"(,"correct":false,"answer":"7"})", 2);
    }
  }
  std::string detect(const std::string &student, const std::string &session = "",
                     const std::string &key = "") {
    BiasRequest r;
    r.tenant = "t1";
    r.student = student;
    r.session_id = session;
    r.idempotency_key = key;
    r.time_us = clock;
    return tutor.detect_bias(r);
  }
  int count(const std::string &type) {
    int n = 0;
    EventQuery q;
    q.tenant = "t1";
    q.type = type;
    ledger.read(q, [&](const Event &) {
      ++n;
      return true;
    });
    return n;
  }
};

bool has(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("metacog tutor: a bias above the threshold appends one alert per window") {
  Class c;
  std::vector<std::string> alerts;
  c.ledger.subscribe([&](const Event &e) {
    if (e.type == "metacog.bias_detected") alerts.push_back(e.payload);
  });
  // No events yet: the cold start.
  std::string cold = c.detect("st-1");
  CHECK(has(cold, R"("intervention_proposed":false)"));
  CHECK(has(cold, R"("bias":"no_bias","confidence":0)"));
  CHECK(has(cold, R"("alert":null)"));

  c.rush("st-1", "s1");
  std::string out = c.detect("st-1");
  CHECK(has(out, R"("intervention_proposed":true)"));
  CHECK(has(out, R"("bias":"overconfidence","confidence":0.75)"));
  CHECK(has(out, R"("backend":"rules")"));
  CHECK(has(out, "model 'bias' not registered: rules"));
  CHECK(has(out, R"("prompt":"You submitted that answer quite quickly.)"));
  CHECK(has(out, R"("alert":{"event_id":)"));
  CHECK(has(out, R"("replayed":false)"));
  CHECK(c.count("metacog.bias_detected") == 1);
  REQUIRE(alerts.size() == 1);  // the live alert reached the subscriber
  CHECK(has(alerts[0], R"("session_id":"s1","problem_id":"p3","bias":"overconfidence")"));

  // Asking again over the same events returns the stored alert.
  std::string again = c.detect("st-1");
  CHECK(has(again, R"("replayed":true)"));
  CHECK(c.count("metacog.bias_detected") == 1);

  // A further rushed answer is a new window: a new alert.
  c.add("st-1", "interaction.submitted",
        R"({"session_id":"s1","problem_id":"p4","correct":false,"latency_ms":900})");
  CHECK(has(c.detect("st-1"), R"("replayed":false)"));
  CHECK(c.count("metacog.bias_detected") == 2);

  // Another student, quietly working, gets nothing.
  c.add("st-2", "interaction.submitted",
        R"({"session_id":"s1","problem_id":"p1","correct":true,"latency_ms":40000})");
  CHECK(has(c.detect("st-2"), R"("bias":"no_bias")"));
}

TEST_CASE("metacog tutor: the idempotency key returns the first alert") {
  Class c;
  c.rush("st-1", "s1");
  std::string first = c.detect("st-1", "", "k1");
  std::string retry = c.detect("st-1", "", "k1");
  CHECK(has(retry, R"("replayed":true)"));
  CHECK(c.count("metacog.bias_detected") == 1);
  // Same detection document both times.
  auto doc = [](const std::string &s) { return s.substr(s.find("\"detection\"")); };
  CHECK(doc(first).substr(0, doc(first).find("\"alert\"")) ==
        doc(retry).substr(0, doc(retry).find("\"alert\"")));
}

TEST_CASE("metacog tutor: sessions filter the events, and the summary counts the alerts") {
  Class c;
  c.rush("st-1", "s1");
  c.add("st-1", "interaction.submitted",
        R"({"session_id":"s2","problem_id":"q1","correct":true,"latency_ms":40000})", 60);
  // Each session is read alone: s1 is rushed, s2 calm.
  CHECK(has(c.detect("st-1", "s1"), R"("bias":"overconfidence")"));
  CHECK(has(c.detect("st-1", "s2"), R"("bias":"no_bias")"));

  c.rush("st-2", "s1");
  c.detect("st-2", "s1");
  std::string sum = c.tutor.bias_summary({"t1", "s1", "", 0, 0});
  CHECK(has(sum, R"("session_id":"s1","student":null,"total":2)"));
  CHECK(has(sum, R"("bias_breakdown":{"overconfidence":2},"most_common_bias":"overconfidence")"));
  CHECK(has(sum, R"("student":"st-2")"));
  std::string one = c.tutor.bias_summary({"t1", "", "st-1", 0, 0});
  CHECK(has(one, R"("total":1)"));
  std::string none = c.tutor.bias_summary({"t1", "s9", "", 0, 0});
  CHECK(has(none, R"("total":0,"bias_breakdown":{},"most_common_bias":null)"));
  CHECK_THROWS_WITH_AS(c.tutor.bias_summary({"t1", "", "", 0, 0}),
                       doctest::Contains("give a session_id, a student or both"), Error);
}

TEST_CASE("metacog tutor: a model registered under \"bias\" replaces the rules") {
  Class c;
  c.rush("st-1", "s1");
  auto model = std::make_shared<FixedModel>("anchoring", 0.66);
  c.tutor.register_classifier(model);
  std::string out = c.detect("st-1");
  CHECK(has(out, R"("bias":"anchoring","confidence":0.66)"));
  CHECK(has(out, R"("backend":"bias")"));
  CHECK(has(out, R"("intervention_proposed":true)"));
  CHECK(has(model->last_input, R"("task":"metacog.bias")"));
  CHECK(has(model->last_input, R"("counts":{"events":6,)"));
  c.tutor.unregister_classifier("bias");

  SUBCASE("0.64 proposes nothing") {
    c.tutor.register_classifier(std::make_shared<FixedModel>("anchoring", 0.64));
    c.add("st-1", "interaction.hint_requested", R"({"session_id":"s1","problem_id":"p9"})");
    std::string low = c.detect("st-1");
    CHECK(has(low, R"("intervention_proposed":false)"));
    CHECK(has(low, R"("alert":null)"));
    CHECK(has(low, R"("prompt":"")"));
  }
  SUBCASE("backend rules ignores the model") {
    c.tutor.register_classifier(std::make_shared<FixedModel>("anchoring", 0.9));
    MetacogConfig cfg;
    cfg.backend = "rules";
    c.tutor.set_metacog_config(cfg);
    CHECK(has(c.detect("st-1"), R"("bias":"overconfidence")"));
  }
  SUBCASE("a model that does not support metacog is passed over on auto") {
    c.tutor.register_classifier(std::make_shared<FixedModel>("anchoring", 0.9, false));
    CHECK(has(c.detect("st-1"), R"("backend":"rules")"));
  }
  SUBCASE("a named backend nobody registered") {
    MetacogConfig cfg;
    cfg.backend = "torch-bias";
    c.tutor.set_metacog_config(cfg);
    CHECK_THROWS_WITH_AS(c.detect("st-1"), doctest::Contains("no classifier 'torch-bias'"), Error);
  }
  SUBCASE("a model's bad label fails the call, storing nothing") {
    c.tutor.register_classifier(std::make_shared<FixedModel>("confused", 0.9));
    CHECK_THROWS_AS(c.detect("st-1"), Error);
    CHECK(c.count("metacog.bias_detected") == 1);
  }
}

TEST_CASE("metacog tutor: requests and configuration are checked") {
  Class c;
  BiasRequest r = bias_request_from_json(
      R"({"tenant":"t1","student":"st-1","session_id":"s1","time_us":5,"idempotency_key":"k"})");
  CHECK(r.session_id == "s1");
  CHECK(r.time_us == 5);
  CHECK_THROWS_WITH_AS(bias_request_from_json(R"({"tenant":"t1"})"),
                       doctest::Contains("bias request.student: required field is missing"), Error);
  CHECK_THROWS_WITH_AS(bias_request_from_json(R"({"tenant":"t1","student":"a","when":1})"),
                       doctest::Contains("bias request.when: unknown field"), Error);
  BiasRequest empty;
  CHECK_THROWS_WITH_AS(c.tutor.detect_bias(empty), doctest::Contains("bias request.tenant"), Error);
  MetacogConfig bad;
  bad.threshold = -0.1;
  CHECK_THROWS_WITH_AS(c.tutor.set_metacog_config(bad),
                       doctest::Contains("metacog config.threshold"), Error);
  CHECK(c.tutor.metacog_config().threshold == 0.65);
  BiasSummaryRequest s = bias_summary_request_from_json(R"({"tenant":"t1","student":"st-1"})");
  CHECK(s.student == "st-1");
}
