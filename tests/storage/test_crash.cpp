// A writer killed with SIGKILL mid-ingest loses no event it reported as
// committed, and the store reopens and rebuilds cleanly.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "../test_util.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

// Event number `seq` (1-based) of the writer's stream, fully determined by seq.
Event nth_event(int64_t seq) {
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = fmt::format("s{}", seq % 37);
  e.time_us = 1000 + seq;
  e.idempotency_key = fmt::format("seq-{}", seq);
  if (seq % 3 == 0) {
    e.type = "mastery.updated";
    e.payload =
        fmt::format(R"({{"concept_id":"c{}","new_level":{}}})", seq % 5, (seq % 100) / 100.0);
  } else {
    e.type = "response.submitted";
    e.payload = fmt::format(R"({{"problem_id":"p{}","concept_id":"c{}","correct":{}}})", seq,
                            seq % 5, seq % 2 ? "true" : "false");
  }
  return e;
}

// The child: appends batches forever, reporting each committed last id.
[[noreturn]] void writer(const std::string &path, int fd) {
  try {
    LedgerOptions opts;
    opts.checkpoint_every = 500;  // so kills also land inside view checkpoints
    Ledger l(open_sqlite_store({path}), opts);
    int64_t seq = l.last_id();
    for (;;) {
      std::vector<Event> batch;
      int size = 1 + static_cast<int>(seq % 97);
      for (int i = 0; i < size; ++i)
        batch.push_back(nth_event(++seq));
      auto out = l.append(batch);
      int64_t committed = out.back().id;
      if (write(fd, &committed, sizeof committed) != sizeof committed) _exit(3);
    }
  } catch (...) {
    _exit(2);
  }
}

}  // namespace

TEST_CASE("SIGKILL of a writer mid-ingest loses no committed event") {
  testutil::TempDir t;
  std::string path = t.file("crash.db");
  std::mt19937_64 rng(2026);
  int64_t reported = 0;
  for (int round = 0; round < 8; ++round) {
    CAPTURE(round);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      writer(path, fds[1]);
    }
    close(fds[1]);
    // Let it run a random while, reading what it reports.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(30 + rng() % 200);
    std::thread reader([&] {
      int64_t id;
      while (read(fds[0], &id, sizeof id) == sizeof id)
        reported = std::max(reported, id);
    });
    std::this_thread::sleep_until(until);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    reader.join();
    close(fds[0]);
    REQUIRE(WIFSIGNALED(status));

    Ledger l(open_sqlite_store({path}));
    int64_t last = l.last_id();
    CHECK(last >= reported);
    CHECK(reported > 0);
    // Every stored event is exactly the one the writer made, ids without gaps.
    int64_t expect = 1;
    EventQuery q;
    q.tenant = "t1";
    l.read(q, [&](const Event &e) {
      Event want = nth_event(expect);
      REQUIRE(e.id == expect);
      CHECK(e.payload == want.payload);
      CHECK(e.idempotency_key == want.idempotency_key);
      ++expect;
      return true;
    });
    CHECK(expect - 1 == last);
    ViewSet reopened = l.with_views([](const ViewSet &v) { return v; });
    l.rebuild_views();
    CHECK(l.with_views([&](const ViewSet &v) { return v == reopened; }));
  }
}
