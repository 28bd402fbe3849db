// The teacher's review of classifications and the labelled data set export
// (rules in review.hpp).
#include "tutorcore/pipeline/review.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <unordered_map>

#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sequencing/template.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr const char *kReviewed = "classification.reviewed";
constexpr const char *kResponse = "response.submitted";

simdjson::dom::object object_of(simdjson::dom::parser &p, std::string_view json,
                                const std::string &what) {
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, what).get_object().get(o))
    throw Error(Errc::invalid, what + ": must be a JSON object");
  return o;
}

// What the review and the export read of a stored response.
struct StoredResponse {
  std::string problem_id, concept_id, answer, label, classifier;
};

bool read_response(simdjson::dom::parser &parser, const Event &e, StoredResponse *out) {
  simdjson::dom::object o;
  if (parser.parse(e.payload).get_object().get(o)) return false;
  auto text = [&](const char *k) {
    std::string_view v;
    return o[k].get_string().get(v) ? std::string() : std::string(v);
  };
  out->problem_id = text("problem_id");
  out->concept_id = text("concept_id");
  out->answer = text("answer");
  out->classifier = text("classifier");
  bool correct = false;
  if (o["correct"].get_bool().get(correct)) correct = false;
  std::string mid = text("misconception_id");
  out->label = correct       ? std::string(kLabelCorrect)
               : mid.empty() ? std::string(kLabelUnknown)
                             : std::move(mid);
  return true;
}

}  // namespace

ClassificationReview classification_review_from_json(std::string_view json) {
  const std::string what = "classification review";
  simdjson::dom::parser p;
  simdjson::dom::object o = object_of(p, json, what);
  reject_unknown_fields(
      o, {"tenant", "response_event_id", "teacher_id", "label", "idempotency_key", "time_us"},
      what);
  ClassificationReview r;
  read_string(o, "tenant", true, what, &r.tenant);
  if (!read_int(o, "response_event_id", 1, INT64_MAX, what, &r.response_event_id))
    throw Error(Errc::invalid, what + ".response_event_id: required field is missing");
  read_string(o, "teacher_id", true, what, &r.teacher_id);
  read_string(o, "label", false, what, &r.label);
  read_string(o, "idempotency_key", false, what, &r.idempotency_key);
  read_int(o, "time_us", 0, INT64_MAX, what, &r.time_us);
  return r;
}

LabelExport label_export_from_json(std::string_view json) {
  const std::string what = "label export";
  simdjson::dom::parser p;
  simdjson::dom::object o = object_of(p, json, what);
  reject_unknown_fields(o, {"tenant", "include_unreviewed", "after_id", "concept_id"}, what);
  LabelExport e;
  read_string(o, "tenant", true, what, &e.tenant);
  read_bool(o, "include_unreviewed", what, &e.include_unreviewed);
  read_int(o, "after_id", 0, INT64_MAX, what, &e.after_id);
  read_string(o, "concept_id", false, what, &e.concept_id);
  return e;
}

