// BKT: hand-computed updates, EM on synthetic data from known parameters,
// metrics with known values, model files, data loading errors, real data.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/tracing/fit.hpp"

using namespace tutorcore;

namespace {

// Students answering one skill, simulated from known BKT parameters.
std::vector<ResponseRow> simulate(const BktParams &b, const std::string &skill, int students,
                                  int answers, uint64_t seed, const std::string &prefix = "s") {
  std::mt19937_64 rng(seed);
  auto u = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<ResponseRow> rows;
  for (int s = 0; s < students; ++s) {
    bool known = u() < b.p_init;
    for (int t = 0; t < answers; ++t) {
      bool correct = known ? u() >= b.p_slip : u() < b.p_guess;
      rows.push_back({prefix + std::to_string(s), skill, correct});
      known = known ? u() >= b.p_forget : u() < b.p_learn;
    }
  }
  return rows;
}

FitOptions quiet(int threads = 2) {
  FitOptions o;
  o.threads = threads;
  return o;
}

}  // namespace

TEST_CASE("a single update matches the hand computation") {
  BktParams b{0.3, 0.2, 0.1, 0.05, 0.0};
  // Correct: posterior = 0.3*0.95 / (0.3*0.95 + 0.7*0.1) = 0.285/0.355; then learning.
  double post = 0.285 / 0.355;
  CHECK(bkt_update(0.3, true, b) == doctest::Approx(post + (1 - post) * 0.2).epsilon(1e-12));
  // Wrong: posterior = 0.3*0.05 / (0.3*0.05 + 0.7*0.9) = 0.015/0.645.
  post = 0.015 / 0.645;
  CHECK(bkt_update(0.3, false, b) == doctest::Approx(post + (1 - post) * 0.2).epsilon(1e-12));
  CHECK(bkt_predict(0.3, b) == doctest::Approx(0.3 * 0.95 + 0.7 * 0.1));
  // With forgetting, known students may drop back.
  b.p_forget = 0.1;
  post = 0.285 / 0.355;
  CHECK(bkt_update(0.3, true, b) == doctest::Approx(post * 0.9 + (1 - post) * 0.2).epsilon(1e-12));
}

TEST_CASE("EM recovers the parameters that generated the data") {
  const BktParams truth{0.35, 0.15, 0.12, 0.08, 0.0};
  Dataset d = dataset_from_rows(simulate(truth, "skill_a", 3000, 15, 7));
  FitReport r = fit_bkt(d, quiet());
  REQUIRE(r.skills.size() == 1);
  const BktParams &f = r.skills[0].params;
  CHECK(f.p_init == doctest::Approx(truth.p_init).epsilon(0.1));
  CHECK(f.p_learn == doctest::Approx(truth.p_learn).epsilon(0.1));
  CHECK(f.p_guess == doctest::Approx(truth.p_guess).epsilon(0.15));
  CHECK(f.p_slip == doctest::Approx(truth.p_slip).epsilon(0.15));
  CHECK(f.p_forget == 0.0);
  CHECK_FALSE(r.skills[0].guess_at_bound);
  CHECK(r.skills[0].responses == 45000);
}

TEST_CASE("the EM log-likelihood never decreases") {
  const BktParams truth{0.2, 0.1, 0.2, 0.1, 0.05};
  Dataset d = dataset_from_rows(simulate(truth, "k", 500, 30, 11));
  for (bool forgets : {false, true}) {
    CAPTURE(forgets);
    FitOptions o = quiet();
    o.forgets = forgets;
    o.keep_trace = true;
    o.tolerance = 1e-9;
    o.max_iterations = 200;
    for (int start = 0; start < 5; ++start) {
      BktParams s{0.1 + 0.15 * start, 0.05 + 0.05 * start, 0.05 + 0.04 * start, 0.05 + 0.03 * start,
                  0.02 * start};
      SkillFit f = fit_skill(d.skills[0], s, o);
      REQUIRE(f.trace.size() >= 2);
      for (size_t i = 1; i < f.trace.size(); ++i)
        CHECK(f.trace[i] >= f.trace[i - 1] - 1e-9);
    }
  }
}

