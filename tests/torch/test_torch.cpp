// The TorchScript backend end to end: the fixture domain's model, trained at
// test time by scripts/train_torch_classifier.py (ctest fixture
// torch.train), loaded through libtutorcore_torch. Built only with the
// plugin and run only when /usr/bin/python3 has torch (else a skip message).
//
// Checks: the C++ featurizer in the plugin equals the Python one bit for bit;
// held-out template instances (generated here by the core's template engine,
// never seen in training) are classified with accuracy of at least 0.9;
// batch predictions equal one-at-a-time ones; concurrent calls agree; the
// router records backend "model" with the device in the reason; the C ABI
// finds the plugin beside libtutorcore; bad models and label maps fail with
// the right codes.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "memory_tutor.hpp"
#include "tutorcore/classify/model.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sequencing/template.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/tutorcore.h"

using namespace tutorcore;

namespace {

const char *const kFixture = TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal";
const std::string kModelDir = TC_MODEL_DIR;  // written by the torch.train fixture
constexpr uint64_t kHoldoutMod = 5;          // the script's --holdout-mod default
constexpr double kAccuracyBar = 0.9;

std::shared_ptr<const Domain> fixture() {
  static std::shared_ptr<const Domain> d = [] {
    auto dom = std::make_shared<Domain>();
    REQUIRE(load_domain(kFixture, dom.get()).ok());
    return dom;
  }();
  return d;
}

ModelOptions options() {
  ModelOptions o;
  o.model = kModelDir + "/model.pt";
  o.labels = kModelDir + "/labels.json";
  o.plugin = TC_TORCH_PLUGIN_PATH;
  return o;
}

std::shared_ptr<const ModelClassifier> model() {
  static std::shared_ptr<const ModelClassifier> m =
      std::make_shared<const ModelClassifier>(*fixture(), options());
  return m;
}

std::string read_all(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, path, " is missing: run the torch.train fixture (ctest -R torch)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string &path) {
  std::vector<std::string> out;
  std::istringstream in(read_all(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

struct Labelled {
  Problem problem;
  std::string answer;
  std::string label;
};

// The held-out template instances, derived by the core: every draw of each
// template's parameter grid that the engine accepts and whose id hashes to 0
// modulo kHoldoutMod, with its correct answer and each misconception's.
std::vector<Labelled> heldout() {
  std::vector<Labelled> out;
  for (const ProblemTemplate &t : fixture()->templates) {
    std::vector<TemplateValues> grid{{}};
    for (const TemplateParam &p : t.params) {
      std::vector<TemplateValues> next;
      for (const TemplateValues &g : grid) {
        for (int64_t v = p.min; v <= p.max; ++v) {
          next.push_back(g);
          next.back().emplace_back(p.name, v);
        }
      }
      grid = std::move(next);
    }
    for (const TemplateValues &values : grid) {
      std::optional<Problem> p = instantiate_template(t, values);
      if (!p || fnv1a64(p->id) % kHoldoutMod != 0) continue;
      out.push_back({*p, p->correct_answer, "correct"});
      out.push_back({*p, " " + p->correct_answer + " ", "correct"});
      for (const auto &[mid, wrong] : p->misconception_answers)
        out.push_back({*p, wrong, mid});
    }
  }
  return out;
}

std::vector<PredictInput> inputs_of(const std::vector<Labelled> &xs) {
  std::vector<PredictInput> in;
  for (const Labelled &x : xs)
    in.push_back({&x.problem, x.answer, fixture()->find_concept(x.problem.concept_id)});
  return in;
}

// Checks the plugin's vectors against the Python ones, record by record.
size_t compare_features(const std::vector<std::string> &inputs,
                        const std::vector<std::string> &expected) {
  REQUIRE(inputs.size() == expected.size());
  std::shared_ptr<const ModelPlugin> plugin = open_model_plugin(TC_TORCH_PLUGIN_PATH);
  simdjson::dom::parser pin, pex;
  size_t compared = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    simdjson::dom::element in = pin.parse(inputs[i]);
    simdjson::dom::element ex = pex.parse(expected[i]);
    auto field = [&](const char *k) {
      std::string_view v;
      return in[k].get_string().get(v) ? std::string_view() : v;
    };
    uint32_t dim = static_cast<uint32_t>(int64_t(ex["dim"]));
    std::vector<float> got = model_features(*plugin, field("answer"), field("problem_text"),
                                            field("correct_answer"), field("concept_id"), dim);
    std::vector<float> want(dim, 0.0f);
    for (simdjson::dom::element pair : ex["features"].get_array()) {
      simdjson::dom::array a = pair.get_array();
      uint64_t index = uint64_t(a.at(0));
      uint32_t bits = static_cast<uint32_t>(uint64_t(a.at(1)));
      std::memcpy(&want[index], &bits, sizeof bits);
    }
    size_t differ = 0;
    for (uint32_t k = 0; k < dim; ++k)
      differ += std::memcmp(&got[k], &want[k], sizeof(float)) != 0;
    CHECK_MESSAGE(differ == 0, "record ", i, ": ", inputs[i], ": ", differ, " slots differ");
    ++compared;
  }
  return compared;
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("torch: the plugin's featurizer equals the Python featurizer bit for bit") {
  // Hand-written edge cases (Unicode minus and times, units, fractions, long
  // digit runs, empty fields, a NUL byte) and 256 of the training inputs.
  size_t n = compare_features(lines_of(TUTORCORE_SOURCE_DIR "/tests/torch/featurize_cases.jsonl"),
                              lines_of(TC_FEATURIZE_OUT));
  std::vector<std::string> sample = lines_of(kModelDir + "/features_sample.jsonl");
  n += compare_features(sample, sample);
  MESSAGE(n, " vectors compared");
  CHECK(n > 256);
}

TEST_CASE("torch: held-out template instances are classified above the bar") {
  std::vector<Labelled> xs = heldout();
  REQUIRE(xs.size() >= 20);
  std::vector<Prediction> ps = model()->predict_batch(inputs_of(xs));
  REQUIRE(ps.size() == xs.size());
  size_t right = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    right += ps[i].label == xs[i].label;
    if (ps[i].label != xs[i].label) {
      MESSAGE("missed: ", xs[i].problem.id, " '", xs[i].answer, "' is ", xs[i].label,
              ", model says ", ps[i].label, " (", ps[i].reason, ")");
    }
    CHECK(ps[i].backend == "model");
    CHECK(ps[i].confidence > 0.0);
    CHECK(ps[i].confidence <= 1.0);
  }
  double accuracy = static_cast<double>(right) / static_cast<double>(xs.size());
  MESSAGE(fmt::format("held-out accuracy {:.3f} ({} of {}) on {}", accuracy, right, xs.size(),
                      model()->device()));
  CHECK(accuracy >= kAccuracyBar);
}

TEST_CASE("torch: a batch gives the same predictions as one answer at a time") {
  std::vector<Labelled> xs = heldout();
  for (const Problem &p : fixture()->problems) {
    xs.push_back({p, p.correct_answer, "correct"});
    for (const auto &[mid, wrong] : p.misconception_answers)
      xs.push_back({p, wrong, mid});
    xs.push_back({p, "I do not know", "unknown"});
  }
  std::vector<PredictInput> in = inputs_of(xs);
  std::vector<Prediction> batch = model()->predict_batch(in);
  REQUIRE(batch.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    Prediction one = model()->predict(*in[i].problem, in[i].answer, *in[i].concept_);
    CHECK(one.label == batch[i].label);
    CHECK(std::fabs(one.confidence - batch[i].confidence) <= 1e-5);
  }

  // A batch larger than max_batch is split into several forward passes.
  ModelOptions small = options();
  small.max_batch = 7;
  ModelClassifier split(*fixture(), small);
  std::vector<Prediction> again = split.predict_batch(in);
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(again[i].label == batch[i].label);
    CHECK(std::fabs(again[i].confidence - batch[i].confidence) <= 1e-5);
  }
}

TEST_CASE("torch: concurrent calls agree with serial ones") {
  std::vector<Labelled> xs = heldout();
  std::vector<PredictInput> in = inputs_of(xs);
  std::vector<Prediction> serial = model()->predict_batch(in);
  std::vector<std::vector<Prediction>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < in.size(); ++i)
        got[t].push_back(model()->predict(*in[i].problem, in[i].answer, *in[i].concept_));
    });
  }
  for (std::thread &t : threads)
    t.join();
  for (const auto &g : got) {
    REQUIRE(g.size() == serial.size());
    for (size_t i = 0; i < g.size(); ++i)
      CHECK(g[i].label == serial[i].label);
  }
}

