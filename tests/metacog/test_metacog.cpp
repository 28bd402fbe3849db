// The bias detector's engine on constructed interaction streams: each rule,
// the threshold, the window, the model backend, the session summary, the
// configuration and the interaction events' payload rules.
#include <doctest/doctest.h>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/metacog/metacog.hpp"

using namespace tutorcore;

namespace {

constexpr int64_t kT0 = 1767225600000000;  // 2026-01-01
constexpr int64_t kSecond = 1000000;

// A stream built event by event, one second apart unless told otherwise.
struct Stream {
  std::vector<Interaction> events;
  int64_t clock = kT0;
  int64_t next_id = 1;

  Interaction &add(InteractionKind k, const std::string &problem, int64_t after_s = 1) {
    clock += after_s * kSecond;
    Interaction in;
    in.kind = k;
    in.event_id = next_id++;
    in.time_us = clock;
    in.session_id = "s1";
    in.problem_id = problem;
    events.push_back(in);
    return events.back();
  }
  void start(const std::string &p, int64_t after_s = 1) {
    add(InteractionKind::problem_started, p, after_s);
  }
  void hint(const std::string &p, int64_t after_s = 1) {
    add(InteractionKind::hint_requested, p, after_s);
  }
  void change(const std::string &p, const std::string &answer, int64_t after_s = 1) {
    Interaction &in = add(InteractionKind::answer_changed, p, after_s);
    in.has_answer = true;
    in.answer = answer;
  }
  Interaction &submit(const std::string &p, const std::string &answer, bool correct,
                      int64_t after_s = 1) {
    Interaction &in = add(InteractionKind::submitted, p, after_s);
    in.has_answer = true;
    in.answer = answer;
    in.correct = correct;
    return in;
  }
  BiasDetection detect(const MetacogConfig &c = {}) const {
    return detect_bias_rules(bias_features(bias_window(events, clock, c), c), c);
  }
};

// A model that answers a fixed label and remembers its input.
class FixedModel : public ClassifierPlugin {
 public:
  FixedModel(std::string label, double confidence)
      : label_(std::move(label)), confidence_(confidence) {}
  const std::string &name() const override { return name_; }
  Prediction predict(const Problem &p, std::string_view answer, const Concept &c) const override {
    last_input = std::string(answer);
    last_problem = p.id;
    last_concept = c.id;
    return {label_, confidence_, "", "logits"};
  }
  mutable std::string last_input, last_problem, last_concept;

 private:
  std::string name_ = "bias", label_;
  double confidence_;
};

}  // namespace

TEST_CASE("metacog: an empty window is no_bias with confidence 0 and proposes nothing") {
  Stream s;
  BiasDetection d = s.detect();
  CHECK(d.bias == Bias::no_bias);
  CHECK(d.confidence == 0.0);
  CHECK(d.reason.find("no interaction events") != std::string::npos);
  BiasDecision dec = decide_bias(d, {});
  CHECK_FALSE(dec.propose);
  CHECK(dec.prompt.empty());
}

TEST_CASE("metacog: fast, wrong, unverified submits read as overconfidence") {
  Stream s;
  for (const char *p : {"p1", "p2", "p3"}) {
    s.start(p, 10);
    s.submit(p, "7", false, 2);  // 2 s after the problem was shown, wrong
  }
  BiasFeatures f = bias_features(s.events, {});
  CHECK(f.submits == 3);
  CHECK(f.timed_submits == 3);
  CHECK(f.fast_submits == 3);
  CHECK(f.fast_unverified_wrong == 3);
  CHECK(f.mean_submit_latency_ms == doctest::Approx(2000));
  BiasDetection d = s.detect();
  CHECK(d.bias == Bias::overconfidence);
  CHECK(d.confidence == doctest::Approx(0.75));  // share 1 x 3 / (3 + 1)
  CHECK(d.reason.find("3 of 3 submits fast") != std::string::npos);
  BiasDecision dec = decide_bias(d, {});
  CHECK(dec.propose);
  CHECK(dec.prompt ==
        "You submitted that answer quite quickly. Before finalizing, can you identify one "
        "potential flaw in your reasoning?");

  SUBCASE("a hint before each submit is verification: no bias") {
    Stream v;
    for (const char *p : {"p1", "p2", "p3"}) {
      v.start(p, 10);
      v.hint(p, 1);
      v.submit(p, "7", false, 1);
    }
    BiasDetection dv = v.detect();
    CHECK(bias_features(v.events, {}).fast_unverified_wrong == 0);
    CHECK(dv.bias == Bias::no_bias);
  }
  SUBCASE("slow submits are not fast") {
    Stream v;
    for (const char *p : {"p1", "p2", "p3"}) {
      v.start(p, 10);
      v.submit(p, "7", false, 30);
    }
    CHECK(v.detect().bias == Bias::no_bias);
  }
  SUBCASE("a reported latency wins over the start event") {
    Stream v;
    for (const char *p : {"p1", "p2", "p3"}) {
      v.start(p, 10);
      v.submit(p, "7", false, 2).latency_ms = 20000;
    }
    CHECK(bias_features(v.events, {}).fast_submits == 0);
  }
  SUBCASE("fast right answers are not overconfidence") {
    Stream v;
    for (const char *p : {"p1", "p2", "p3"}) {
      v.start(p, 10);
      v.submit(p, "7", true, 2);
    }
    CHECK(v.detect().bias == Bias::no_bias);
    CHECK(v.detect().confidence == doctest::Approx(6.0 / 7.0));  // (1 - 0) x 6 / (6 + 1)
  }
}

