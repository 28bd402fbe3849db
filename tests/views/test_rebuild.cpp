// Materialized views: known values for hand-made streams, and rebuilt views
// equal to incrementally updated ones row for row after long random streams.
#include <sqlite3.h>

#include "../event_gen.hpp"
#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;
using testutil::TempDir;

namespace {

Event ev(const std::string &type, const std::string &payload, const std::string &student = "s1") {
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = student;
  e.type = type;
  e.payload = payload;
  e.time_us = 1000;
  return e;
}

ViewSet snapshot(Ledger &l) {
  return l.with_views([](const ViewSet &v) { return v; });
}

// Row-for-row comparison with a readable first difference.
template <class Row>
void check_same_rows(const View<Row> &a, const View<Row> &b, const char *name) {
  CAPTURE(name);
  auto ra = a.sorted(), rb = b.sorted();
  REQUIRE(ra.size() == rb.size());
  for (size_t i = 0; i < ra.size(); ++i) {
    REQUIRE(*ra[i].first == *rb[i].first);
    CHECK_MESSAGE(*ra[i].second == *rb[i].second,
                  "row " << ra[i].first->a << "/" << ra[i].first->b << "/" << ra[i].first->c);
  }
}

void check_same(const ViewSet &a, const ViewSet &b) {
  CHECK(a.through_id() == b.through_id());
  check_same_rows(a.mastery, b.mastery, "mastery");
  check_same_rows(a.escalation, b.escalation, "escalation");
  check_same_rows(a.effectiveness, b.effectiveness, "effectiveness");
  CHECK(a == b);
}

void append_random(Ledger &l, testutil::EventGen &gen, int n, std::mt19937_64 &rng) {
  int done = 0;
  while (done < n) {
    int size = 1 + static_cast<int>(rng() % 200);
    std::vector<Event> batch;
    for (int i = 0; i < size && done < n; ++i, ++done)
      batch.push_back(gen.next());
    l.append(batch);
  }
}

}  // namespace

