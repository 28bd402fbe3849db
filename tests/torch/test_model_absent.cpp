// The core without the TorchScript plugin: loading a model fails with
// unavailable, naming the library it looked for and how to give its path,
// and answers are still classified by the rules; a bias model likewise,
// and the bias detector still answers with its rules. Also the label map,
// bias manifest and request checks, which need no plugin. Runs whether or
// not libtorch is installed.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

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
const char *const kMissing = "/nonexistent/dir/libtutorcore_torch.so";

std::shared_ptr<const Domain> fixture() {
  auto d = std::make_shared<Domain>();
  REQUIRE(load_domain(kFixture, d.get()).ok());
  return d;
}

Error error_of(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const Error &e) {
    return e;
  }
  FAIL("no error thrown");
  return Error(Errc::internal, "");
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

std::string write_temp(const std::string &name, const std::string &text) {
  std::string path = std::string(TUTORCORE_BINARY_DIR) + "/model-absent-" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("model.absent: loading without the plugin is unavailable and names the library") {
  auto d = fixture();
  ModelOptions o;
  o.model = "model.pt";
  o.labels = "labels.json";
  o.plugin = kMissing;
  Error e = error_of([&] { ModelClassifier m(*d, o); });
  CHECK(e.code() == Errc::unavailable);
  std::string msg = e.what();
  CHECK(contains(msg, "libtutorcore_torch.so"));
  CHECK(contains(msg, kMissing));
  CHECK(contains(msg, "TUTORCORE_TORCH_PLUGIN"));
  CHECK(contains(msg, "\"plugin\""));

  // The environment variable is the next place looked at.
  setenv("TUTORCORE_TORCH_PLUGIN", "/nonexistent/env/libtutorcore_torch.so", 1);
  o.plugin.clear();
  e = error_of([&] { ModelClassifier m(*d, o); });
  unsetenv("TUTORCORE_TORCH_PLUGIN");
  CHECK(e.code() == Errc::unavailable);
  CHECK(contains(e.what(), "/nonexistent/env/libtutorcore_torch.so (TUTORCORE_TORCH_PLUGIN)"));
}

TEST_CASE("model.absent: a library that is not a model plugin is unavailable") {
  // libc loads but exports no tc_torch_plugin_v2.
  Error e = error_of([] { open_model_plugin("libc.so.6"); });
  CHECK(e.code() == Errc::unavailable);
  CHECK(contains(e.what(), "no tc_torch_plugin_v2 symbol"));
}

TEST_CASE("model.absent: submit and classify still work through the rules") {
  Ledger ledger(open_memory_store());
  Tutor tutor(fixture(), ledger);
  ModelOptions o;
  o.model = "model.pt";
  o.labels = "labels.json";
  o.plugin = kMissing;
  CHECK_THROWS_AS(
      tutor.register_classifier(std::make_shared<const ModelClassifier>(tutor.domain(), o)), Error);
  CHECK(tutor.classifier_names() == std::vector<std::string>{"catalog", "rules"});

  Prediction p = tutor.classify({"unit_alpha_p1", "2"});
  CHECK(p.label == "mis_alpha_one");
  CHECK(p.backend == "rules");
  CHECK(contains(p.reason, "model: not registered"));

  SubmitRequest r;
  r.tenant = "t1";
  r.student = "s1";
  r.problem_id = "unit_alpha_p1";
  r.answer = "1";
  r.idempotency_key = "absent-1";
  SubmitResult res = tutor.submit(r);
  CHECK(contains(res.json, "\"classifier\":\"rules\""));
}

TEST_CASE("model.absent: tc_tutor_load_model is TC_EUNAVAILABLE and the tutor goes on") {
  MemoryTutor mt(kFixture);
  tc_tutor *t = mt.t;

  std::string req =
      std::string("{\"model\":\"m.pt\",\"labels\":\"l.json\",\"plugin\":\"") + kMissing + "\"}";
  char *out = nullptr;
  CHECK(tc_tutor_load_model(t, req.data(), req.size(), &out) == TC_EUNAVAILABLE);
  CHECK(out == nullptr);
  std::string msg = tc_last_error();
  CHECK(contains(msg, "libtutorcore_torch.so"));
  CHECK(contains(msg, "TUTORCORE_TORCH_PLUGIN"));
  MESSAGE("without the plugin: ", msg);

  std::string bad = "{\"model\":\"m.pt\",\"labels\":\"l.json\",\"gpu\":true}";
  CHECK(tc_tutor_load_model(t, bad.data(), bad.size(), nullptr) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "gpu"));
  std::string no_model = "{\"labels\":\"l.json\"}";
  CHECK(tc_tutor_load_model(t, no_model.data(), no_model.size(), nullptr) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "model"));

  std::string submit =
      "{\"tenant\":\"t1\",\"student\":\"s1\",\"problem_id\":\"unit_beta_p2\",\"answer\":\"3\","
      "\"idempotency_key\":\"k1\"}";
  CHECK(tc_submit_response(t, submit.data(), submit.size(), &out) == TC_OK);
  REQUIRE(out != nullptr);
  CHECK(contains(out, "\"classifier\":\"rules\""));
  CHECK(contains(out, "mis_beta_one"));
  tc_free(out);
}

