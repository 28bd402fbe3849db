// Storage conformance: the same cases against every adapter. Memory and
// SQLite always run; PostgreSQL runs when TUTORCORE_PG_DSN names a server
// (scripts/with-postgres.sh starts a throwaway one), each case in its own
// schema. The multi-process cases fork writers that append through their own
// connections (SQLite and PostgreSQL only).
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <set>
#include <thread>

#include "../event_gen.hpp"
#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/postgres_store.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

#if TUTORCORE_HAVE_POSTGRES
#include <libpq-fe.h>
#endif

using namespace tutorcore;
using testutil::TempDir;

namespace {

// One store under test: `open` makes a new connection (a new, empty store
// for memory), `sql` runs SQL on its tables (unqualified names) and returns
// the error text, empty on success.
struct Backend {
  std::string name;
  bool persistent = false;  // a second open sees the same log; several processes may share it
  std::function<std::unique_ptr<EventStore>()> open;
  std::function<std::string(const std::string &)> sql;
  std::shared_ptr<void> keep;  // what the store lives in (temp dir, schema)
};

const char *pg_dsn() {
  const char *dsn = std::getenv("TUTORCORE_PG_DSN");
  return dsn && *dsn ? dsn : nullptr;
}

#if TUTORCORE_HAVE_POSTGRES
void quiet(void *, const char *) {}

// Runs SQL on a fresh connection; returns the error text, empty on success.
std::string pg_exec(const std::string &dsn, const std::string &sql) {
  PGconn *c = PQconnectdb(dsn.c_str());
  PQsetNoticeProcessor(c, quiet, nullptr);
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult *r = PQexec(c, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) err = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

// A first-row, first-column answer (empty on error or no rows).
std::string pg_value(const std::string &dsn, const std::string &sql) {
  PGconn *c = PQconnectdb(dsn.c_str());
  std::string out;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult *r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

// A schema of its own, dropped at the end of the case.
struct PgSchema {
  std::string dsn, schema;
  PgSchema(std::string d) : dsn(std::move(d)) {
    static int counter = 0;
    schema = fmt::format("tc_conf_{}_{}", ::getpid(), counter++);
    pg_exec(dsn, fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema));
  }
  ~PgSchema() { pg_exec(dsn, fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema)); }
};
#endif

Backend memory_backend() {
  Backend b;
  b.name = "memory";
  b.open = [] { return open_memory_store(); };
  return b;
}

Backend sqlite_backend() {
  auto dir = std::make_shared<TempDir>();
  std::string path = dir->file("store.db");
  Backend b;
  b.name = "sqlite";
  b.persistent = true;
  b.keep = dir;
  b.open = [path] { return open_sqlite_store({path}); };
  b.sql = [path](const std::string &sql) {
    sqlite3 *db = nullptr;
    sqlite3_open(path.c_str(), &db);
    char *msg = nullptr;
    std::string err;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK)
      err = msg ? msg : "error";
    sqlite3_free(msg);
    sqlite3_close(db);
    return err;
  };
  return b;
}

#if TUTORCORE_HAVE_POSTGRES
Backend postgres_backend(const std::string &dsn) {
  auto schema = std::make_shared<PgSchema>(dsn);
  Backend b;
  b.name = "postgres";
  b.persistent = true;
  b.keep = schema;
  std::string name = schema->schema;
  b.open = [dsn, name] {
    PostgresOptions o;
    o.conninfo = dsn;
    o.schema = name;
    o.lock_timeout_ms = 30000;
    return open_postgres_store(o);
  };
  b.sql = [dsn, name](const std::string &sql) {
    return pg_exec(dsn, fmt::format("SET search_path = {}; {}", name, sql));
  };
  return b;
}
#endif

// Runs `body` once per adapter (as doctest subcases). `shared_only`: only
// the adapters several processes can share.
void for_each_backend(const std::function<void(Backend &)> &body, bool shared_only = false) {
  if (!shared_only) {
    SUBCASE("memory") {
      Backend b = memory_backend();
      body(b);
    }
  }
  SUBCASE("sqlite") {
    Backend b = sqlite_backend();
    body(b);
  }
  SUBCASE("postgres") {
    if (!pg_dsn()) {
      MESSAGE("postgres: skipped, TUTORCORE_PG_DSN is not set (scripts/with-postgres.sh sets it)");
      return;
    }
#if TUTORCORE_HAVE_POSTGRES
    Backend b = postgres_backend(pg_dsn());
    body(b);
#else
    MESSAGE("postgres: skipped, this build has no libpq");
#endif
  }
}

