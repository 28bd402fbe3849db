// PostgresStore: the adapter for deployments where several backend
// instances share one store. The events table (guarded by a trigger against
// UPDATE, DELETE and TRUNCATE) and the view checkpoint tables live in one
// schema of a PostgreSQL database, reached through libpq.
//
// Ids follow commit order: every batch takes a transaction-level advisory
// lock before it inserts, so batches of different processes are serialised
// and a reader that reads "after the last id it has seen" never skips one.
// Ids are dense (max + 1 under the lock): a rolled-back batch leaves no gap.
#pragma once

#include <memory>
#include <string>

#include "tutorcore/storage/event_store.hpp"

namespace tutorcore {
inline namespace v0 {

struct PostgresOptions {
  // A libpq connection string or URI ("host=/run/postgresql dbname=app",
  // "postgresql://user@db.example/app"). A connect_timeout or
  // application_name in it wins over the adapter's; client_encoding is
  // always UTF8, and lock_timeout and statement_timeout are set from the
  // fields below after connecting (and after every reconnect).
  std::string conninfo;
  // The schema holding the tables, created when missing. Lower-case letters,
  // digits and '_', starting with a letter or '_', at most 63 characters.
  // Several stores may share one database under different schemas.
  std::string schema = "tutorcore";
  int connect_timeout_s = 10;  // libpq connect_timeout; 0 waits forever
  // How long an append waits for another process's batch (the append lock)
  // and any statement waits for a table lock; 0 waits forever.
  int lock_timeout_ms = 5000;
  int statement_timeout_ms = 0;  // 0: no limit
};

// True when this build includes the adapter (libpq was found at build time).
bool postgres_available();

// Connects and creates the schema and tables when missing. Throws
// Error(invalid) for bad options, Error(storage) naming the store and libpq's
// message when it cannot connect or set up, Error(version) for a store
// written by a newer tutorcore, and Error(unavailable) when built without
// libpq.
std::unique_ptr<EventStore> open_postgres_store(const PostgresOptions &opts);

}  // namespace v0
}  // namespace tutorcore
