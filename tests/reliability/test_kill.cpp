// Repeated SIGKILL of a writer: a child appends small batches to one SQLite
// store (view checkpoints every 50 events, so kills also land inside them)
// and reports each committed id through a pipe; the parent kills it at a
// random point, 100 times. Every round the store opens, holds every reported
// event exactly as written with dense ids, and its views equal a rebuild.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>

#include <chrono>
#include <thread>

#include "../test_util.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

// Event `seq` (1-based) of the writer's stream, fully determined by seq.
Event kth_event(int64_t seq) {
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = fmt::format("s{}", seq % 23);
  e.time_us = 1000 + seq;
  e.idempotency_key = fmt::format("k-{}", seq);
  if (seq % 4 == 0) {
    e.type = "mastery.updated";
    e.payload =
        fmt::format(R"({{"concept_id":"c{}","new_level":{}}})", seq % 3, (seq % 100) / 100.0);
  } else {
    e.type = "response.submitted";
    e.payload = fmt::format(R"({{"problem_id":"p{}","concept_id":"c{}","correct":{}}})", seq % 50,
                            seq % 3, seq % 3 ? "true" : "false");
  }
  return e;
}

[[noreturn]] void kill_writer(const std::string &path, int fd, unsigned seed) {
  try {
    LedgerOptions opts;
    opts.checkpoint_every = 50;
    Ledger l(open_sqlite_store({path}), opts);
    int64_t seq = l.last_id();
    int64_t ready = -1;  // opened: the parent's random wait starts now
    if (write(fd, &ready, sizeof ready) != sizeof ready) _exit(3);
    std::mt19937 rng(seed);
    for (;;) {
      std::vector<Event> batch;
      int size = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < size; ++i)
        batch.push_back(kth_event(++seq));
      int64_t committed = l.append(batch).back().id;
      if (write(fd, &committed, sizeof committed) != sizeof committed) _exit(3);
    }
  } catch (...) {
    _exit(2);
  }
}

}  // namespace

TEST_CASE("kill: 100 SIGKILLs of a writer lose no committed event and the store always opens") {
  testutil::TempDir t;
  std::string path = t.file("kill.db");
  { Ledger init(open_sqlite_store({path})); }
  std::mt19937_64 rng(9);
  const int rounds = 100;
  int64_t reported = 0;
  int killed = 0, rounds_with_commits = 0;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::fflush(nullptr);  // the child must not inherit unflushed output
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      kill_writer(path, fds[1], static_cast<unsigned>(round));
    }
    close(fds[1]);
    int64_t before = reported, first = 0;
    REQUIRE(read(fds[0], &first, sizeof first) == sizeof first);  // the child opened the store
    std::thread reader([&] {
      int64_t id;
      while (read(fds[0], &id, sizeof id) == sizeof id)
        reported = std::max(reported, id);
    });
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 6000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    reader.join();
    close(fds[0]);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++killed;
    CHECK_MESSAGE(!WIFEXITED(status), "writer exited with " << WEXITSTATUS(status));
    if (reported > before) ++rounds_with_commits;

    // The store opens; every reported event is there, exactly as written.
    Ledger l(open_sqlite_store({path}));
    int64_t last = l.last_id();
    REQUIRE(last >= reported);
    int64_t expect = 1, wrong = 0;
    EventQuery q;
    q.tenant = "t1";
    l.read(q, [&](const Event &e) {
      Event want = kth_event(expect);
      if (e.id != expect || e.payload != want.payload || e.idempotency_key != want.idempotency_key)
        ++wrong;
      ++expect;
      return true;
    });
    CHECK(wrong == 0);
    CHECK(expect - 1 == last);
    ViewSet reopened = l.with_views([](const ViewSet &v) { return v; });
    l.rebuild_views();
    CHECK(l.with_views([&](const ViewSet &v) { return v == reopened; }));
  }
  CHECK(killed == rounds);
  CHECK(rounds_with_commits > rounds / 2);  // most kills land mid-ingest
  MESSAGE("kill: " << killed << " SIGKILLs (" << rounds_with_commits
                   << " rounds with new commits), " << reported
                   << " committed events reported, none lost; the store opened after every kill");
}