Event ev(const std::string &tenant, const std::string &student, const std::string &type,
         const std::string &payload, int64_t time_us, const std::string &key = "") {
  Event e;
  e.tenant = tenant;
  e.entity_type = "student";
  e.entity_id = student;
  e.type = type;
  e.payload = payload;
  e.time_us = time_us;
  e.idempotency_key = key;
  return e;
}

std::string response(const std::string &problem, bool correct) {
  return fmt::format(R"({{"problem_id":"{}","concept_id":"c1","correct":{}}})", problem, correct);
}

std::vector<Event> read_store(EventStore &s, const EventQuery &q = {}) {
  std::vector<Event> out;
  s.read(q, [&](const Event &e) {
    out.push_back(e);
    return true;
  });
  return out;
}

std::vector<Event> read_ledger(Ledger &l, const EventQuery &q) {
  std::vector<Event> out;
  l.read(q, [&](const Event &e) {
    out.push_back(e);
    return true;
  });
  return out;
}

std::vector<int64_t> ids_of(const std::vector<Event> &events) {
  std::vector<int64_t> ids;
  for (const Event &e : events)
    ids.push_back(e.id);
  return ids;
}

ViewSet snapshot(Ledger &l) {
  return l.with_views([](const ViewSet &v) { return v; });
}

void append_random(Ledger &l, testutil::EventGen &gen, int n, std::mt19937_64 &rng,
                   std::vector<Event> *stored = nullptr) {
  int done = 0;
  while (done < n) {
    int size = 1 + static_cast<int>(rng() % 120);
    std::vector<Event> batch;
    for (int i = 0; i < size && done < n; ++i, ++done)
      batch.push_back(gen.next());
    auto out = l.append(batch);
    if (stored) {
      for (size_t i = 0; i < batch.size(); ++i)
        if (out[i].inserted) stored->push_back(batch[i]);
    }
  }
}

// Runs fn in a child process: exit 0 when it returns true, 1 when false, 2
// on an exception (printed). The child never returns into doctest.
pid_t spawn(const std::function<bool()> &fn) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 2;
    try {
      code = fn() ? 0 : 1;
    } catch (const std::exception &e) {
      std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
    }
    ::_exit(code);
  }
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Memory shared with forked children, zeroed.
template <class T>
struct Shared {
  explicit Shared(size_t n) : n(n) {
    void *p =
        ::mmap(nullptr, sizeof(T) * n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    data = static_cast<T *>(p);
    for (size_t i = 0; i < n; ++i)
      new (&data[i]) T();
  }
  ~Shared() {
    for (size_t i = 0; i < n; ++i)
      data[i].~T();
    ::munmap(data, sizeof(T) * n);
  }
  T &operator[](size_t i) { return data[i]; }
  T *data;
  size_t n;
};

// Children block on `wait` until the parent calls `release`.
struct Gate {
  int fds[2];
  Gate() { REQUIRE(::pipe(fds) == 0); }
  ~Gate() {
    if (fds[0] >= 0) ::close(fds[0]);
    if (fds[1] >= 0) ::close(fds[1]);
  }
  void wait() {  // in a child
    ::close(fds[1]);
    char c;
    while (::read(fds[0], &c, 1) > 0) {
    }
  }
  void release() {  // in the parent, after forking
    ::close(fds[1]);
    fds[1] = -1;
  }
};

}  // namespace

