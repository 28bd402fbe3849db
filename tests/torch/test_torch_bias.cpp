// The TorchScript bias model end to end: trained at test time by
// scripts/train_torch_bias.py (ctest fixture torch.train_bias) on
// synthetic windows, loaded through libtutorcore_torch as dense input.
// Built only with the plugin and run only when /usr/bin/python3 has torch.
//
// The students are interaction event streams written here, one clearly
// showing each bias and a plain one; their features come from the real
// code (interaction_from_event, bias_window, bias_features). Checks: the
// model labels each like the rules do, above the threshold for the biases;
// through the tutor with backend "auto" the detection's backend is the
// model's name and the threshold still decides the proposal; batches equal
// single calls, split batches too; concurrent calls agree; the C ABI loads
// the manifest as the "bias" classifier; a manifest whose feature_names
// differ from the library's is refused naming the field.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "memory_tutor.hpp"
#include "tutorcore/classify/model.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/metacog/model.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/tutorcore.h"

using namespace tutorcore;

namespace {

const char *const kFixture = TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal";
const std::string kBiasDir = TC_BIAS_MODEL_DIR;  // written by the torch.train_bias fixture
const std::string kAnswerDir = TC_MODEL_DIR;     // the answer model (torch.train)
constexpr int64_t kT0 = 1767225600000000;
constexpr int64_t kSecond = 1000000;

std::shared_ptr<const Domain> fixture() {
  static std::shared_ptr<const Domain> d = [] {
    auto dom = std::make_shared<Domain>();
    REQUIRE(load_domain(kFixture, dom.get()).ok());
    return dom;
  }();
  return d;
}

ModelOptions bias_options() {
  ModelOptions o;
  o.model = kBiasDir + "/model.pt";
  o.labels = kBiasDir + "/labels.json";
  o.plugin = TC_TORCH_PLUGIN_PATH;
  return o;
}

std::shared_ptr<const BiasModel> bias_model() {
  static std::shared_ptr<const BiasModel> m = std::make_shared<const BiasModel>(bias_options());
  return m;
}

std::string read_all(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, path, " is missing: run the torch.train_bias fixture (ctest -R torch)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

// One interaction event of a student's stream.
struct Step {
  std::string type, payload;
  int64_t after_s;
};

struct Student {
  std::string name;
  Bias expect;
  std::vector<Step> steps;
};

std::string ids(const std::string &problem) {
  return R"({"session_id":"s1","problem_id":")" + problem + "\"";
}

Step start(const std::string &p, int64_t after_s = 5) {
  return {"interaction.problem_started", ids(p) + "}", after_s};
}
Step hint(const std::string &p, int64_t after_s) {
  return {"interaction.hint_requested", ids(p) + "}", after_s};
}
Step change(const std::string &p, const std::string &answer, int64_t after_s) {
  return {"interaction.answer_changed", ids(p) + R"(,"answer":")" + answer + "\"}", after_s};
}
Step submit(const std::string &p, const std::string &answer, bool correct, int64_t after_s,
            const std::string &extra = "") {
  return {"interaction.submitted",
          ids(p) + R"(,"answer":")" + answer + R"(","correct":)" + (correct ? "true" : "false") +
              extra + "}",
          after_s};
}

