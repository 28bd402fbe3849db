// The storage adapters and the ledger: append, idempotency, reads, tenant
// isolation, atomicity, append-only enforcement, persistence.
#include <sqlite3.h>

#include <functional>
#include <thread>

#include "../event_gen.hpp"
#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;
using testutil::TempDir;

namespace {

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

std::string response(const char *concept_id, bool correct) {
  return fmt::format(R"({{"problem_id":"p1","concept_id":"{}","correct":{}}})", concept_id,
                     correct);
}

std::vector<Event> read_all(Ledger &l, EventQuery q) {
  std::vector<Event> out;
  l.read(q, [&](const Event &e) {
    out.push_back(e);
    return true;
  });
  return out;
}

// Runs a test body against both adapters.
void for_each_adapter(
    const std::function<void(const std::function<std::unique_ptr<EventStore>()> &)> &body) {
  SUBCASE("memory") {
    body([] { return open_memory_store(); });
  }
  SUBCASE("sqlite") {
    TempDir t;
    std::string path = t.file("store.db");
    body([path] { return open_sqlite_store({path}); });
  }
}

}  // namespace

TEST_CASE("append assigns increasing ids and reads return events in order") {
  for_each_adapter([](auto open) {
    Ledger l(open());
    std::vector<Event> batch = {
        ev("t1", "s1", "response.submitted", response("c1", true), 10),
        ev("t1", "s2", "response.submitted", response("c1", false), 20),
        ev("t1", "s1", "mastery.updated", R"({"concept_id":"c1","new_level":0.4})", 30)};
    auto out = l.append(batch);
    REQUIRE(out.size() == 3);
    CHECK(out[0].id == 1);
    CHECK(out[1].id == 2);
    CHECK(out[2].id == 3);
    CHECK(out[0].inserted);
    CHECK(l.last_id() == 3);
    EventQuery q;
    q.tenant = "t1";
    auto all = read_all(l, q);
    REQUIRE(all.size() == 3);
    CHECK(all[2].type == "mastery.updated");
    CHECK(all[2].payload == R"({"concept_id":"c1","new_level":0.4})");
    CHECK(all[0].author == "system");  // filled in
    q.entity_id = "s1";
    CHECK(read_all(l, q).size() == 2);
    q.entity_id.clear();
    q.type = "mastery.updated";
    CHECK(read_all(l, q).size() == 1);
    q.type.clear();
    q.since_us = 20;
    q.until_us = 30;
    auto window = read_all(l, q);
    REQUIRE(window.size() == 1);
    CHECK(window[0].id == 2);
    q = EventQuery{};
    q.tenant = "t1";
    q.after_id = 1;
    q.limit = 1;
    auto page = read_all(l, q);
    REQUIRE(page.size() == 1);
    CHECK(page[0].id == 2);
  });
}

TEST_CASE("the same idempotency key twice stores one event and returns the first id") {
  for_each_adapter([](auto open) {
    Ledger l(open());
    std::vector<Event> a = {
        ev("t1", "s1", "response.submitted", response("c1", true), 10, "answer-1")};
    auto first = l.append(a);
    std::vector<Event> b = {
        ev("t1", "s1", "response.submitted", response("c1", true), 10, "answer-1"),
        ev("t1", "s1", "response.submitted", response("c1", false), 11, "answer-2"),
        ev("t1", "s1", "response.submitted", response("c1", false), 11, "answer-2")};
    auto second = l.append(b);
    CHECK(second[0].id == first[0].id);
    CHECK_FALSE(second[0].inserted);
    CHECK(second[1].inserted);
    CHECK(second[2].id == second[1].id);  // a duplicate inside one batch
    CHECK_FALSE(second[2].inserted);
    CHECK(l.last_id() == 2);
    // Views count the answer once.
    l.with_views([](const ViewSet &v) {
      const MasteryRow *r = v.mastery.find({"t1", "s1", "c1"});
      REQUIRE(r);
      CHECK(r->attempts == 2);
      CHECK(r->correct == 1);
      return 0;
    });
    // Keys are per tenant: another tenant may use the same key.
    std::vector<Event> c = {
        ev("t2", "s1", "response.submitted", response("c1", true), 10, "answer-1")};
    CHECK(l.append(c)[0].inserted);
  });
}