std::string Tutor::review_classification(const ClassificationReview &r) {
  const std::string what = "classification review";
  if (r.tenant.empty()) throw Error(Errc::invalid, what + ".tenant: is required");
  if (r.teacher_id.empty()) throw Error(Errc::invalid, what + ".teacher_id: is required");
  if (r.response_event_id <= 0) {
    throw Error(Errc::invalid, fmt::format("{}.response_event_id: {} is not an event id", what,
                                           r.response_event_id));
  }
  if (r.time_us < 0) throw Error(Errc::invalid, what + ".time_us: is negative");
  const Domain &d = *domain_;
  if (!r.label.empty() && r.label != kLabelCorrect && r.label != kLabelUnknown &&
      !d.find_misconception(r.label)) {
    throw Error(Errc::invalid,
                fmt::format("{}.label: '{}' is not \"correct\", \"unknown\" or a misconception of "
                            "domain '{}'",
                            what, r.label, d.id));
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto result = [](const Event &e, bool replayed) {
    JsonWriter w;
    w.begin_object().field("schema_version", 1).field("event_id", e.id);
    w.field("replayed", replayed).key("review").raw(e.payload).end_object();
    return w.take();
  };
  if (!r.idempotency_key.empty()) {
    std::vector<Event> prior = ledger_.read_keyed(r.tenant, r.idempotency_key);
    for (const Event &e : prior)
      if (e.type == kReviewed) return result(e, true);
    if (!prior.empty()) {
      throw Error(Errc::exists, fmt::format("{}.idempotency_key: '{}' was used by another kind of "
                                            "request",
                                            what, r.idempotency_key));
    }
  }

  // The response: event response_event_id of the tenant.
  Event response;
  bool found = false;
  EventQuery q;
  q.tenant = r.tenant;
  q.after_id = r.response_event_id - 1;
  q.limit = 1;
  ledger_.read(q, [&](const Event &e) {
    if (e.id == r.response_event_id) {
      response = e;
      found = true;
    }
    return false;
  });
  if (!found) {
    throw Error(Errc::not_found, fmt::format("{}.response_event_id: tenant '{}' has no event {}",
                                             what, r.tenant, r.response_event_id));
  }
  if (response.type != kResponse) {
    throw Error(Errc::invalid,
                fmt::format("{}.response_event_id: event {} is a {} event, not a response", what,
                            r.response_event_id, response.type));
  }
  simdjson::dom::parser parser;
  StoredResponse sr;
  if (!read_response(parser, response, &sr)) {
    throw Error(Errc::storage,
                fmt::format("{}: the payload of event {} is not a JSON object", what, response.id));
  }
  const std::string &label = r.label.empty() ? sr.label : r.label;
  bool corrected = label != sr.label;

  JsonWriter w;
  w.begin_object().field("response_event_id", r.response_event_id);
  w.field("problem_id", sr.problem_id).field("concept_id", sr.concept_id);
  w.field("original_label", sr.label).field("original_classifier", sr.classifier);
  w.field("corrected_label", label).field("verdict", corrected ? "corrected" : "confirmed");
  w.field("teacher_id", r.teacher_id).end_object();
  std::vector<Event> events(1);
  Event &e = events.front();
  e.tenant = r.tenant;
  e.entity_type = response.entity_type;
  e.entity_id = response.entity_id;
  e.type = kReviewed;
  e.payload = w.take();
  e.time_us = r.time_us ? r.time_us : now_us();
  e.author = "teacher:" + r.teacher_id;
  e.idempotency_key = r.idempotency_key;
  std::vector<AppendOutcome> out = ledger_.append(events);
  if (!out.front().inserted) {  // another process stored the same key first
    for (const Event &prior : ledger_.read_keyed(r.tenant, r.idempotency_key))
      if (prior.type == kReviewed) return result(prior, true);
  }
  return result(e, false);
}

std::string Tutor::export_labels(const LabelExport &x) {
  if (x.tenant.empty()) throw Error(Errc::invalid, "label export.tenant: is required");
  if (x.after_id < 0) throw Error(Errc::invalid, "label export.after_id: is negative");
  const Domain &d = *domain_;
  simdjson::dom::parser parser;

  // The latest review of each response.
  struct Verdict {
    std::string label;
    bool corrected = false;
  };
  std::unordered_map<int64_t, Verdict> reviews;
  EventQuery rq;
  rq.tenant = x.tenant;
  rq.type = kReviewed;
  ledger_.read(rq, [&](const Event &e) {
    simdjson::dom::object o;
    if (parser.parse(e.payload).get_object().get(o)) return true;
    int64_t id = 0;
    std::string_view label, verdict;
    if (o["response_event_id"].get_int64().get(id) || o["corrected_label"].get_string().get(label))
      return true;
    if (o["verdict"].get_string().get(verdict)) verdict = "corrected";
    reviews[id] = {std::string(label), verdict == "corrected"};
    return true;
  });

  std::string out;
  EventQuery q;
  q.tenant = x.tenant;
  q.type = kResponse;
  q.after_id = x.after_id;
  StoredResponse sr;
  ledger_.read(q, [&](const Event &e) {
    if (!read_response(parser, e, &sr)) return true;
    if (!x.concept_id.empty() && sr.concept_id != x.concept_id) return true;
    auto it = reviews.find(e.id);
    const char *source = "unreviewed";
    const std::string *label = &sr.label;
    if (it != reviews.end()) {
      source = it->second.corrected ? "corrected" : "confirmed";
      label = &it->second.label;
    } else if (!x.include_unreviewed) {
      return true;
    }
    Problem instance;
    const Problem *p = find_problem_or_instance(d, sr.problem_id, &instance);
    JsonWriter w;
    w.begin_object().field("response_event_id", e.id).field("problem_id", sr.problem_id);
    w.field("problem", p ? std::string_view(p->text) : std::string_view());
    w.field("answer", sr.answer).field("concept_id", sr.concept_id);
    w.field("label", *label).field("source", source).field("classifier", sr.classifier);
    w.end_object();
    out += w.str();
    out += '\n';
    return true;
  });
  return out;
}

}  // namespace v0
}  // namespace tutorcore
