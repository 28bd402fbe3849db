// The de-identified research export (analytics/research.hpp, docs/privacy.md)
// on synthetic classes with known counts: groups below the minimum group size
// suppressed, complementary suppression, no identifier in the output, and
// bad requests naming the field.
#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "tutorcore/analytics/research.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/pipeline/analytics.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;
using simdjson::dom::element;

namespace {

// Concepts c_a and c_b; misconceptions m_a1, m_a2 on c_a, m_b on c_b.
Domain export_domain() {
  Domain d;
  d.id = "export_test";
  for (const char *id : {"c_a", "c_b"}) {
    Concept c;
    c.id = id;
    c.name = id;
    c.level = 1;
    d.concept_index[c.id] = d.concepts.size();
    d.concepts.push_back(c);
  }
  auto mis = [&](const char *id, const char *concept_id) {
    Misconception m;
    m.id = id;
    m.concept_id = concept_id;
    d.misconception_index[m.id] = d.misconceptions.size();
    d.misconceptions.push_back(m);
  };
  mis("m_a1", "c_a");
  mis("m_a2", "c_a");
  mis("m_b", "c_b");
  return d;
}

constexpr const char *kTenant = "school-xyz";

// A ledger over the memory store and the events of a synthetic class.
struct School {
  Ledger ledger{open_memory_store()};
  std::vector<std::string> students;    // every student id used
  std::vector<std::string> classrooms;  // every classroom id used

  void add(const std::string &student, const char *type, const std::string &payload) {
    std::vector<Event> batch(1);
    Event &e = batch[0];
    e.tenant = kTenant;
    e.entity_type = "student";
    e.entity_id = student;
    e.type = type;
    e.payload = payload;
    ledger.append(batch);
  }
  // A student enrolled in `classroom` (empty: none) with a level on c_a
  // after `attempts` answers.
  std::string student(const std::string &classroom, double level, int attempts = 8) {
    std::string id = fmt::format("stu-{:04d}-{}", students.size() + 1, classroom);
    students.push_back(id);
    if (!classroom.empty()) {
      add(id, "classroom.enrolled", fmt::format(R"({{"classroom_id":"{}"}})", classroom));
      if (std::find(classrooms.begin(), classrooms.end(), classroom) == classrooms.end())
        classrooms.push_back(classroom);
    }
    for (int i = 0; i < attempts; ++i)
      add(id, "response.submitted", R"({"problem_id":"p1","concept_id":"c_a","correct":true})");
    add(id, "mastery.updated", fmt::format(R"({{"concept_id":"c_a","new_level":{}}})", level));
    return id;
  }
  // n students in a classroom: half at 0.97 (mastered), half at 0.5.
  std::vector<std::string> classroom(const std::string &id, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i)
      out.push_back(student(id, i % 2 ? 0.5 : 0.97));
    return out;
  }
  void detect(const std::string &s, const char *m, const char *concept_id) {
    add(s, "misconception.detected",
        fmt::format(R"({{"misconception_id":"{}","concept_id":"{}"}})", m, concept_id));
  }
  void outcome(const std::string &s, const char *m, const char *modality, bool resolved) {
    add(s, "intervention.outcome",
        fmt::format(R"({{"misconception_id":"{}","modality":"{}","outcome":"{}"}})", m, modality,
                    resolved ? "resolved" : "persisted"));
  }
  std::string run(const Domain &d, const std::string &request) {
    return run_research_export(ledger, d, research_export_request_from_json(request));
  }
  std::string run(const Domain &d, int min_group_size = 0) {
    return run(d, min_group_size ? fmt::format(R"({{"tenant":"{}","min_group_size":{}}})", kTenant,
                                               min_group_size)
                                 : fmt::format(R"({{"tenant":"{}"}})", kTenant));
  }
};

element parse(simdjson::dom::parser &p, const std::string &json) {
  element e;
  REQUIRE_FALSE(p.parse(json).get(e));
  return e;
}

