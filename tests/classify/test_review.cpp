// Classification inside the Tutor: submits routed through a registered
// model with the backend recorded, classify without storing, the teacher's
// review of stored responses and the labelled data set export, bad input.
#include <simdjson.h>

#include <sstream>

#include "domains.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;
using classify_test::fixture;

namespace {

// A model that knows one concept and always names its misconception.
class AlphaModel : public ClassifierPlugin {
 public:
  const std::string &name() const override { return name_; }
  bool supports_concept(std::string_view id) const override { return id == "unit_alpha"; }
  Prediction predict(const Problem &, std::string_view, const Concept &) const override {
    return {"mis_alpha_one", 0.8, "model", "the model's logits"};
  }

 private:
  std::string name_ = "model";
};

struct Class {
  Ledger ledger{open_memory_store()};
  Tutor tutor{fixture(), ledger};
  int n = 0;
  int64_t clock = 1767225600000000;

  SubmitResult answer(const std::string &student, const std::string &problem,
                      const std::string &text) {
    SubmitRequest r;
    r.tenant = "t1";
    r.student = student;
    r.problem_id = problem;
    r.answer = text;
    r.idempotency_key = "k" + std::to_string(++n);
    r.time_us = clock += 1000000;
    return tutor.submit(r);
  }
  std::string payload(int64_t id) {
    std::string out;
    EventQuery q;
    q.tenant = "t1";
    q.after_id = id - 1;
    q.limit = 1;
    ledger.read(q, [&](const Event &e) {
      out = e.payload;
      return false;
    });
    return out;
  }
  std::string review(int64_t id, const std::string &label, const std::string &key = "") {
    ClassificationReview r;
    r.tenant = "t1";
    r.response_event_id = id;
    r.teacher_id = "t9";
    r.label = label;
    r.idempotency_key = key;
    r.time_us = clock += 1000000;
    return tutor.review_classification(r);
  }
};

bool has(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

template <class Fn>
void refused(Fn fn, Errc code, const char *part) {
  try {
    fn();
    FAIL("accepted: " << part);
  } catch (const Error &e) {
    CHECK(e.code() == code);
    CHECK_MESSAGE(has(e.what(), part), e.what());
  }
}

}  // namespace

TEST_CASE("classify: a tutor routes answers through a registered model and records the backend") {
  Class c;
  CHECK(c.tutor.classifier_names() == std::vector<std::string>{"catalog", "rules"});
  SubmitResult before = c.answer("s1", "unit_alpha_p2", "2");
  CHECK(has(before.json, "\"correct\":true"));
  CHECK(has(c.payload(before.response_event_id), "\"classifier\":\"rules\""));
  CHECK(has(c.payload(before.response_event_id),
            "\"classifier_reason\":\"equivalent to the "
            "correct answer (passed over: model: not "
            "registered)\""));

  // A template instance named by its id (sequencing/template.hpp).
  Prediction inst = c.tutor.classify({"tpl_alpha_add:a=3,b=4", "12"});
  CHECK(inst.label == "mis_alpha_one");
  CHECK(inst.backend == "rules");
  CHECK(c.tutor.classify({"tpl_alpha_add:a=3,b=4", "7"}).label == "correct");

  c.tutor.register_classifier(std::make_shared<AlphaModel>());
  refused([&] { c.tutor.register_classifier(std::make_shared<AlphaModel>()); }, Errc::exists,
          "classifier 'model'");
  SubmitResult r = c.answer("s1", "unit_alpha_p2", "2");
  CHECK(has(r.json, "\"correct\":false"));
  CHECK(has(r.json,
            "\"misconception\":{\"id\":\"mis_alpha_one\",\"confidence\":0.8,"
            "\"classifier\":\"model\""));
  CHECK(has(c.payload(r.response_event_id), "\"classifier_reason\":\"the model's logits\""));
  // The model does not support unit_beta: the rules answer there.
  SubmitResult b = c.answer("s1", "unit_beta_p1", "2");
  CHECK(has(c.payload(b.response_event_id), "\"classifier\":\"rules\""));
  CHECK(has(b.json, "\"id\":\"mis_beta_one\""));

  // Classify without storing: routed, or one backend by name.
  int64_t last = c.ledger.last_id();
  CHECK(c.tutor.classify({"unit_alpha_p2", "2"}).backend == "model");
  Prediction rules = c.tutor.classify({"unit_alpha_p2", "2"}, "rules");
  CHECK(rules.label == "correct");
  CHECK(rules.backend == "rules");
  std::vector<Prediction> batch = c.tutor.classify_batch(
      {{"unit_alpha_p0", "0"}, {"unit_gamma_p1", "2"}, {"unit_gamma_p1", "?"}});
  REQUIRE(batch.size() == 3);
  CHECK(batch[0].backend == "model");
  CHECK(batch[1].label == "mis_gamma_one");
  CHECK(batch[2].backend == "hybrid");
  CHECK(c.ledger.last_id() == last);  // nothing stored
  refused([&] { c.tutor.classify({"nope", "1"}); }, Errc::not_found, "'nope' is not a problem");
  refused(
      [&] {
        c.tutor.classify({"unit_alpha_p0", "1"}, "llm");
      },
      Errc::not_found, "no classifier 'llm' is registered (catalog, model, rules)");
  refused([&] { c.tutor.classify({"unit_alpha_p0", ""}); }, Errc::invalid, "answer: is empty");

  // Routing settings: the rules before the model; a changed catalog threshold.
  ClassifySettings s = c.tutor.classify_settings();
  s.routing.route = {"rules", "model"};
  s.catalog.threshold = 0.4;
  c.tutor.set_classify_settings(s);
  CHECK(c.tutor.classify({"unit_alpha_p2", "2"}).backend == "rules");
  CHECK(c.tutor.classify({"unit_alpha_p2", "ww"}, "catalog").label == "mis_alpha_one");
  s.routing.route = {};
  refused([&] { c.tutor.set_classify_settings(s); }, Errc::invalid, "routing.route: is empty");
  CHECK(c.tutor.classify_settings().routing.route == std::vector<std::string>{"rules", "model"});

  // The pipeline's original call: one classifier function, routed to alone.
  c.tutor.set_classifier({"always-right", [](const Problem &, std::string_view, const Concept &) {
                            Classification k;
                            k.correct = true;
                            k.confidence = 0.6;
                            return k;
                          }});
  SubmitResult f = c.answer("s2", "unit_beta_p1", "anything");
  CHECK(has(f.json, "\"correct\":true"));
  CHECK(has(c.payload(f.response_event_id), "\"classifier\":\"always-right\""));
  CHECK_THROWS_AS(c.tutor.set_classifier({"no-function", nullptr}), Error);
  CHECK(c.tutor.unregister_classifier("always-right"));
  CHECK_FALSE(c.tutor.unregister_classifier("always-right"));
  SubmitResult u = c.answer("s2", "unit_beta_p1", "1");  // routed to nobody now
  CHECK(has(c.payload(u.response_event_id), "\"classifier\":\"hybrid\""));
}

TEST_CASE("classify: a teacher confirms or corrects classifications and the export labels them") {
  Class c;
  int64_t r1 = c.answer("s1", "unit_alpha_p2", "3").response_event_id;   // mis_alpha_one
  int64_t r2 = c.answer("s1", "unit_alpha_p3", "99").response_event_id;  // unknown
  int64_t r3 = c.answer("s2", "unit_gamma_p0", "0").response_event_id;   // correct
  int64_t r4 = c.answer("s2", "unit_beta_p0", "7").response_event_id;    // unknown

  std::string confirmed = c.review(r1, "");
  CHECK(has(confirmed, "\"replayed\":false"));
  CHECK(has(confirmed,
            "\"original_label\":\"mis_alpha_one\",\"original_classifier\":\"rules\","
            "\"corrected_label\":\"mis_alpha_one\",\"verdict\":\"confirmed\""));
  std::string corrected = c.review(r2, "mis_alpha_one", "review/r2");
  CHECK(has(corrected, "\"original_label\":\"unknown\""));
  CHECK(has(corrected, "\"verdict\":\"corrected\""));
  CHECK(has(corrected, "\"teacher_id\":\"t9\""));
  // A retry with the same key stores nothing and returns the first review.
  int64_t last = c.ledger.last_id();
  std::string again = c.review(r2, "mis_alpha_one", "review/r2");
  CHECK(has(again, "\"replayed\":true"));
  CHECK(c.ledger.last_id() == last);
  // The same label as the classifier's is a confirmation.
  CHECK(has(c.review(r3, "correct"), "\"verdict\":\"confirmed\""));

  // The review event: on the student, by the teacher.
  Event ev;
  EventQuery q;
  q.tenant = "t1";
  q.type = "classification.reviewed";
  int reviews = 0;
  c.ledger.read(q, [&](const Event &e) {
    ev = e;
    ++reviews;
    return true;
  });
  CHECK(reviews == 3);
  CHECK(ev.author == "teacher:t9");
  CHECK(ev.entity_type == "student");
  CHECK(ev.entity_id == "s2");

  std::vector<std::string> all = lines(c.tutor.export_labels({"t1", true, 0, ""}));
  REQUIRE(all.size() == 4);
  CHECK(has(all[0], "\"response_event_id\":" + std::to_string(r1)));
  CHECK(has(all[0],
            "\"problem_id\":\"unit_alpha_p2\",\"problem\":\"Q2\",\"answer\":\"3\","
            "\"concept_id\":\"unit_alpha\",\"label\":\"mis_alpha_one\",\"source\":"
            "\"confirmed\",\"classifier\":\"rules\""));
  CHECK(has(all[1], "\"label\":\"mis_alpha_one\",\"source\":\"corrected\""));
  CHECK(has(all[2], "\"label\":\"correct\",\"source\":\"confirmed\""));
  CHECK(has(all[3], "\"label\":\"unknown\",\"source\":\"unreviewed\""));
  simdjson::dom::parser p;
  for (const std::string &line : all) {
    simdjson::dom::element e;
    CHECK(p.parse(line).get(e) == simdjson::SUCCESS);
  }

  // Reviewed only; one concept; after an id; the latest review wins.
  CHECK(lines(c.tutor.export_labels({"t1", false, 0, ""})).size() == 3);
  CHECK(lines(c.tutor.export_labels({"t1", true, 0, "unit_alpha"})).size() == 2);
  CHECK(lines(c.tutor.export_labels({"t1", true, r3, ""})).size() == 1);
  c.review(r2, "unknown");
  std::vector<std::string> now = lines(c.tutor.export_labels({"t1", false, 0, "unit_alpha"}));
  REQUIRE(now.size() == 2);
  CHECK(has(now[1], "\"label\":\"unknown\",\"source\":\"confirmed\""));
  CHECK(c.tutor.export_labels({"t2", true, 0, ""}).empty());
  (void)r4;
}

TEST_CASE("classify: reviews and exports refuse bad input") {
  Class c;
  SubmitResult r = c.answer("s1", "unit_alpha_p2", "3");
  int64_t id = r.response_event_id;
  refused([&] { c.review(id + 1000, ""); }, Errc::not_found, "tenant 't1' has no event");
  refused([&] { c.review(id + 1, ""); }, Errc::invalid,
          "is a mastery.updated event, not a response");
  refused([&] { c.review(id, "no_such"); }, Errc::invalid,
          "label: 'no_such' is not \"correct\", \"unknown\" or a misconception");
  refused([&] { c.review(0, ""); }, Errc::invalid, "response_event_id: 0 is not an event id");
  ClassificationReview other;
  other.tenant = "t2";
  other.response_event_id = id;
  other.teacher_id = "t9";
  refused([&] { c.tutor.review_classification(other); }, Errc::not_found,
          "tenant 't2' has no event");
  other.tenant = "t1";
  other.teacher_id = "";
  refused([&] { c.tutor.review_classification(other); }, Errc::invalid, "teacher_id: is required");
  // A key another kind of request used.
  other.teacher_id = "t9";
  other.idempotency_key = "k1";
  refused([&] { c.tutor.review_classification(other); }, Errc::exists,
          "was used by another kind of request");

  refused([] { classification_review_from_json("{\"tenant\":\"t1\",\"teacher_id\":\"x\"}"); },
          Errc::invalid, "classification review.response_event_id: required field is missing");
  refused(
      [] {
        classification_review_from_json(
            "{\"tenant\":\"t1\",\"response_event_id\":3,\"teacher_id\":\"x\",\"note\":\"y\"}");
      },
      Errc::invalid, "classification review.note: unknown field");
  refused([] { classification_review_from_json("{\"tenant\":"); }, Errc::invalid,
          "classification review");
  ClassificationReview ok = classification_review_from_json(
      "{\"tenant\":\"t1\",\"response_event_id\":3,\"teacher_id\":\"x\",\"label\":\"correct\","
      "\"idempotency_key\":\"k\",\"time_us\":5}");
  CHECK(ok.response_event_id == 3);
  CHECK(ok.label == "correct");
  CHECK(ok.time_us == 5);

  refused([] { label_export_from_json("{}"); }, Errc::invalid,
          "label export.tenant: required field is missing");
  refused([] { label_export_from_json("{\"tenant\":\"t\",\"after_id\":-1}"); }, Errc::invalid,
          "label export.after_id");
  LabelExport x = label_export_from_json(
      "{\"tenant\":\"t\",\"include_unreviewed\":false,\"after_id\":7,\"concept_id\":\"c\"}");
  CHECK_FALSE(x.include_unreviewed);
  CHECK(x.after_id == 7);
  refused(
      [&] {
        c.tutor.export_labels({"", true, 0, ""});
      },
      Errc::invalid, "label export.tenant: is required");

  refused([] { classify_request_from_json("{\"problem_id\":\"p\"}", false); }, Errc::invalid,
          "classify request.answer: required field is missing");
  refused(
      [] {
        classify_request_from_json("{\"items\":[{\"problem_id\":\"p\",\"answer\":\"\"}]}", true);
      },
      Errc::invalid, "classify batch request.items[0].answer: is empty");
  refused([] { classify_request_from_json("{\"items\":{}}", true); }, Errc::invalid,
          "classify batch request.items: must be an array");
  ClassifyRequest cr = classify_request_from_json(
      "{\"items\":[{\"problem_id\":\"a\",\"answer\":\"1\"},{\"problem_id\":\"b\",\"answer\":\"2\"}]"
      ","
      "\"backend\":\"rules\"}",
      true);
  CHECK(cr.items.size() == 2);
  CHECK(cr.backend == "rules");
}