TEST_CASE("a second tenant reads nothing of the first") {
  for_each_adapter([](auto open) {
    Ledger l(open());
    testutil::EventGen gen(7, 1);
    std::vector<Event> batch;
    for (int i = 0; i < 200; ++i)
      batch.push_back(gen.next());  // all in tenant-0
    l.append(batch);
    std::vector<Event> other = {
        ev("tenant-1", "s-1", "response.submitted", response("c9", true), 5)};
    l.append(other);
    EventQuery q;
    q.tenant = "tenant-1";
    auto seen = read_all(l, q);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].tenant == "tenant-1");
    q.entity_id = "s-1";
    for (const auto &e : read_all(l, q))
      CHECK(e.tenant == "tenant-1");
    l.with_views([](const ViewSet &v) {
      std::string json = view_rows_json(v, "mastery", "tenant-1", "");
      CHECK(json.find("tenant-0") == std::string::npos);
      CHECK(json.find("\"concept_id\":\"c9\"") != std::string::npos);
      CHECK(view_rows_json(v, "escalation", "tenant-1", "").find("\"rows\":[]") !=
            std::string::npos);
      CHECK(view_rows_json(v, "effectiveness", "tenant-1", "").find("\"rows\":[]") !=
            std::string::npos);
      return 0;
    });
    CHECK_THROWS_AS(l.read(EventQuery{}, [](const Event &) { return true; }), Error);
  });
}

TEST_CASE("a batch with one bad event stores nothing") {
  for_each_adapter([](auto open) {
    Ledger l(open());
    std::vector<Event> batch = {ev("t1", "s1", "response.submitted", response("c1", true), 10),
                                ev("t1", "s1", "response.submitted", R"({"concept_id":"c1"})", 11)};
    try {
      l.append(batch);
      FAIL("accepted a bad event");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid);
      CHECK(std::string(e.what()).find("event[1].payload.problem_id") == 0);
    }
    CHECK(l.last_id() == 0);
    l.with_views([](const ViewSet &v) {
      CHECK(v.mastery.rows.empty());
      return 0;
    });
  });
}

TEST_CASE("subscribers see committed events in log order, and may append from the callback") {
  for_each_adapter([](auto open) {
    Ledger l(open());
    std::vector<int64_t> seen;
    uint64_t token = l.subscribe([&](const Event &e) {
      seen.push_back(e.id);
      if (e.type == "misconception.detected") {
        std::vector<Event> follow = {ev(e.tenant, e.entity_id, "alert.created",
                                        R"({"alert_type":"misconception","severity":"low"})",
                                        e.time_us + 1)};
        l.append(follow);
      }
    });
    std::vector<Event> batch = {
        ev("t1", "s1", "response.submitted", response("c1", false), 10),
        ev("t1", "s1", "misconception.detected", R"({"misconception_id":"m1"})", 11),
        ev("t1", "s1", "response.submitted", response("c1", true), 12)};
    l.append(batch);
    CHECK(seen == std::vector<int64_t>{1, 2, 3, 4});
    CHECK(l.unsubscribe(token));
    CHECK_FALSE(l.unsubscribe(token));
    l.append(batch);  // replays: nothing new, nothing delivered
    CHECK(seen.size() == 4);
  });
}

TEST_CASE("many threads appending through one ledger lose nothing and keep per-student order") {
  for_each_adapter([](auto open) {
    Ledger l(open());
    constexpr int kThreads = 4, kPerThread = 300;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::vector<Event> one = {
              ev("t1", fmt::format("s{}", t), "response.submitted",
                 fmt::format(R"({{"problem_id":"p{}","concept_id":"c1","correct":true}})", i),
                 1000 + i, fmt::format("{}-{}", t, i))};
          l.append(one);
        }
      });
    }
    for (auto &th : threads)
      th.join();
    CHECK(l.last_id() == kThreads * kPerThread);
    for (int t = 0; t < kThreads; ++t) {
      EventQuery q;
      q.tenant = "t1";
      q.entity_id = fmt::format("s{}", t);
      q.limit = 100000;
      auto evs = read_all(l, q);
      REQUIRE(evs.size() == static_cast<size_t>(kPerThread));
      for (int i = 0; i < kPerThread; ++i)
        CHECK(evs[static_cast<size_t>(i)].time_us == 1000 + i);
    }
  });
}

TEST_CASE("the SQLite log is append-only and survives reopening") {
  TempDir t;
  std::string path = t.file("store.db");
  {
    Ledger l(open_sqlite_store({path}));
    std::vector<Event> batch = {
        ev("t1", "s1", "response.submitted", response("c1", true), 10, "k1")};
    l.append(batch);
  }
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char *msg = nullptr;
  CHECK(sqlite3_exec(db, "UPDATE events SET payload='{}'", nullptr, nullptr, &msg) != SQLITE_OK);
  CHECK(std::string(msg).find("append-only") != std::string::npos);
  sqlite3_free(msg);
  CHECK(sqlite3_exec(db, "DELETE FROM events", nullptr, nullptr, &msg) != SQLITE_OK);
  sqlite3_free(msg);
  sqlite3_close(db);

  Ledger l(open_sqlite_store({path}));
  CHECK(l.last_id() == 1);
  std::vector<Event> again = {ev("t1", "s1", "response.submitted", response("c1", true), 10, "k1")};
  auto out = l.append(again);  // the key is remembered across opens
  CHECK(out[0].id == 1);
  CHECK_FALSE(out[0].inserted);
}

