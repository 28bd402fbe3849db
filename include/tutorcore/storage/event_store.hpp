// EventStore: the storage adapter interface. An adapter appends events
// atomically, reads them back in log order, and keeps a checkpoint of the
// materialized views (a cache: the log stays the only source of truth).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tutorcore/storage/event.hpp"

namespace tutorcore {
inline namespace v0 {

class ViewSet;

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Stores events[0..n) in one transaction, or nothing (then throws
  // Error(storage)). An event whose (tenant, idempotency_key) is stored already
  // is not stored again: out[i] = {first id, false}. Events must be checked.
  virtual void append(const Event *events, size_t n, AppendOutcome *out) = 0;

  // Streams matching events in id order.
  virtual void read(const EventQuery &q, const EventSink &sink) = 0;

  // Streams, in id order, the events of `tenant` whose idempotency key is
  // `key` or begins with `key` + "/" (the events one request appended).
  virtual void read_keyed(const std::string &tenant, const std::string &key,
                          const EventSink &sink) = 0;

  // The newest event id (0 for an empty log).
  virtual int64_t last_id() = 0;

  // True when another connection (process) may have appended since the last
  // call; adapters with a single writer return false.
  virtual bool external_change() { return false; }

  // Loads the checkpointed views; returns the event id they are current
  // through (0 when there is no checkpoint).
  virtual int64_t load_views(ViewSet *views) = 0;

  // Persists the views: only the rows changed since the last save, or all of
  // them (replacing what was stored) when `full`.
  virtual void save_views(const ViewSet &views, bool full) = 0;
};

}  // namespace v0
}  // namespace tutorcore