TEST_CASE("metacog: self-reported confidence far above accuracy reads as overconfidence") {
  Stream s;
  for (const char *p : {"p1", "p2", "p3", "p4"}) {
    s.start(p, 10);
    s.hint(p, 5);
    s.submit(p, "1", false, 30).confidence = 0.9;
  }
  BiasFeatures f = bias_features(s.events, {});
  CHECK(f.confidence_reports == 4);
  CHECK(f.mean_confidence == doctest::Approx(0.9));
  CHECK(f.confidence_gap == doctest::Approx(0.9));
  BiasDetection d = s.detect();
  CHECK(d.bias == Bias::overconfidence);
  CHECK(d.confidence == doctest::Approx(0.8));  // gap 0.9 / 0.5 clamped to 1, x 4 / 5
  CHECK(d.reason.find("self-reported confidence 0.90 against accuracy 0.00") != std::string::npos);

  SUBCASE("a calibrated student is not") {
    Stream v;
    for (const char *p : {"p1", "p2", "p3", "p4"}) {
      v.start(p, 10);
      v.submit(p, "1", true, 30).confidence = 0.9;
    }
    CHECK(v.detect().bias == Bias::no_bias);
  }
}

TEST_CASE("metacog: resubmitting a wrong answer after evidence reads as confirmation") {
  Stream s;
  s.start("p1", 10);
  s.submit("p1", "x = 3", false, 40);
  s.hint("p1", 5);
  s.submit("p1", "x=3", false, 30);  // the same answer, after the verdict and a hint
  s.submit("p1", "X = 3", false, 30);
  BiasFeatures f = bias_features(s.events, {});
  CHECK(f.challenged_submits == 2);
  CHECK(f.repeated_wrong == 2);
  CHECK(f.revisions == 0);  // the same answer is not a revision
  BiasDetection d = s.detect();
  CHECK(d.bias == Bias::confirmation);
  CHECK(d.confidence == doctest::Approx(2.0 / 3.0));
  BiasDecision dec = decide_bias(d, {});
  CHECK(dec.propose);
  CHECK(dec.prompt.find("Can you think of a reason why your answer might be incorrect?") !=
        std::string::npos);

  SUBCASE("trying a different answer after the verdict is not confirmation") {
    Stream v;
    v.start("p1", 10);
    v.submit("p1", "x = 3", false, 40);
    v.hint("p1", 5);
    v.submit("p1", "x = -12", false, 30);
    v.submit("p1", "x = 5/4", true, 30);
    BiasFeatures fv = bias_features(v.events, {});
    CHECK(fv.challenged_submits == 2);
    CHECK(fv.repeated_wrong == 0);
    CHECK(v.detect().bias == Bias::no_bias);
  }
  SUBCASE("an equivalent number counts as the same answer") {
    Stream v;
    v.start("p1", 10);
    v.submit("p1", "0.5", false, 40);
    v.submit("p1", "1/2", false, 30);
    v.submit("p1", "0.50", false, 30);
    CHECK(bias_features(v.events, {}).repeated_wrong == 2);
  }
}

