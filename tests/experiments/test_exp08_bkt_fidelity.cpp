// Validity experiment 08's building blocks (benchmarks/experiments/08_bkt_fidelity/
// fidelity.hpp) on small simulated studies of the bundled algebra domain:
// parameters scaled within valid ranges, selection agreement of the oracle
// and of random choice, determinism, and BKT fitted on the simulated log.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>

#include "fidelity.hpp"
#include "tutorcore/knowledge/validate.hpp"

using namespace tutorcore;

namespace {

const Domain &algebra() {
  static const Domain d = [] {
    Domain out;
    DomainReport r =
        load_domain(TUTORCORE_SOURCE_DIR "/examples/domains/algebra_fundamentals", &out);
    REQUIRE(r.ok());
    return out;
  }();
  return d;
}

StudyOptions small(ConceptSelection sel, uint64_t seed = 7) {
  StudyOptions o;
  o.seed = seed;
  o.students = 80;
  o.threads = 2;
  o.budget = 12;
  o.concept_selection = sel;
  o.per_student = true;
  return o;
}

}  // namespace

TEST_CASE("exp08: scaled BKT parameters stay valid, factor 1 changes nothing") {
  const Domain &d = algebra();
  for (const BktParams &b : exp08::domain_params(d)) {
    for (double f : {0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0}) {
      std::vector<std::pair<BktParams, bool>> scaled;
      for (exp08::Param q : exp08::kParams) {
        bool clamped = false;
        scaled.emplace_back(exp08::scale_param(b, q, f, &clamped), clamped);
      }
      bool clamped = false;
      scaled.emplace_back(exp08::scale_all(b, f, &clamped), clamped);
      for (const auto &[p, c] : scaled) {
        for (double x : {p.p_init, p.p_learn, p.p_guess, p.p_slip}) {
          CHECK(x >= exp08::kMinP);
          CHECK(x <= exp08::kMaxP);
        }
        CHECK(p.p_guess + p.p_slip <= exp08::kMaxGuessSlip + 1e-12);
        if (f == 1.0) {
          CHECK_FALSE(c);
          CHECK(p.p_init == b.p_init);
          CHECK(p.p_learn == b.p_learn);
          CHECK(p.p_guess == b.p_guess);
          CHECK(p.p_slip == b.p_slip);
        }
      }
    }
  }
  // Scaled as asked when nothing clamps; p_init 0.45 x 3 clamps.
  BktParams b{0.45, 0.2, 0.15, 0.1, 0.0};
  bool clamped = false;
  CHECK(exp08::scale_param(b, exp08::Param::guess, 2.0, &clamped).p_guess == doctest::Approx(0.3));
  CHECK_FALSE(clamped);
  CHECK(exp08::scale_param(b, exp08::Param::init, 3.0, &clamped).p_init == exp08::kMaxP);
  CHECK(clamped);
  // A frozen estimate does not move.
  BktParams still = exp08::frozen(b);
  CHECK(bkt_update(0.3, true, still) == doctest::Approx(0.3));
  CHECK(bkt_update(0.3, false, still) == doctest::Approx(0.3));
}

TEST_CASE("exp08: oracle selection always agrees with the oracle rule, random at chance") {
  const Domain &d = algebra();
  StudyResult oracle = run_study(d, small(ConceptSelection::oracle));
  StudyResult random = run_study(d, small(ConceptSelection::random));
  StudyResult bkt = run_study(d, small(ConceptSelection::bkt));
  CHECK(oracle.selection_agreement == 1.0);
  CHECK(random.selection_chance == doctest::Approx(0.2));  // blocks of 5 concepts
  // 960 steps: chance 0.2 with a standard error of about 0.013.
  CHECK(random.selection_agreement == doctest::Approx(random.selection_chance).epsilon(0.3));
  CHECK(bkt.selection_agreement > 0.0);
  CHECK(bkt.selection_agreement < 1.0);
  for (const StudyResult *r : {&oracle, &random, &bkt}) {
    REQUIRE(r->bkt_rmse.size() == 13);
    for (double x : r->bkt_rmse) {
      CHECK(x > 0.0);
      CHECK(x < 1.0);
    }
  }
  // Same learners: the RMSE before the first answer depends on the priors alone.
  CHECK(oracle.bkt_rmse[0] == bkt.bkt_rmse[0]);
  CHECK(random.bkt_rmse[0] == bkt.bkt_rmse[0]);
}