TEST_CASE("model.absent: the label map is checked against the domain") {
  auto d = fixture();
  auto map = [&](const std::string &name, const std::string &json) {
    return read_label_map(write_temp(name, json), *d);
  };
  const std::string f = ",\"featurizer\":{\"name\":\"tc_hash_v1\",\"dim\":4096}";
  LabelMap m = map("ok.json",
                   "{\"schema_version\":1,\"labels\":[\"correct\",\"unknown\","
                   "\"mis_alpha_one\"],\"concepts\":[\"unit_alpha\"]" +
                       f + "}");
  CHECK(m.labels.size() == 3);
  CHECK(m.dim == 4096);
  CHECK(m.concepts == std::vector<std::string>{"unit_alpha"});

  Error e = error_of([&] {
    map("foreign.json",
        "{\"schema_version\":1,\"domain\":\"other\",\"labels\":[\"correct\","
        "\"mis_other\"]" +
            f + "}");
  });
  CHECK(e.code() == Errc::invalid);
  CHECK(contains(e.what(),
                 "labels[1]: 'mis_other' is not \"correct\", \"unknown\" or a "
                 "misconception of domain fixture_minimal (the model was trained on "
                 "domain other)"));
  e = error_of([&] {
    map("twice.json", "{\"schema_version\":1,\"labels\":[\"correct\",\"correct\"]" + f + "}");
  });
  CHECK(contains(e.what(), "labels[1]: 'correct' is listed twice"));
  e = error_of([&] {
    map("dim.json",
        "{\"schema_version\":1,\"labels\":[\"correct\"],\"featurizer\":{\"name\":"
        "\"tc_hash_v1\",\"dim\":1000}}");
  });
  CHECK(contains(e.what(), "featurizer.dim: 1000 is not a power of two"));
  e = error_of([&] {
    map("feat.json",
        "{\"schema_version\":1,\"labels\":[\"correct\"],\"featurizer\":{\"name\":"
        "\"bag_of_words\",\"dim\":1024}}");
  });
  CHECK(contains(e.what(), "featurizer.name: 'bag_of_words'"));
  e = error_of([&] {
    map("concept.json",
        "{\"schema_version\":1,\"labels\":[\"correct\"],\"concepts\":[\"nope\"]" + f + "}");
  });
  CHECK(contains(e.what(), "concepts[0]: 'nope' is not a concept"));
  e = error_of(
      [&] { map("newer.json", "{\"schema_version\":2,\"labels\":[\"correct\"]" + f + "}"); });
  CHECK(e.code() == Errc::version);
  e = error_of([&] { read_label_map("/nonexistent/labels.json", *d); });
  CHECK(e.code() == Errc::not_found);
}

TEST_CASE("model.absent: the load request names its bad field") {
  ModelOptions o = model_options_from_json(
      "{\"model\":\"a.pt\",\"labels\":\"b.json\",\"device\":\"cpu\",\"max_batch\":32,"
      "\"name\":\"model2\"}");
  CHECK(o.model == "a.pt");
  CHECK(o.device == "cpu");
  CHECK(o.max_batch == 32);
  CHECK(o.name == "model2");
  Error e = error_of(
      [] { model_options_from_json("{\"model\":\"a.pt\",\"labels\":\"b\",\"max_batch\":0}"); });
  CHECK(contains(e.what(), "max_batch"));
  e = error_of([] { model_options_from_json("{\"model\":1,\"labels\":\"b\"}"); });
  CHECK(contains(e.what(), "load_model request.model"));
}

