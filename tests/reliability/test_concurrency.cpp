// Concurrency: many threads submitting answers for overlapping students
// through one Tutor (with readers and a subscriber running alongside), and
// several processes appending to one SQLite store. No event is lost, each
// writer's events keep their order per student, and the views equal a
// rebuild afterwards. Each case prints how many operations it exercised.
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>

#include <atomic>
#include <map>
#include <thread>

#include "../test_util.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

std::shared_ptr<const Domain> minimal_domain() {
  static std::shared_ptr<const Domain> d = [] {
    auto dom = std::make_shared<Domain>();
    DomainReport r = load_domain(TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal", dom.get());
    REQUIRE(r.ok());
    return std::shared_ptr<const Domain>(dom);
  }();
  return d;
}

const char *const kConcepts[] = {"unit_alpha", "unit_beta", "unit_gamma"};

// Request `i` of writer `w`: key "w<w>-<i>"; the student and problem follow from (w, i),
// so students overlap between writers. Answer k is right for problem p_k, k + 1 shows
// the concept's misconception, 99 is plainly wrong.
SubmitRequest nth_request(int w, int i, int students) {
  SubmitRequest r;
  r.tenant = "t1";
  r.student = fmt::format("s{}", (w * 7 + i) % students);
  int k = (w + i) % 5;
  r.problem_id = fmt::format("{}_p{}", kConcepts[(w + 2 * i) % 3], k);
  int kind = (w * 3 + i) % 4;
  r.answer = kind == 3 ? "99" : std::to_string(kind == 2 ? k + 1 : k);
  r.latency_ms = 20000;
  r.idempotency_key = fmt::format("w{}-{}", w, i);
  return r;
}

// (writer, request number) from a key "w<w>-<i>[/...]".
std::pair<int, int> parse_key(const std::string &key) {
  int w = -1, i = -1;
  if (std::sscanf(key.c_str(), "w%d-%d", &w, &i) != 2) return {-1, -1};
  return {w, i};
}

ViewSet views_of(Ledger &l) {
  return l.with_views([](const ViewSet &v) { return v; });
}

Event process_event(int proc, int i, int j) {
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = fmt::format("s{}", (proc + i + j) % 11);
  e.idempotency_key = fmt::format("w{}-{}/{}", proc, i, j);
  e.type = "response.submitted";
  e.payload = fmt::format(R"({{"problem_id":"p{}_{}_{}","concept_id":"c{}","correct":{}}})", proc,
                          i, j, (i + j) % 5, (proc + i + j) % 2 ? "true" : "false");
  return e;
}

}  // namespace

