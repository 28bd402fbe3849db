// The bad-input table of docs/reliability.md: every input surface gets
// malformed input (truncated, wrong types, huge values, NaN, unknown ids,
// wrong tenant, replayed keys, oversized payloads); each row checks the status
// and a fragment of tc_last_error() (or of the result, for inputs that are
// accepted on purpose). C functions are called through the C ABI, on the
// fixture domain tests/fixtures/domains/minimal and an in-memory store.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <tutorcore/tutorcore.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/event.hpp"
#include "tutorcore/views/views.hpp"

namespace {

// What one row does: the C ABI call (or read_view_input), its status, the
// message (temporary paths replaced by <dir>) and the result document.
struct Outcome {
  int status = 0;
  std::string message;
  std::string out;
};

std::string expand(const char *input) {
  std::string s = input;
  const std::string big = "{BIG}";
  size_t at = s.find(big);
  if (at != std::string::npos) s.replace(at, big.size(), std::string(2 * 1024 * 1024, 'x'));
  return s;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spill(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string scrub(std::string msg, const std::string &dir) {
  for (size_t at; !dir.empty() && (at = msg.find(dir)) != std::string::npos;)
    msg.replace(at, dir.size(), "<dir>");
  return msg;
}

class Bench {
 public:
  Bench() {
    char tmpl[] = "/tmp/tc_bad_input_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    REQUIRE(tc_domain_load(&domain_, kFixture) == TC_OK);
    tc_store_options so;
    REQUIRE(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
    so.backend = TC_STORE_MEMORY;
    REQUIRE(tc_store_open(&store_, &so) == TC_OK);
    REQUIRE(tc_tutor_open(&tutor_, store_, domain_, nullptr, 0) == TC_OK);
    // A wrong answer: mis_alpha_one detected and an intervention recommended.
    const std::string seed =
        R"({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"3","idempotency_key":"seed1"})";
    char *out = nullptr;
    REQUIRE(tc_submit_response(tutor_, seed.data(), seed.size(), &out) == TC_OK);
    tc_free(out);
  }
  ~Bench() {
    tc_tutor_free(tutor_);
    tc_store_free(store_);
    tc_domain_free(domain_);
    std::filesystem::remove_all(dir_);
  }

  Outcome run(const std::string &kind, const std::string &input) {
    Outcome o;
    char *out = nullptr;
    auto call = [&](tc_status st) {
      o.status = st;
      o.message = scrub(tc_last_error(), dir_);
      if (out != nullptr) o.out = out;
      tc_free(out);
      out = nullptr;
    };
    const char *in = input.data();
    size_t n = input.size();
    if (kind.rfind("domain:", 0) == 0) {
      std::string d = dir_ + "/domain";
      std::filesystem::create_directories(d);
      for (const char *f :
           {"knowledge_graph.json", "taxonomy.json", "interventions.json", "problem_bank.json"}) {
        spill(d + "/" + f, kind.substr(7) == f ? input : slurp(std::string(kFixture) + "/" + f));
      }
      tc_domain *dom = nullptr;
      call(tc_domain_load(&dom, d.c_str()));
      tc_domain_free(dom);
    } else if (kind == "submit") {
      call(tc_submit_response(tutor_, in, n, &out));
    } else if (kind == "submit_null") {
      call(tc_submit_response(tutor_, nullptr, 0, &out));
    } else if (kind == "submit_replay") {
      std::string first;
      call(tc_submit_response(tutor_, in, n, &out));
      first = o.out;
      call(tc_submit_response(tutor_, in, n, &out));
      if (o.out != first) o.out = "(a different result)";
    } else if (kind == "act") {
      call(tc_tutor_act(tutor_, in, n, &out));
    } else if (kind == "fit") {
      call(tc_bkt_fit(&out, in, n, nullptr, nullptr));
    } else if (kind == "csv") {
      std::string path = dir_ + "/train.csv";
      spill(path, input);
      std::string req = R"({"train_csv":")" + path + R"("})";
      call(tc_bkt_fit(&out, req.data(), req.size(), nullptr, nullptr));
    } else if (kind == "analytics") {
      call(tc_tutor_analytics(tutor_, in, n, &out));
    } else if (kind == "research") {
      call(tc_tutor_research_export(tutor_, in, n, &out));
    } else if (kind == "coaching") {
      call(tc_tutor_coaching(tutor_, in, n, &out));
    } else if (kind == "append") {
      call(tc_store_append_json(&out, store_, in, n));
    } else if (kind == "append_replay") {
      call(tc_store_append_json(&out, store_, in, n));
      call(tc_store_append_json(&out, store_, in, n));
    } else if (kind == "read") {
      call(tc_store_read_json(&out, store_, in, n));
    } else if (kind == "view") {
      call(tc_store_view_json(&out, store_, in, n));
    } else if (kind.rfind("payload:", 0) == 0) {
      tutorcore::Event e;
      e.id = 1;
      e.tenant = "t1";
      e.entity_type = "student";
      e.entity_id = "s1";
      e.type = kind.substr(8);
      e.payload = input;
      e.time_us = 1700000000000000;
      try {
        tutorcore::ViewSet views;
        views.apply(e, tutorcore::read_view_input(e));
        o.status = 0;
      } catch (const tutorcore::Error &err) {
        o.status = -1000 - static_cast<int>(err.code());
        o.message = err.what();
      }
    } else {
      FAIL("unknown row kind " << kind);
    }
    return o;
  }

 private:
  static constexpr const char *kFixture = TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal";
  std::string dir_;
  tc_domain *domain_ = nullptr;
  tc_store *store_ = nullptr;
  tc_tutor *tutor_ = nullptr;
};

}  // namespace

namespace {

// One row of the table. `status` is the expected tc_status (for stored
// payloads, 0 or -1000 + the tutorcore::Errc thrown); `fragment` is looked
// for in tc_last_error() on failure and in the result on success.
struct Row {
  const char *tried;
  const char *kind;
  const char *input;
  int status;
  const char *fragment;
};

void run_rows(const Row *rows, size_t n) {
  Bench bench;
  for (size_t i = 0; i < n; ++i) {
    const Row &r = rows[i];
    std::string tried = r.tried;
    CAPTURE(tried);
    Outcome o = bench.run(r.kind, expand(r.input));
    CHECK(o.status == r.status);
    const std::string &text = r.status == 0 ? o.out : o.message;
    CHECK_MESSAGE(text.find(r.fragment) != std::string::npos, text.substr(0, 300));
  }
}

}  // namespace

TEST_CASE("bad input: domain files") {
  static const Row rows[] = {
      {"truncated JSON", "domain:knowledge_graph.json",
       R"tc({"schema_version":1,"domain":"fixture_minimal","concepts":[)tc", TC_EINVAL,
       R"tc(knowledge_graph.json: malformed JSON at line 1, column 60)tc"},
      {"wrong type (schema_version a string)", "domain:taxonomy.json",
       R"tc({"schema_version":"1","domain":"fixture_minimal","misconceptions":[]})tc", TC_EINVAL,
       R"tc(taxonomy.json: schema_version: expected number, found string (fix: mak)tc"},
      {"huge value (schema_version 999, a newer tutorcore)", "domain:interventions.json",
       R"tc({"schema_version":999,"domain":"fixture_minimal","interventions":{}})tc", TC_EINVAL,
       R"tc(interventions.json: schema_version: schema_version 999 is not supporte)tc"},
      {"NaN (irt_b: NaN is not JSON)", "domain:problem_bank.json",
       R"tc({"schema_version":1,"domain":"fixture_minimal","problems":[{"problem_id":"p","concept":"unit_alpha","problem_text":"Q","correct_answer":"1","irt_b":NaN,"irt_discrimination":1}]})tc",
       TC_EINVAL, R"tc(problem_bank.json: malformed JSON at line 1, column 149)tc"},
      {"unknown ids (a problem on a concept the graph lacks)", "domain:problem_bank.json",
       R"tc({"schema_version":1,"domain":"fixture_minimal","problems":[{"problem_id":"p","concept":"no_such_concept","problem_text":"Q","correct_answer":"1","irt_b":0,"irt_discrimination":1,"diagnostic_for":[],"misconception_answers":{}}]})tc",
       TC_EINVAL, R"tc(problem_bank.json: problems[0].concept: unknown concept 'no_such_conce)tc"},
      {"empty file", "domain:taxonomy.json", R"tc()tc", TC_EINVAL,
       R"tc(taxonomy.json: malformed JSON)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: submit (tc_submit_response)") {
  static const Row rows[] = {
      {"truncated JSON", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","ans)tc", TC_EINVAL,
       R"tc(submit request: malformed JSON at line 1, column 60)tc"},
      {"wrong type (answer a number)", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":3,"idempotency_key":"b1"})tc",
       TC_EINVAL, R"tc(submit request.answer: must be a string, found number)tc"},
      {"not an object", "submit", R"tc([1,2,3])tc", TC_EINVAL,
       R"tc(submit request: must be a JSON object)tc"},
      {"huge value (latency_ms 1e300)", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"3","idempotency_key":"b2","latency_ms":1e300})tc",
       TC_EINVAL, R"tc(submit request.latency_ms: 1e+300 is outside 0..1000000000)tc"},
      {"negative latency_ms", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"3","idempotency_key":"b3","latency_ms":-5})tc",
       TC_EINVAL, R"tc(submit request.latency_ms: -5 is outside 0..1000000000)tc"},
      {"NaN (latency_ms: NaN is not JSON)", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"3","idempotency_key":"b4","latency_ms":NaN})tc",
       TC_EINVAL, R"tc(submit request: malformed JSON at line 1, column 109)tc"},
      {"unknown id (problem)", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"zzz","answer":"1","idempotency_key":"b5"})tc",
       TC_ENOTFOUND,
       R"tc(submit request.problem_id: 'zzz' is not a problem of domain 'fixture_m)tc"},
      {"unknown field", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"3","idempotency_key":"b6","colour":"red"})tc",
       TC_EINVAL, R"tc(submit request.colour: unknown field; expected one of tenant, student,)tc"},
      {"wrong tenant (empty)", "submit",
       R"tc({"tenant":"","student":"s1","problem_id":"unit_alpha_p2","answer":"3","idempotency_key":"b7"})tc",
       TC_EINVAL, R"tc(submit request.tenant: is empty)tc"},
      {"missing idempotency key", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"3"})tc", TC_EINVAL,
       R"tc(submit request.idempotency_key: required field is missing)tc"},
      {"replayed key (same request twice)", "submit_replay",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"3","idempotency_key":"seed1"})tc",
       TC_OK, R"tc("response_event_id":1)tc"},
      {"oversized payload (2 MiB answer)", "submit",
       R"tc({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"{BIG}","idempotency_key":"b8"})tc",
       TC_EINVAL, R"tc(event[0].payload: is 2097564 bytes; at most 1048576 are allowed)tc"},
      {"NULL request", "submit_null", R"tc()tc", TC_EINVAL, R"tc(request_json is NULL)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: teacher actions (tc_tutor_act)") {
  static const Row rows[] = {
      {"truncated JSON", "act", R"tc({"action":"approve","tenant":"t1")tc", TC_EINVAL,
       R"tc(teacher action: malformed JSON at line 1, column 34)tc"},
      {"unknown action", "act",
       R"tc({"action":"expel","tenant":"t1","student":"s1","misconception_id":"mis_alpha_one","teacher_id":"x7"})tc",
       TC_EINVAL, R"tc(teacher action.action: 'expel' is not an action; use approve, record_o)tc"},
      {"wrong type (teacher_id a number)", "act",
       R"tc({"action":"approve","tenant":"t1","student":"s1","misconception_id":"mis_alpha_one","teacher_id":7})tc",
       TC_EINVAL, R"tc(teacher action.teacher_id: must be a string, found number)tc"},
      {"unknown id (misconception)", "act",
       R"tc({"action":"approve","tenant":"t1","student":"s1","misconception_id":"mis_nope","teacher_id":"x7"})tc",
       TC_ENOTFOUND,
       R"tc(teacher action.misconception_id: 'mis_nope' is not a misconception of )tc"},
      {"wrong tenant (t2 has no escalation)", "act",
       R"tc({"action":"approve","tenant":"t2","student":"s1","misconception_id":"mis_alpha_one","teacher_id":"x7"})tc",
       TC_ENOTFOUND,
       R"tc(teacher action: student 's1' has no escalation for misconception 'mis_)tc"},
      {"action the state does not allow", "act",
       R"tc({"action":"acknowledge","tenant":"t1","student":"s1","misconception_id":"mis_alpha_one","teacher_id":"x7"})tc",
       TC_EINVAL, R"tc(teacher action 'acknowledge': not valid while the escalation of 'mis_a)tc"},
      {"unknown modality", "act",
       R"tc({"action":"approve","tenant":"t1","student":"s1","misconception_id":"mis_alpha_one","teacher_id":"x7","modality":"telepathy"})tc",
       TC_EINVAL, R"tc(teacher action.modality: 'telepathy' is not one of visual, concrete, p)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: fit (tc_bkt_fit)") {
  static const Row rows[] = {
      {"truncated JSON", "fit", R"tc({"rows":[["s1","k",1)tc", TC_EINVAL,
       R"tc(fit request: malformed JSON at line 1, column 20)tc"},
      {"wrong type (rows an object)", "fit", R"tc({"rows":{"s1":1}})tc", TC_EINVAL,
       R"tc(fit request.rows: must be an array)tc"},
      {"wrong value (correct 2)", "fit", R"tc({"rows":[["s1","k",2]]})tc", TC_EINVAL,
       R"tc(fit request.rows[0][2]: must be 0 or 1)tc"},
      {"huge value (restarts 1e9)", "fit", R"tc({"rows":[["s1","k",1]],"restarts":1000000000})tc",
       TC_EINVAL, R"tc(fit request.restarts: 1000000000 is outside 1..1000)tc"},
      {"NaN (tolerance: NaN is not JSON)", "fit", R"tc({"rows":[["s1","k",1]],"tolerance":NaN})tc",
       TC_EINVAL, R"tc(fit request: malformed JSON at line 1, column 36)tc"},
      {"empty rows", "fit", R"tc({"rows":[]})tc", TC_EINVAL, R"tc(fit request.rows: is empty)tc"},
      {"both rows and train_csv", "fit", R"tc({"rows":[["s1","k",1]],"train_csv":"x.csv"})tc",
       TC_EINVAL, R"tc(fit request.train_csv: give exactly one of train_csv and rows)tc"},
      {"missing file", "fit", R"tc({"train_csv":"/no/such/file.csv"})tc", TC_ENOTFOUND,
       R"tc(/no/such/file.csv: cannot read the file)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: CSV of the CLI loader (train_csv)") {
  static const Row rows[] = {
      {"missing column", "csv", R"tc(user_id,skill_name
s1,k
)tc",
       TC_EINVAL, R"tc(<dir>/train.csv: line 1: no column 'correct' (the header has: user_id,)tc"},
      {"wrong type (correct is 'yes')", "csv", R"tc(user_id,skill_name,correct
s1,k,yes
)tc",
       TC_EINVAL, R"tc(<dir>/train.csv: line 2: column 'correct' is 'yes'; it must be 0 or 1)tc"},
      {"truncated row", "csv", R"tc(user_id,skill_name,correct
s1,k,1
s1,k)tc",
       TC_EINVAL, R"tc(<dir>/train.csv: line 3: 2 fields; the header has at least 3)tc"},
      {"huge order_id (1e400)", "csv", R"tc(user_id,skill_name,correct,order_id
s1,k,1,1e400
)tc",
       TC_EINVAL, R"tc(<dir>/train.csv: line 2: column 'order_id' is '1e400'; it must be a fi)tc"},
      {"NaN order_id", "csv", R"tc(user_id,skill_name,correct,order_id
s1,k,1,nan
)tc",
       TC_EINVAL, R"tc(<dir>/train.csv: line 2: column 'order_id' is 'nan'; it must be a fini)tc"},
      {"infinite order_id", "csv", R"tc(user_id,skill_name,correct,order_id
s1,k,1,inf
)tc",
       TC_EINVAL, R"tc(<dir>/train.csv: line 2: column 'order_id' is 'inf'; it must be a fini)tc"},
      {"header only", "csv", R"tc(user_id,skill_name,correct
)tc",
       TC_EINVAL, R"tc(<dir>/train.csv: no data rows after the header)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: analytics (tc_tutor_analytics)") {
  static const Row rows[] = {
      {"truncated JSON", "analytics", R"tc({"analysis":"all","ten)tc", TC_EINVAL,
       R"tc(analytics request: malformed JSON at line 1, column 19)tc"},
      {"unknown analysis", "analytics", R"tc({"analysis":"astrology","tenant":"t1"})tc", TC_EINVAL,
       R"tc(analytics request.analysis: 'astrology' is not one of cooccurrence, ef)tc"},
      {"wrong type (tenant a number)", "analytics", R"tc({"analysis":"all","tenant":1})tc",
       TC_EINVAL, R"tc(analytics request.tenant: must be a string, found number)tc"},
      {"huge value (config.z 1e308)", "analytics",
       R"tc({"analysis":"effectiveness","tenant":"t1","config":{"z":1e308}})tc", TC_EINVAL,
       R"tc(analytics request.config.z: 1e+308 is outside 0.1..10)tc"},
      {"negative value (config.min_trials -1)", "analytics",
       R"tc({"analysis":"effectiveness","tenant":"t1","config":{"min_trials":-1}})tc", TC_EINVAL,
       R"tc(analytics request.config.min_trials: -1 is outside 0..2147483647)tc"},
      {"unknown id (classroom)", "analytics",
       R"tc({"analysis":"all","tenant":"t1","classroom":"c_nope"})tc", TC_ENOTFOUND,
       R"tc(analytics request.classroom: no student of tenant 't1' is enrolled in )tc"},
      {"unknown id (misconception)", "analytics",
       R"tc({"analysis":"effectiveness","tenant":"t1","misconception_id":"mis_nope"})tc",
       TC_ENOTFOUND,
       R"tc(analytics request.misconception_id: 'mis_nope' is not in domain 'fixtu)tc"},
      {"wrong tenant (no data: zero students)", "analytics",
       R"tc({"analysis":"all","tenant":"t_other"})tc", TC_OK, R"tc("tenant":"t_other")tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: research export (tc_tutor_research_export)") {
  static const Row rows[] = {
      {"truncated JSON", "research", R"tc({"tenant":"t1","min_gr)tc", TC_EINVAL,
       R"tc(research export request: malformed JSON at line 1, column 16)tc"},
      {"not an object", "research", R"tc(["t1"])tc", TC_EINVAL,
       R"tc(research export request: must be a JSON object)tc"},
      {"wrong type (tenant a number)", "research", R"tc({"tenant":1})tc", TC_EINVAL,
       R"tc(research export request.tenant: must be a string, found number)tc"},
      {"wrong type (min_group_size a string)", "research",
       R"tc({"tenant":"t1","min_group_size":"10"})tc", TC_EINVAL,
       R"tc(research export request.min_group_size: must be an integer, found string)tc"},
      {"too small (min_group_size 1)", "research", R"tc({"tenant":"t1","min_group_size":1})tc",
       TC_EINVAL, R"tc(research export request.min_group_size: 1 is outside 2..1000000)tc"},
      {"huge value (min_group_size 1e12)", "research",
       R"tc({"tenant":"t1","min_group_size":1000000000000})tc", TC_EINVAL,
       R"tc(research export request.min_group_size: 1000000000000 is outside 2..1000000)tc"},
      {"unknown field", "research", R"tc({"tenant":"t1","student":"s1"})tc", TC_EINVAL,
       R"tc(research export request.student: unknown field; expected one of tenant, min_group_size)tc"},
      {"wrong tenant (no data)", "research", R"tc({"tenant":"t_other"})tc", TC_EINVAL,
       R"tc(research export request.tenant: tenant 't_other' has no learning data)tc"},
      {"one student (below any minimum)", "research", R"tc({"tenant":"t1"})tc", TC_OK,
       R"tc("total":{"students":null,"suppressed":true})tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: coaching (tc_tutor_coaching)") {
  static const Row rows[] = {
      {"truncated JSON", "coaching", R"tc({"plan":"pre_cl)tc", TC_EINVAL,
       R"tc(coaching request: malformed JSON at line 1, column 9)tc"},
      {"unknown plan", "coaching", R"tc({"plan":"lunch","tenant":"t1"})tc", TC_EINVAL,
       R"tc(coaching request.plan: 'lunch' is not pre_class, debrief or parent_sum)tc"},
      {"wrong type (students a string)", "coaching",
       R"tc({"plan":"pre_class","tenant":"t1","students":"s1"})tc", TC_EINVAL,
       R"tc(coaching request.students: must be an array of ids)tc"},
      {"parent summary without a student", "coaching",
       R"tc({"plan":"parent_summary","tenant":"t1"})tc", TC_EINVAL,
       R"tc(parent summary request.student: is required)tc"},
      {"unknown id (student)", "coaching",
       R"tc({"plan":"parent_summary","tenant":"t1","student":"nobody"})tc", TC_OK,
       R"tc("source":"template")tc"},
      {"huge value (now_us 1e30)", "coaching",
       R"tc({"plan":"pre_class","tenant":"t1","now_us":1e30})tc", TC_EINVAL,
       R"tc(coaching request.now_us: must be an integer, found number)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: store append (tc_store_append_json)") {
  static const Row rows[] = {
      {"truncated JSON", "append", R"tc({"tenant":"t1","entity_type":"student")tc", TC_EINVAL,
       R"tc(events JSON: malformed JSON at line 1, column 39)tc"},
      {"wrong type (payload a string)", "append",
       R"tc({"tenant":"t1","entity_type":"student","entity_id":"s1","type":"note.added","payload":"hi"})tc",
       TC_EINVAL, R"tc(event.payload: must be a JSON object, found string)tc"},
      {"missing tenant", "append",
       R"tc({"entity_type":"student","entity_id":"s1","type":"note.added","payload":{}})tc",
       TC_EINVAL, R"tc(event.tenant: required field is missing)tc"},
      {"payload names a person (privacy)", "append",
       R"tc({"tenant":"t1","entity_type":"student","entity_id":"s1","type":"note.added","payload":{"email":"a@b.org"}})tc",
       TC_EINVAL, R"tc(event[0].payload.email: field 'email' would put personal data (a name )tc"},
      {"huge value (time_us 1e300)", "append",
       R"tc({"tenant":"t1","entity_type":"student","entity_id":"s1","type":"note.added","payload":{},"time_us":1e300})tc",
       TC_EINVAL, R"tc(event.time_us: must be an integer, found number)tc"},
      {"wrong payload for a view event (correct a string)", "append",
       R"tc({"tenant":"t1","entity_type":"student","entity_id":"s1","type":"response.submitted","payload":{"problem_id":"unit_alpha_p2","concept_id":"unit_alpha","correct":"yes"}})tc",
       TC_EINVAL, R"tc(event[0].payload.correct: must be true or false, found string)tc"},
      {"replayed idempotency key", "append_replay",
       R"tc({"tenant":"t1","entity_type":"student","entity_id":"s1","type":"note.added","payload":{"n":1},"idempotency_key":"r1"})tc",
       TC_OK, R"tc("new":[false])tc"},
      {"oversized payload (2 MiB string)", "append",
       R"tc({"tenant":"t1","entity_type":"student","entity_id":"s1","type":"note.added","payload":{"text":"{BIG}"}})tc",
       TC_EINVAL, R"tc(event[0].payload: is 2097163 bytes; at most 1048576 are allowed)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: store read (tc_store_read_json)") {
  static const Row rows[] = {
      {"missing tenant", "read", R"tc({"type":"response.submitted"})tc", TC_EINVAL,
       R"tc(event query.tenant: required field is missing)tc"},
      {"huge limit (1e9)", "read", R"tc({"tenant":"t1","limit":1000000000})tc", TC_EINVAL,
       R"tc(event query.limit: 1000000000 is outside 1..100000; page with after_id)tc"},
      {"wrong type (after_id a string)", "read", R"tc({"tenant":"t1","after_id":"5"})tc", TC_EINVAL,
       R"tc(event query.after_id: must be an integer, found string)tc"},
      {"wrong tenant (sees nothing of t1)", "read", R"tc({"tenant":"t2"})tc", TC_OK,
       R"tc("events":[])tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: store view (tc_store_view_json)") {
  static const Row rows[] = {
      {"unknown view", "view", R"tc({"view":"gossip","tenant":"t1"})tc", TC_EINVAL,
       R"tc(view query: unknown view 'gossip'; use mastery, practice, escalation, )tc"},
      {"missing tenant", "view", R"tc({"view":"mastery"})tc", TC_EINVAL,
       R"tc(view query.tenant: required field is missing)tc"},
      {"truncated JSON", "view", R"tc({"view":"mast)tc", TC_EINVAL,
       R"tc(view query: malformed JSON at line 1, column 9)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

TEST_CASE("bad input: stored payloads (read_view_input)") {
  static const Row rows[] = {
      {"truncated JSON", "payload:response.submitted", R"tc({"problem_id":"p","correct":tr)tc",
       -1000 - static_cast<int>(tutorcore::Errc::storage),
       R"tc(event 1 (response.submitted): payload is not a JSON object; the log ho)tc"},
      {"wrong type (correct a string)", "payload:response.submitted",
       R"tc({"problem_id":"p","concept_id":"c","correct":"yes"})tc",
       -1000 - static_cast<int>(tutorcore::Errc::storage),
       R"tc(event 1 (response.submitted): payload has no boolean 'correct'; the lo)tc"},
      {"not an object", "payload:mastery.updated", R"tc([])tc",
       -1000 - static_cast<int>(tutorcore::Errc::storage),
       R"tc(event 1 (mastery.updated): payload is not a JSON object; the log holds)tc"},
      {"huge value (new_level 1e999)", "payload:mastery.updated",
       R"tc({"concept_id":"c","old_level":0.5,"new_level":1e999})tc",
       -1000 - static_cast<int>(tutorcore::Errc::storage),
       R"tc(event 1 (mastery.updated): payload has no number 'new_level'; the log )tc"},
      {"unknown escalation state", "payload:escalation.transitioned",
       R"tc({"misconception_id":"m","from":"nowhere","to":"elsewhere"})tc",
       -1000 - static_cast<int>(tutorcore::Errc::storage),
       R"tc(event 1 (escalation.transitioned): payload has an unknown state; the l)tc"},
  };
  run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}
