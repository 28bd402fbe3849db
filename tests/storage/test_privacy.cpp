// The privacy rule and its deployment switch (docs/privacy.md): payload
// fields named or shaped like a name or e-mail address are refused by
// default with the field's path, accepted where a store explicitly allows
// personal data, and the allowance stays with that store.
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/event.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

Event personal(const std::string &payload, const std::string &key = "") {
  Event e;
  e.tenant = "t1";
  e.entity_type = "student";
  e.entity_id = "s-1";
  e.type = "note.added";
  e.payload = payload;
  e.idempotency_key = key;
  return e;
}

// The message of the refusal of appending `e`, or "accepted".
std::string append_one(Ledger &ledger, const Event &e) {
  std::vector<Event> batch{e};
  try {
    ledger.append(batch);
  } catch (const Error &err) {
    CHECK(err.code() == Errc::invalid);
    return err.what();
  }
  return "accepted";
}

LedgerOptions allowing() {
  LedgerOptions o;
  o.allow_personal_data = true;
  return o;
}

}  // namespace

TEST_CASE("privacy: personal fields are refused by default, naming the field path") {
  Ledger ledger(open_memory_store());
  CHECK_FALSE(ledger.allows_personal_data());
  CHECK(append_one(ledger, personal(R"({"note":{"student_name":"Ada Lovelace"}})"))
            .find("event[0].payload.note.student_name: field 'student_name' would put personal "
                  "data") == 0);
  CHECK(append_one(ledger, personal(R"({"contacts":["x","ada@example.org"]})"))
            .find("event[0].payload.contacts[1]: the value looks like an e-mail address") == 0);
  CHECK(append_one(ledger, personal(R"({"Date-Of-Birth":"2010-01-01"})"))
            .find("event[0].payload.Date-Of-Birth: field 'Date-Of-Birth'") == 0);
  CHECK(ledger.last_id() == 0);
  // A payload without personal data goes in.
  CHECK(append_one(ledger, personal(R"({"text_id":"n1"})")) == "accepted");
}

TEST_CASE("privacy: accepted where the store allows personal data") {
  Ledger ledger(open_memory_store(), allowing());
  CHECK(ledger.allows_personal_data());
  CHECK(append_one(ledger, personal(R"({"note":{"student_name":"Ada Lovelace"}})")) == "accepted");
  CHECK(append_one(ledger, personal(R"({"email":"ada@example.org","phone":"555"})")) == "accepted");
  std::vector<std::string> payloads;
  EventQuery q;
  q.tenant = "t1";
  ledger.read(q, [&](const Event &e) {
    payloads.push_back(e.payload);
    return true;
  });
  REQUIRE(payloads.size() == 2);
  CHECK(payloads[0].find("Ada Lovelace") != std::string::npos);
  // Entity ids stay pseudonymous, and the rest of the check still applies.
  Event e = personal(R"({"name":"Ada"})");
  e.entity_id = "ada@example.org";
  CHECK(append_one(ledger, e).find("event[0].entity_id: looks like an e-mail address") == 0);
  Event bad = personal(R"({"name":"Ada"})");
  bad.type = "response.submitted";
  CHECK(append_one(ledger, bad).find("event[0].payload.problem_id: is required") == 0);
}

TEST_CASE("privacy: the allowance does not leak to another store") {
  Ledger allowed(open_memory_store(), allowing());
  Ledger strict(open_memory_store());
  const Event e = personal(R"({"name":"Ada"})");
  CHECK(append_one(allowed, e) == "accepted");
  CHECK(append_one(strict, e).find("event[0].payload.name: field 'name'") == 0);
  CHECK(append_one(allowed, e) == "accepted");

  // The setting belongs to the open store, not to the database: reopening
  // the same file without it refuses new personal data (the stored events
  // stay readable).
  testutil::TempDir dir;
  SqliteOptions so;
  so.path = dir.file("school.db");
  {
    Ledger first(open_sqlite_store(so), allowing());
    CHECK(append_one(first, personal(R"({"name":"Ada"})", "k1")) == "accepted");
  }
  Ledger again(open_sqlite_store(so));
  CHECK_FALSE(again.allows_personal_data());
  CHECK(append_one(again, personal(R"({"name":"Grace"})", "k2")).find("event[0].payload.name") ==
        0);
  CHECK(again.last_id() == 1);
  CHECK(again.read_keyed("t1", "k1").size() == 1);
}

TEST_CASE("privacy: check_event takes the allowance per call") {
  const Event e = personal(R"({"parent":{"email":"p@example.org"}})");
  CHECK_THROWS_WITH_AS(check_event(e, 4), doctest::Contains("event[4].payload.parent.email"),
                       Error);
  EventCheckOptions allow;
  allow.allow_personal_data = true;
  CHECK_NOTHROW(check_event(e, 4, nullptr, allow));
  CHECK_THROWS_AS(check_event(e, 4), Error);  // nothing is remembered
}
