// Bad events are rejected with a message naming the event, the field and why.
#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/event.hpp"

using namespace tutorcore;

namespace {
Event good() {
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = "s-1";
  e.type = "response.submitted";
  e.payload = R"({"problem_id":"p1","concept_id":"c1","correct":true,"latency_ms":1200})";
  e.time_us = 1;
  e.author = "system";
  return e;
}

std::string rejection(const Event &e) {
  try {
    check_event(e, 2);
  } catch (const Error &err) {
    CHECK(err.code() == Errc::invalid);
    return err.what();
  }
  return "accepted";
}
}  // namespace

TEST_CASE("a well-formed event is accepted") {
  CHECK(rejection(good()) == "accepted");
}

TEST_CASE("malformed events are rejected with the field and the reason") {
  struct Case {
    const char *name;
    void (*edit)(Event &);
    const char *message;
  };
  const Case cases[] = {
      {"empty tenant", [](Event &e) { e.tenant = ""; }, "event[2].tenant: is required and empty"},
      {"huge tenant", [](Event &e) { e.tenant.assign(500, 'x'); },
       "event[2].tenant: is 500 bytes; at most 128"},
      {"control character", [](Event &e) { e.entity_id = "s\n1"; },
       "event[2].entity_id: contains a control character"},
      {"bad entity type", [](Event &e) { e.entity_type = "Student!"; },
       "event[2].entity_type: 'Student!' must be lower-case"},
      {"bad type", [](Event &e) { e.type = "submitted"; },
       "event[2].type: 'submitted' must look like 'noun.verb'"},
      {"negative time", [](Event &e) { e.time_us = -5; }, "event[2].time_us: is negative"},
      {"truncated payload", [](Event &e) { e.payload = R"({"problem_id":"p1","con)"; },
       "event[2].payload: malformed JSON at line 1"},
      {"payload not an object", [](Event &e) { e.payload = "[1,2]"; },
       "event[2].payload: must be a JSON object"},
      {"missing required field",
       [](Event &e) { e.payload = R"({"problem_id":"p1","correct":true})"; },
       "event[2].payload.concept_id: is required for response.submitted events"},
      {"wrong type",
       [](Event &e) { e.payload = R"({"problem_id":"p1","concept_id":"c1","correct":"yes"})"; },
       "event[2].payload.correct: must be true or false, found string"},
      {"negative latency",
       [](Event &e) {
         e.payload = R"({"problem_id":"p1","concept_id":"c1","correct":true,"latency_ms":-3})";
       },
       "event[2].payload.latency_ms: is -3; it must be >= 0"},
      {"level out of range",
       [](Event &e) {
         e.type = "mastery.updated";
         e.payload = R"({"concept_id":"c1","new_level":1.5})";
       },
       "event[2].payload.new_level: is 1.5; it must lie in [0, 1]"},
      {"unknown modality",
       [](Event &e) {
         e.type = "intervention.assigned";
         e.payload = R"({"misconception_id":"m1","modality":"telepathy"})";
       },
       "event[2].payload.modality: must be one of visual"},
      {"unknown outcome",
       [](Event &e) {
         e.type = "intervention.outcome";
         e.payload = R"({"misconception_id":"m1","modality":"visual","outcome":"maybe"})";
       },
       "event[2].payload.outcome: must be \"resolved\" or \"persisted\""},
      {"unknown escalation state",
       [](Event &e) {
         e.type = "escalation.transitioned";
         e.payload = R"({"misconception_id":"m1","to":"limbo"})";
       },
       "event[2].payload.to: must be an escalation state"},
      {"a name in the payload",
       [](Event &e) {
         e.payload =
             R"({"problem_id":"p1","concept_id":"c1","correct":true,"student_name":"Ann Lee"})";
       },
       "event[2].payload.student_name: field 'student_name' would put personal data"},
      {"a nested e-mail key",
       [](Event &e) {
         e.type = "note.added";
         e.payload = R"({"contact":{"E-Mail":"x"}})";
       },
       "event[2].payload.contact.E-Mail: field 'E-Mail' would put personal data"},
      {"an e-mail address as a value",
       [](Event &e) {
         e.type = "note.added";
         e.payload = R"({"tags":["ann.lee@school.org"]})";
       },
       "event[2].payload.tags[0]: the value looks like an e-mail address"},
      {"an e-mail address as the entity id", [](Event &e) { e.entity_id = "ann@school.org"; },
       "event[2].entity_id: looks like an e-mail address"},
      {"oversized payload",
       [](Event &e) {
         e.type = "note.added";
         e.payload = "{\"x\":\"" + std::string(2 << 20, 'a') + "\"}";
       },
       "event[2].payload: is 2097160 bytes; at most 1048576"},
  };
  for (const Case &c : cases) {
    CAPTURE(c.name);
    Event e = good();
    c.edit(e);
    std::string msg = rejection(e);
    CHECK_MESSAGE(msg.find(c.message) == 0, msg);
  }
}

TEST_CASE("unknown event types accept any object payload") {
  Event e = good();
  e.type = "keystroke.recorded";
  e.payload = R"({"key":"7","at_ms":1200,"nested":{"a":[1,2,3]}})";
  CHECK(rejection(e) == "accepted");
}