TEST_CASE("metacog: revisions that stay near the first answer read as anchoring") {
  Stream s;
  s.start("p1", 10);
  s.change("p1", "124.5", 20);  // the anchor
  s.change("p1", "124.6", 10);
  s.change("p1", "125.5", 10);
  s.submit("p1", "124.7", false, 10);
  BiasFeatures f = bias_features(s.events, {});
  CHECK(f.revisions == 3);
  CHECK(f.anchored_revisions == 3);
  BiasDetection d = s.detect();
  CHECK(d.bias == Bias::anchoring);
  CHECK(d.confidence == doctest::Approx(0.75));
  CHECK(decide_bias(d, {}).prompt.find("relying too heavily on your first impression") !=
        std::string::npos);

  SUBCASE("revisions far from the first answer are not anchored") {
    Stream v;
    v.start("p1", 10);
    v.change("p1", "124.5", 20);
    v.change("p1", "x + 7", 10);
    v.change("p1", "-3/2", 10);
    v.submit("p1", "(2, 9)", false, 10);
    BiasFeatures fv = bias_features(v.events, {});
    CHECK(fv.revisions == 3);
    CHECK(fv.anchored_revisions == 0);
    CHECK(v.detect().bias == Bias::no_bias);
  }
  SUBCASE("a problem solved in the window does not count") {
    s.submit("p1", "124.8", true, 10);
    BiasFeatures fs = bias_features(s.events, {});
    CHECK(fs.revisions == 0);
    CHECK(s.detect().bias != Bias::anchoring);
  }
  SUBCASE("the similarity threshold is configurable") {
    MetacogConfig c;
    c.anchor_similarity = 0.9;  // 124.6 vs 124.5 is 0.8 similar
    CHECK(bias_features(s.events, c).anchored_revisions == 0);
  }
}

TEST_CASE("metacog: the threshold: 0.64 proposes nothing, 0.66 proposes, 0.65 proposes") {
  MetacogConfig c;  // threshold 0.65
  BiasDetection d;
  d.bias = Bias::overconfidence;
  d.confidence = 0.64;
  CHECK_FALSE(decide_bias(d, c).propose);
  CHECK(decide_bias(d, c).prompt.empty());
  d.confidence = 0.66;
  CHECK(decide_bias(d, c).propose);
  CHECK(decide_bias(d, c).prompt == c.prompts[3]);
  d.confidence = 0.65;  // the seed's `confidence >= threshold`
  CHECK(decide_bias(d, c).propose);
  d.bias = Bias::no_bias;
  d.confidence = 0.99;  // no_bias never proposes
  CHECK_FALSE(decide_bias(d, c).propose);

  SUBCASE("a configured threshold") {
    c.threshold = 0.7;
    d.bias = Bias::anchoring;
    d.confidence = 0.69;
    CHECK_FALSE(decide_bias(d, c).propose);
    d.confidence = 0.7;
    CHECK(decide_bias(d, c).propose);
  }
  SUBCASE("on the rules: confirmation at 2/3 proposes at 0.65, not at 0.67") {
    Stream s;
    s.start("p1", 10);
    s.submit("p1", "4", false, 40);
    s.submit("p1", "4", false, 30);
    s.submit("p1", "4", false, 30);
    BiasDetection r = s.detect(c);
    CHECK(r.bias == Bias::confirmation);
    CHECK(r.confidence == doctest::Approx(2.0 / 3.0));
    CHECK(decide_bias(r, c).propose);
    c.threshold = 0.67;
    CHECK_FALSE(decide_bias(r, c).propose);
  }
}

TEST_CASE("metacog: the window keeps the last 20 events no older than an hour") {
  Stream s;
  for (int i = 0; i < 30; ++i)
    s.hint("p" + std::to_string(i), 60);
  MetacogConfig c;
  std::vector<Interaction> w = bias_window(s.events, s.clock, c);
  REQUIRE(w.size() == 20);
  CHECK(w.front().event_id == 11);
  CHECK(w.back().event_id == 30);
  // An hour later the oldest fall out: age < 3600 s is kept.
  w = bias_window(s.events, s.clock + 3000 * kSecond, c);
  CHECK(w.size() == 10);  // ages 3000..3540 s
  // Events after the detection time are not read.
  w = bias_window(s.events, s.events[4].time_us, c);
  CHECK(w.size() == 5);
  c.window_events = 3;
  CHECK(bias_window(s.events, s.clock, c).size() == 3);
}

TEST_CASE("metacog: the strongest rule wins, ties go to no_bias, then the label order") {
  BiasFeatures f;
  f.events = 10;
  f.submits = 4;
  f.fast_unverified_wrong = 4;  // 0.8
  f.challenged_submits = 4;
  f.repeated_wrong = 4;  // 0.8
  MetacogConfig c;
  BiasDetection d = detect_bias_rules(f, c);
  CHECK(d.bias == Bias::confirmation);  // equal to overconfidence, listed first
  CHECK(d.scores[1] == doctest::Approx(0.8));
  CHECK(d.scores[3] == doctest::Approx(0.8));
  CHECK(d.scores[0] == doctest::Approx(0.2 * 10.0 / 11.0));
  f.repeated_wrong = 3;
  CHECK(detect_bias_rules(f, c).bias == Bias::overconfidence);
}

