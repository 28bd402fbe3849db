// Classifier plugins through the C ABI: a host's classifier (a struct of
// function pointers) as a ClassifierPlugin, registration and routing on a
// tutor, classification without storing, the teacher's review and the
// labelled data set export.
#include <fmt/format.h>
#include <simdjson.h>

#include <memory>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/pipeline/tutor.hpp"

using namespace tutorcore;

struct tc_classifier_reply {
  std::string json;
  bool set = false;
  std::string error;
};

namespace {

// The concept part of a callback's input: the catalog an LLM reads.
std::string concept_json(const Domain &d, const Concept &c) {
  JsonWriter w;
  w.begin_object().field("id", c.id).field("name", c.name);
  w.key("misconceptions").begin_array();
  for (const Misconception &m : d.misconceptions) {
    if (m.concept_id != c.id) continue;
    w.begin_object().field("id", m.id).field("label", m.label);
    w.field("description", m.description).key("examples").begin_array();
    for (const MisconceptionExample &ex : m.examples) {
      w.begin_object().field("problem", ex.problem).field("wrong", ex.wrong);
      w.field("correct", ex.correct).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return w.take();
}

Prediction prediction_from(simdjson::dom::element e, const std::string &where) {
  simdjson::dom::object o;
  if (e.get_object().get(o)) {
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object {{\"label\",\"confidence\","
                                           "\"reason\"?}}, found {}",
                                           where, json_type_name(e.type())));
  }
  reject_unknown_fields(o, {"label", "confidence", "reason"}, where);
  Prediction p;
  read_string(o, "label", true, where, &p.label);
  if (p.label.empty()) throw Error(Errc::invalid, where + ".label: is empty");
  if (!read_number(o, "confidence", 0.0, 1.0, where, &p.confidence))
    throw Error(Errc::invalid, where + ".confidence: required field is missing");
  read_string(o, "reason", false, where, &p.reason);
  return p;
}

// A host's classifier. Owns its userdata once registered: destroy runs when
// the last reference goes (unregistered or the tutor freed, after the calls
// in flight).
class HostClassifier : public ClassifierPlugin {
 public:
  HostClassifier(std::string name, const tc_classifier &c, const Domain &d)
      : name_(std::move(name)), c_(c) {
    for (const Concept &k : d.concepts)
      concepts_.emplace(k.id, concept_json(d, k));
  }
  ~HostClassifier() override {
    if (owns_ && c_.destroy) c_.destroy(c_.userdata);
  }
  void disown() { owns_ = false; }

  const std::string &name() const override { return name_; }

  bool supports_concept(std::string_view concept_id) const override {
    if (!c_.supports_concept) return true;
    return c_.supports_concept(c_.userdata, std::string(concept_id).c_str()) != 0;
  }

  Prediction predict(const Problem &problem, std::string_view answer,
                     const Concept &concept_) const override {
    std::string input = input_json(problem, answer, concept_);
    tc_classifier_reply reply;
    call(c_.predict, input, &reply, "predict");
    simdjson::dom::parser parser;
    std::string where = fmt::format("classifier '{}' reply", name_);
    Prediction p = prediction_from(parse_json_or_throw(parser, reply.json, where), where);
    p.backend = name_;
    return p;
  }

  std::vector<Prediction> predict_batch(const std::vector<PredictInput> &inputs) const override {
    if (!c_.predict_batch) return ClassifierPlugin::predict_batch(inputs);
    std::string input = "{\"schema_version\":1,\"items\":[";
    for (size_t i = 0; i < inputs.size(); ++i) {
      const PredictInput &in = inputs[i];
      if (!in.problem || !in.concept_)
        throw Error(Errc::invalid, "classifier batch: an input has no problem or concept");
      if (i) input += ',';
      input += input_json(*in.problem, in.answer, *in.concept_);
    }
    input += "]}";
    tc_classifier_reply reply;
    call(c_.predict_batch, input, &reply, "predict_batch");
    simdjson::dom::parser parser;
    std::string where = fmt::format("classifier '{}' batch reply", name_);
    simdjson::dom::array a;
    if (parse_json_or_throw(parser, reply.json, where).get_array().get(a))
      throw Error(Errc::invalid, where + ": must be a JSON array of predictions");
    std::vector<Prediction> out;
    out.reserve(inputs.size());
    for (simdjson::dom::element e : a) {
      out.push_back(prediction_from(e, path_index(where, out.size())));
      out.back().backend = name_;
    }
    if (out.size() != inputs.size()) {
      throw Error(Errc::invalid, fmt::format("{}: holds {} predictions for {} answers", where,
                                             out.size(), inputs.size()));
    }
    return out;
  }

 private:
  std::string input_json(const Problem &p, std::string_view answer, const Concept &k) const {
    JsonWriter w;
    w.begin_object().field("schema_version", 1).key("problem").begin_object();
    w.field("id", p.id).field("text", p.text).field("correct_answer", p.correct_answer);
    w.field("concept_id", p.concept_id).end_object();
    w.field("answer", answer).key("concept");
    auto it = concepts_.find(k.id);
    if (it != concepts_.end()) {
      w.raw(it->second);
    } else {
      w.begin_object().field("id", k.id).field("name", k.name);
      w.key("misconceptions").begin_array().end_array().end_object();
    }
    w.end_object();
    return w.take();
  }

  template <class Fn>
  void call(Fn fn, const std::string &input, tc_classifier_reply *reply, const char *what) const {
    int rc = fn(c_.userdata, input.c_str(), input.size(), reply);
    if (rc != 0) {
      throw Error(Errc::user,
                  fmt::format("classifier '{}': the host's {} failed ({}): {}", name_, what, rc,
                              reply->error.empty() ? "no message" : reply->error));
    }
    if (!reply->set) {
      throw Error(Errc::user,
                  fmt::format("classifier '{}': the host's {} returned 0 without a reply; call "
                              "tc_classifier_reply_set",
                              name_, what));
    }
  }

  std::string name_;
  tc_classifier c_;
  std::unordered_map<std::string, std::string> concepts_;
  bool owns_ = true;
};

std::string settings_json(const Tutor &t) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).key("classifiers").begin_array();
  for (const std::string &name : t.classifier_names())
    w.value(name);
  w.end_array().key("routing").raw(classify_settings_to_json(t.classify_settings()));
  w.end_object();
  return w.take();
}

}  // namespace