TEST_CASE("opening something that is not a tutorcore store fails with a clear error") {
  TempDir t;
  SUBCASE("another application's database") {
    std::string path = t.file("other.db");
    sqlite3 *db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA application_id=12345; CREATE TABLE x(a)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    try {
      open_sqlite_store({path});
      FAIL("opened");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::storage);
      CHECK(std::string(e.what()).find("another application") != std::string::npos);
    }
  }
  SUBCASE("a store written by a newer tutorcore") {
    std::string path = t.file("newer.db");
    { open_sqlite_store({path}); }
    sqlite3 *db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    try {
      open_sqlite_store({path});
      FAIL("opened");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::version);
    }
  }
  SUBCASE("a file that is not a database") {
    std::string path = t.file("text.db");
    testutil::write_file(path, std::string(4096, 'x'));
    CHECK_THROWS_AS(open_sqlite_store({path}), Error);
    CHECK(testutil::read_file(path) == std::string(4096, 'x'));  // left untouched
  }
  SUBCASE("a directory that does not exist") {
    CHECK_THROWS_AS(open_sqlite_store({t.file("no/such/dir/x.db")}), Error);
  }
}

TEST_CASE("reads by entity span the indexed chunks and the unindexed tail") {
  testutil::TempDir t;
  Ledger l(open_sqlite_store({t.file("chunks.db")}));
  testutil::EventGen gen(11, 2, 30, /*replays=*/false);
  std::vector<Event> all;
  for (int round = 0; round < 9; ++round) {  // 45k events: two indexed chunks and a tail
    std::vector<Event> batch;
    for (int i = 0; i < 5000; ++i)
      batch.push_back(gen.next());
    l.append(batch);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  auto expected = [&](const EventQuery &q) {
    std::vector<int64_t> ids;
    for (const Event &e : all) {
      if (e.tenant != q.tenant || e.entity_id != q.entity_id) continue;
      if (!q.entity_type.empty() && e.entity_type != q.entity_type) continue;
      if (!q.type.empty() && e.type != q.type) continue;
      if (e.id <= q.after_id || e.time_us < q.since_us || e.time_us >= q.until_us) continue;
      if (static_cast<int64_t>(ids.size()) < q.limit) ids.push_back(e.id);
    }
    return ids;
  };
  auto actual = [&](const EventQuery &q) {
    std::vector<int64_t> ids;
    for (const Event &e : read_all(l, q))
      ids.push_back(e.id);
    return ids;
  };
  EventQuery q;
  q.tenant = "tenant-1";
  q.entity_id = "s-7";
  auto plain = expected(q);
  CHECK(plain.size() > 300);
  CHECK(actual(q) == plain);
  q.entity_type = "student";
  CHECK(actual(q) == expected(q));
  q.type = "mastery.updated";
  CHECK(actual(q) == expected(q));
  q.type.clear();
  q.after_id = 20000;  // starts inside the second chunk
  CHECK(actual(q) == expected(q));
  q.limit = 17;
  CHECK(actual(q) == expected(q));
  q.since_us = all[30000].time_us;
  q.limit = 1000000;
  CHECK(actual(q) == expected(q));
  EventQuery c;
  c.tenant = "tenant-0";
  c.entity_id = "c-1";  // a classroom entity
  CHECK(actual(c) == expected(c));
}

TEST_CASE("a listener unsubscribed during delivery is not called again, even for that event") {
  Ledger l(open_memory_store());
  int b_calls = 0;
  uint64_t b = 0;
  l.subscribe([&](const Event &) { l.unsubscribe(b); });  // A removes B
  b = l.subscribe([&](const Event &) { ++b_calls; });
  std::vector<Event> batch(1);
  batch[0].tenant = "t";
  batch[0].entity_type = "student";
  batch[0].entity_id = "s";
  batch[0].type = "note.added";
  batch[0].payload = "{}";
  l.append(batch);
  CHECK(b_calls == 0);  // A ran first and removed B before B's turn
  CHECK_FALSE(l.unsubscribe(b));
  // A listener may unsubscribe itself.
  uint64_t self = 0;
  int self_calls = 0;
  self = l.subscribe([&](const Event &) {
    ++self_calls;
    l.unsubscribe(self);
  });
  std::vector<Event> two(2, batch[0]);
  l.append(two);
  CHECK(self_calls == 1);
}