// {"cohort": label, "students": n | null, "suppressed": bool} of a list.
element find_by(element list, const char *key, const char *value) {
  const simdjson::dom::array items = list.get_array().value();
  for (element x : items) {
    std::string_view v;
    if (!x[key].get_string().get(v) && v == value) return x;
  }
  FAIL("no entry with " << key << " = " << value);
  return {};
}

bool suppressed(element cell) {
  return cell["suppressed"].get_bool().value();
}
int64_t students_of(element cell) {
  return cell["students"].get_int64().value();
}

// Nothing an identifier: no student, classroom or tenant id anywhere.
void check_no_identifiers(const std::string &json, const School &s) {
  for (const std::string &id : s.students)
    CHECK_MESSAGE(json.find(id) == std::string::npos, "student id " << id << " in the export");
  for (const std::string &id : s.classrooms)
    CHECK_MESSAGE(json.find(id) == std::string::npos, "classroom id " << id << " in the export");
  CHECK(json.find(kTenant) == std::string::npos);
  CHECK(json.find("stu-") == std::string::npos);
}

}  // namespace

TEST_CASE("research export: groups of 9 suppressed, groups of 10 published at the default") {
  const Domain d = export_domain();
  School s;
  // room-a 10, room-b 9, room-c 12, room-d 5 students, all with a level on c_a.
  s.classroom("room-a", 10);
  s.classroom("room-b", 9);
  s.classroom("room-c", 12);
  s.classroom("room-d", 5);
  const std::string json = s.run(d);
  simdjson::dom::parser p;
  element doc = parse(p, json);
  CHECK(doc["schema_version"].get_int64().value() == 1);
  CHECK(doc["export"].get_string().value() == "research");
  CHECK(doc["min_group_size"].get_int64().value() == 10);
  CHECK(doc["domain"].get_string().value() == "export_test");

  // Cohorts in classroom id order; room-b (9) and room-d (5) suppressed,
  // together 14 >= 10, so no complementary suppression is needed.
  element groups = doc["cohorts"]["groups"];
  REQUIRE(groups.get_array().value().size() == 4);
  element c1 = find_by(groups, "cohort", "cohort_1"), c2 = find_by(groups, "cohort", "cohort_2");
  element c3 = find_by(groups, "cohort", "cohort_3"), c4 = find_by(groups, "cohort", "cohort_4");
  CHECK_FALSE(suppressed(c1));
  CHECK(students_of(c1) == 10);
  CHECK(suppressed(c2));
  CHECK(c2["students"].is_null());
  CHECK_FALSE(suppressed(c3));
  CHECK(students_of(c3) == 12);
  CHECK(suppressed(c4));
  CHECK_FALSE(suppressed(doc["cohorts"]["total"]));
  CHECK(students_of(doc["cohorts"]["total"]) == 36);

  // Concept c_a per cohort: means and shares of the published cells.
  element concepts = doc["concepts"];
  REQUIRE(concepts.get_array().value().size() == 1);
  element ca = find_by(concepts, "concept_id", "c_a");
  element a1 = find_by(ca["cohorts"], "cohort", "cohort_1");
  CHECK(students_of(a1) == 10);
  CHECK(a1["mean_mastery"].get_double().value() == doctest::Approx((0.97 + 0.5) / 2));
  CHECK(a1["share_mastered"].get_double().value() == doctest::Approx(0.5));
  element a2 = find_by(ca["cohorts"], "cohort", "cohort_2");
  CHECK(suppressed(a2));
  CHECK(a2["mean_mastery"].is_null());
  CHECK(a2["share_mastered"].is_null());
  element a3 = find_by(ca["cohorts"], "cohort", "cohort_3");
  CHECK(students_of(a3) == 12);
  CHECK(a3["share_mastered"].get_double().value() == doctest::Approx(0.5));
  CHECK(students_of(ca["total"]) == 36);
  // 5 + 5 + 6 + 3 of 36 mastered.
  CHECK(ca["total"]["share_mastered"].get_double().value() == doctest::Approx(19.0 / 36));
  check_no_identifiers(json, s);
}

