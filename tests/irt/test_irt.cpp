// IRT: hand-computed values, recovery on simulated answers, item selection,
// and mirt's published LSAT6/LSAT7 estimates.
#include <filesystem>
#include <random>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/irt/calibrate.hpp"

using namespace tutorcore;

namespace {

double u01(std::mt19937_64 &rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

double normal(std::mt19937_64 &rng) {  // Box-Muller, portable
  double u = u01(rng), v = u01(rng);
  return std::sqrt(-2 * std::log(u + 1e-300)) * std::cos(2 * M_PI * v);
}

}  // namespace

TEST_CASE("probability and information match the formulas") {
  IrtItem it{1.5, 0.5};
  CHECK(irt_probability(0.5, it) == doctest::Approx(0.5));
  CHECK(irt_probability(1.5, it) == doctest::Approx(1 / (1 + std::exp(-1.5))));
  CHECK(irt_information(0.5, it) == doctest::Approx(1.5 * 1.5 * 0.25));
  // The seed's example: mastery 0.55 -> theta 0.20; target 0.70 -> b = -0.65.
  double theta = theta_from_mastery(0.55);
  CHECK(theta == doctest::Approx(0.2007).epsilon(1e-3));
  CHECK(difficulty_for_target(theta, 0.70) == doctest::Approx(0.20 - 0.8473).epsilon(2e-3));
  CHECK(irt_probability(theta, IrtItem{1.0, difficulty_for_target(theta, 0.70)}) ==
        doctest::Approx(0.70));
}

TEST_CASE("ability estimates recover the simulated ability") {
  std::mt19937_64 rng(3);
  std::vector<IrtItem> items;
  for (int i = 0; i < 400; ++i)
    items.push_back({0.8 + 0.8 * u01(rng), -2.5 + 5 * u01(rng)});
  for (double truth : {-1.5, 0.0, 1.2}) {
    std::vector<uint8_t> y;
    for (const auto &it : items)
      y.push_back(u01(rng) < irt_probability(truth, it));
    Ability mle = estimate_ability(items, y);
    CHECK_FALSE(mle.eap);
    CHECK(mle.theta == doctest::Approx(truth).epsilon(0.15).scale(1.0));
    CHECK(std::fabs(mle.theta - truth) < 3 * mle.se);
    Ability eap = estimate_ability_eap(items, y);
    CHECK(std::fabs(eap.theta - mle.theta) < 0.1);
  }
}

TEST_CASE("all right or all wrong falls back to EAP with a finite ability") {
  std::vector<IrtItem> items(5, IrtItem{1.0, 0.0});
  Ability hi = estimate_ability(items, std::vector<uint8_t>(5, 1));
  Ability lo = estimate_ability(items, std::vector<uint8_t>(5, 0));
  CHECK(hi.eap);
  CHECK(lo.eap);
  CHECK(hi.theta > 0.8);
  CHECK(hi.theta < 3);
  CHECK(lo.theta == doctest::Approx(-hi.theta));
  CHECK_THROWS_AS(estimate_ability(items, std::vector<uint8_t>(4, 1)), Error);
}

TEST_CASE("one item's difficulty and slope from known abilities") {
  std::mt19937_64 rng(5);
  IrtItem truth{1.4, 0.6};
  std::vector<double> th;
  std::vector<uint8_t> y;
  for (int i = 0; i < 20000; ++i) {
    th.push_back(normal(rng));
    y.push_back(u01(rng) < irt_probability(th.back(), truth));
  }
  IrtItem two = calibrate_item(th, y, true);
  CHECK(two.a == doctest::Approx(1.4).epsilon(0.06));
  CHECK(two.b == doctest::Approx(0.6).epsilon(0.06));
  IrtItem rasch = calibrate_item(th, y, false);
  CHECK(rasch.a == 1.0);
}

TEST_CASE("selection picks the item a hand computation picks") {
  std::vector<IrtItem> items = {{1.0, -2.0}, {2.0, 0.3}, {0.5, 0.0}, {1.0, 1.0}};
  // Information at theta 0: 1*P(1-P) with P = sigmoid(2) = 0.105; 4*sigmoid(-0.6)... item 1 is
  // highest:
  double best = -1;
  int64_t pick = -1;
  for (size_t i = 0; i < items.size(); ++i) {
    double info =
        items[i].a * items[i].a * irt_probability(0, items[i]) * (1 - irt_probability(0, items[i]));
    if (info > best) {
      best = info;
      pick = static_cast<int64_t>(i);
    }
  }
  SelectionOptions info_rule;
  info_rule.rule = SelectionOptions::max_information;
  CHECK(pick == 1);
  CHECK(select_item(0.0, items, {}, info_rule) == 1);
  // Nearest P = 0.70 at theta 0: P = sigmoid(2) 0.881, sigmoid(-0.6) 0.354, 0.5,
  // sigmoid(-1) 0.269; distances 0.181, 0.346, 0.2, 0.431 -> item 0, then item 2.
  SelectionOptions target;
  CHECK(select_item(0.0, items, {}, target) == 0);
  CHECK(select_item(0.0, items, {1, 0, 0, 0}, target) == 2);  // seen items are skipped
  CHECK(select_item(0.0, items, {1, 1, 1, 1}, target) == -1);
  SelectionOptions rnd;
  rnd.randomesque = 3;
  rnd.seed = 9;
  int64_t a = select_item(0.0, items, {}, rnd);
  CHECK(a == select_item(0.0, items, {}, rnd));  // same seed, same pick
  CHECK((a == 1 || a == 2 || a == 0 || a == 3));
}

TEST_CASE("Sympson-Hetter exposure control holds every item under r_max") {
  // Three very informative items near theta 0 would be in almost every test.
  std::vector<IrtItem> items;
  for (int j = 0; j < 30; ++j) {
    double a = j < 3 ? 3.0 : 0.8;
    double b = j < 3 ? 0.1 * j : -2.0 + 4.0 * j / 29.0;
    items.push_back({a, b});
  }
  ExposureOptions o;
  o.r_max = 0.3;
  o.test_length = 5;
  o.examinees = 1000;
  o.rounds = 25;
  o.selection.rule = SelectionOptions::max_information;
  ExposureCalibration c = calibrate_sympson_hetter(items, o);
  CHECK(c.max_exposure_uncontrolled > 0.75);
  CHECK(c.max_exposure < o.r_max + 0.05);
  for (int j = 0; j < 3; ++j)
    CHECK(c.k[static_cast<size_t>(j)] < 0.6);  // the popular items are throttled
  double total = 0;
  for (double e : c.exposure)
    total += e;
  CHECK(total == doctest::Approx(5.0));  // every test still has five items
  // Same seed, same parameters.
  ExposureCalibration again = calibrate_sympson_hetter(items, o);
  CHECK(again.k == c.k);

  // Selection with the parameters: the best item is refused about 1 - k of the time.
  SelectionOptions s;
  s.rule = SelectionOptions::max_information;
  s.exposure = &c.k;
  int best = 0, n = 4000;
  int64_t top = select_item(0.05, items, {}, SelectionOptions{SelectionOptions::max_information});
  for (int i = 0; i < n; ++i) {
    s.seed = static_cast<uint64_t>(i);
    best += select_item(0.05, items, {}, s) == top;
  }
  CHECK(static_cast<double>(best) / n ==
        doctest::Approx(c.k[static_cast<size_t>(top)]).epsilon(0.0).scale(1).epsilon(0.03));
  // Bad parameters are refused, naming the problem.
  std::vector<double> short_k(3, 1.0);
  s.exposure = &short_k;
  CHECK_THROWS_WITH_AS(select_item(0.0, items, {}, s),
                       "item selection: 3 exposure parameters for 30 items", Error);
  std::vector<double> zero_k(30, 1.0);
  zero_k[4] = 0.0;
  s.exposure = &zero_k;
  CHECK_THROWS_WITH_AS(select_item(0.0, items, {}, s),
                       "item selection: exposure[4] = 0 is outside (0, 1]", Error);
  o.r_max = 0.1;  // 5 items per test cannot stay under 0.1 with 30 items
  CHECK_THROWS_AS(calibrate_sympson_hetter(items, o), Error);
}

TEST_CASE("joint calibration recovers simulated 2PL items") {
  std::mt19937_64 rng(17);
  std::vector<IrtItem> truth;
  for (int j = 0; j < 12; ++j)
    truth.push_back({0.7 + 1.2 * u01(rng), -1.5 + 3 * u01(rng)});
  std::vector<ItemResponse> rows;
  for (int p = 0; p < 4000; ++p) {
    double th = normal(rng);
    for (size_t j = 0; j < truth.size(); ++j) {
      if (u01(rng) < 0.2) continue;  // sparse: some items unanswered
      rows.push_back({"p" + std::to_string(p), "i" + std::to_string(j),
                      u01(rng) < irt_probability(th, truth[j])});
    }
  }
  ResponseMatrix m = response_matrix_from_rows(rows);
  MmlResult r = calibrate_mml(m);
  CHECK(r.converged);
  REQUIRE(r.items.size() == truth.size());
  for (size_t k = 0; k < m.items(); ++k) {
    size_t j = std::stoul(m.item_ids[k].substr(1));  // "i<j>": items are numbered as first seen
    CAPTURE(j);
    CHECK(std::fabs(r.items[k].a - truth[j].a) < 0.2);
    CHECK(std::fabs(r.items[k].b - truth[j].b) < 0.15);
  }
}

namespace {

// A sparse simulated 2PL matrix: 4000 persons, 30 items answered with
// probability 0.3 each, two items everyone answers right (their intercept
// needs the ridge) and `thin` items with four answers each.
ResponseMatrix simulated_matrix(uint64_t seed, int thin = 0) {
  std::mt19937_64 rng(seed);
  std::vector<IrtItem> truth;
  for (int j = 0; j < 30; ++j)
    truth.push_back({0.5 + 1.5 * u01(rng), -2 + 4 * u01(rng)});
  std::vector<ItemResponse> rows;
  for (int p = 0; p < 4000; ++p) {
    double th = normal(rng);
    for (size_t j = 0; j < truth.size(); ++j) {
      if (u01(rng) < 0.7) continue;
      rows.push_back({"p" + std::to_string(p), "i" + std::to_string(j),
                      u01(rng) < irt_probability(th, truth[j])});
    }
    if (p % 50 == 0)
      rows.push_back({"p" + std::to_string(p), "easy" + std::to_string(p % 100), true});
    if (p < 4 * thin) {
      IrtItem item{0.5 + 1.5 * u01(rng), -2 + 4 * u01(rng)};
      rows.push_back({"p" + std::to_string(p), "thin" + std::to_string(p / 4),
                      u01(rng) < irt_probability(th, item)});
    }
  }
  return response_matrix_from_rows(rows);
}

bool never_decreases(const std::vector<double> &trace) {
  for (size_t i = 1; i < trace.size(); ++i) {
    if (trace[i] < trace[i - 1] - 1e-9 * std::fabs(trace[i - 1])) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("SQUAREM reaches plain EM's estimates in fewer E-steps, monotonically") {
  ResponseMatrix m = simulated_matrix(23, 10);
  for (IrtModel model : {IrtModel::rasch, IrtModel::common_slope, IrtModel::two_pl}) {
    CAPTURE(static_cast<int>(model));
    MmlOptions o;
    o.model = model;
    o.ridge = 0.1;
    o.acceleration = EmAcceleration::none;
    MmlResult plain = calibrate_mml(m, o);
    o.acceleration = EmAcceleration::squarem;
    MmlResult fast = calibrate_mml(m, o);
    REQUIRE(plain.converged);
    REQUIRE(fast.converged);
    CHECK(fast.iterations < plain.iterations);
    CHECK(static_cast<int>(plain.trace.size()) == plain.iterations);
    CHECK(static_cast<int>(fast.trace.size()) <= fast.iterations);  // refused extrapolations
    CHECK(never_decreases(plain.trace));
    CHECK(never_decreases(fast.trace));
    CHECK(fast.trace.back() >= plain.trace.back() - 1e-4);
    CHECK(fast.log_likelihood == doctest::Approx(plain.log_likelihood).epsilon(1e-8));
    for (size_t j = 0; j < m.items(); ++j) {
      CAPTURE(m.item_ids[j]);
      CHECK(std::fabs(fast.items[j].a - plain.items[j].a) < 1e-4);
      CHECK(std::fabs(fast.intercepts[j] - plain.intercepts[j]) < 1e-4);
    }
  }
  // An iteration limit stops within the limit, at an evaluated point.
  for (int cap = 1; cap <= 16; ++cap) {
    CAPTURE(cap);
    MmlOptions capped;
    capped.max_iterations = cap;
    MmlResult r = calibrate_mml(m, capped);
    CHECK(r.iterations <= cap);
    CHECK((r.converged || r.iterations == cap));
    if (cap < 8) CHECK_FALSE(r.converged);
    CHECK(never_decreases(r.trace));
    CHECK(r.log_likelihood == r.trace.back());  // no ridge: the objective is the likelihood
  }
}

TEST_CASE("a lognormal slope prior keeps thinly answered slopes off the bounds") {
  ResponseMatrix m = simulated_matrix(29, 20);
  MmlOptions o;
  MmlResult ml = calibrate_mml(m, o);
  o.slope_prior_sd = 0.5;
  MmlResult map = calibrate_mml(m, o);
  REQUIRE(map.converged);
  CHECK(never_decreases(map.trace));
  double ml_min = 1e9, ml_max = 0, map_min = 1e9, map_max = 0;
  for (size_t j = 0; j < m.items(); ++j) {
    ml_min = std::min(ml_min, ml.items[j].a);
    ml_max = std::max(ml_max, ml.items[j].a);
    map_min = std::min(map_min, map.items[j].a);
    map_max = std::max(map_max, map.items[j].a);
  }
  CHECK((ml_min < 0.05 || ml_max > 7.9));  // maximum likelihood: a thin item at a bound
  CHECK(map_min > 0.3);
  CHECK(map_max < 3);
  CHECK(map.log_likelihood < ml.log_likelihood);
  o.slope_prior_sd = -1;
  CHECK_THROWS_AS(calibrate_mml(m, o), Error);
}

TEST_CASE("bad response matrices are refused with a message") {
  ResponseMatrix empty;
  CHECK_THROWS_WITH_AS(calibrate_mml(empty), doctest::Contains("empty"), Error);
  testutil::TempDir t;
  testutil::write_file(t.path / "p.csv", "I1,I2,Freq\n1,0,3\n1,x,2\n");
  CHECK_THROWS_WITH_AS(load_pattern_csv(t.file("p.csv")),
                       doctest::Contains("line 3: column 'I2' is 'x'"), Error);
  testutil::write_file(t.path / "q.csv", "I1,I2,Freq\n1,0,-3\n");
  CHECK_THROWS_WITH_AS(load_pattern_csv(t.file("q.csv")), doctest::Contains("must be a count"),
                       Error);
}

TEST_CASE("real data: LSAT6 and LSAT7 reproduce mirt's estimates") {
  std::string dir = testutil::data_dir() + "/irt_lsat";
  if (!std::filesystem::exists(dir + "/LSAT7.csv")) {
    MESSAGE("skipped: " << dir << " is absent");
    return;
  }
  ResponseMatrix lsat7 = load_pattern_csv(dir + "/LSAT7.csv");
  CHECK(lsat7.items() == 5);
  double n = 0;
  for (double w : lsat7.weight)
    n += w;
  CHECK(n == 1000);
  // mirt's test values (tolerance 1e-2), slope-intercept form.
  MmlResult two = calibrate_mml(lsat7);
  const double a7[] = {0.988, 1.081, 1.706, 0.765, 0.736},
               d7[] = {1.856, 0.808, 1.804, 0.486, 1.855};
  for (size_t j = 0; j < 5; ++j) {
    CAPTURE(j);
    CHECK(two.items[j].a == doctest::Approx(a7[j]).epsilon(0.01).scale(1));
    CHECK(two.intercepts[j] == doctest::Approx(d7[j]).epsilon(0.01).scale(1));
  }
  MmlOptions eq;
  eq.model = IrtModel::common_slope;
  MmlResult common = calibrate_mml(lsat7, eq);
  const double dc[] = {1.868, 0.791, 1.461, 0.521, 1.993};
  CHECK(common.items[0].a == doctest::Approx(1.011).epsilon(0.01));
  for (size_t j = 0; j < 5; ++j)
    CHECK(common.intercepts[j] == doctest::Approx(dc[j]).epsilon(0.01).scale(1));

  ResponseMatrix lsat6 = load_pattern_csv(dir + "/LSAT6.csv");
  MmlResult rasch6 = calibrate_mml(lsat6, eq);  // Rasch with the latent variance estimated
  const double d6[] = {2.730, 0.999, 0.240, 1.306, 2.099};
  CHECK(rasch6.latent_variance == doctest::Approx(0.570).epsilon(0.02));
  for (size_t j = 0; j < 5; ++j)
    CHECK(rasch6.intercepts[j] == doctest::Approx(d6[j]).epsilon(0.01).scale(1));
}
