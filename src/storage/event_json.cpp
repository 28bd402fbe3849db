// Events as JSON: the form subscribers and readers of the C ABI receive.
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/storage/event.hpp"

namespace tutorcore {
inline namespace v0 {

std::string event_to_json(const Event &e) {
  JsonWriter w;
  w.begin_object();
  w.field("id", e.id).field("tenant", e.tenant);
  w.field("entity_type", e.entity_type).field("entity_id", e.entity_id);
  w.field("type", e.type);
  w.key("payload").raw(e.payload);
  w.field("time_us", e.time_us).field("author", e.author);
  w.key("idempotency_key");
  if (e.idempotency_key.empty())
    w.null();
  else
    w.value(e.idempotency_key);
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
