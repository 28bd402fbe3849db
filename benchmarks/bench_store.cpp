// bench_store: event store throughput and view rebuild time.
//
//   build/benchmarks/bench_store [--events N] [--batch B] [--dir DIR]
//
// Figures: batched append to SQLite through the ledger (checks, idempotency,
// view fold) against a baseline of raw sqlite3 inserts of the same rows into
// the same table and indexes; single-event appends; the in-memory adapter;
// the full rebuild of the views from N events; reopening from a checkpoint.
// Targets (issue 2): >= 200k events/s batched to SQLite on one core; a
// rebuild of 1M events in under 3 s.
#include <fmt/format.h>
#include <sqlite3.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "event_gen.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;
namespace fs = std::filesystem;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<Event> make_events(size_t n) {
  testutil::EventGen gen(42, 3, 2000, /*replays=*/false);
  std::vector<Event> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(gen.next());
    out.back().author = "system";
  }
  return out;
}

// Splits events into batches before timing, so the timed loop measures the
// library rather than the copying of the harness.
std::vector<std::vector<Event>> batches_of(const std::vector<Event> &events, size_t batch) {
  std::vector<std::vector<Event>> out;
  for (size_t i = 0; i < events.size(); i += batch) {
    out.emplace_back(events.begin() + static_cast<long>(i),
                     events.begin() + static_cast<long>(std::min(events.size(), i + batch)));
  }
  return out;
}

double append_all(Ledger &l, const std::vector<Event> &events, size_t batch) {
  auto batches = batches_of(events, batch);
  double t0 = now_s();
  for (auto &b : batches)
    l.append(b);
  return now_s() - t0;
}

// Raw sqlite3 inserts of the same rows into the same table and indexes: no
// checks, no idempotency look-up, no entity chunks, no views.
double raw_sqlite(const std::string &path, const std::vector<Event> &events, size_t batch) {
  { open_sqlite_store({path}); }  // same schema and pragmas
  sqlite3 *db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
               "PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=4000",
               nullptr, nullptr, nullptr);
  sqlite3_stmt *s = nullptr;
  sqlite3_prepare_v2(
      db,
      "INSERT INTO events(tenant, entity_type, entity_id, type, payload, time_us, author, "
      "idem_key, entity_key) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
      -1, &s, nullptr);
  double t0 = now_s();
  for (size_t i = 0; i < events.size(); i += batch) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (size_t j = i; j < std::min(events.size(), i + batch); ++j) {
      const Event &e = events[j];
      sqlite3_bind_text(s, 1, e.tenant.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 2, e.entity_type.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 3, e.entity_id.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 4, e.type.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 5, e.payload.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(s, 6, e.time_us);
      sqlite3_bind_text(s, 7, e.author.c_str(), -1, SQLITE_STATIC);
      if (e.idempotency_key.empty())
        sqlite3_bind_null(s, 8);
      else
        sqlite3_bind_text(s, 8, e.idempotency_key.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(s, 9, entity_key(e.tenant, e.entity_id));
      if (sqlite3_step(s) != SQLITE_DONE) {
        fmt::print(stderr, "baseline insert failed: {}\n", sqlite3_errmsg(db));
        std::exit(1);
      }
      sqlite3_reset(s);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double t = now_s() - t0;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return t;
}

// Removes a phase's database and flushes the page cache's dirty pages, so the
// next phase does not pay for this one's write-back.
void settle(const std::string &db) {
  for (const char *suffix : {"", "-wal", "-shm"})
    fs::remove(db + suffix);
  sync();
}

void row(const char *what, size_t n, double secs, const std::string &note = "") {
  fmt::print("  {:<44} {:>9} events {:>8.3f} s {:>12.0f} events/s  {}\n", what, n, secs, n / secs,
             note);
}

}  // namespace

int main(int argc, char **argv) {
  size_t n = 1000000, batch = 1000, single_n = 20000;
  int64_t checkpoint_every = LedgerOptions{}.checkpoint_every;
  std::string dir = (fs::temp_directory_path() / "tutorcore-bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--events")
      n = std::stoul(argv[i + 1]);
    else if (a == "--batch")
      batch = std::stoul(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--checkpoint-every")
      checkpoint_every = std::stoll(argv[i + 1]);
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  fmt::print(
      "bench_store: {} events, batches of {}, view checkpoint every {} events, files in {}\n", n,
      batch, checkpoint_every, dir);
  std::vector<Event> events = make_events(n);

  fmt::print("\nappend\n");
  double raw = raw_sqlite(dir + "/raw.db", events, batch);
  row("baseline: raw sqlite3 INSERTs, same schema", n, raw);
  settle(dir + "/raw.db");

  std::string path = dir + "/store.db";
  double batched;
  {
    LedgerOptions lo;
    lo.checkpoint_every = checkpoint_every;
    Ledger l(open_sqlite_store({path}), lo);
    batched = append_all(l, events, batch);
  }
  sync();  // the next phases do not pay for this one's write-back
  row("ledger -> SQLite, batched", n, batched,
      fmt::format("x{:.2f} of baseline time; target >= 200000/s: {}", batched / raw,
                  n / batched >= 200000 ? "met" : "MISSED"));
  {
    Ledger l(open_memory_store());
    double mem = append_all(l, events, batch);
    row("ledger -> memory, batched", n, mem);
  }
  {
    std::vector<Event> few(events.begin(),
                           events.begin() + static_cast<long>(std::min(single_n, n)));
    Ledger l(open_sqlite_store({dir + "/single.db"}));
    double single = append_all(l, few, 1);
    row("ledger -> SQLite, one event per transaction", few.size(), single,
        fmt::format("batched is x{:.1f} faster",
                    (few.size() / single) > 0 ? (n / batched) / (few.size() / single) : 0));
  }

  fmt::print("\nviews\n");
  {
    Ledger l(open_sqlite_store({path}));
    double t0 = now_s();
    l.rebuild_views();
    double rebuild = now_s() - t0;
    size_t rows = l.with_views([](const ViewSet &v) {
      return v.mastery.rows.size() + v.escalation.rows.size() + v.effectiveness.rows.size();
    });
    row("rebuild all views from the log", n, rebuild,
        fmt::format("{} view rows; target < 3 s: {}", rows, rebuild < 3.0 ? "met" : "MISSED"));
  }
  {
    double t0 = now_s();
    Ledger l(open_sqlite_store({path}));
    double reopen = now_s() - t0;
    row("reopen: load the view checkpoint", n, reopen, "(no refold)");
  }
  fs::remove_all(dir);
  return 0;
}