TEST_CASE("conformance: append and read round-trip every field") {
  for_each_backend([](Backend &b) {
    CAPTURE(b.name);
    Ledger l(b.open());
    std::vector<Event> batch = {
        ev("t1", "s1", "response.submitted", response(R"(p \"q\" \\ é ✓)", true), 10, "k-1"),
        ev("t1", "s2", "mastery.updated", R"({"concept_id":"c1","new_level":0.125})", 20),
        ev("t1", "c-1", "assignment.created", R"({"title":"Set {1}","problem_ids":["p1"]})", 30,
           "k-2/x"),
    };
    batch[1].author = "teacher:t-9";
    batch[2].entity_type = "classroom";
    auto out = l.append(batch);
    REQUIRE(out.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(out[i].id == static_cast<int64_t>(i + 1));
      CHECK(out[i].inserted);
    }
    CHECK(l.last_id() == 3);
    EventQuery q;
    q.tenant = "t1";
    auto got = read_ledger(l, q);
    REQUIRE(got.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(got[i].id == out[i].id);
      CHECK(got[i].tenant == batch[i].tenant);
      CHECK(got[i].entity_type == batch[i].entity_type);
      CHECK(got[i].entity_id == batch[i].entity_id);
      CHECK(got[i].type == batch[i].type);
      CHECK(got[i].payload == batch[i].payload);
      CHECK(got[i].time_us == batch[i].time_us);
      CHECK(got[i].author == batch[i].author);
      CHECK(got[i].idempotency_key == batch[i].idempotency_key);
    }
    CHECK(got[0].author == "system");  // filled in by the ledger
    if (b.persistent) {                // a second connection reads the same
      auto other = b.open();
      auto again = read_store(*other);
      REQUIRE(again.size() == 3);
      CHECK(again[0].payload == batch[0].payload);
      CHECK(again[2].idempotency_key == "k-2/x");
      CHECK(other->last_id() == 3);
    }
    std::vector<Event> none;
    CHECK(l.append(none).empty());  // an empty batch is fine
    CHECK(l.last_id() == 3);
  });
}

TEST_CASE("conformance: a replayed idempotency key stores nothing and returns the first id") {
  for_each_backend([](Backend &b) {
    CAPTURE(b.name);
    Ledger l(b.open());
    std::vector<Event> a = {ev("t1", "s1", "response.submitted", response("p1", true), 10, "a-1")};
    auto first = l.append(a);
    std::vector<Event> batch = {
        ev("t1", "s1", "response.submitted", response("p1", true), 10, "a-1"),   // stored
        ev("t1", "s1", "response.submitted", response("p2", false), 11, "a-2"),  // new
        ev("t1", "s1", "response.submitted", response("p2", false), 11, "a-2"),  // in batch
        ev("t1", "s1", "response.submitted", response("p3", false), 12),         // no key
        ev("t2", "s1", "response.submitted", response("p1", true), 10, "a-1")};  // other tenant
    auto second = l.append(batch);
    CHECK(second[0].id == first[0].id);
    CHECK_FALSE(second[0].inserted);
    CHECK(second[1].inserted);
    CHECK(second[1].id == 2);
    CHECK(second[2].id == second[1].id);
    CHECK_FALSE(second[2].inserted);
    CHECK(second[3].inserted);
    CHECK(second[3].id == 3);
    CHECK(second[4].inserted);
    CHECK(second[4].id == 4);
    CHECK(l.last_id() == 4);
    l.with_views([](const ViewSet &v) {
      const MasteryRow *r = v.mastery.find({"t1", "s1", "c1"});
      REQUIRE(r);
      CHECK(r->attempts == 3);  // a-1 once, a-2 once, the unkeyed one
      return 0;
    });
    auto replay = l.append(batch);  // the whole batch again: nothing new
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i].idempotency_key.empty()) CHECK_FALSE(replay[i].inserted);
    }
    CHECK(replay[3].inserted);  // the unkeyed event is stored again
    CHECK(replay[1].id == 2);
    if (b.persistent) {  // keys are remembered across connections
      Ledger other(b.open());
      std::vector<Event> c = {
          ev("t1", "s1", "response.submitted", response("p2", false), 11, "a-2")};
      auto out = other.append(c);
      CHECK(out[0].id == 2);
      CHECK_FALSE(out[0].inserted);
    }
  });
}