TEST_CASE("research export: the configured minimum group size is honoured") {
  const Domain d = export_domain();
  School s;
  s.classroom("room-a", 10);
  s.classroom("room-b", 9);
  s.classroom("room-c", 12);
  s.classroom("room-d", 5);
  simdjson::dom::parser p;
  SUBCASE("5: every cohort published") {
    element doc = parse(p, s.run(d, 5));
    CHECK(doc["min_group_size"].get_int64().value() == 5);
    for (const char *c : {"cohort_1", "cohort_2", "cohort_3", "cohort_4"})
      CHECK_FALSE(suppressed(find_by(doc["cohorts"]["groups"], "cohort", c)));
    CHECK(students_of(find_by(doc["cohorts"]["groups"], "cohort", "cohort_4")) == 5);
  }
  SUBCASE("12: only room-c's 12 published") {
    element doc = parse(p, s.run(d, 12));
    element g = doc["cohorts"]["groups"];
    CHECK(suppressed(find_by(g, "cohort", "cohort_1")));  // 10 < 12
    CHECK(suppressed(find_by(g, "cohort", "cohort_2")));
    CHECK(students_of(find_by(g, "cohort", "cohort_3")) == 12);
    CHECK(suppressed(find_by(g, "cohort", "cohort_4")));
    CHECK(students_of(doc["cohorts"]["total"]) == 36);  // 24 hidden students >= 12
  }
  SUBCASE("37: even the total is suppressed") {
    element doc = parse(p, s.run(d, 37));
    CHECK(suppressed(doc["cohorts"]["total"]));
    CHECK(doc["cohorts"]["total"]["students"].is_null());
    element ca = find_by(doc["concepts"], "concept_id", "c_a");
    CHECK(suppressed(ca["total"]));
    const simdjson::dom::array mis = ca["misconceptions"].get_array().value();
    for (element m : mis) {
      CHECK(suppressed(m));
      CHECK(m["prevalence"].is_null());
    }
  }
}

TEST_CASE("research export: complementary suppression when a total would reveal a small cohort") {
  const Domain d = export_domain();
  School s;
  // room-a 12, room-b 9: room-b is suppressed; the published total (21)
  // minus room-a would give room-b, so room-a is suppressed too.
  s.classroom("room-a", 12);
  s.classroom("room-b", 9);
  simdjson::dom::parser p;
  element doc = parse(p, s.run(d));
  element g = doc["cohorts"]["groups"];
  CHECK(suppressed(find_by(g, "cohort", "cohort_1")));
  CHECK(suppressed(find_by(g, "cohort", "cohort_2")));
  CHECK(students_of(doc["cohorts"]["total"]) == 21);
  element ca = find_by(doc["concepts"], "concept_id", "c_a");
  CHECK(suppressed(find_by(ca["cohorts"], "cohort", "cohort_1")));
  CHECK(suppressed(find_by(ca["cohorts"], "cohort", "cohort_2")));
  CHECK(students_of(ca["total"]) == 21);

  SUBCASE("unassigned students are a part of the table too") {
    // 4 students without a classroom: "unassigned" (4) and room-b (9)
    // are suppressed, 13 hidden students >= 10: room-a stays published.
    for (int i = 0; i < 4; ++i)
      s.student("", 0.3);
    element doc2 = parse(p, s.run(d));
    element g2 = doc2["cohorts"]["groups"];
    CHECK(students_of(find_by(g2, "cohort", "cohort_1")) == 12);
    CHECK(suppressed(find_by(g2, "cohort", "cohort_2")));
    CHECK(suppressed(find_by(g2, "cohort", "unassigned")));
    CHECK(students_of(doc2["cohorts"]["total"]) == 25);
  }
}

