// Domain validation: the bundled domains are clean, and each rule rejects a
// broken copy of a small valid fixture with its code, file, path and message.
#include <algorithm>
#include <map>

#include "../test_util.hpp"
#include "tutorcore/knowledge/validate.hpp"

using namespace tutorcore;
using testutil::TempDir;

namespace {

struct Broken {
  const char *name;
  const char *file;
  const char *from;
  const char *to;
  const char *code;
  const char *path;
  const char *message;  // substring of the message
};

const Broken kCases[] = {
    {"prerequisite cycle", "knowledge_graph.json",
     "\"name\": \"Unit Alpha\",\n      \"level\": 1,\n      \"prerequisites\": []",
     "\"name\": \"Unit Alpha\",\n      \"level\": 1,\n      \"prerequisites\": [\"unit_gamma\"]",
     "prerequisite_cycle", "concepts[2].prerequisites",
     "prerequisite cycle: unit_alpha -> unit_gamma -> unit_alpha"},
    {"unknown prerequisite", "knowledge_graph.json", "\"unit_beta\"\n      ]",
     "\"unit_delta\"\n      ]", "unknown_reference", "concepts[2].prerequisites[1]",
     "unknown prerequisite 'unit_delta'"},
    {"level not above prerequisite", "knowledge_graph.json", "\"level\": 2", "\"level\": 1",
     "level_order", "concepts[2].level", "its prerequisite 'unit_alpha' has level 1"},
    {"missing modality", "interventions.json",
     "\"pattern\": {\n        \"text\": \"pattern for mis_beta_one\"",
     "\"patern\": {\n        \"text\": \"pattern for mis_beta_one\"", "missing_modality",
     "interventions.mis_beta_one.pattern", "has no 'pattern' intervention"},
    {"unknown modality", "interventions.json",
     "\"pattern\": {\n        \"text\": \"pattern for mis_beta_one\"",
     "\"patern\": {\n        \"text\": \"pattern for mis_beta_one\"", "unknown_modality",
     "interventions.mis_beta_one.patern", "'patern' is not a modality"},
    {"too few problems", "problem_bank.json",
     "\"problem_id\": \"unit_beta_p4\",\n      \"concept\": \"unit_beta\"",
     "\"problem_id\": \"unit_beta_p4\",\n      \"concept\": \"unit_alpha\"", "too_few_problems",
     "problems", "concept 'unit_beta' has 4 problems; at least 5 are needed"},
    {"missing IRT difficulty", "problem_bank.json", "\"irt_b\": -1.0,", "",
     "missing_irt_difficulty", "problems[0].irt_b", "required number 'irt_b' is missing"},
    {"duplicate problem id", "problem_bank.json", "\"problem_id\": \"unit_beta_p1\"",
     "\"problem_id\": \"unit_beta_p0\"", "duplicate_id", "problems[6].problem_id",
     "problem id 'unit_beta_p0' is used twice (first at problems[5].problem_id)"},
    {"duplicate misconception id", "taxonomy.json", "\"id\": \"mis_gamma_two\"",
     "\"id\": \"mis_gamma_one\"", "duplicate_id", "misconceptions.unit_gamma[1].id",
     "misconception id 'mis_gamma_one' is used twice"},
    {"duplicate concept id", "knowledge_graph.json", "\"id\": \"unit_beta\"",
     "\"id\": \"unit_alpha\"", "duplicate_id", "concepts[1].id",
     "concept id 'unit_alpha' is used twice"},
    {"unknown misconception in diagnostic_for", "problem_bank.json",
     "\"diagnostic_for\": [\n        \"mis_beta_one\"",
     "\"diagnostic_for\": [\n        \"mis_nope\"", "unknown_reference",
     "problems[5].diagnostic_for[0]", "unknown misconception 'mis_nope'"},
    {"unknown concept of a problem", "problem_bank.json", "\"concept\": \"unit_alpha\"",
     "\"concept\": \"unit_zeta\"", "unknown_reference", "problems[0].concept",
     "unknown concept 'unit_zeta'"},
    {"concept without misconceptions", "taxonomy.json", "\"unit_beta\": [", "\"unit_betx\": [",
     "concept_without_misconceptions", "misconceptions.unit_beta",
     "concept 'unit_beta' has no misconceptions"},
    {"misconceptions under an unknown concept", "taxonomy.json", "\"unit_beta\": [",
     "\"unit_betx\": [", "unknown_reference", "misconceptions.unit_betx",
     "unknown concept 'unit_betx'"},
    {"interventions of an unknown misconception", "interventions.json", "\"mis_beta_one\": {",
     "\"mis_beta_won\": {", "unknown_reference", "interventions.mis_beta_won",
     "unknown misconception 'mis_beta_won'"},
    {"misconception without interventions", "interventions.json", "\"mis_beta_one\": {",
     "\"mis_beta_won\": {", "missing_interventions", "interventions.mis_beta_one",
     "misconception 'mis_beta_one' has no interventions"},
    {"degenerate BKT", "knowledge_graph.json", "\"p_slip\": 0.1\n", "\"p_slip\": 0.95\n",
     "degenerate_bkt", "concepts[0].bkt_params", "p_guess + p_slip = 1.05 is not below 1"},
    {"probability out of range", "knowledge_graph.json", "\"p_init\": 0.2", "\"p_init\": 1.2",
     "out_of_range", "concepts[0].bkt_params.p_init", "p_init = 1.2 is not in (0, 1)"},
    {"wrong type", "knowledge_graph.json", "\"level\": 2", "\"level\": \"two\"", "wrong_type",
     "concepts[2].level", "expected number, found string"},
    {"missing required field", "taxonomy.json", "\"label\": \"Beta one\",", "", "missing_field",
     "misconceptions.unit_beta[0].label", "required field 'label' is missing"},
    {"template placeholder with an undeclared parameter", "problem_bank.json",
     "\"answer\": \"{a+b}\"", "\"answer\": \"{a+c}\"", "unknown_reference", "templates[0].answer",
     "undeclared parameter 'c'"},
    {"template range min > max", "problem_bank.json", "\"min\": 1,\n          \"max\": 9",
     "\"min\": 10,\n          \"max\": 9", "bad_template_range", "templates[0].params.a",
     "[10, 9]"},
    {"domain id mismatch", "taxonomy.json", "\"domain\": \"fixture_minimal\"",
     "\"domain\": \"other_domain\"", "domain_mismatch", "domain", "domain 'other_domain' differs"},
    {"schema too new", "problem_bank.json", "\"schema_version\": 1", "\"schema_version\": 7",
     "schema_too_new", "schema_version", "schema_version 7 is not supported"},
};

std::string fixture() {
  return testutil::source_dir() + "/tests/fixtures/domains/minimal";
}

// A writable copy of the valid fixture.
void copy_fixture(const TempDir &t) {
  testutil::fs::copy(fixture(), t.path, testutil::fs::copy_options::recursive);
}

const DomainIssue *find_issue(const DomainReport &r, const std::string &code,
                              const std::string &path) {
  for (const auto &i : r.issues) {
    if (i.code == code && i.path == path) return &i;
  }
  return nullptr;
}

std::string all_issues(const DomainReport &r) {
  std::string s;
  for (const auto &i : r.issues)
    s += "\n  [" + i.code + "] " + DomainReport::format(i);
  return s;
}

}  // namespace