namespace {

// A bias manifest: the library's feature names unless `names` is given.
std::string bias_manifest(
    const std::string &labels = R"(["no_bias","confirmation","anchoring","overconfidence"])",
    const std::vector<std::string> *names = nullptr, const std::string &extra = "") {
  std::string list;
  for (const std::string &n : names ? *names : bias_feature_names())
    list += (list.empty() ? "\"" : ",\"") + n + "\"";
  return R"({"schema_version":1,"task":"metacog.bias","input":"bias_features_v1","feature_names":[)" +
         list + R"(],"labels":)" + labels + extra + "}";
}

}  // namespace

TEST_CASE("model.absent: a bias model without the plugin is unavailable and the rules answer") {
  MemoryTutor mt(kFixture);
  tc_store *st = mt.st;
  tc_tutor *t = mt.t;

  // The task comes from the manifest; the plugin is not there.
  std::string manifest = write_temp("bias.json", bias_manifest());
  std::string req =
      "{\"model\":\"bias.pt\",\"labels\":\"" + manifest + "\",\"plugin\":\"" + kMissing + "\"}";
  CHECK(tc_tutor_load_model(t, req.data(), req.size(), nullptr) == TC_EUNAVAILABLE);
  std::string msg = tc_last_error();
  MESSAGE("a bias model without the plugin: ", msg);
  CHECK(contains(msg, "bias model 'bias.pt'"));
  CHECK(contains(msg, "libtutorcore_torch.so"));
  CHECK(contains(msg, "TUTORCORE_TORCH_PLUGIN"));
  CHECK(contains(msg, "the bias detector answers with its rules"));
  // The request's task says so too, whatever the labels file holds.
  std::string by_task =
      "{\"model\":\"bias.pt\",\"labels\":\"nope.json\",\"task\":"
      "\"metacog.bias\",\"plugin\":\"" +
      std::string(kMissing) + "\"}";
  CHECK(tc_tutor_load_model(t, by_task.data(), by_task.size(), nullptr) == TC_EUNAVAILABLE);
  CHECK(contains(tc_last_error(), "bias model 'bias.pt'"));
  // Request checks come before the plugin.
  std::string bad_device = "{\"model\":\"bias.pt\",\"labels\":\"" + manifest +
                           "\",\"device\":\"tpu\",\"plugin\":\"" + kMissing + "\"}";
  CHECK(tc_tutor_load_model(t, bad_device.data(), bad_device.size(), nullptr) == TC_EINVAL);
  CHECK(contains(tc_last_error(), "device: 'tpu'"));

  // Three fast, wrong, unverified submits: the rules say overconfidence.
  for (int i = 0; i < 3; ++i) {
    std::string ev =
        "{\"tenant\":\"t1\",\"entity_type\":\"student\",\"entity_id\":\"s1\",\"type\":"
        "\"interaction.submitted\",\"time_us\":" +
        std::to_string(1767225600000000LL + i * 10000000LL) +
        ",\"payload\":{\"session_id\":\"sess\",\"problem_id\":\"p" + std::to_string(i) +
        "\",\"correct\":false,\"latency_ms\":1500}}";
    REQUIRE(tc_store_append_json(nullptr, st, ev.data(), ev.size()) == TC_OK);
  }
  std::string detect = "{\"tenant\":\"t1\",\"student\":\"s1\",\"time_us\":1767225630000000}";
  char *out = nullptr;
  REQUIRE(tc_tutor_detect_bias(t, detect.data(), detect.size(), &out) == TC_OK);
  std::string result = out;
  tc_free(out);
  CHECK(contains(result, "\"bias\":\"overconfidence\",\"confidence\":0.75"));
  CHECK(contains(result, "\"backend\":\"rules\""));
  CHECK(contains(result, "model 'bias' not registered: rules"));
  CHECK(contains(result, "\"intervention_proposed\":true"));
}

