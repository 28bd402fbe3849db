// Fault injection: FaultyStore (faulty_store.hpp) fails the Nth append, read
// or view checkpoint as a full disk, a busy database or an I/O error. Every
// Ledger and Tutor operation, for every N until it completes untouched,
// either completes or throws Error(storage) with the fault's message and
// leaves the log and the views as they were (the views equal a rebuild, no
// partial batch); a retry then completes. The same through the C ABI
// (tc_submit_response returns TC_ESTORAGE with the message). Each case
// prints how many faults it injected.
#include <fmt/format.h>

#include <functional>

#include "../../capi/handles.hpp"
#include "../test_util.hpp"
#include "faulty_store.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/tutorcore.h"

using namespace tutorcore;
using testutil::Fault;
using testutil::FaultyStore;

namespace {

std::shared_ptr<const Domain> minimal() {
  static std::shared_ptr<const Domain> d = [] {
    auto dom = std::make_shared<Domain>();
    DomainReport r = load_domain(TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal", dom.get());
    REQUIRE(r.ok());
    return std::shared_ptr<const Domain>(dom);
  }();
  return d;
}

SubmitRequest answer(const std::string &student, const std::string &problem,
                     const std::string &text, const std::string &key) {
  SubmitRequest r;
  r.tenant = "t1";
  r.student = student;
  r.problem_id = problem;
  r.answer = text;
  r.latency_ms = 30000;
  r.idempotency_key = key;
  return r;
}

// A SQLite store behind a FaultyStore, a ledger and a tutor, with some history:
// s1 shows mis_alpha_one (so a teacher can approve its recommendation).
struct Sandbox {
  testutil::TempDir dir;
  std::shared_ptr<FaultyStore::Plan> plan = std::make_shared<FaultyStore::Plan>();
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<Tutor> tutor;
  explicit Sandbox(int64_t checkpoint_every) {
    LedgerOptions o;
    o.checkpoint_every = checkpoint_every;
    ledger = std::make_unique<Ledger>(
        std::make_unique<FaultyStore>(open_sqlite_store({dir.file("f.db")}), plan), o);
    tutor = std::make_unique<Tutor>(minimal(), *ledger);
    tutor->submit(answer("s1", "unit_alpha_p2", "3", "setup-1"));
    tutor->submit(answer("s2", "unit_alpha_p1", "1", "setup-2"));
    tutor->submit(answer("s1", "unit_beta_p0", "0", "setup-3"));
  }
  ViewSet views() {
    return ledger->with_views([](const ViewSet &v) { return v; });
  }
};

struct Op {
  const char *name;
  std::function<void(Sandbox &)> run;
};

std::vector<Event> two_events(const std::string &key) {
  std::vector<Event> b(2);
  for (int i = 0; i < 2; ++i) {
    b[i].tenant = "t1";
    b[i].entity_type = "student";
    b[i].entity_id = "s3";
    b[i].type = "response.submitted";
    b[i].idempotency_key = fmt::format("{}/{}", key, i);
    b[i].payload = fmt::format(
        R"({{"problem_id":"unit_gamma_p{}","concept_id":"unit_gamma","correct":true}})", i);
  }
  return b;
}

const std::vector<Op> &operations() {
  static const std::vector<Op> ops = {
      {"Ledger::append",
       [](Sandbox &s) {
         auto b = two_events("batch");
         s.ledger->append(b);
       }},
      {"Ledger::read",
       [](Sandbox &s) {
         EventQuery q;
         q.tenant = "t1";
         q.entity_type = "student";
         q.entity_id = "s1";
         s.ledger->read(q, [](const Event &) { return true; });
       }},
      {"Ledger::read_keyed", [](Sandbox &s) { s.ledger->read_keyed("t1", "setup-1"); }},
      {"Ledger::rebuild_views", [](Sandbox &s) { s.ledger->rebuild_views(); }},
      {"Ledger::checkpoint", [](Sandbox &s) { s.ledger->checkpoint(); }},
      {"Tutor::submit",
       [](Sandbox &s) { s.tutor->submit(answer("s1", "unit_alpha_p3", "4", "op-submit")); }},
      {"Tutor::submit (replay)",
       [](Sandbox &s) { s.tutor->submit(answer("s1", "unit_alpha_p2", "3", "setup-1")); }},
      {"Tutor::act (approve)",
       [](Sandbox &s) {
         TeacherAction a;
         a.kind = TeacherActionKind::approve;
         a.tenant = "t1";
         a.student = "s1";
         a.misconception_id = "mis_alpha_one";
         a.teacher_id = "teach1";
         a.idempotency_key = "op-approve";
         s.tutor->act(a);
       }},
      {"Tutor::assign",
       [](Sandbox &s) {
         AssignRequest r;
         r.tenant = "t1";
         r.student = "s2";
         r.concepts = {"unit_beta"};
         r.idempotency_key = "op-assign";
         s.tutor->assign(r);
       }},
  };
  return ops;
}

enum class Target { append, read, save };
const char *target_name(Target t) {
  return t == Target::append ? "append" : t == Target::read ? "read" : "checkpoint";
}

}  // namespace

TEST_CASE("faults: every operation completes or leaves the store and views as they were") {
  const Fault kinds[] = {Fault::disk_full, Fault::busy, Fault::io};
  int injected = 0, completed_untouched = 0, failed_clean = 0, retried = 0;
  for (const Op &op : operations()) {
    for (Target target : {Target::append, Target::read, Target::save}) {
      for (int n = 1, k = 0; n <= 40; k < 2 ? ++k : (k = 0, ++n)) {  // each kind on call n
        std::string op_name = op.name, target_str = target_name(target);
        CAPTURE(op_name);
        CAPTURE(target_str);
        CAPTURE(n);
        CAPTURE(k);
        Fault f = kinds[k];
        // checkpoint_every = 1: every append also writes a view checkpoint.
        Sandbox s(target == Target::save ? 1 : -1);
        int64_t last_before = s.ledger->last_id();
        ViewSet before = s.views();
        int64_t delivered = 0;  // subscribers hear of every committed event, and only those
        s.ledger->subscribe([&](const Event &) { ++delivered; });
        s.plan->arm(f, target == Target::append ? n : 0, target == Target::read ? n : 0,
                    target == Target::save ? n : 0, /*prefix=*/n % 3);
        bool threw = false;
        try {
          op.run(s);
        } catch (const Error &e) {
          threw = true;
          CHECK(e.code() == Errc::storage);
          CHECK(std::string(e.what()) ==
                testutil::fault_message(
                    f, target == Target::save ? "view checkpoint" : target_name(target), n));
        }
        int hit = s.plan->injected;
        s.plan->disarm();
        injected += hit;
        CHECK(delivered == s.ledger->last_id() - last_before);
        if (threw) {
          ++failed_clean;
          // Nothing stored, views untouched, and they equal a rebuild.
          CHECK(s.ledger->last_id() == last_before);
          CHECK(s.views() == before);
          s.ledger->rebuild_views();
          CHECK(s.views() == before);
          op.run(s);  // the retry completes
          ++retried;
        } else if (hit == 0) {
          ++completed_untouched;
          break;  // the op makes fewer than n calls: larger n change nothing
        }
        // Completed (after a fault it absorbed, or a retry): views equal a rebuild.
        ViewSet after = s.views();
        s.ledger->rebuild_views();
        CHECK(s.views() == after);
      }
    }
  }
  CHECK(injected > 0);
  MESSAGE("faults: " << operations().size()
                     << " operations x 3 targets (append, read, checkpoint) x 3 kinds: " << injected
                     << " faults injected, " << failed_clean
                     << " clean failures (each retried: " << retried << "), " << completed_untouched
                     << " runs that completed before reaching the fault");
}

TEST_CASE("faults: a mid-stream read failure leaves catch-up views consistent") {
  // Two ledgers on one file: the second catches up with the first's appends by
  // reading, and the read breaks off after a few events.
  testutil::TempDir dir;
  std::string path = dir.file("two.db");
  auto plan = std::make_shared<FaultyStore::Plan>();
  Ledger writer(open_sqlite_store({path}));
  Ledger reader(std::make_unique<FaultyStore>(open_sqlite_store({path}), plan));
  int faults = 0;
  for (int round = 0; round < 10; ++round) {
    CAPTURE(round);
    std::vector<Event> b;
    for (int i = 0; i < 6; ++i) {
      auto two = two_events(fmt::format("r{}-{}", round, i));
      b.insert(b.end(), two.begin(), two.end());
    }
    writer.append(b);
    plan->arm(Fault::io, 0, 1, 0, round % 5);
    try {
      reader.with_views([](const ViewSet &v) { return v.through_id(); });
    } catch (const Error &e) {
      CHECK(e.code() == Errc::storage);
    }
    faults += plan->injected - faults;
    plan->disarm();
    // The next look catches up with the rest.
    int64_t through = reader.with_views([](const ViewSet &v) { return v.through_id(); });
    CHECK(through == writer.last_id());
    ViewSet a = reader.with_views([](const ViewSet &v) { return v; });
    ViewSet w = writer.with_views([](const ViewSet &v) { return v; });
    CHECK(a == w);
  }
  CHECK(faults == 10);
  MESSAGE("faults (catch-up): " << faults
                                << " reads broken off mid-stream, views caught up after each");
}

TEST_CASE("faults: tc_submit_response returns TC_ESTORAGE with the fault's message") {
  testutil::TempDir dir;
  auto plan = std::make_shared<FaultyStore::Plan>();
  tc_domain *domain = nullptr;
  REQUIRE(tc_domain_load(&domain, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
  // The store handle the C ABI's tc_store_open would make, over a FaultyStore.
  auto *store = new tc_store;
  store->ledger = std::make_unique<Ledger>(
      std::make_unique<FaultyStore>(open_sqlite_store({dir.file("c.db")}), plan));
  tc_tutor *tutor = nullptr;
  REQUIRE(tc_tutor_open(&tutor, store, domain, nullptr, 0) == TC_OK);

  const Fault kinds[] = {Fault::disk_full, Fault::busy, Fault::io};
  int faults = 0;
  for (int i = 0; i < 12; ++i) {
    CAPTURE(i);
    Fault f = kinds[i % 3];
    bool on_append = i % 2 == 0;
    std::string req = fmt::format(
        R"({{"tenant":"t1","student":"s{}","problem_id":"unit_alpha_p{}","answer":"{}","idempotency_key":"c{}","latency_ms":20000}})",
        i % 3, i % 5, i % 4, i);
    int64_t last = store->ledger->last_id();
    ViewSet before = store->ledger->with_views([](const ViewSet &v) { return v; });
    plan->arm(f, on_append ? 1 : 0, on_append ? 0 : 1);
    char *out = nullptr;
    tc_status st = tc_submit_response(tutor, req.data(), req.size(), &out);
    CHECK(st == TC_ESTORAGE);
    CHECK(out == nullptr);
    CHECK(std::string(tc_last_error()) ==
          testutil::fault_message(f, on_append ? "append" : "read", 1));
    faults += plan->injected;
    plan->disarm();
    plan->injected = 0;
    CHECK(store->ledger->last_id() == last);
    CHECK(store->ledger->with_views([](const ViewSet &v) { return v; }) == before);
    // The retry succeeds and the status is clear again.
    REQUIRE(tc_submit_response(tutor, req.data(), req.size(), &out) == TC_OK);
    CHECK(std::string(tc_last_error()).empty());
    CHECK(out != nullptr);
    tc_free(out);
  }
  ViewSet incremental = store->ledger->with_views([](const ViewSet &v) { return v; });
  store->ledger->rebuild_views();
  CHECK(store->ledger->with_views([](const ViewSet &v) { return v; }) == incremental);
  tc_tutor_free(tutor);
  tc_store_free(store);
  tc_domain_free(domain);
  CHECK(faults == 12);
  MESSAGE("faults (C ABI): " << faults << " faults through tc_submit_response, each TC_ESTORAGE "
                             << "with its message, each retried");
}
