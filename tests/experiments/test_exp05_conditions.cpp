// Validity experiment 05 (benchmarks/experiments/05_irt_vs_categorical/):
// the four item selections on the same simulated learners, and the paired
// comparison exp_05 reports.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "conditions.hpp"
#include "tutorcore/knowledge/validate.hpp"

namespace {

const tutorcore::Domain &algebra() {
  static const tutorcore::Domain d = [] {
    tutorcore::Domain out;
    tutorcore::DomainReport r = tutorcore::load_domain(
        std::string(TUTORCORE_SOURCE_DIR) + "/examples/domains/algebra_fundamentals", &out);
    REQUIRE(r.ok());
    return out;
  }();
  return d;
}

exp05::Results small_run(int budget, int bank_size = 0) {
  tutorcore::StudyOptions o;
  o.seed = 42;
  o.students = 300;
  o.threads = 2;
  o.budget = budget;
  o.bank_size = bank_size;
  return exp05::run_conditions(tutorcore::build_sim_world(algebra(), bank_size, o.seed), o);
}

constexpr size_t kIrt = 0, kEasiest = 1, kHardest = 2, kRandom = 3;

}  // namespace

TEST_CASE("exp05: the paired comparison of two conditions' gains") {
  // b = a - 0.1 + noise: a difference near 0.1 with a small paired SD.
  std::vector<double> a = {0.30, 0.10, 0.25, 0.05, 0.40, 0.20};
  std::vector<double> b = {0.21, 0.00, 0.14, -0.06, 0.31, 0.11};
  exp05::Comparison c = exp05::compare(a, b);
  // The paired differences are 0.09, 0.10, 0.11, 0.11, 0.09, 0.09.
  const double diff = 0.59 / 6;
  CHECK(c.diff == doctest::Approx(diff));
  const double sd_d = exp05::sample_sd({0.09, 0.10, 0.11, 0.11, 0.09, 0.09});
  CHECK(c.diff_se == doctest::Approx(sd_d / std::sqrt(6.0)));
  CHECK(c.t == doctest::Approx(diff / (sd_d / std::sqrt(6.0))));
  CHECK(c.d_paired == doctest::Approx(diff / sd_d));
  const double sa = exp05::sample_sd(a), sb = exp05::sample_sd(b);
  CHECK(c.d_pooled == doctest::Approx(diff / std::sqrt((sa * sa + sb * sb) / 2)));
  // Same learners make the paired test far sharper than the pooled d suggests.
  CHECK(c.d_paired > 10 * c.d_pooled);
  CHECK_THROWS_AS(exp05::compare({1.0, 2.0}, {1.0}), std::invalid_argument);
  CHECK_THROWS_AS(exp05::compare({1.0}, {1.0}), std::invalid_argument);
}

TEST_CASE("exp05: hardest-first misses the desirable difficulty and teaches least") {
  exp05::Results r = small_run(12);
  for (const auto &s : r) {
    REQUIRE(s.gains.size() == 300);
    CHECK(s.gain.mean > 0.0);
  }
  // The same learners in every condition: the same pre-test.
  for (const auto &s : r)
    CHECK(s.pre.mean == r[kIrt].pre.mean);
  // Hardest-first has the lowest hit rate of [0.55, 0.85] and a lower gain than IRT.
  for (size_t i : {kIrt, kEasiest, kRandom}) {
    CHECK(r[kHardest].difficulty_hit_rate < r[i].difficulty_hit_rate);
    CHECK(r[kHardest].gain.mean < r[i].gain.mean);
  }
  exp05::Comparison c = exp05::compare(r[kIrt].gains, r[kHardest].gains);
  CHECK(c.diff > 3 * c.diff_se);
  // Hardest-first answers are the least often right.
  for (size_t i : {kIrt, kEasiest, kRandom})
    CHECK(r[kHardest].accuracy < r[i].accuracy);
}

TEST_CASE("exp05: a run depends on the seed alone") {
  exp05::Results a = small_run(12), b = small_run(12);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].gains == b[i].gains);
    CHECK(a[i].difficulty_hit_rate == b[i].difficulty_hit_rate);
    CHECK(a[i].concepts_mastered == b[i].concepts_mastered);
  }
}

TEST_CASE("exp05: template-filled banks hold instances at their templates' difficulties") {
  const tutorcore::Domain &d = algebra();
  tutorcore::SimWorld w = tutorcore::build_sim_world(d, 50, 42);
  CHECK(w.template_instances > 0);
  // Every instance ("<template>:<name>=<value>,...") has its template's
  // difficulty: a bigger bank repeats difficulties, it does not add new ones.
  int32_t instances = 0;
  for (const auto &items : w.items) {
    for (const auto &it : items) {
      size_t colon = it.id.find(':');
      if (colon == std::string::npos) continue;
      ++instances;
      auto t = std::find_if(d.templates.begin(), d.templates.end(),
                            [&](const auto &x) { return x.id == it.id.substr(0, colon); });
      REQUIRE(t != d.templates.end());
      CHECK(it.irt.b == t->irt_b);
    }
  }
  CHECK(instances == w.template_instances);
  exp05::Results r = small_run(12, 50);
  CHECK(r[kIrt].template_instances == w.template_instances);
  CHECK(r[kHardest].difficulty_hit_rate < r[kIrt].difficulty_hit_rate);
}