TEST_CASE("exp08: the same seed gives the same study, whatever the threads") {
  const Domain &d = algebra();
  StudyOptions o = small(ConceptSelection::bkt);
  o.bkt = exp08::domain_params(d);
  o.bkt[3] = exp08::scale_all(o.bkt[3], 2.0);
  StudyResult a = run_study(d, o);
  o.threads = 1;
  StudyResult b = run_study(d, o);
  StudyOptions other = o;
  other.seed = 8;
  StudyResult c = run_study(d, other);
  CHECK(a.gains == b.gains);
  CHECK(a.bkt_rmse == b.bkt_rmse);
  CHECK(a.selection_agreement == b.selection_agreement);
  CHECK(a.gains != c.gains);
  exp08::Paired same = exp08::paired_difference(a.gains, b.gains);
  CHECK(same.mean == 0.0);
  CHECK(same.se == 0.0);
}

TEST_CASE("exp08: paired differences") {
  exp08::Paired p = exp08::paired_difference({1.0, 2.0, 4.0}, {0.0, 1.0, 1.0});
  CHECK(p.mean == doctest::Approx(5.0 / 3.0));
  // Differences 1, 1, 3: sd sqrt(4/3), se sqrt(4/3)/sqrt(3) = 2/3.
  CHECK(p.se == doctest::Approx(2.0 / 3.0));
}

TEST_CASE("exp08: BKT fitted on the simulated answer log is sensible and fits it better") {
  const Domain &d = algebra();
  exp08::CalibrationOptions co;
  co.seed = 11;
  co.students = 300;
  co.budget = 40;
  co.threads = 2;
  co.fit.threads = 2;
  co.fit.restarts = 3;
  exp08::Calibration cal = exp08::calibrate(d, co);
  REQUIRE(cal.study.log.size() == 300u * 40u);
  CHECK(cal.data.responses == cal.study.log.size());
  CHECK(cal.data.students.size() == 300u);
  // One sequence per (learner, concept) pair practised.
  std::set<std::pair<int32_t, int32_t>> pairs;
  for (const auto &row : cal.study.log)
    pairs.insert({row.learner, row.concept});
  size_t sequences = 0;
  for (const SkillSequences &s : cal.data.skills)
    sequences += s.sequences();
  CHECK(sequences == pairs.size());

  REQUIRE(cal.params.size() == d.concepts.size());
  int fitted = 0;
  for (size_t i = 0; i < d.concepts.size(); ++i) {
    const BktParams &p = cal.params[i];
    if (!cal.fitted[i]) {
      // No answers: the domain's parameters, unchanged.
      CHECK(p.p_init == d.concepts[i].bkt.p_init);
      CHECK(p.p_guess == d.concepts[i].bkt.p_guess);
      continue;
    }
    ++fitted;
    CAPTURE(d.concepts[i].id);
    CHECK(p.p_guess + p.p_slip < 1.0);
    CHECK(p.p_guess <= co.fit.max_guess + 1e-9);
    CHECK(p.p_slip <= co.fit.max_slip + 1e-9);
    CHECK(p.p_init > 0.0);
    CHECK(p.p_init < 1.0);
    CHECK(p.p_learn > 0.0);
    CHECK(p.p_forget == 0.0);
  }
  CHECK(fitted >= 10);
  // Maximum likelihood beats the domain's priors on the data it was fitted
  // on, and on held-out learners' answers.
  Metrics train_priors = evaluate(exp08::model_of(exp08::domain_params(d), d), cal.data);
  Metrics train_fitted = evaluate(exp08::model_of(cal.params, d), cal.data);
  CHECK(train_fitted.log_likelihood > train_priors.log_likelihood);
  StudyOptions ho;
  ho.seed = 12;
  ho.students = 200;
  ho.threads = 2;
  ho.budget = 40;
  ho.concept_selection = ConceptSelection::random;
  ho.item_selection = ItemSelection::random;
  ho.keep_log = true;
  Dataset held = dataset_from_rows(exp08::log_rows(run_study(d, ho).log, d));
  Metrics test_priors = evaluate(exp08::model_of(exp08::domain_params(d), d), held);
  Metrics test_fitted = evaluate(exp08::model_of(cal.params, d), held);
  CHECK(test_fitted.log_likelihood > test_priors.log_likelihood);
  CHECK(test_fitted.auc > 0.6);
}
