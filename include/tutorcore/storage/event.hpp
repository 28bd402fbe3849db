// Event: one immutable entry of the append-only log, and the query and
// append-outcome types the storage adapters share.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

namespace tutorcore {
inline namespace v0 {

struct Event {
  int64_t id = 0;  // assigned by the store, increasing in commit order
  std::string tenant;
  std::string entity_type;      // "student", "classroom", ...
  std::string entity_id;        // pseudonymous id
  std::string type;             // "response.submitted", ...
  std::string payload;          // a JSON object, as text
  int64_t time_us = 0;          // microseconds since the Unix epoch
  std::string author;           // "system", "teacher:<id>", ...
  std::string idempotency_key;  // empty = no deduplication
};

// Filters of a read; empty strings match anything. Results come in id order.
struct EventQuery {
  std::string tenant;  // empty only for internal whole-log reads (rebuild)
  std::string entity_type;
  std::string entity_id;
  std::string type;
  int64_t after_id = 0;
  int64_t since_us = std::numeric_limits<int64_t>::min();
  int64_t until_us = std::numeric_limits<int64_t>::max();  // exclusive
  int64_t limit = std::numeric_limits<int64_t>::max();
};

struct AppendOutcome {
  int64_t id = 0;
  bool inserted = false;  // false: the idempotency key was already stored
};

// Whether an idempotency key belongs to a request's key: equal, or `key`
// followed by "/" (the keys of the events one request appends).
inline bool is_keyed(std::string_view candidate, std::string_view key) {
  return candidate.size() >= key.size() && candidate.compare(0, key.size(), key) == 0 &&
         (candidate.size() == key.size() || candidate[key.size()] == '/');
}

// Receives events of a read; returns false to stop early.
using EventSink = std::function<bool(const Event &)>;

struct ViewInput;

// What a deployment lets into its log beyond the defaults.
struct EventCheckOptions {
  // The privacy rule refuses payload fields named like a person's name or
  // contact (name, email, phone, address, date of birth, ...) and string
  // values shaped like an e-mail address. A deployment that keeps such data
  // in its own private store may allow it explicitly (docs/privacy.md);
  // entity ids must stay pseudonymous either way.
  bool allow_personal_data = false;
};

// Checks an event before it is stored: required fields, sizes, the type's
// payload schema and the privacy rule. Throws Error(invalid) naming the
// event by its place in the batch ("event[3]") and the field. When `view`
// is given it receives what the views will read, so the payload is parsed
// once.
void check_event(const Event &e, size_t index, ViewInput *view = nullptr,
                 const EventCheckOptions &opts = {});

// The event as JSON (payload embedded as an object).
std::string event_to_json(const Event &e);

}  // namespace v0
}  // namespace tutorcore