TEST_CASE("torch: the router records backend model, with the device in the reason") {
  Ledger ledger(open_memory_store());
  Tutor tutor(fixture(), ledger);
  tutor.register_classifier(std::make_shared<const ModelClassifier>(*fixture(), options()));
  std::vector<Labelled> xs = heldout();
  REQUIRE(!xs.empty());
  const Labelled &x = xs.front();  // a template instance, by its id
  Prediction p = tutor.classify({x.problem.id, x.answer});
  CHECK(p.backend == "model");
  CHECK(p.label == x.label);
  CHECK(contains(p.reason, "torchscript model.pt on " + model()->device()));

  std::vector<ClassifyItem> items;
  for (const Labelled &y : xs)
    items.push_back({y.problem.id, y.answer});
  for (const Prediction &q : tutor.classify_batch(items))
    CHECK(q.backend == "model");

  SubmitRequest r;
  r.tenant = "t1";
  r.student = "s1";
  r.problem_id = x.problem.id;
  r.answer = x.answer;
  r.idempotency_key = "torch-1";
  CHECK(contains(tutor.submit(r).json, "\"classifier\":\"model\""));

  // Without the model the rules answer again.
  CHECK(tutor.unregister_classifier("model"));
  CHECK(tutor.classify({x.problem.id, x.answer}).backend == "rules");
}