TEST_CASE("conformance: tenants are isolated") {
  for_each_backend([](Backend &b) {
    CAPTURE(b.name);
    Ledger l(b.open());
    std::vector<Event> batch;
    for (int i = 0; i < 30; ++i) {
      batch.push_back(ev(i % 2 ? "ta" : "tb", "s1", "response.submitted",
                         response(fmt::format("p{}", i), true), 100 + i,
                         fmt::format("req-{}", i / 2)));
    }
    l.append(batch);
    for (const char *tenant : {"ta", "tb"}) {
      EventQuery q;
      q.tenant = tenant;
      auto got = read_ledger(l, q);
      CHECK(got.size() == 15);
      for (const Event &e : got)
        CHECK(e.tenant == tenant);
      q.entity_id = "s1";
      q.type = "response.submitted";
      CHECK(read_ledger(l, q).size() == 15);
      auto keyed = l.read_keyed(tenant, "req-3");
      REQUIRE(keyed.size() == 1);
      CHECK(keyed[0].tenant == tenant);
    }
    EventQuery q;
    q.tenant = "tc";
    CHECK(read_ledger(l, q).empty());
    l.with_views([](const ViewSet &v) {
      CHECK(v.mastery.find({"ta", "s1", "c1"})->attempts == 15);
      CHECK(v.mastery.find({"tb", "s1", "c1"})->attempts == 15);
      return 0;
    });
  });
}

TEST_CASE("conformance: read filters (entity, type, time window, after_id, limit)") {
  for_each_backend([](Backend &b) {
    CAPTURE(b.name);
    Ledger l(b.open());
    testutil::EventGen gen(42, 2, 12);
    std::mt19937_64 rng(8);
    std::vector<Event> stored;
    append_random(l, gen, 2600, rng, &stored);  // more than one PostgreSQL read page
    REQUIRE(stored.size() > 2100);
    auto expected = [&](const EventQuery &q) {
      std::vector<int64_t> ids;
      for (const Event &e : stored) {
        if (!q.tenant.empty() && e.tenant != q.tenant) continue;
        if (!q.entity_type.empty() && e.entity_type != q.entity_type) continue;
        if (!q.entity_id.empty() && e.entity_id != q.entity_id) continue;
        if (!q.type.empty() && e.type != q.type) continue;
        if (e.id <= q.after_id || e.time_us < q.since_us || e.time_us >= q.until_us) continue;
        if (static_cast<int64_t>(ids.size()) < q.limit) ids.push_back(e.id);
      }
      return ids;
    };
    auto check = [&](const EventQuery &q) {
      auto want = expected(q);
      CHECK(ids_of(read_ledger(l, q)) == want);
      return want.size();
    };
    EventQuery q;
    q.tenant = "tenant-1";
    CHECK(check(q) > 1000);
    q.entity_id = "s-3";
    CHECK(check(q) > 20);
    q.entity_type = "student";
    check(q);
    q.entity_type = "classroom";
    CHECK(check(q) == 0);
    q = {};
    q.tenant = "tenant-0";
    q.entity_type = "classroom";
    CHECK(check(q) > 50);
    q.entity_id = "c-1";
    CHECK(check(q) > 10);
    q = {};
    q.tenant = "tenant-0";
    q.type = "mastery.updated";
    CHECK(check(q) > 50);
    q.entity_id = "s-5";
    check(q);
    q = {};
    q.tenant = "tenant-1";
    q.since_us = stored[500].time_us;
    q.until_us = stored[900].time_us;
    CHECK(check(q) > 100);
    q.type = "response.submitted";
    check(q);
    q.type.clear();
    q.after_id = stored[700].id;
    check(q);
    q = {};
    q.tenant = "tenant-0";
    q.after_id = 333;
    q.limit = 17;
    CHECK(check(q) == 17);
    q.limit = 0;
    CHECK(check(q) == 0);
    q.limit = 1000;
    q.after_id = 0;
    CHECK(check(q) == 1000);
    // An early stop from the sink.
    EventQuery all;
    all.tenant = "tenant-1";
    int seen = 0;
    l.read(all, [&](const Event &) { return ++seen < 5; });
    CHECK(seen == 5);
    // A whole-log read (what a rebuild does) returns every stored event in order.
    // With a limit past PostgreSQL's first read page.
    if (b.persistent) {
      auto other = b.open();
      CHECK(ids_of(read_store(*other)) == ids_of(stored));
      EventQuery page;
      page.limit = 2100;
      auto want = ids_of(stored);
      want.resize(2100);
      CHECK(ids_of(read_store(*other, page)) == want);
    }
  });
}