TEST_CASE("forgetting beats plain BKT on held-out data generated with forgetting") {
  const BktParams truth{0.3, 0.25, 0.1, 0.1, 0.15};
  Dataset train = dataset_from_rows(simulate(truth, "k", 1500, 25, 21));
  Dataset test = dataset_from_rows(simulate(truth, "k", 800, 25, 22, "t"));
  FitOptions o = quiet();
  Metrics plain = evaluate(model_from_fit(fit_bkt(train, o), false), test);
  o.forgets = true;
  FitReport rf = fit_bkt(train, o);
  Metrics forget = evaluate(model_from_fit(rf, true), test);
  CHECK(forget.log_likelihood > plain.log_likelihood);
  CHECK(forget.auc > plain.auc);
  CHECK(rf.skills[0].params.p_forget == doctest::Approx(truth.p_forget).epsilon(0.25));
}

TEST_CASE("fits are deterministic for a seed, whatever the thread count") {
  std::vector<ResponseRow> rows;
  for (int k = 0; k < 6; ++k) {
    auto more = simulate({0.2 + 0.05 * k, 0.1, 0.15, 0.1, 0}, "skill_" + std::to_string(k), 200, 10,
                         100 + k);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  Dataset d = dataset_from_rows(rows);
  FitReport one = fit_bkt(d, quiet(1));
  FitReport two = fit_bkt(d, quiet(2));
  REQUIRE(one.skills.size() == 6);
  for (size_t k = 0; k < 6; ++k) {
    CHECK(one.skills[k].params.p_init == two.skills[k].params.p_init);
    CHECK(one.skills[k].params.p_slip == two.skills[k].params.p_slip);
    CHECK(one.skills[k].log_likelihood == two.skills[k].log_likelihood);
  }
  FitOptions other = quiet(2);
  other.seed = 7;
  FitReport diff = fit_bkt(d, other);
  bool any_different = false;
  for (size_t k = 0; k < 6; ++k)
    any_different |= diff.skills[k].best_restart != one.skills[k].best_restart ||
                     diff.skills[k].params.p_init != one.skills[k].params.p_init;
  CHECK(any_different);
}

TEST_CASE("guess and slip stay within their bounds, and hitting one is flagged") {
  // Answers that look like heavy guessing: unknown students answer right 60% of the time.
  const BktParams truth{0.1, 0.05, 0.6, 0.1, 0.0};
  Dataset d = dataset_from_rows(simulate(truth, "k", 800, 12, 5));
  FitReport r = fit_bkt(d, quiet());
  CHECK(r.skills[0].params.p_guess <= 0.3);
  CHECK(r.skills[0].params.p_guess + r.skills[0].params.p_slip < 1.0);
  CHECK(r.skills[0].guess_at_bound);
  FitOptions bad = quiet();
  bad.max_guess = 0.6;
  bad.max_slip = 0.5;
  CHECK_THROWS_WITH_AS(fit_bkt(d, bad), doctest::Contains("max_guess + max_slip = 1.1"), Error);
  bad = quiet();
  bad.restarts = 0;
  CHECK_THROWS_WITH_AS(fit_bkt(d, bad), doctest::Contains("restarts = 0"), Error);
}

TEST_CASE("progress reports every skill on the calling thread and can cancel") {
  std::vector<ResponseRow> rows;
  for (int k = 0; k < 8; ++k) {
    auto more = simulate({0.3, 0.1, 0.15, 0.1, 0}, "skill_" + std::to_string(k), 100, 10, 300 + k);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  Dataset d = dataset_from_rows(rows);
  FitOptions o = quiet();
  std::vector<size_t> seen;
  auto caller = std::this_thread::get_id();
  bool same_thread = true;
  o.progress = [&](size_t done, size_t total) {
    same_thread = same_thread && std::this_thread::get_id() == caller;
    CHECK(total == 8);
    seen.push_back(done);
    return true;
  };
  FitReport r = fit_bkt(d, o);
  CHECK(same_thread);
  CHECK_FALSE(r.cancelled);
  CHECK(seen.back() == 8);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  o.threads = 1;
  o.progress = [](size_t done, size_t) { return done < 2; };
  FitReport c = fit_bkt(d, o);
  CHECK(c.cancelled);
}

TEST_CASE("AUC, RMSE and accuracy match hand-computed values") {
  // Positives at scores 0.9, 0.8, 0.4; negatives at 0.7, 0.4, 0.1. Pairs won:
  // 0.9 and 0.8 beat all 3 negatives (6), 0.4 beats 0.1 and ties 0.4 (1.5): 7.5 / 9.
  Predictions p{{0.9, 0.8, 0.4, 0.7, 0.4, 0.1}, {1, 1, 1, 0, 0, 0}};
  Metrics m = score(p);
  CHECK(m.auc == doctest::Approx(7.5 / 9.0));
  double se = 0.01 + 0.04 + 0.36 + 0.49 + 0.16 + 0.01;
  CHECK(m.rmse == doctest::Approx(std::sqrt(se / 6)));
  CHECK(m.accuracy ==
        doctest::Approx(4.0 / 6.0));  // 0.9, 0.8 right; 0.4 (y=1) wrong; 0.7 wrong; 0.4, 0.1 right
  CHECK(m.log_likelihood == doctest::Approx(std::log(0.9) + std::log(0.8) + std::log(0.4) +
                                            std::log(0.3) + std::log(0.6) + std::log(0.9)));
  CHECK(roc_auc({0.5, 0.5}, {1, 1}) == 0.5);  // one class only
}

TEST_CASE("predictions are one step ahead: each answer from the earlier ones") {
  BktModel m;
  m.skills = {"k"};
  m.params = {{0.4, 0.2, 0.2, 0.1, 0.0}};
  Dataset d = dataset_from_rows({{"s1", "k", true}, {"s1", "k", false}, {"s1", "k", true}});
  Predictions p = predict(m, d);
  REQUIRE(p.p.size() == 3);
  const BktParams &b = m.params[0];
  double k0 = 0.4;
  CHECK(p.p[0] == doctest::Approx(bkt_predict(k0, b)));
  double k1 = bkt_update(k0, true, b);
  CHECK(p.p[1] == doctest::Approx(bkt_predict(k1, b)));
  double k2 = bkt_update(k1, false, b);
  CHECK(p.p[2] == doctest::Approx(bkt_predict(k2, b)));
}

TEST_CASE("k-fold cross-validation holds every student out once") {
  const BktParams truth{0.3, 0.15, 0.1, 0.1, 0.0};
  std::vector<ResponseRow> rows = simulate(truth, "a", 300, 10, 31);
  auto more = simulate(truth, "b", 300, 10, 32);
  rows.insert(rows.end(), more.begin(), more.end());
  Dataset d = dataset_from_rows(rows);
  CrossValidation cv = cross_validate(d, 5, quiet());
  REQUIRE(cv.per_fold.size() == 5);
  size_t total = 0;
  for (const auto &f : cv.per_fold)
    total += f.responses;
  CHECK(total == d.responses);
  CHECK(cv.pooled.responses == d.responses);
  CHECK(cv.pooled.auc > 0.6);
  CHECK_THROWS_AS(cross_validate(d, 1, quiet()), Error);
}

TEST_CASE("a model file round-trips, and bad model files are refused with the path") {
  const BktParams truth{0.3, 0.15, 0.1, 0.1, 0.0};
  Dataset d = dataset_from_rows(simulate(truth, "skill_x", 200, 8, 41));
  BktModel m = model_from_fit(fit_bkt(d, quiet()), false);
  BktModel back = model_from_json(model_to_json(m));
  REQUIRE(back.skills == m.skills);
  CHECK(back.params[0].p_init == m.params[0].p_init);  // shortest round-trip text: exact
  CHECK(back.params[0].p_slip == m.params[0].p_slip);
  struct Bad {
    const char *json;
    const char *message;
  };
  const Bad bads[] = {
      {"{\"schema_version\":1,\"kind\":\"bkt\",\"forgets\":false,\"skills\":[{\"skill\":\"a\",\"p_"
       "init\":2,"
       "\"p_learn\":0.1,\"p_guess\":0.1,\"p_slip\":0.1,\"p_forget\":0}]}",
       "skills[0].p_init: 2 is not a probability"},
      {"{\"schema_version\":1,\"kind\":\"bkt\",\"forgets\":false,\"skills\":[{\"skill\":\"a\",\"p_"
       "init\":0.2,"
       "\"p_learn\":0.1,\"p_guess\":0.6,\"p_slip\":0.5,\"p_forget\":0}]}",
       "skills[0]: p_guess + p_slip = 1.1 is not below 1"},
      {"{\"schema_version\":1,\"kind\":\"bkt\",\"forgets\":false,\"skills\":[{\"p_init\":0.2}]}",
       "skills[0].skill: missing"},
      {"{\"schema_version\":1,\"kind\":\"irt\",\"forgets\":false,\"skills\":[]}",
       "kind: must be \"bkt\""},
      {"{\"schema_version\":1,\"kind\":\"bkt\",\"forgets\":false,\"skills\":[", "malformed JSON"},
  };
  for (const Bad &b : bads) {
    CAPTURE(b.json);
    CHECK_THROWS_WITH_AS(model_from_json(b.json), doctest::Contains(b.message), Error);
  }
  try {
    model_from_json("{\"schema_version\":9,\"kind\":\"bkt\",\"forgets\":false,\"skills\":[]}");
    FAIL("accepted a newer schema");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::version);
  }
}

TEST_CASE("CSV input errors name the file, the line and the column") {
  testutil::TempDir t;
  auto write = [&](const std::string &text) {
    testutil::write_file(t.path / "d.csv", text);
    return t.file("d.csv");
  };
  auto message = [&](const std::string &path, const CsvColumns &cols = {}) -> std::string {
    try {
      load_csv(path, cols);
    } catch (const Error &e) {
      return e.what();
    }
    return "accepted";
  };
  CHECK(message(write("user_id,skill,correct\n1,a,1\n"))
            .find("no column 'skill_name' (the header has: user_id, skill, correct)") !=
        std::string::npos);
  CHECK(message(write("order_id,user_id,skill_name,correct\n1,u1,a,1\n2,u1,a,yes\n"))
            .find("line 3: column 'correct' is 'yes'") != std::string::npos);
  CHECK(message(write("order_id,user_id,skill_name,correct\nx,u1,a,1\n"))
            .find("line 2: column 'order_id' is 'x'") != std::string::npos);
  CHECK(message(write("order_id,user_id,skill_name,correct\n1,u1\n")).find("line 2: 2 fields") !=
        std::string::npos);
  CHECK(message(write("")).find("the file is empty") != std::string::npos);
  CHECK(message(t.file("missing.csv")).find("cannot read") != std::string::npos);
  // Quoted fields, CRLF line ends and order by order_id within a student.
  Dataset d =
      load_csv(write("order_id,user_id,skill_name,correct\r\n3,\"u, 1\",\"a\"\"b\",0\r\n1,\"u, "
                     "1\",\"a\"\"b\",1\r\n"));
  REQUIRE(d.skills.size() == 1);
  CHECK(d.skills[0].skill == "a\"b");
  CHECK(d.students[0] == "u, 1");
  CHECK(d.skills[0].correct == std::vector<uint8_t>{1, 0});
  CsvColumns cols;
  cols.user = "student";
  cols.skill = "kc";
  cols.correct = "ok";
  Dataset e = load_csv(write("student,kc,ok\ns1,k1,1\ns1,k1,0\n"), cols);
  CHECK(e.responses == 2);
}

TEST_CASE(
    "real data: ASSISTments 2009 (DKT split) fits every skill, held-out AUC as reported for BKT") {
  std::string dir = testutil::data_dir() + "/assist2009_dkt";
  if (!std::filesystem::exists(dir + "/train_long.csv")) {
    MESSAGE("skipped: " << dir << " is absent");
    return;
  }
  Dataset train = load_csv(dir + "/train_long.csv");
  Dataset test = load_csv(dir + "/test_long.csv");
  CHECK(train.responses == 407967);
  CHECK(train.skills.size() == 123);
  FitOptions o = quiet();
  FitReport plain = fit_bkt(train, o);
  for (const auto &f : plain.skills) {
    CHECK(std::isfinite(f.log_likelihood));
    CHECK(f.params.p_guess + f.params.p_slip < 1.0);
  }
  Metrics mp = evaluate(model_from_fit(plain, false), test);
  o.forgets = true;
  Metrics mf = evaluate(model_from_fit(fit_bkt(train, o), true), test);
  MESSAGE("held-out AUC: plain " << mp.auc << ", with forgetting " << mf.auc);
  // Published figures for this split: standard BKT 0.73 (Khajah et al. 2016),
  // BKT with forgetting 0.83.
  CHECK(mp.auc > 0.73);
  CHECK(mf.auc > 0.82);
  CHECK(mf.auc > mp.auc);
}