TEST_CASE("model.absent: the bias manifest is checked against the library's features") {
  BiasManifest m = read_bias_manifest(write_temp("bias-ok.json", bias_manifest()));
  CHECK(m.feature_names == bias_feature_names());
  CHECK(m.labels == std::vector<Bias>{Bias::no_bias, Bias::confirmation, Bias::anchoring,
                                      Bias::overconfidence});
  // Another column order is fine: labels[i] names output column i.
  m = read_bias_manifest(
      write_temp("bias-order.json",
                 bias_manifest(R"(["overconfidence","no_bias","anchoring","confirmation"])")));
  CHECK(m.labels.front() == Bias::overconfidence);

  std::vector<std::string> names = bias_feature_names();
  std::swap(names[3], names[4]);
  Error e = error_of([&] {
    read_bias_manifest(write_temp(
        "bias-swapped.json",
        bias_manifest(R"(["no_bias","confirmation","anchoring","overconfidence"])", &names)));
  });
  CHECK(e.code() == Errc::invalid);
  CHECK(contains(e.what(),
                 "feature_names[3]: 'hints_per_problem' where this library computes 'accuracy'"));
  names = bias_feature_names();
  names.push_back("keystrokes");
  e = error_of([&] {
    read_bias_manifest(write_temp(
        "bias-more.json",
        bias_manifest(R"(["no_bias","confirmation","anchoring","overconfidence"])", &names)));
  });
  CHECK(contains(e.what(), "feature_names: 16 names; this library computes 15 features"));

  e = error_of([&] {
    read_bias_manifest(
        write_temp("bias-three.json", bias_manifest(R"(["no_bias","confirmation","anchoring"])")));
  });
  CHECK(contains(e.what(), "labels: 3 labels; a bias model has the four"));
  e = error_of([&] {
    read_bias_manifest(write_temp(
        "bias-twice.json", bias_manifest(R"(["no_bias","confirmation","anchoring","anchoring"])")));
  });
  CHECK(contains(e.what(), "labels[3]: 'anchoring' is listed twice"));
  e = error_of([&] {
    read_bias_manifest(write_temp(
        "bias-label.json", bias_manifest(R"(["no_bias","confirmation","anchoring","mis_x"])")));
  });
  CHECK(contains(e.what(), "labels[3]: 'mis_x' is not no_bias"));
  e = error_of([&] {
    read_bias_manifest(
        write_temp("bias-extra.json", bias_manifest(R"(["no_bias","confirmation","anchoring",
                                                "overconfidence"])",
                                                    nullptr, ",\"featurizer\":{}")));
  });
  CHECK(contains(e.what(), "featurizer: unknown field"));
  std::string base = bias_manifest();
  std::string other_input = base;
  other_input.replace(other_input.find("bias_features_v1"), 16, "bias_features_v9");
  e = error_of([&] { read_bias_manifest(write_temp("bias-input.json", other_input)); });
  CHECK(contains(e.what(), "input: 'bias_features_v9' is not an input this library computes"));
  std::string newer = base;
  newer.replace(newer.find("\"schema_version\":1"), 18, "\"schema_version\":2");
  e = error_of([&] { read_bias_manifest(write_temp("bias-newer.json", newer)); });
  CHECK(e.code() == Errc::version);
  e = error_of([&] { read_bias_manifest("/nonexistent/bias.json"); });
  CHECK(e.code() == Errc::not_found);

  // An answer model's label map is not a bias manifest, and the reverse.
  const std::string answer_map =
      "{\"schema_version\":1,\"labels\":[\"correct\"],\"featurizer\":{\"name\":\"tc_hash_v1\","
      "\"dim\":4096}}";
  e = error_of([&] { read_bias_manifest(write_temp("answer-map.json", answer_map)); });
  CHECK(contains(e.what(), ".task: required field is missing"));
  auto d = fixture();
  e = error_of([&] { read_label_map(write_temp("bias-as-answer.json", base), *d); });
  CHECK(contains(e.what(), "task: 'metacog.bias' is not \"classify.answer\""));

  // The task a labels file declares.
  CHECK(label_map_task(write_temp("task-bias.json", base)) == "metacog.bias");
  CHECK(label_map_task(write_temp("task-answer.json", answer_map)) == "classify.answer");
  CHECK(label_map_task("/nonexistent/labels.json").empty());
  CHECK(label_map_task(write_temp("task-bad.json", "{")).empty());
  ModelOptions o = model_options_from_json(
      "{\"model\":\"a.pt\",\"labels\":\"b.json\",\"task\":\"metacog.bias\"}");
  CHECK(o.task == "metacog.bias");
  CHECK(o.name.empty());  // the task's default: "bias"
  e = error_of([] {
    model_options_from_json("{\"model\":\"a.pt\",\"labels\":\"b.json\",\"task\":\"bias\"}");
  });
  CHECK(contains(e.what(), "load_model request.task: 'bias' is not"));
}