// A plain student, and one clearly showing each bias (the seed's readings).
std::vector<Student> students() {
  std::vector<Student> out;
  Student plain{"plain", Bias::no_bias, {}};  // thinks 30 s and is right
  for (int k = 0; k < 5; ++k) {
    std::string p = fmt::format("q{}", k);
    plain.steps.push_back(start(p));
    plain.steps.push_back(submit(p, std::to_string(10 + k), true, 30));
  }
  out.push_back(plain);

  Student rush{"overconfident (fast)", Bias::overconfidence, {}};  // 2 s, wrong, unverified
  for (int k = 0; k < 6; ++k) {
    std::string p = fmt::format("q{}", k);
    rush.steps.push_back(start(p));
    rush.steps.push_back(submit(p, "7", false, 2));
  }
  out.push_back(rush);

  Student sure{"overconfident (confidence gap)", Bias::overconfidence, {}};  // 0.95 sure, wrong
  for (int k = 0; k < 4; ++k) {
    std::string p = fmt::format("q{}", k);
    sure.steps.push_back(start(p));
    sure.steps.push_back(submit(p, std::to_string(3 * k + 1), false, 20, R"(,"confidence":0.95)"));
  }
  out.push_back(sure);

  Student stubborn{"confirmation", Bias::confirmation, {}};  // the same wrong answer again
  for (std::string p : {"q0", "q1"}) {
    stubborn.steps.push_back(start(p));
    stubborn.steps.push_back(submit(p, "5", false, 40));
    stubborn.steps.push_back(hint(p, 10));
    stubborn.steps.push_back(submit(p, "5", false, 20));
    stubborn.steps.push_back(hint(p, 10));
    stubborn.steps.push_back(submit(p, "5", false, 20));
    stubborn.steps.push_back(submit(p, "5", false, 15));
  }
  out.push_back(stubborn);

  Student anchored{"anchoring", Bias::anchoring, {}};  // revisions close to the first answer
  for (std::string base : {"12", "34"}) {
    std::string p = "q" + base;
    anchored.steps.push_back(start(p));
    anchored.steps.push_back(change(p, base + "0", 20));
    anchored.steps.push_back(change(p, base + "1", 15));
    anchored.steps.push_back(submit(p, base + "2", false, 20));
    anchored.steps.push_back(change(p, base + "3", 15));
    anchored.steps.push_back(submit(p, base + "4", false, 20));
  }
  out.push_back(anchored);
  return out;
}

// The student's events as the log stores them (times from kT0).
std::vector<Event> events_of(const Student &s, int64_t *end_us) {
  std::vector<Event> out;
  int64_t clock = kT0;
  for (const Step &st : s.steps) {
    clock += st.after_s * kSecond;
    Event e;
    e.id = static_cast<int64_t>(out.size()) + 1;
    e.tenant = "t1";
    e.entity_type = "student";
    e.entity_id = s.name;
    e.type = st.type;
    e.payload = st.payload;
    e.time_us = clock;
    out.push_back(std::move(e));
  }
  *end_us = clock;
  return out;
}

// The features through the real code: parse, window, count.
BiasFeatures features_of(const Student &s) {
  int64_t end = 0;
  std::vector<Interaction> in;
  for (const Event &e : events_of(s, &end)) {
    Interaction x;
    REQUIRE(interaction_from_event(e, &x));
    in.push_back(std::move(x));
  }
  MetacogConfig c;
  return bias_features(bias_window(in, end, c), c);
}

std::string vector_text(const BiasFeatures &f) {
  std::string out;
  for (double v : bias_feature_vector(f))
    out += fmt::format("{}{:.3g}", out.empty() ? "" : " ", v);
  return out;
}

// A manifest copy with pieces of text replaced (the first of each).
std::string manifest_with(const std::string &name,
                          const std::vector<std::pair<std::string, std::string>> &edits) {
  std::string json = read_all(kBiasDir + "/labels.json");
  for (const auto &[from, to] : edits) {
    size_t at = json.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, from, " is not in the manifest");
    json.replace(at, from.size(), to);
  }
  std::string path = kBiasDir + "/" + name;
  std::ofstream(path) << json;
  return path;
}

}  // namespace

TEST_CASE("torch.bias: the model labels clear students like the rules, above the threshold") {
  MetacogConfig c;
  for (const Student &s : students()) {
    BiasFeatures f = features_of(s);
    BiasDetection rules = detect_bias_rules(f, c);
    BiasDetection model = detect_bias_model(*bias_model(), f);
    INFO(s.name, ": features ", vector_text(f), "; rules ", std::string(bias_name(rules.bias)), " ",
         rules.confidence, "; model ", model.reason);
    MESSAGE(fmt::format("{}: rules {} {:.3f}, model {} {:.3f}", s.name, bias_name(rules.bias),
                        rules.confidence, bias_name(model.bias), model.confidence));
    REQUIRE(rules.bias == s.expect);  // the case is clear to the rules
    CHECK(model.bias == rules.bias);
    CHECK(model.backend == "bias");
    CHECK(contains(model.reason, "torchscript model.pt on " + bias_model()->device()));
    CHECK(model.confidence <= 1.0);
    CHECK(model.scores[static_cast<size_t>(model.bias)] == model.confidence);
    if (s.expect != Bias::no_bias) {
      CHECK(rules.confidence >= c.threshold);
      CHECK(model.confidence >= c.threshold);
      CHECK(decide_bias(model, c).propose);
    } else {
      CHECK(!decide_bias(model, c).propose);
    }
  }
}