extern "C" {

tc_status tc_classifier_reply_set(tc_classifier_reply *reply, const char *json, size_t len) {
  return capi::guarded([&] {
    capi::require(reply, "reply");
    capi::require(json, "json");
    reply->json.assign(json, len);
    reply->set = true;
  });
}

tc_status tc_classifier_reply_error(tc_classifier_reply *reply, const char *message) {
  return capi::guarded([&] {
    capi::require(reply, "reply");
    capi::require(message, "message");
    reply->error = message;
  });
}

tc_status tc_tutor_register_classifier(tc_tutor *tutor, const char *name,
                                       const tc_classifier *classifier) {
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(name, "name");
    capi::require(classifier, "classifier");
    if (classifier->version == 0) {
      throw Error(Errc::invalid,
                  "tc_classifier.version: is 0; set it to TC_CLASSIFIER_VERSION (or start from "
                  "TC_CLASSIFIER_INIT)");
    }
    if (classifier->version > TC_CLASSIFIER_VERSION) {
      throw Error(Errc::version,
                  fmt::format("tc_classifier version {} is newer than this library's {}",
                              classifier->version, TC_CLASSIFIER_VERSION));
    }
    if (!classifier->predict) throw Error(Errc::invalid, "tc_classifier.predict: is NULL");
    check_classifier_name(name);
    auto plugin = std::make_shared<HostClassifier>(name, *classifier, tutor->tutor->domain());
    try {
      tutor->tutor->register_classifier(plugin);
    } catch (...) {
      plugin->disown();  // not registered: the host keeps its userdata
      throw;
    }
  });
}

tc_status tc_tutor_unregister_classifier(tc_tutor *tutor, const char *name) {
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(name, "name");
    if (!tutor->tutor->unregister_classifier(name)) {
      throw Error(Errc::not_found,
                  fmt::format("classifier '{}': is not registered on this tutor", name));
    }
  });
}

tc_status tc_tutor_set_routing(tc_tutor *tutor, const char *routing_json, size_t len,
                               char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    Tutor &t = *tutor->tutor;
    if (routing_json && len > 0) {
      t.set_classify_settings(
          classify_settings_from_json(std::string_view(routing_json, len), t.classify_settings()));
    }
    if (out_json) *out_json = capi::dup_string(settings_json(t));
  });
}

tc_status tc_tutor_classify(tc_tutor *tutor, const char *request_json, size_t len,
                            char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(request_json, "request_json");
    capi::require(out_json, "out_json");
    ClassifyRequest r = classify_request_from_json(std::string_view(request_json, len), false);
    Prediction p = tutor->tutor->classify(r.items.front(), r.backend);
    JsonWriter w;
    w.begin_object().field("schema_version", 1).key("prediction").raw(prediction_json(p));
    w.end_object();
    *out_json = capi::dup_string(w.str());
  });
}

tc_status tc_tutor_classify_batch(tc_tutor *tutor, const char *request_json, size_t len,
                                  char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(request_json, "request_json");
    capi::require(out_json, "out_json");
    ClassifyRequest r = classify_request_from_json(std::string_view(request_json, len), true);
    std::vector<Prediction> ps = tutor->tutor->classify_batch(r.items, r.backend);
    JsonWriter w;
    w.begin_object().field("schema_version", 1).key("predictions").begin_array();
    for (const Prediction &p : ps)
      w.raw(prediction_json(p));
    w.end_array().end_object();
    *out_json = capi::dup_string(w.str());
  });
}

tc_status tc_tutor_review_classification(tc_tutor *tutor, const char *request_json, size_t len,
                                         char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(request_json, "request_json");
    capi::require(out_json, "out_json");
    *out_json = capi::dup_string(tutor->tutor->review_classification(
        classification_review_from_json(std::string_view(request_json, len))));
  });
}

tc_status tc_tutor_export_labels(tc_tutor *tutor, const char *request_json, size_t len,
                                 char **out_jsonl) {
  if (out_jsonl) *out_jsonl = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(request_json, "request_json");
    capi::require(out_jsonl, "out_jsonl");
    *out_jsonl = capi::dup_string(
        tutor->tutor->export_labels(label_export_from_json(std::string_view(request_json, len))));
  });
}

}  // extern "C"