TEST_CASE("the fold gives the documented values") {
  Ledger l(open_memory_store());
  std::vector<Event> batch = {
      ev("response.submitted", R"({"problem_id":"p","concept_id":"c1","correct":true})"),
      ev("response.submitted", R"({"problem_id":"p","concept_id":"c1","correct":false})"),
      ev("mastery.updated", R"({"concept_id":"c1","new_level":0.625})"),
      ev("misconception.detected", R"({"misconception_id":"m1","concept_id":"c1"})"),
      ev("misconception.detected", R"({"misconception_id":"m1"})"),
      ev("intervention.recommended", R"({"misconception_id":"m1","modality":"visual"})"),
  };
  l.append(batch);
  auto row = [&](const char *mid) { return *snapshot(l).escalation.find({"t1", "s1", mid}); };
  {
    ViewSet v = snapshot(l);
    const MasteryRow *m = v.mastery.find({"t1", "s1", "c1"});
    REQUIRE(m);
    CHECK(m->attempts == 2);
    CHECK(m->correct == 1);
    CHECK(m->has_level);
    CHECK(m->level == 0.625);
    CHECK(m->last_event_id == 3);
    EscalationRow r = row("m1");
    CHECK(r.state() == EscalationState::detected);  // recommended is not yet assigned
    CHECK(r.machine.detections == 2);
    CHECK(r.machine.attempts == 0);
    CHECK(r.machine.recommended == Modality::visual);
    CHECK_FALSE(r.machine.intervention_active);
    CHECK(r.concept_id == "c1");
  }
  std::vector<Event> more = {
      ev("intervention.assigned", R"({"misconception_id":"m1","modality":"visual"})"),
      // The outcome window: responses on the misconception's concept count,
      // others do not; m1 shows up once.
      ev("response.submitted",
         R"({"problem_id":"p2","concept_id":"c1","correct":false,"misconception_id":"m1"})"),
      ev("response.submitted", R"({"problem_id":"p9","concept_id":"c9","correct":false})"),
      ev("response.submitted", R"({"problem_id":"p3","concept_id":"c1","correct":true})"),
  };
  l.append(more);
  CHECK(row("m1").state() == EscalationState::intervention_assigned);
  CHECK(row("m1").window_counted == 2);
  CHECK(row("m1").window_present == 1);
  {
    ViewSet v = snapshot(l);
    REQUIRE(v.practice.find({"t1", "s1", "p"}));
    CHECK(v.practice.find({"t1", "s1", "p"})->attempts == 2);
    CHECK(v.practice.find({"t1", "s1", "p9"})->correct == 0);
  }
  more = {ev("intervention.outcome",
             R"({"misconception_id":"m1","modality":"visual","outcome":"persisted"})"),
          ev("intervention.assigned", R"({"misconception_id":"m1","modality":"pattern"})")};
  l.append(more);
  EscalationRow r = row("m1");
  CHECK(r.state() == EscalationState::modality_switched);
  CHECK(r.machine.attempts == 2);
  CHECK(r.machine.modalities_tried == ((1u << 0) | (1u << 2)));
  CHECK(r.window_counted == 0);  // a new intervention, a new window
  // The second persist goes to the prerequisite check; a weak prerequisite
  // sends the student to remediation, and its recovery back to assessment.
  more = {ev("intervention.outcome",
             R"({"misconception_id":"m1","modality":"pattern","outcome":"persisted"})"),
          ev("escalation.triggered",
             R"({"misconception_id":"m1","trigger":"prereq_checked","prereq_mastery":0.4})")};
  l.append(more);
  CHECK(row("m1").state() == EscalationState::prereq_remediation);
  more = {
      ev("escalation.triggered",
         R"({"misconception_id":"m1","trigger":"prereq_mastery_updated","prereq_mastery":0.7})")};
  l.append(more);
  CHECK(row("m1").state() == EscalationState::intervention_assigned);
  // A trigger the machine refuses in this state changes nothing but the count.
  more = {ev("escalation.triggered", R"({"misconception_id":"m1","trigger":"conference_failed"})")};
  l.append(more);
  CHECK(row("m1").state() == EscalationState::intervention_assigned);
  CHECK(row("m1").refused == 1);
  more = {ev("escalation.transitioned", R"({"misconception_id":"m1","to":"prerequisite_check"})")};
  l.append(more);
  CHECK(row("m1").state() == EscalationState::prerequisite_check);
  more = {
      ev("escalation.transitioned", R"({"misconception_id":"m1","to":"intervention_assigned"})"),
      ev("intervention.outcome",
         R"({"misconception_id":"m1","modality":"pattern","outcome":"resolved"})")};
  l.append(more);
  CHECK(row("m1").state() == EscalationState::resolved);
  more = {ev("misconception.detected", R"({"misconception_id":"m1"})")};
  l.append(more);
  r = row("m1");
  CHECK(r.state() == EscalationState::detected);
  CHECK(r.machine.recurrences == 1);
  CHECK(r.machine.attempts == 0);
  CHECK(r.machine.modalities_tried == 0);
  CHECK(r.concept_id == "c1");  // kept from the first detection

  ViewSet v = snapshot(l);
  const EffectivenessRow *visual = v.effectiveness.find({"t1", "m1", "visual"});
  const EffectivenessRow *pattern = v.effectiveness.find({"t1", "m1", "pattern"});
  REQUIRE(visual);
  REQUIRE(pattern);
  CHECK(visual->attempts == 1);
  CHECK(visual->resolutions == 0);
  CHECK(pattern->attempts == 2);
  CHECK(pattern->rate() == 0.5);
  // The student's own modality counts.
  REQUIRE(v.modality.find({"t1", "s1", "pattern"}));
  CHECK(v.modality.find({"t1", "s1", "pattern"})->resolutions == 1);
}

