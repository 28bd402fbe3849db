// The result documents of the pipeline, rebuilt from the events a request
// appended: the first call and every replay print the same document.
#include <simdjson.h>

#include "pipeline_internal.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

void event_ids(JsonWriter &w, const std::vector<Event> &events) {
  w.key("event_ids").begin_array();
  for (const Event &e : events)
    w.value(e.id);
  w.end_array();
}

// The payloads of one event type, as an array of objects.
void payloads(JsonWriter &w, const char *key, const std::vector<Event> &events, const char *type) {
  w.key(key).begin_array();
  for (const Event &e : events)
    if (e.type == type) w.raw(e.payload);
  w.end_array();
}

const Event *first(const std::vector<Event> &events, const char *type) {
  for (const Event &e : events)
    if (e.type == type) return &e;
  return nullptr;
}

}  // namespace

std::string submit_result_json(const std::vector<Event> &events) {
  const Event *response = first(events, "response.submitted");
  if (!response) {
    throw Error(Errc::storage,
                "submit: the events stored under this idempotency key hold no response; the key "
                "was used by another kind of request");
  }
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(response->payload).get_object().get(o))
    throw Error(Errc::storage, "submit: the stored response payload is not a JSON object");
  // Absent fields keep these defaults.
  bool correct = false;
  std::string_view misconception, classifier;
  double confidence = 0.0;
  bool ok = o["correct"].get_bool().get(correct) == simdjson::SUCCESS;
  bool has_misconception =
      o["misconception_id"].get_string().get(misconception) == simdjson::SUCCESS;
  ok = (o["classifier"].get_string().get(classifier) == simdjson::SUCCESS) && ok;
  ok = (o["confidence"].get_double().get(confidence) == simdjson::SUCCESS) && ok;
  if (!ok)
    throw Error(Errc::storage, "submit: the stored response lacks correct/classifier/confidence");

  JsonWriter w;
  w.begin_object().field("schema_version", 1);
  w.field("response_event_id", response->id);
  w.field("tenant", response->tenant).field("student", response->entity_id);
  w.field("correct", correct);
  w.key("misconception");
  if (has_misconception) {
    w.begin_object().field("id", misconception).field("confidence", confidence);
    w.field("classifier", classifier).end_object();
  } else {
    w.null();
  }
  w.key("response").raw(response->payload);
  const Event *mastery = first(events, "mastery.updated");
  w.key("mastery");
  if (mastery)
    w.raw(mastery->payload);
  else
    w.null();
  payloads(w, "outcomes", events, "intervention.outcome");
  payloads(w, "escalation", events, "escalation.triggered");
  const Event *detected = first(events, "misconception.detected");
  w.key("detected");
  if (detected)
    w.raw(detected->payload);
  else
    w.null();
  payloads(w, "recommendations", events, "intervention.recommended");
  const Event *next = first(events, "problems.proposed");
  w.key("next_problems");
  if (next)
    w.raw(next->payload);
  else
    w.null();
  event_ids(w, events);
  w.end_object();
  return w.take();
}

std::string teacher_result_json(const std::vector<Event> &events) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1);
  w.key("events").begin_array();
  for (const Event &e : events) {
    w.begin_object().field("id", e.id).field("type", e.type).field("author", e.author);
    w.key("payload").raw(e.payload).end_object();
  }
  w.end_array();
  payloads(w, "recommendations", events, "intervention.recommended");
  event_ids(w, events);
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
