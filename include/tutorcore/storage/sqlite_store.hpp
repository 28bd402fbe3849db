// SqliteStore: the embedded default adapter. One database file holds the
// append-only events table (guarded by triggers against UPDATE and DELETE)
// and the view checkpoint tables. WAL journal, prepared statements, one
// transaction per batch.
#pragma once

#include <memory>
#include <string>

#include "tutorcore/storage/event_store.hpp"

namespace tutorcore {
inline namespace v0 {

struct SqliteOptions {
  std::string path;
  bool full_sync = false;  // fsync every commit (survives power loss), not only process crashes
  int busy_timeout_ms = 5000;
  int cache_kib = 65536;  // page cache per connection
};

// Opens or creates the database; throws Error(storage) when it cannot, and
// Error(version) for a database written by a newer tutorcore.
std::unique_ptr<EventStore> open_sqlite_store(const SqliteOptions &opts);

// The stored entity key: FNV-1a 64 of tenant, a 0x1f byte and entity_id.
// Stable across platforms and versions (it is on disk).
int64_t entity_key(const std::string &tenant, const std::string &entity_id);

// The in-memory adapter: same semantics, nothing persisted.
std::unique_ptr<EventStore> open_memory_store();

}  // namespace v0
}  // namespace tutorcore