TEST_CASE("concurrency: threads submitting through one Tutor lose nothing and keep order") {
  testutil::TempDir t;
  const int writers = 8, per_writer = 60, students = 12, readers = 2;
  LedgerOptions opts;
  opts.checkpoint_every = 200;  // checkpoints interleave with the submits
  Ledger ledger(open_sqlite_store({t.file("threads.db")}), opts);
  Tutor tutor(minimal_domain(), ledger);

  std::atomic<int64_t> delivered{0};
  ledger.subscribe([&](const Event &) { delivered.fetch_add(1); });
  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0}, replays{0};
  std::atomic<int> failures{0};

  std::vector<std::thread> pool;
  for (int w = 0; w < writers; ++w) {
    pool.emplace_back([&, w] {
      try {
        for (int i = 0; i < per_writer; ++i) {
          SubmitRequest r = nth_request(w, i, students);
          SubmitResult res = tutor.submit(r);
          if (res.replayed) failures.fetch_add(1);
          if (i % 10 == 9) {  // a retry of the previous request replays it
            SubmitResult again = tutor.submit(r);
            if (!again.replayed || again.json != res.json) failures.fetch_add(1);
            replays.fetch_add(1);
          }
        }
      } catch (const std::exception &e) {
        MESSAGE("writer " << w << ": " << e.what());
        failures.fetch_add(1);
      }
    });
  }
  for (int rd = 0; rd < readers; ++rd) {
    pool.emplace_back([&, rd] {
      int n = 0;
      while (!done.load()) {
        ledger.with_views([](const ViewSet &v) { return v.through_id(); });
        EventQuery q;
        q.tenant = "t1";
        q.entity_type = "student";
        q.entity_id = fmt::format("s{}", n++ % students);
        ledger.read(q, [](const Event &) { return true; });
        reads.fetch_add(2);
        if (rd == 0 && n % 50 == 0) ledger.checkpoint();
      }
    });
  }
  for (int w = 0; w < writers; ++w)
    pool[w].join();
  done = true;
  for (size_t k = writers; k < pool.size(); ++k)
    pool[k].join();
  CHECK(failures.load() == 0);

  // No request lost: each key's response is there once, in each writer's order per student.
  std::map<std::string, int> last_per_writer_student;  // "w/s" -> last request number
  std::map<std::string, int64_t> responses;            // key -> count
  int64_t total = 0, order_violations = 0;
  EventQuery q;
  q.tenant = "t1";
  int64_t prev_id = 0;
  ledger.read(q, [&](const Event &e) {
    ++total;
    CHECK(e.id == prev_id + 1);  // dense ids
    prev_id = e.id;
    if (e.type != "response.submitted") return true;
    auto [w, i] = parse_key(e.idempotency_key);
    REQUIRE(w >= 0);
    ++responses[fmt::format("w{}-{}", w, i)];
    CHECK(e.entity_id == nth_request(w, i, students).student);
    std::string ws = fmt::format("{}/{}", w, e.entity_id);
    auto it = last_per_writer_student.find(ws);
    if (it != last_per_writer_student.end() && it->second >= i) ++order_violations;
    last_per_writer_student[ws] = i;
    return true;
  });
  CHECK(order_violations == 0);
  CHECK(responses.size() == static_cast<size_t>(writers * per_writer));
  for (const auto &[key, n] : responses)
    CHECK_MESSAGE(n == 1, key);
  // Each request's events are one batch: contiguous ids.
  for (int w = 0; w < writers; ++w) {
    for (int i = 0; i < per_writer; i += 7) {
      auto evs = ledger.read_keyed("t1", fmt::format("w{}-{}", w, i));
      REQUIRE(!evs.empty());
      CHECK(evs.back().id - evs.front().id + 1 == static_cast<int64_t>(evs.size()));
    }
  }
  CHECK(delivered.load() == total);

  // The mastery view counted every answer.
  int64_t attempts = ledger.with_views([](const ViewSet &v) {
    int64_t n = 0;
    for (const auto &kv : v.mastery.rows)
      n += kv.second.attempts;
    return n;
  });
  CHECK(attempts == writers * per_writer);

  ViewSet incremental = views_of(ledger);
  ledger.rebuild_views();
  CHECK(views_of(ledger) == incremental);
  MESSAGE("concurrency (threads): " << writers << " writer threads x " << per_writer
                                    << " submits (+" << replays.load() << " replays), " << readers
                                    << " reader threads (" << reads.load() << " reads), " << total
                                    << " events appended and delivered");
}

TEST_CASE("concurrency: forked processes appending to one SQLite store lose nothing") {
  testutil::TempDir t;
  std::string path = t.file("procs.db");
  const int procs = 4, batches = 150;
  { Ledger init(open_sqlite_store({path})); }  // create the schema before the race
  std::vector<pid_t> kids;
  std::fflush(nullptr);  // the children must not inherit unflushed output
  for (int p = 0; p < procs; ++p) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int rc = 0;
      try {
        LedgerOptions opts;
        opts.checkpoint_every = 100;
        Ledger l(open_sqlite_store({path}), opts);
        for (int i = 0; i < batches; ++i) {
          std::vector<Event> batch;
          for (int j = 0; j < 1 + (i + p) % 4; ++j)
            batch.push_back(process_event(p, i, j));
          l.append(batch);
          if (i % 25 == 0) l.with_views([](const ViewSet &v) { return v.through_id(); });
        }
      } catch (...) {
        rc = 2;
      }
      _exit(rc);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }

  int64_t expected = 0;
  for (int p = 0; p < procs; ++p)
    for (int i = 0; i < batches; ++i)
      expected += 1 + (i + p) % 4;

  Ledger l(open_sqlite_store({path}));
  std::map<std::string, std::pair<int, int>> last;  // "proc/student" -> (batch, item)
  int64_t total = 0, order_violations = 0, mismatched = 0, prev_id = 0;
  EventQuery q;
  q.tenant = "t1";
  l.read(q, [&](const Event &e) {
    ++total;
    CHECK(e.id == prev_id + 1);
    prev_id = e.id;
    int p = -1, i = -1, j = -1;
    REQUIRE(std::sscanf(e.idempotency_key.c_str(), "w%d-%d/%d", &p, &i, &j) == 3);
    Event want = process_event(p, i, j);
    if (e.payload != want.payload || e.entity_id != want.entity_id) ++mismatched;
    std::string ps = fmt::format("{}/{}", p, e.entity_id);
    auto it = last.find(ps);
    if (it != last.end() && it->second >= std::make_pair(i, j)) ++order_violations;
    last[ps] = {i, j};
    return true;
  });
  CHECK(total == expected);
  CHECK(mismatched == 0);
  CHECK(order_violations == 0);
  ViewSet reopened = views_of(l);
  l.rebuild_views();
  CHECK(views_of(l) == reopened);
  MESSAGE("concurrency (processes): " << procs << " processes x " << batches << " batches, "
                                      << total << " events appended, none lost");
}