TEST_CASE("rebuilt views equal incremental views after a long random stream") {
  for (int backend = 0; backend < 2; ++backend) {
    CAPTURE(backend);
    TempDir t;
    std::unique_ptr<EventStore> store =
        backend == 0 ? open_memory_store() : open_sqlite_store({t.file("s.db")});
    LedgerOptions opts;
    opts.checkpoint_every = 997;  // many incremental checkpoints along the way
    Ledger l(std::move(store), opts);
    testutil::EventGen gen(1234);
    std::mt19937_64 rng(99);
    append_random(l, gen, 30000, rng);
    ViewSet incremental = snapshot(l);
    CHECK(incremental.mastery.rows.size() > 500);
    CHECK(incremental.escalation.rows.size() > 300);
    CHECK(incremental.effectiveness.rows.size() > 50);
    l.rebuild_views();
    check_same(incremental, snapshot(l));
  }
}

TEST_CASE("a reopened store's views (checkpoint plus the events after it) equal a rebuild") {
  TempDir t;
  std::string path = t.file("s.db");
  testutil::EventGen gen(555);
  std::mt19937_64 rng(5);
  {
    LedgerOptions opts;
    opts.checkpoint_every = 1500;
    Ledger l(open_sqlite_store({path}), opts);
    append_random(l, gen, 8000, rng);
  }  // checkpointed at close
  {
    LedgerOptions opts;
    opts.checkpoint_every = -1;  // the next events are only in the log
    Ledger l(open_sqlite_store({path}), opts);
    append_random(l, gen, 3000, rng);
    // A second ledger opened now loads the older checkpoint and folds the
    // events after it, as a process restarting after a crash would.
    ViewSet live = snapshot(l);
    Ledger other(open_sqlite_store({path}), opts);
    check_same(live, snapshot(other));
  }
  Ledger l(open_sqlite_store({path}));
  ViewSet reopened = snapshot(l);
  l.rebuild_views();
  check_same(reopened, snapshot(l));
}

TEST_CASE("two connections appending to one file (as two processes would) both see the rebuild") {
  TempDir t;
  std::string path = t.file("s.db");
  LedgerOptions opts;
  opts.checkpoint_every = 700;
  Ledger a(open_sqlite_store({path}), opts);
  Ledger b(open_sqlite_store({path}), opts);
  testutil::EventGen gen(77);
  std::mt19937_64 rng(3);
  for (int round = 0; round < 20; ++round) {
    append_random(round % 2 ? a : b, gen, 400, rng);
  }
  ViewSet va = snapshot(a), vb = snapshot(b);
  Ledger fresh(open_sqlite_store({path}));
  fresh.rebuild_views();
  ViewSet rebuilt = snapshot(fresh);
  check_same(va, rebuilt);
  check_same(vb, rebuilt);
}

TEST_CASE("a stored event the views cannot read fails the rebuild and keeps the old views") {
  TempDir t;
  std::string path = t.file("s.db");
  Ledger l(open_sqlite_store({path}));
  std::vector<Event> batch = {
      ev("response.submitted", R"({"problem_id":"p","concept_id":"c1","correct":true})")};
  l.append(batch);
  ViewSet before = snapshot(l);
  sqlite3 *db = nullptr;
  sqlite3_open(path.c_str(), &db);
  REQUIRE(
      sqlite3_exec(
          db,
          "INSERT INTO events(tenant, entity_type, entity_id, type, payload, time_us, author, "
          "entity_key) VALUES('t1','student','s1','mastery.updated','{\"concept_id\":3}',5,'x',0)",
          nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  try {
    l.rebuild_views();
    FAIL("rebuilt");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::storage);
    CHECK(std::string(e.what()).find("event 2 (mastery.updated)") == 0);
  }
  // Reading the views folds the new event too, and fails the same clear way.
  CHECK_THROWS_AS(snapshot(l), Error);
}