TEST_CASE("torch: tc_tutor_load_model finds the plugin beside libtutorcore") {
  MemoryTutor mt(kFixture);
  tc_tutor *t = mt.t;

  unsetenv("TUTORCORE_TORCH_PLUGIN");
  std::string req =
      fmt::format(R"({{"model":"{}/model.pt","labels":"{}/labels.json"}})", kModelDir, kModelDir);
  char *out = nullptr;
  REQUIRE_MESSAGE(tc_tutor_load_model(t, req.data(), req.size(), &out) == TC_OK, tc_last_error());
  std::string described = out;
  tc_free(out);
  MESSAGE(described);
  CHECK(contains(described, "\"device\":\"" + model()->device() + "\""));
  CHECK(contains(described, "\"featurizer\":{\"name\":\"tc_hash_v1\",\"dim\":4096}"));
  CHECK(contains(described, "libtutorcore_torch.so"));
  CHECK(tc_tutor_load_model(t, req.data(), req.size(), nullptr) == TC_EEXISTS);

  std::string c = R"({"problem_id":"unit_beta_p3","answer":"4"})";
  REQUIRE(tc_tutor_classify(t, c.data(), c.size(), &out) == TC_OK);
  std::string predicted = out;
  tc_free(out);
  CHECK(contains(predicted, "\"label\":\"mis_beta_one\""));
  CHECK(contains(predicted, "\"backend\":\"model\""));

  REQUIRE(tc_tutor_unregister_classifier(t, "model") == TC_OK);
}

TEST_CASE("torch: bad models, label maps and devices fail with their codes") {
  auto err = [](const ModelOptions &o) -> Error {
    try {
      ModelClassifier m(*fixture(), o);
    } catch (const Error &e) {
      return e;
    }
    FAIL("no error");
    return Error(Errc::internal, "");
  };
  ModelOptions o = options();
  o.model = kModelDir + "/nope.pt";
  CHECK(err(o).code() == Errc::not_found);

  o = options();
  o.model = kModelDir + "/labels.json";  // a file, not TorchScript
  Error e = err(o);
  CHECK(e.code() == Errc::invalid);
  CHECK(contains(e.what(), "is not a TorchScript model"));

  // A label map with one label fewer than the model's outputs.
  std::string json = read_all(kModelDir + "/labels.json");
  size_t at = json.find("\"unknown\",");
  REQUIRE(at != std::string::npos);
  std::string fewer = json;
  fewer.erase(at, std::strlen("\"unknown\","));
  o = options();
  o.labels = kModelDir + "/labels-fewer.json";
  std::ofstream(o.labels) << fewer;
  e = err(o);
  CHECK(e.code() == Errc::invalid);
  CHECK(contains(e.what(), "label map has"));

  // A featurizer size the model does not take.
  std::string other = json;
  at = other.find("\"dim\": 4096");
  REQUIRE(at != std::string::npos);
  other.replace(at, std::strlen("\"dim\": 4096"), "\"dim\": 1024");
  o.labels = kModelDir + "/labels-dim.json";
  std::ofstream(o.labels) << other;
  e = err(o);
  CHECK(e.code() == Errc::invalid);
  CHECK(contains(e.what(), "[1, 1024]"));

  o = options();
  o.device = "cuda";
  if (model()->device() == "cpu") {
    e = err(o);
    CHECK(e.code() == Errc::unavailable);
    CHECK(contains(e.what(), "no CUDA device"));
  } else {
    CHECK(ModelClassifier(*fixture(), o).device().rfind("cuda", 0) == 0);
  }
}