TEST_CASE("metacog: a registered model replaces the rules") {
  Stream s;
  s.start("p1", 10);
  s.submit("p1", "2", false, 2);
  BiasFeatures f = bias_features(s.events, {});
  FixedModel model("anchoring", 0.66);
  BiasDetection d = detect_bias_model(model, f);
  CHECK(d.bias == Bias::anchoring);
  CHECK(d.confidence == 0.66);
  CHECK(d.backend == "bias");
  CHECK(d.reason == "logits");
  CHECK(decide_bias(d, {}).propose);
  CHECK(model.last_problem == "metacog.bias");
  CHECK(model.last_concept == "metacog");
  // The documented feature document.
  CHECK(model.last_input.find("\"task\":\"metacog.bias\"") != std::string::npos);
  CHECK(model.last_input.find(
            "\"labels\":[\"no_bias\",\"confirmation\",\"anchoring\",\"overconfidence\"]") !=
        std::string::npos);
  CHECK(model.last_input.find("\"feature_names\":[\"events\",\"problems\",\"submits\"") !=
        std::string::npos);
  CHECK(model.last_input.find("\"features\":[2,1,1,0,0,0,1,1,2,") != std::string::npos);
  CHECK(bias_feature_names().size() == bias_feature_vector(f).size());

  FixedModel low("overconfidence", 0.64);
  CHECK_FALSE(decide_bias(detect_bias_model(low, f), {}).propose);

  FixedModel bad("sleepy", 0.9);
  CHECK_THROWS_WITH_AS(detect_bias_model(bad, f),
                       doctest::Contains("label 'sleepy' is not one of no_bias"), Error);
  FixedModel wild("anchoring", 1.5);
  CHECK_THROWS_AS(detect_bias_model(wild, f), Error);
}

TEST_CASE("metacog: the session summary counts alerts and names the most common bias") {
  auto alert = [](Bias b, int64_t id) {
    BiasAlert a;
    a.bias = b;
    a.event_id = id;
    a.confidence = 0.7;
    return a;
  };
  BiasSummary empty = summarize_bias({});
  CHECK(empty.total == 0);
  CHECK_FALSE(empty.has_most_common);
  JsonWriter w0;
  w0.begin_object();
  write_bias_summary(w0, empty);
  w0.end_object();
  CHECK(w0.str() ==
        R"({"total":0,"bias_breakdown":{},"most_common_bias":null,"interventions":[]})");

  BiasSummary s = summarize_bias({alert(Bias::anchoring, 1), alert(Bias::overconfidence, 2),
                                  alert(Bias::overconfidence, 3), alert(Bias::confirmation, 4)});
  CHECK(s.total == 4);
  CHECK(s.breakdown[static_cast<size_t>(Bias::overconfidence)] == 2);
  CHECK(s.breakdown[static_cast<size_t>(Bias::anchoring)] == 1);
  CHECK(s.most_common == Bias::overconfidence);
  JsonWriter w;
  w.begin_object();
  write_bias_summary(w, s);
  w.end_object();
  CHECK(w.str().find(R"("bias_breakdown":{"confirmation":1,"anchoring":1,"overconfidence":2},)"
                     R"("most_common_bias":"overconfidence")") != std::string::npos);

  // Ties: the bias alerted first (the seed's max over insertion order).
  BiasSummary tie = summarize_bias({alert(Bias::overconfidence, 1), alert(Bias::anchoring, 2),
                                    alert(Bias::anchoring, 3), alert(Bias::overconfidence, 4)});
  CHECK(tie.most_common == Bias::overconfidence);
}

TEST_CASE("metacog: the alert's payload is read back") {
  Stream s;
  for (const char *p : {"p1", "p2", "p3"}) {
    s.start(p, 10);
    s.submit(p, "7", false, 2);
  }
  MetacogConfig c;
  std::vector<Interaction> w = bias_window(s.events, s.clock, c);
  BiasFeatures f = bias_features(w, c);
  BiasDecision d = decide_bias(detect_bias_rules(f, c), c);
  Event e;
  e.id = 42;
  e.entity_id = "st-1";
  e.type = std::string(kBiasDetected);
  e.time_us = s.clock;
  e.payload = bias_alert_payload(d, f, w);
  CHECK(e.payload.find(R"("session_id":"s1","problem_id":"p3","bias":"overconfidence")") !=
        std::string::npos);
  CHECK(e.payload.find(R"("window_events":6,"last_event_id":6)") != std::string::npos);
  BiasAlert a = bias_alert_from_event(e);
  CHECK(a.bias == Bias::overconfidence);
  CHECK(a.confidence == doctest::Approx(0.75));
  CHECK(a.student == "st-1");
  CHECK(a.prompt == d.prompt);
  e.payload = R"({"bias":"grumpy","confidence":0.5})";
  CHECK_THROWS_WITH_AS(bias_alert_from_event(e), doctest::Contains("event 42: payload.bias"),
                       Error);
}

