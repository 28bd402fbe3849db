// The core without the TorchScript plugin: loading a model fails with
// unavailable, naming the library it looked for and how to give its path,
// and answers are still classified by the rules. Also the label map and
// request checks, which need no plugin. Runs whether or not libtorch is
// installed.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tutorcore/classify/model.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
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
  // libc loads but exports no tc_torch_plugin_v1.
  Error e = error_of([] { open_model_plugin("libc.so.6"); });
  CHECK(e.code() == Errc::unavailable);
  CHECK(contains(e.what(), "no tc_torch_plugin_v1 symbol"));
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
  tc_domain *d = nullptr;
  tc_store *st = nullptr;
  tc_tutor *t = nullptr;
  tc_store_options so;
  REQUIRE(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
  so.backend = TC_STORE_MEMORY;
  REQUIRE(tc_domain_load(&d, kFixture) == TC_OK);
  REQUIRE(tc_store_open(&st, &so) == TC_OK);
  REQUIRE(tc_tutor_open(&t, st, d, nullptr, 0) == TC_OK);

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
  tc_tutor_free(t);
  tc_store_free(st);
  tc_domain_free(d);
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