TEST_CASE("the fixture domain and the bundled domains validate clean") {
  for (std::string dir :
       {fixture(), testutil::source_dir() + "/examples/domains/algebra_fundamentals",
        testutil::source_dir() + "/examples/domains/intro_chemistry"}) {
    CAPTURE(dir);
    Domain d;
    DomainReport r = load_domain(dir, &d);
    CHECK_MESSAGE(r.ok(), all_issues(r));
    CHECK(d.concepts.size() >= 3);
    // Every misconception has its five interventions in matching order.
    REQUIRE(d.interventions.size() == d.misconceptions.size());
    for (size_t i = 0; i < d.misconceptions.size(); ++i) {
      CHECK(d.interventions[i].misconception_id == d.misconceptions[i].id);
      for (const auto &iv : d.interventions[i].by_modality)
        CHECK(!iv.text.empty());
    }
  }
}

TEST_CASE("the bundled algebra domain meets the content bar") {
  Domain d;
  REQUIRE(load_domain(testutil::source_dir() + "/examples/domains/algebra_fundamentals", &d).ok());
  CHECK(d.concepts.size() >= 20);
  CHECK(d.misconceptions.size() >= 40);
  // Branching: some concept has two prerequisites, some prerequisite serves two.
  std::map<std::string, int> used_by;
  size_t multi = 0;
  for (const auto &c : d.concepts) {
    multi += c.prerequisites.size() >= 2;
    for (const auto &p : c.prerequisites)
      used_by[p]++;
  }
  CHECK(multi >= 2);
  CHECK(std::any_of(used_by.begin(), used_by.end(), [](auto &kv) { return kv.second >= 2; }));
  for (const auto &c : d.concepts) {
    size_t n = std::count_if(d.problems.begin(), d.problems.end(),
                             [&](const Problem &p) { return p.concept_id == c.id; });
    size_t t = std::count_if(d.templates.begin(), d.templates.end(),
                             [&](const ProblemTemplate &p) { return p.concept_id == c.id; });
    CAPTURE(c.id);
    CHECK(n + t >= 6);
  }
}