TEST_CASE("torch.bias: the tutor with backend auto asks the model and the threshold gates") {
  Ledger ledger(open_memory_store());
  Tutor tutor(fixture(), ledger);
  tutor.register_classifier(bias_model());
  int64_t base = 0;
  std::vector<std::pair<Student, int64_t>> ends;
  for (const Student &s : students()) {
    int64_t end = 0;
    std::vector<Event> events = events_of(s, &end);
    for (Event &e : events)
      e.id = 0;
    ledger.append(events);
    ends.emplace_back(s, end);
    base = std::max(base, end);
  }
  for (const auto &[s, end] : ends) {
    BiasRequest r;
    r.tenant = "t1";
    r.student = s.name;
    r.time_us = end;
    std::string out = tutor.detect_bias(r);
    INFO(s.name, ": ", out);
    CHECK(contains(out, fmt::format("\"bias\":\"{}\"", bias_name(s.expect))));
    CHECK(contains(out, "\"backend\":\"bias\""));
    CHECK(contains(out, "torchscript model.pt on"));
    CHECK(contains(out, fmt::format("\"intervention_proposed\":{}",
                                    s.expect != Bias::no_bias ? "true" : "false")));
  }

  // The threshold decides, whatever the backend: just above the model's
  // confidence nothing is proposed, at it the question is.
  const Student &rush = ends[1].first;
  BiasDetection d = detect_bias_model(*bias_model(), features_of(rush));
  REQUIRE(d.bias == Bias::overconfidence);
  MetacogConfig c = tutor.metacog_config();
  BiasRequest r;
  r.tenant = "t1";
  r.student = rush.name;
  r.time_us = ends[1].second;
  if (d.confidence < 1.0) {
    c.threshold = d.confidence + (1.0 - d.confidence) / 2;
    tutor.set_metacog_config(c);
    CHECK(contains(tutor.detect_bias(r), "\"intervention_proposed\":false"));
  } else {
    MESSAGE("the model's confidence is 1.0: no threshold lies above it");
  }
  c.threshold = d.confidence;
  tutor.set_metacog_config(c);
  CHECK(contains(tutor.detect_bias(r), "\"intervention_proposed\":true"));

  // backend "rules" ignores the model; unregistered, auto falls back to them.
  // (The plain student: a bias alert already stored for a window is replayed.)
  r.student = ends[0].first.name;
  r.time_us = ends[0].second;
  c = MetacogConfig();
  c.backend = "rules";
  tutor.set_metacog_config(c);
  CHECK(contains(tutor.detect_bias(r), "\"backend\":\"rules\""));
  tutor.set_metacog_config(MetacogConfig());
  CHECK(tutor.unregister_classifier("bias"));
  std::string out = tutor.detect_bias(r);
  CHECK(contains(out, "\"backend\":\"rules\""));
  CHECK(contains(out, "model 'bias' not registered: rules"));
}