TEST_CASE("research export: suppress_table rules on hand-made tables") {
  // Disjoint parts of 12, 9 and 3 students with k = 10: 9 and 3 hidden (12 >= 10).
  auto range = [](int32_t from, int32_t n) {
    std::vector<int32_t> v;
    for (int32_t i = 0; i < n; ++i)
      v.push_back(from + i);
    return v;
  };
  Suppression s = suppress_table({range(0, 12), range(100, 9), range(200, 3)}, 24, 10);
  CHECK(s.part == std::vector<uint8_t>{0, 1, 1});
  CHECK_FALSE(s.total);
  // 12, 11 and 3: the 3 alone is too few, the smallest published (11) goes too.
  s = suppress_table({range(0, 12), range(100, 11), range(200, 3)}, 26, 10);
  CHECK(s.part == std::vector<uint8_t>{0, 1, 1});
  // Overlapping parts (students in two modalities): 4 and 5 students of whom
  // 3 are the same cover 6 distinct students < 10, so a third part goes.
  s = suppress_table({range(0, 4), range(1, 5), range(50, 10), range(70, 11)}, 27, 10);
  CHECK(s.part == std::vector<uint8_t>{1, 1, 1, 0});
  CHECK_FALSE(s.total);
  // A total below k hides everything.
  s = suppress_table({range(0, 5), range(5, 4)}, 9, 10);
  CHECK(s.total);
  CHECK(s.part == std::vector<uint8_t>{1, 1});
  // Every part hidden and still too few (the total counts students no part
  // has): the total goes too.
  s = suppress_table({range(0, 3), range(3, 3)}, 12, 10);
  CHECK(s.part == std::vector<uint8_t>{1, 1});
  CHECK(s.total);
  // Nothing small: nothing hidden.
  s = suppress_table({range(0, 10), range(10, 10)}, 20, 10);
  CHECK(s.part == std::vector<uint8_t>{0, 0});
  CHECK_FALSE(s.total);
}

TEST_CASE("research export: prevalence and intervention effectiveness with Wilson intervals") {
  const Domain d = export_domain();
  School s;
  std::vector<std::string> all = s.classroom("room-a", 40);
  // m_a1 in 8 of the 40 students practising c_a; m_b in 3 (none practise c_b:
  // no level there, so c_b is not listed and m_b not counted).
  for (int i = 0; i < 8; ++i)
    s.detect(all[static_cast<size_t>(i)], "m_a1", "c_a");
  for (int i = 0; i < 3; ++i)
    s.detect(all[static_cast<size_t>(i)], "m_b", "c_b");
  // Outcomes of m_a1: visual 10 students (6 resolved), concrete 12 students
  // (3 resolved), pattern 4, verbal 7 (4 + 7 = 11 hidden >= 10).
  size_t next = 0;
  auto outcomes = [&](const char *modality, int n, int resolved) {
    for (int i = 0; i < n; ++i)
      s.outcome(all[next++ % all.size()], "m_a1", modality, i < resolved);
  };
  outcomes("visual", 10, 6);
  outcomes("concrete", 12, 3);
  outcomes("pattern", 4, 1);
  outcomes("verbal", 7, 2);
  // m_a2: a single student's outcomes (3 attempts): all of it suppressed.
  for (int i = 0; i < 3; ++i)
    s.outcome(all[0], "m_a2", "peer", i == 2);

  const std::string json = s.run(d);
  simdjson::dom::parser p;
  element doc = parse(p, json);
  element ca = find_by(doc["concepts"], "concept_id", "c_a");
  element m1 = find_by(ca["misconceptions"], "misconception_id", "m_a1");
  CHECK(m1["students_with"].get_int64().value() == 8);
  CHECK(m1["prevalence"].get_double().value() == doctest::Approx(0.2));
  CHECK(find_by(ca["misconceptions"], "misconception_id", "m_a2")["students_with"]
            .get_int64()
            .value() == 0);
  CHECK(doc["concepts"].get_array().value().size() == 1);

  element eff = doc["effectiveness"];
  REQUIRE(eff.get_array().value().size() == 2);
  element e1 = find_by(eff, "misconception_id", "m_a1");
  CHECK(e1["concept_id"].get_string().value() == "c_a");
  CHECK(students_of(e1["total"]) == 33);
  CHECK(e1["total"]["attempts"].get_int64().value() == 33);
  CHECK(e1["total"]["resolved"].get_int64().value() == 12);
  element visual = find_by(e1["modalities"], "modality", "visual");
  CHECK_FALSE(suppressed(visual));
  CHECK(students_of(visual) == 10);
  CHECK(visual["attempts"].get_int64().value() == 10);
  CHECK(visual["resolved"].get_int64().value() == 6);
  CHECK(visual["rate"].get_double().value() == doctest::Approx(0.6));
  const Interval ci = wilson_interval(6, 10, 1.96);
  CHECK(visual["low"].get_double().value() == doctest::Approx(ci.low));
  CHECK(visual["high"].get_double().value() == doctest::Approx(ci.high));
  CHECK(students_of(find_by(e1["modalities"], "modality", "concrete")) == 12);
  for (const char *m : {"pattern", "verbal"}) {
    element x = find_by(e1["modalities"], "modality", m);
    CHECK(suppressed(x));
    for (const char *k : {"students", "attempts", "resolved", "rate", "low", "high"})
      CHECK(x[k].is_null());
  }
  element e2 = find_by(eff, "misconception_id", "m_a2");
  CHECK(suppressed(e2["total"]));
  CHECK(suppressed(find_by(e2["modalities"], "modality", "peer")));
  check_no_identifiers(json, s);
  // Aggregates only: no event ids or times finer than the day.
  CHECK(json.find("event_id") == std::string::npos);
  CHECK(json.find("_us") == std::string::npos);
}