TEST_CASE("conformance: read_keyed returns a request's events in log order") {
  for_each_backend([](Backend &b) {
    CAPTURE(b.name);
    Ledger l(b.open());
    std::vector<Event> batch;
    int t = 0;
    for (const char *key : {"req-1/b", "req-10", "req-1", "req-1-x", "req-2/a", "req-1/a",
                            "req-0/z", "req-1/a/deep", "req-1."}) {
      batch.push_back(ev("t1", "s1", "response.submitted", response("p1", true), ++t, key));
    }
    batch.push_back(ev("t2", "s1", "response.submitted", response("p1", true), ++t, "req-1/c"));
    l.append(batch);
    std::vector<std::string> keys;
    for (const Event &e : l.read_keyed("t1", "req-1"))
      keys.push_back(e.idempotency_key);
    CHECK(keys == std::vector<std::string>{"req-1/b", "req-1", "req-1/a", "req-1/a/deep"});
    CHECK(l.read_keyed("t1", "req-3").empty());
    CHECK(l.read_keyed("t2", "req-1").size() == 1);
    CHECK(l.read_keyed("t1", "req-2").size() == 1);
  });
}

TEST_CASE("conformance: the log refuses UPDATE and DELETE at the SQL level") {
  for_each_backend([](Backend &b) {
    CAPTURE(b.name);
    if (!b.sql) {
      MESSAGE(b.name << ": no SQL level");
      return;
    }
    {
      Ledger l(b.open());
      std::vector<Event> batch = {
          ev("t1", "s1", "response.submitted", response("p1", true), 10, "k1"),
          ev("t1", "s2", "response.submitted", response("p1", false), 11, "k2")};
      l.append(batch);
    }
    std::string err = b.sql("UPDATE events SET payload = '{}'");
    CHECK(err.find("append-only") != std::string::npos);
    err = b.sql("DELETE FROM events WHERE id = 1");
    CHECK(err.find("append-only") != std::string::npos);
    if (b.name == "postgres") {
      err = b.sql("TRUNCATE events");
      CHECK(err.find("append-only") != std::string::npos);
    }
    auto s = b.open();
    auto all = read_store(*s);
    REQUIRE(all.size() == 2);
    CHECK(all[0].payload == response("p1", true));
    CHECK(all[1].idempotency_key == "k2");
  });
}

TEST_CASE("conformance: rebuilt views equal incremental views") {
  for_each_backend([](Backend &b) {
    CAPTURE(b.name);
    LedgerOptions opts;
    opts.checkpoint_every = 400;  // incremental checkpoints along the way
    Ledger l(b.open(), opts);
    testutil::EventGen gen(2024);
    std::mt19937_64 rng(4);
    append_random(l, gen, 4000, rng);
    ViewSet incremental = snapshot(l);
    CHECK(incremental.mastery.rows.size() > 200);
    CHECK(incremental.escalation.rows.size() > 100);
    l.rebuild_views();
    ViewSet rebuilt = snapshot(l);
    CHECK(rebuilt.through_id() == incremental.through_id());
    CHECK(rebuilt == incremental);
    if (b.persistent) {  // and a fresh ledger on the store agrees
      Ledger other(b.open());
      CHECK(snapshot(other) == incremental);
    }
  });
}