TEST_CASE("metacog: the configuration as JSON, and its errors") {
  MetacogConfig c = metacog_config_from_json(
      R"({"threshold":0.7,"window_events":30,"prompts":{"anchoring":"What else could you try?"}})",
      {});
  CHECK(c.threshold == 0.7);
  CHECK(c.window_events == 30);
  CHECK(c.prompts[2] == "What else could you try?");
  CHECK(c.prompts[1] == MetacogConfig{}.prompts[1]);
  MetacogConfig back = metacog_config_from_json(metacog_config_to_json(c), {});
  CHECK(metacog_config_to_json(back) == metacog_config_to_json(c));

  CHECK_THROWS_WITH_AS(metacog_config_from_json(R"({"threshold":1.5})", {}),
                       doctest::Contains("metacog config.threshold: 1.5 is outside 0..1"), Error);
  CHECK_THROWS_WITH_AS(metacog_config_from_json(R"({"treshold":0.5})", {}),
                       doctest::Contains("metacog config.treshold: unknown field"), Error);
  CHECK_THROWS_WITH_AS(
      metacog_config_from_json(R"({"prompts":{"overconfidence":"The answer is 4."}})", {}),
      doctest::Contains("prompts.overconfidence: must ask a reflective question"), Error);
  CHECK_THROWS_WITH_AS(metacog_config_from_json(R"({"backend":"Big Model"})", {}),
                       doctest::Contains("classifier name 'Big Model'"), Error);
  CHECK_THROWS_WITH_AS(metacog_config_from_json("{\"threshold\":", {}),
                       doctest::Contains("metacog config: malformed JSON"), Error);
}

TEST_CASE("metacog: interaction events are read from the log and checked before they are") {
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = "st-1";
  e.type = "interaction.submitted";
  e.id = 9;
  e.time_us = kT0;
  e.payload =
      R"({"session_id":"s1","problem_id":"p1","correct":false,"answer":"3","latency_ms":1500,"confidence":0.8})";
  CHECK_NOTHROW(check_event(e, 0));
  Interaction in;
  REQUIRE(interaction_from_event(e, &in));
  CHECK(in.kind == InteractionKind::submitted);
  CHECK(in.answer == "3");
  CHECK(in.latency_ms == 1500);
  CHECK(in.confidence == 0.8);
  CHECK(in.event_id == 9);

  auto rejected = [&](const std::string &type, const std::string &payload) {
    Event bad = e;
    bad.type = type;
    bad.payload = payload;
    try {
      check_event(bad, 3);
    } catch (const Error &err) {
      return std::string(err.what());
    }
    return std::string("accepted");
  };
  CHECK(rejected("interaction.submitted", R"({"session_id":"s1","problem_id":"p1"})") ==
        "event[3].payload.correct: is required for interaction.submitted events");
  CHECK(rejected("interaction.submitted",
                 R"({"session_id":"s1","problem_id":"p1","correct":true,"confidence":1.5})")
            .find("payload.confidence: is 1.5; it must lie in [0, 1]") != std::string::npos);
  CHECK(rejected("interaction.hint_requested", R"({"problem_id":"p1"})") ==
        "event[3].payload.session_id: is required for interaction.hint_requested events");
  CHECK(rejected("interaction.answer_changed",
                 R"({"session_id":"s1","problem_id":"p1","latency_ms":-4})")
            .find("payload.latency_ms: is -4") != std::string::npos);
  CHECK(rejected("metacog.bias_detected", R"({"bias":"anchoring"})") ==
        "event[3].payload.confidence: is required for metacog.bias_detected events");
  CHECK(rejected("interaction.problem_started", R"({"session_id":"s1","problem_id":"p1"})") ==
        "accepted");

  Event other = e;
  other.type = "response.submitted";
  CHECK_FALSE(interaction_from_event(other, &in));
  e.payload = R"({"session_id":"s1","problem_id":"p1"})";
  CHECK_THROWS_WITH_AS(interaction_from_event(e, &in),
                       doctest::Contains("interaction.submitted event 9: payload.correct"), Error);
}