TEST_CASE("research export: the date is the only time, a UTC day") {
  const Domain d = export_domain();
  ClassData empty;
  ResearchExportRequest r;
  const std::string json = research_export_json(empty, d, {}, r, 1700000000000000);  // 2023-11-14
  CHECK(json.find(R"("generated_on":"2023-11-14")") != std::string::npos);
}

TEST_CASE("research export: bad requests name the field") {
  const Domain d = export_domain();
  School s;
  s.classroom("room-a", 3);
  auto refusal = [&](const std::string &request) {
    try {
      s.run(d, request);
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refusal(R"({"tenant":"school-x)").find("research export request: malformed JSON") == 0);
  CHECK(refusal("[1]") == "research export request: must be a JSON object");
  CHECK(refusal(R"({"min_group_size":10})") ==
        "research export request.tenant: required field is missing");
  CHECK(refusal(R"({"tenant":7})") ==
        "research export request.tenant: must be a string, found "
        "number");
  CHECK(refusal(R"({"tenant":"school-xyz","classroom":"room-a"})")
            .find("research export request.classroom: unknown field") == 0);
  for (const char *k : {"1", "0", "-3", "1000001"}) {
    CAPTURE(k);
    CHECK(refusal(fmt::format(R"({{"tenant":"school-xyz","min_group_size":{}}})", k))
              .find(fmt::format("research export request.min_group_size: {} is outside "
                                "2..1000000",
                                k)) == 0);
  }
  CHECK(refusal(R"({"tenant":"school-xyz","min_group_size":1.5})") ==
        "research export request.min_group_size: must be an integer, found number");
  CHECK(refusal(R"({"tenant":"school-xyz","min_group_size":"10"})") ==
        "research export request.min_group_size: must be an integer, found string");
  CHECK(refusal(R"({"tenant":"nobody"})")
            .find("research export request.tenant: tenant 'nobody' has no learning data") == 0);
  // 2 is the smallest minimum; null means the default.
  CHECK(refusal(R"({"tenant":"school-xyz","min_group_size":2})") == "accepted");
  CHECK(refusal(R"({"tenant":"school-xyz","min_group_size":null})") == "accepted");
}