TEST_CASE("torch.bias: batches, single calls and the feature document agree") {
  std::vector<std::vector<double>> rows;
  std::vector<BiasFeatures> fs;
  for (const Student &s : students()) {
    fs.push_back(features_of(s));
    rows.push_back(bias_feature_vector(fs.back()));
  }
  // 64 rows: the students over and over.
  std::vector<std::vector<double>> many;
  for (size_t i = 0; i < 64; ++i)
    many.push_back(rows[i % rows.size()]);
  std::vector<BiasDetection> batch = bias_model()->detect_features(many);
  REQUIRE(batch.size() == many.size());
  ModelOptions small = bias_options();
  small.max_batch = 3;  // several forward passes
  BiasModel split(small);
  std::vector<BiasDetection> again = split.detect_features(many);
  Problem problem;
  problem.id = "metacog.bias";
  problem.concept_id = "metacog";
  Concept concept_;
  concept_.id = "metacog";
  for (size_t i = 0; i < many.size(); ++i) {
    BiasDetection one = bias_model()->detect_features({many[i]}).front();
    CHECK(one.bias == batch[i].bias);
    CHECK(std::fabs(one.confidence - batch[i].confidence) <= 1e-5);
    CHECK(again[i].bias == batch[i].bias);
    CHECK(std::fabs(again[i].confidence - batch[i].confidence) <= 1e-5);
    // As a ClassifierPlugin: the feature document as the answer.
    Prediction p =
        bias_model()->predict(problem, bias_model_input_json(fs[i % fs.size()]), concept_);
    CHECK(p.label == bias_name(batch[i].bias));
    CHECK(std::fabs(p.confidence - batch[i].confidence) <= 1e-5);
    CHECK(p.backend == "bias");
  }
  CHECK(bias_model()->supports_concept("metacog"));
  CHECK(!bias_model()->supports_concept("unit_alpha"));

  // A row of another size, or not finite, is refused.
  CHECK_THROWS_AS(bias_model()->detect_features({{1.0, 2.0}}), Error);
  std::vector<double> nan_row = rows[0];
  nan_row[3] = std::nan("");
  try {
    bias_model()->detect_features({nan_row});
    FAIL("a NaN feature was accepted");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid);
    CHECK(contains(e.what(), "row 0, feature 3 is not finite"));
  }
}

TEST_CASE("torch.bias: concurrent detections agree with serial ones") {
  std::vector<BiasFeatures> fs;
  for (const Student &s : students())
    fs.push_back(features_of(s));
  std::vector<BiasDetection> serial;
  for (const BiasFeatures &f : fs)
    serial.push_back(detect_bias_model(*bias_model(), f));
  std::vector<std::vector<BiasDetection>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round)
        for (const BiasFeatures &f : fs)
          got[t].push_back(detect_bias_model(*bias_model(), f));
    });
  }
  for (std::thread &t : threads)
    t.join();
  for (const auto &g : got) {
    REQUIRE(g.size() == 50 * serial.size());
    for (size_t i = 0; i < g.size(); ++i) {
      CHECK(g[i].bias == serial[i % serial.size()].bias);
      CHECK(std::fabs(g[i].confidence - serial[i % serial.size()].confidence) <= 1e-5);
    }
  }
}

TEST_CASE("torch.bias: tc_tutor_load_model registers the manifest's model as bias") {
  MemoryTutor mt(kFixture);
  tc_store *st = mt.st;
  tc_tutor *t = mt.t;

  // The task comes from the manifest; the plugin from beside libtutorcore.
  unsetenv("TUTORCORE_TORCH_PLUGIN");
  std::string req =
      fmt::format(R"({{"model":"{}/model.pt","labels":"{}/labels.json"}})", kBiasDir, kBiasDir);
  char *out = nullptr;
  REQUIRE_MESSAGE(tc_tutor_load_model(t, req.data(), req.size(), &out) == TC_OK, tc_last_error());
  std::string described = out;
  tc_free(out);
  MESSAGE(described);
  CHECK(contains(described, R"("name":"bias","task":"metacog.bias")"));
  CHECK(contains(described, R"("input":"bias_features_v1","feature_names":["events",)"));
  CHECK(contains(described,
                 R"("label_map":["no_bias","confirmation","anchoring","overconfidence"])"));
  CHECK(contains(described, "\"device\":\"" + bias_model()->device() + "\""));
  CHECK(tc_tutor_load_model(t, req.data(), req.size(), nullptr) == TC_EEXISTS);

  // The confirmation student through the C ABI.
  const Student s = students()[3];
  int64_t end = 0;
  for (const Event &e : events_of(s, &end)) {
    std::string ev = fmt::format(
        R"({{"tenant":"t1","entity_type":"student","entity_id":"c1","type":"{}","time_us":{},)"
        R"("payload":{}}})",
        e.type, e.time_us, e.payload);
    REQUIRE_MESSAGE(tc_store_append_json(nullptr, st, ev.data(), ev.size()) == TC_OK,
                    tc_last_error());
  }
  std::string detect = fmt::format(R"({{"tenant":"t1","student":"c1","time_us":{}}})", end);
  REQUIRE(tc_tutor_detect_bias(t, detect.data(), detect.size(), &out) == TC_OK);
  std::string result = out;
  tc_free(out);
  INFO(result);
  CHECK(contains(result, R"("intervention_proposed":true)"));
  CHECK(contains(result, R"("bias":"confirmation")"));
  CHECK(contains(result, R"("backend":"bias")"));
  CHECK(contains(result, "Can you think of a reason why your answer might be incorrect?"));

  // A task the files do not have.
  std::string wrong_task = fmt::format(
      R"({{"model":"{}/model.pt","labels":"{}/labels.json","task":"classify.answer","name":"b2"}})",
      kBiasDir, kBiasDir);
  CHECK(tc_tutor_load_model(t, wrong_task.data(), wrong_task.size(), nullptr) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "task: 'metacog.bias' is not \"classify.answer\""));
  std::string answer_as_bias = fmt::format(
      R"({{"model":"{}/model.pt","labels":"{}/labels.json","task":"metacog.bias","name":"b3"}})",
      kAnswerDir, kAnswerDir);
  CHECK(tc_tutor_load_model(t, answer_as_bias.data(), answer_as_bias.size(), nullptr) == TC_EINVAL);
  CHECK(contains(tc_last_error(), ".task: required field is missing"));

  REQUIRE(tc_tutor_unregister_classifier(t, "bias") == TC_OK);
}