TEST_CASE("conformance: checkpoints reload, never go backwards, and follow the layout version") {
  for_each_backend([](Backend &b) {
    CAPTURE(b.name);
    if (!b.persistent) {
      auto s = b.open();
      ViewSet v;
      CHECK(s->load_views(&v) == 0);  // nothing persists
      return;
    }
    testutil::EventGen gen(31);
    std::mt19937_64 rng(6);
    ViewSet closed;
    {
      LedgerOptions opts;
      opts.checkpoint_every = 500;
      Ledger l(b.open(), opts);
      append_random(l, gen, 2500, rng);
      closed = snapshot(l);
    }  // checkpointed at close
    {
      auto s = b.open();
      ViewSet v;
      CHECK(s->load_views(&v) == closed.through_id());
      CHECK(v == closed);
    }
    {
      LedgerOptions opts;
      opts.checkpoint_every = -1;  // the next events are only in the log
      Ledger l(b.open(), opts);
      append_random(l, gen, 800, rng);
      ViewSet live = snapshot(l);
      Ledger other(b.open(), opts);  // the old checkpoint plus the events after it
      CHECK(snapshot(other) == live);
      l.checkpoint();
      // An older checkpoint never overwrites a newer one.
      auto s = b.open();
      s->save_views(closed, true);
      ViewSet v;
      CHECK(s->load_views(&v) == live.through_id());
      CHECK(v == live);
    }
    // View tables of another layout are dropped and the log refolded.
    CHECK(b.sql("UPDATE store_meta SET value = 1 WHERE name = 'view_schema'") == "");
    {
      auto s = b.open();
      ViewSet v;
      CHECK(s->load_views(&v) == 0);
    }
    Ledger l(b.open());
    Ledger fresh(b.open());
    fresh.rebuild_views();
    CHECK(snapshot(l) == snapshot(fresh));
  });
}

TEST_CASE("conformance: concurrent appends from several processes lose nothing") {
  for_each_backend(
      [](Backend &b) {
        CAPTURE(b.name);
        constexpr int kWriters = 4, kPerWriter = 150;
        constexpr int64_t kTotal = kWriters * kPerWriter;
        LedgerOptions opts;
        opts.checkpoint_every = 200;
        {
          auto s = b.open();  // creates the tables before the children race
        }
        // No connection is open in this process while it forks (SQLite's
        // per-process lock state must not be inherited).
        Shared<std::atomic<int64_t>> state(4);  // tail seen, tail gaps, writers done, watcher ok
        Gate go;  // opens when every child is waiting and the parent releases it
        std::vector<pid_t> kids;
        for (int w = 0; w < kWriters; ++w) {
          kids.push_back(spawn([&, w] {
            go.wait();
            Ledger l(b.open(), opts);
            std::mt19937_64 rng(static_cast<uint64_t>(w) + 1);
            int i = 0;
            while (i < kPerWriter) {
              std::vector<Event> batch;
              int size = 1 + static_cast<int>(rng() % 4);
              for (int k = 0; k < size && i < kPerWriter; ++k, ++i) {
                // Every third event goes to an entity all writers share.
                batch.push_back(ev("t1", i % 3 ? fmt::format("s{}", w) : "shared",
                                   "response.submitted",
                                   fmt::format(R"({{"problem_id":"w{}-{}","concept_id":"c{}",)"
                                               R"("correct":true}})",
                                               w, i, w),
                                   1000 + i, fmt::format("w{}-{}", w, i)));
              }
              l.append(batch);
            }
            return true;
          }));
        }
        // A ledger opened before the writers start, reading its views while
        // they append: it must end equal to a rebuild.
        pid_t watcher = spawn([&] {
          Ledger l(b.open(), opts);
          go.wait();
          while (state[2].load() == 0) {
            snapshot(l);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
          }
          ViewSet caught_up = snapshot(l);
          Ledger fresh(b.open());
          fresh.rebuild_views();
          state[3] = caught_up.through_id() == kTotal && snapshot(fresh) == caught_up ? 1 : -1;
          return true;
        });
        // A reader tailing the log "after the last id it has seen", as a
        // ledger does: it must see every event (ids follow commit order).
        pid_t tail = spawn([&] {
          go.wait();
          auto s = b.open();
          int64_t last = 0, seen = 0;
          for (bool done = false; !done && seen < kTotal;) {
            done = state[2].load() != 0;  // one more read after the writers finish
            EventQuery q;
            q.after_id = last;
            s->read(q, [&](const Event &e) {
              if (e.id != last + 1) ++state[1];  // a gap: an id was skipped
              last = e.id;
              ++seen;
              return true;
            });
          }
          state[0] = seen;
          return true;
        });
        go.release();
        for (pid_t k : kids)
          CHECK(wait_child(k) == 0);
        state[2] = 1;
        CHECK(wait_child(tail) == 0);
        CHECK(wait_child(watcher) == 0);
        CHECK(state[0].load() == kTotal);
        CHECK(state[1].load() == 0);
        CHECK(state[3].load() == 1);

        auto s = b.open();
        CHECK(s->last_id() == kTotal);
        auto all = read_store(*s);
        REQUIRE(all.size() == static_cast<size_t>(kTotal));
        std::set<std::string> keys;
        std::map<std::string, int64_t> next;  // writer -> next expected sequence number
        for (size_t i = 0; i < all.size(); ++i) {
          const Event &e = all[i];
          CHECK(e.id == static_cast<int64_t>(i + 1));
          CHECK(keys.insert(e.idempotency_key).second);  // no duplicates
          std::string writer = e.idempotency_key.substr(0, e.idempotency_key.find('-'));
          // The log holds each writer's events in its own order.
          auto it = next.try_emplace(writer, 1000).first;
          CHECK(e.time_us == it->second);
          it->second = e.time_us + 1;
        }
        // Per entity, including the shared one, each writer's order holds.
        for (const char *entity : {"shared", "s0", "s3"}) {
          EventQuery q;
          q.tenant = "t1";
          q.entity_id = entity;
          std::map<std::string, int64_t> last;
          size_t n = 0;
          for (const Event &e : read_store(*s, q)) {
            std::string writer = e.idempotency_key.substr(0, e.idempotency_key.find('-'));
            auto it = last.find(writer);
            if (it != last.end()) CHECK(e.time_us > it->second);
            last[writer] = e.time_us;
            ++n;
          }
          CHECK(n > 0);
        }
        Ledger l(b.open());
        for (int w = 0; w < kWriters; ++w) {
          l.with_views([&](const ViewSet &v) {
            const MasteryRow *r =
                v.mastery.find({"t1", fmt::format("s{}", w), fmt::format("c{}", w)});
            REQUIRE(r);
            CHECK(r->attempts == kPerWriter - (kPerWriter + 2) / 3);
            return 0;
          });
        }
      },
      /*shared_only=*/true);
}