TEST_CASE("each validation rule rejects a broken domain with file, path, message and fix") {
  for (const Broken &b : kCases) {
    CAPTURE(b.name);
    TempDir t;
    copy_fixture(t);
    testutil::replace_in_file(t.path / b.file, b.from, b.to);
    Domain d;
    DomainReport r = load_domain(t.path.string(), &d);
    CHECK_FALSE(r.ok());
    const DomainIssue *i = find_issue(r, b.code, b.path);
    REQUIRE_MESSAGE(i, "expected [" << b.code << "] at " << b.path << "; got:" << all_issues(r));
    CHECK(i->file == b.file);
    CHECK_MESSAGE(i->message.find(b.message) != std::string::npos, i->message);
    CHECK(!i->fix.empty());
  }
}

TEST_CASE("malformed JSON is reported with its line and column") {
  TempDir t;
  copy_fixture(t);
  // Drop the comma after "label": the parser stops at the next key.
  testutil::replace_in_file(t.path / "taxonomy.json", "\"label\": \"Beta one\",",
                            "\"label\": \"Beta one\"");
  std::string text = testutil::read_file(t.path / "taxonomy.json");
  size_t at = text.find("\"label\": \"Beta one\"");
  size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + at, '\n')) + 1;
  Domain d;
  DomainReport r = load_domain(t.path.string(), &d);
  REQUIRE(r.issues.size() == 1);
  CHECK(r.issues[0].code == "malformed_json");
  CHECK(r.issues[0].file == "taxonomy.json");
  CHECK_MESSAGE(
      r.issues[0].message.find("line " + std::to_string(line) + ", column 9") != std::string::npos,
      r.issues[0].message);
}

TEST_CASE("an unclosed string is located at its opening quote") {
  TempDir t;
  copy_fixture(t);
  testutil::replace_in_file(t.path / "taxonomy.json", "\"label\": \"Beta one\",",
                            "\"label\": \"Beta one,");
  Domain d;
  DomainReport r = load_domain(t.path.string(), &d);
  REQUIRE(r.issues.size() == 1);
  CHECK(r.issues[0].code == "malformed_json");
  CHECK_MESSAGE(r.issues[0].message.find(", column 18") != std::string::npos, r.issues[0].message);
}

TEST_CASE("every problem is reported at once") {
  TempDir t;
  copy_fixture(t);
  testutil::replace_in_file(t.path / "problem_bank.json", "\"irt_b\": -1.0,", "");
  testutil::replace_in_file(t.path / "knowledge_graph.json", "\"unit_beta\"\n      ]",
                            "\"unit_delta\"\n      ]");
  testutil::replace_in_file(t.path / "taxonomy.json", "\"id\": \"mis_gamma_two\"",
                            "\"id\": \"mis_gamma_one\"");
  Domain d;
  DomainReport r = load_domain(t.path.string(), &d);
  CHECK(find_issue(r, "missing_irt_difficulty", "problems[0].irt_b"));
  CHECK(find_issue(r, "unknown_reference", "concepts[2].prerequisites[1]"));
  CHECK(find_issue(r, "duplicate_id", "misconceptions.unit_gamma[1].id"));
}

TEST_CASE("missing files and directories") {
  TempDir t;
  copy_fixture(t);
  testutil::fs::remove(t.path / "problem_bank.json");
  Domain d;
  DomainReport r = load_domain(t.path.string(), &d);
  REQUIRE(find_issue(r, "missing_file", ""));
  CHECK(find_issue(r, "missing_file", "")->file == "problem_bank.json");

  DomainReport r2 = load_domain((t.path / "nope").string(), &d);
  CHECK_FALSE(r2.found);
  CHECK(r2.issues.at(0).code == "missing_directory");
}

TEST_CASE("the report JSON lists the issues") {
  TempDir t;
  copy_fixture(t);
  testutil::replace_in_file(t.path / "problem_bank.json", "\"irt_b\": -1.0,", "");
  Domain d;
  DomainReport r = load_domain(t.path.string(), &d);
  std::string json = domain_report_json(r, d);
  CHECK(json.find("\"valid\":false") != std::string::npos);
  CHECK(json.find("\"code\":\"missing_irt_difficulty\"") != std::string::npos);
  CHECK(json.find("\"path\":\"problems[0].irt_b\"") != std::string::npos);
}
