// libFuzzer target: event payloads read back from storage. The first byte
// picks the event type; the rest is the stored payload. read_view_input may
// refuse it (Error), and the fold (ViewSet::apply) must never crash on it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/event.hpp"
#include "tutorcore/views/views.hpp"

namespace {
const char *const kTypes[] = {
    "response.submitted",       "mastery.updated",         "misconception.detected",
    "intervention.recommended", "intervention.assigned",   "intervention.outcome",
    "escalation.triggered",     "escalation.transitioned", "classroom.enrolled"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static tutorcore::ViewSet views;
  static int64_t next_id = 0;
  static int uses = 0;
  if (size < 1) return 0;
  if (++uses % 1000 == 0) views = tutorcore::ViewSet();
  tutorcore::Event e;
  e.id = ++next_id;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = (data[0] & 0x80) ? "s2" : "s1";
  e.type = kTypes[(data[0] & 0x7f) % (sizeof(kTypes) / sizeof(kTypes[0]))];
  e.payload.assign(reinterpret_cast<const char *>(data + 1), size - 1);
  e.time_us = 1700000000000000 + next_id;
  e.author = "system";
  try {
    tutorcore::ViewInput in = tutorcore::read_view_input(e);
    views.apply(e, in);
  } catch (const tutorcore::Error &) {
  }
  return 0;
}