TEST_CASE("conformance: processes racing on one idempotency key store it once") {
  for_each_backend(
      [](Backend &b) {
        CAPTURE(b.name);
        constexpr int kProcs = 4, kRounds = 25;
        struct Outcome {
          int64_t id;
          int64_t inserted;
          int64_t own_id;
          int64_t own_inserted;
        };
        { auto s = b.open(); }
        Shared<Outcome> outcomes(kProcs * kRounds);
        Gate go;
        std::vector<pid_t> kids;
        for (int p = 0; p < kProcs; ++p) {
          kids.push_back(spawn([&, p] {
            auto s = b.open();  // connect first, then wait, so all start together
            go.wait();
            for (int r = 0; r < kRounds; ++r) {
              std::vector<Event> batch = {
                  ev("t1", "s1", "response.submitted", response(fmt::format("r{}", r), true), r,
                     fmt::format("race-{}", r)),
                  ev("t1", fmt::format("p{}", p), "response.submitted",
                     response(fmt::format("r{}", r), true), r, fmt::format("own-{}-{}", p, r))};
              AppendOutcome out[2];
              s->append(batch.data(), batch.size(), out);
              outcomes[static_cast<size_t>(p * kRounds + r)] = {out[0].id, out[0].inserted,
                                                                out[1].id, out[1].inserted};
            }
            return true;
          }));
        }
        go.release();
        for (pid_t k : kids)
          CHECK(wait_child(k) == 0);
        auto s = b.open();
        std::set<int64_t> own_ids;
        for (int r = 0; r < kRounds; ++r) {
          CAPTURE(r);
          int winners = 0;
          std::set<int64_t> ids;
          for (int p = 0; p < kProcs; ++p) {
            const Outcome &o = outcomes[static_cast<size_t>(p * kRounds + r)];
            winners += o.inserted ? 1 : 0;
            ids.insert(o.id);
            CHECK(o.own_inserted == 1);
            own_ids.insert(o.own_id);
          }
          CHECK(winners == 1);
          CHECK(ids.size() == 1);
          size_t n = 0;
          s->read_keyed("t1", fmt::format("race-{}", r), [&](const Event &e) {
            CHECK(e.id == *ids.begin());
            ++n;
            return true;
          });
          CHECK(n == 1);
        }
        CHECK(own_ids.size() == static_cast<size_t>(kProcs * kRounds));
        CHECK(s->last_id() == kRounds + kProcs * kRounds);
      },
      /*shared_only=*/true);
}