TEST_CASE("torch.bias: mismatched manifests and models are refused, naming what differs") {
  auto err = [](const ModelOptions &o) -> Error {
    try {
      BiasModel m(o);
    } catch (const Error &e) {
      return e;
    }
    FAIL("no error");
    return Error(Errc::internal, "");
  };
  ModelOptions o = bias_options();
  o.labels = manifest_with("bias-renamed.json", {{"\"accuracy\"", "\"acc\""}});
  Error e = err(o);
  CHECK(e.code() == Errc::invalid);
  CHECK(contains(e.what(), "feature_names[3]: 'acc' where this library computes 'accuracy'"));
  MESSAGE(std::string(e.what()));

  // The same through the C ABI.
  MemoryTutor mt(kFixture);
  tc_tutor *t = mt.t;
  std::string req = fmt::format(R"({{"model":"{}","labels":"{}","plugin":"{}"}})", o.model,
                                o.labels, TC_TORCH_PLUGIN_PATH);
  CHECK(tc_tutor_load_model(t, req.data(), req.size(), nullptr) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "feature_names[3]: 'acc'"));
  // Nothing was registered: the right manifest takes the name.
  std::string good = fmt::format(R"({{"model":"{}","labels":"{}/labels.json","plugin":"{}"}})",
                                 o.model, kBiasDir, TC_TORCH_PLUGIN_PATH);
  CHECK(tc_tutor_load_model(t, good.data(), good.size(), nullptr) == TC_OK);

  // One feature fewer.
  o.labels = manifest_with("bias-fewer.json",
                           {{"\"anchored_share\"", ""}, {"\"revisions\",", "\"revisions\""}});
  e = err(o);
  CHECK(contains(e.what(), "feature_names: 14 names; this library computes 15 features"));

  // A label map of three biases.
  o.labels = manifest_with("bias-labels.json", {{"\"anchoring\",\n", ""}});
  e = err(o);
  CHECK(e.code() == Errc::invalid);
  CHECK(contains(e.what(), "labels: 3 labels"));

  // The answer model's file with the bias manifest: its input is not [1, 15].
  o = bias_options();
  o.model = kAnswerDir + "/model.pt";
  e = err(o);
  CHECK(e.code() == Errc::invalid);
  CHECK(contains(e.what(), "[1, 15]"));

  o = bias_options();
  o.device = "cuda";
  if (bias_model()->device() == "cpu") {
    e = err(o);
    CHECK(e.code() == Errc::unavailable);
    CHECK(contains(e.what(), "no CUDA device"));
  } else {
    CHECK(BiasModel(o).device().rfind("cuda", 0) == 0);
  }
}