TEST_CASE("conformance: PostgreSQL options, absence and lost connections") {
  if (!postgres_available()) {
    try {
      open_postgres_store({"host=localhost"});
      FAIL("opened without libpq");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::unavailable);
      CHECK(std::string(e.what()).find("without PostgreSQL support") != std::string::npos);
    }
    return;
  }
  PostgresOptions bad;
  CHECK_THROWS_AS(open_postgres_store(bad), Error);  // no connection string
  bad.conninfo = "host=127.0.0.1";
  bad.schema = "Bad-Name";
  try {
    open_postgres_store(bad);
    FAIL("accepted a bad schema");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid);
  }
  PostgresOptions unreachable;
  unreachable.conninfo = "host=127.0.0.1 port=1 connect_timeout=2";
  try {
    open_postgres_store(unreachable);
    FAIL("connected to port 1");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::storage);
    CHECK(std::string(e.what()).find("postgres store 'tutorcore'") == 0);
  }
  if (!pg_dsn()) {
    MESSAGE("postgres: lost-connection case skipped, TUTORCORE_PG_DSN is not set");
    return;
  }
#if TUTORCORE_HAVE_POSTGRES
  {  // not a tutorcore store, or a newer one
    PgSchema other(pg_dsn());
    PostgresOptions o;
    o.conninfo = pg_dsn();
    o.schema = other.schema;
    pg_exec(o.conninfo, fmt::format("CREATE SCHEMA {0}; CREATE TABLE {0}.events(x int)", o.schema));
    try {
      open_postgres_store(o);
      FAIL("opened another application's table");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::storage);
      CHECK(std::string(e.what()).find("tutorcore did not create") != std::string::npos);
    }
    pg_exec(o.conninfo, fmt::format("DROP SCHEMA {} CASCADE", o.schema));
    { open_postgres_store(o); }
    CHECK(
        pg_exec(o.conninfo,
                fmt::format("UPDATE {}.store_meta SET value = 99 WHERE name = 'schema'", o.schema))
            .empty());
    try {
      open_postgres_store(o);
      FAIL("opened a newer store");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::version);
    }
  }
  PgSchema schema(pg_dsn());
  std::string app = schema.schema + "_app";
  PostgresOptions o;
  o.conninfo = fmt::format("{} application_name={}", pg_dsn(), app);
  o.schema = schema.schema;
  if (o.conninfo.rfind("postgres", 0) == 0) {
    MESSAGE("postgres: lost-connection case needs a key=value DSN, skipped");
    return;
  }
  Ledger l(open_postgres_store(o));
  std::vector<Event> batch = {ev("t1", "s1", "response.submitted", response("p1", true), 1, "k1")};
  l.append(batch);
  auto kill = [&] {
    pg_exec(pg_dsn(), fmt::format("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                  "application_name = '{}'",
                                  app));
    for (int i = 0; i < 100; ++i) {  // until the backend is gone
      if (pg_value(pg_dsn(), fmt::format("SELECT count(*) FROM pg_stat_activity WHERE "
                                         "application_name = '{}'",
                                         app)) == "0")
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  kill();
  CHECK(l.last_id() == 1);  // a read reconnects
  kill();
  batch = {ev("t1", "s1", "response.submitted", response("p2", true), 2, "k2")};
  auto out = l.append(batch);  // so does an append (nothing was sent before the loss)
  CHECK(out[0].id == 2);
  CHECK(out[0].inserted);
  kill();
  l.checkpoint();  // and a checkpoint
  l.with_views([](const ViewSet &v) {
    CHECK(v.mastery.find({"t1", "s1", "c1"})->attempts == 2);
    return 0;
  });
#endif
}
