// The learning profile: each error pattern, latency bands, decay, velocity,
// the modality vector and transfer, against hand-computed values.
#include <string>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/profile/profile.hpp"

using namespace tutorcore;

namespace {
constexpr int64_t kDay = 86400LL * 1000000LL;

ResponseRecord resp(const std::string &concept_id, bool correct, const std::string &mis = "",
                    int64_t t = 0, bool transfer = false, double latency = 20000.0) {
  ResponseRecord r;
  r.concept_id = concept_id;
  r.correct = correct;
  r.misconception_id = mis;
  r.time_us = t;
  r.transfer = transfer;
  r.latency_ms = latency;
  return r;
}

ErrorPattern pattern_of(const LearningProfile &p, const std::string &concept_id) {
  for (const auto &cp : p.concept_patterns)
    if (cp.concept_id == concept_id) return cp.pattern;
  return ErrorPattern::none;
}
}  // namespace

TEST_CASE("profile: an error with a weak prerequisite is a foundational gap") {
  ProfileInput in;
  in.prerequisites["b"] = {"a"};
  in.mastery = {{"a", 0.55, 0}};
  in.responses = {resp("b", true), resp("b", false), resp("b", true)};
  ProfileConfig c;
  LearningProfile p = learning_profile(in, c);
  CHECK(pattern_of(p, "b") == ErrorPattern::foundational_gap);
  CHECK(p.error_pattern == ErrorPattern::foundational_gap);

  in.mastery = {{"a", 0.60, 0}};  // at the threshold: not a gap
  p = learning_profile(in, c);
  CHECK(pattern_of(p, "b") != ErrorPattern::foundational_gap);
  in.mastery.clear();  // no evidence about the prerequisite: not a gap either
  CHECK(pattern_of(learning_profile(in, c), "b") != ErrorPattern::foundational_gap);
}

TEST_CASE("profile: one misconception in three responses is systematic") {
  ProfileInput in;
  in.responses = {resp("c", false, "m1"), resp("c", true), resp("c", false, "m1"),
                  resp("c", false, "m2"), resp("c", false, "m1")};
  LearningProfile p = learning_profile(in, ProfileConfig{});
  CHECK(pattern_of(p, "c") == ErrorPattern::systematic);
  CHECK(p.error_pattern == ErrorPattern::systematic);
  in.responses.pop_back();  // m1 twice only
  CHECK(pattern_of(learning_profile(in, ProfileConfig{}), "c") == ErrorPattern::none);
}

TEST_CASE("profile: right on ordinary items and wrong on transfer items is a transfer failure") {
  ProfileInput in;
  // Ordinary items: 4 of 5 right (0.80); transfer items: 0 of 2.
  in.responses = {resp("c", true),
                  resp("c", true),
                  resp("c", true),
                  resp("c", true),
                  resp("c", false),
                  resp("c", false, "", 0, true),
                  resp("c", false, "", 0, true)};
  LearningProfile p = learning_profile(in, ProfileConfig{});
  CHECK(pattern_of(p, "c") == ErrorPattern::transfer_failure);
  CHECK(p.transfer_attempts == 2);
  CHECK(p.transfer_success_rate == 0.0);
  // One transfer item right: 1 of 2 = 0.5 is not below 0.5.
  in.responses.back().correct = true;
  p = learning_profile(in, ProfileConfig{});
  CHECK(pattern_of(p, "c") != ErrorPattern::transfer_failure);
  CHECK(p.transfer_success_rate == doctest::Approx(0.5));
}

TEST_CASE("profile: rare errors at high mastery without a misconception are careless") {
  ProfileInput in;
  in.mastery = {{"c", 0.80, 0}};
  for (int i = 0; i < 9; ++i)
    in.responses.push_back(resp("c", true));
  in.responses.push_back(resp("c", false));  // error rate 0.10
  ProfileConfig c;
  LearningProfile p = learning_profile(in, c);
  CHECK(pattern_of(p, "c") == ErrorPattern::careless);
  CHECK(p.error_pattern == ErrorPattern::careless);

  ProfileInput low = in;
  low.mastery = {{"c", 0.65, 0}};  // below 0.70
  CHECK(pattern_of(learning_profile(low, c), "c") == ErrorPattern::none);

  ProfileInput rate = in;  // 2 errors in 10: 0.20 is not below 0.20
  rate.responses[0].correct = false;
  CHECK(pattern_of(learning_profile(rate, c), "c") == ErrorPattern::none);

  ProfileInput consistent = in;  // the same misconception twice among few errors
  consistent.responses.clear();
  for (int i = 0; i < 18; ++i)
    consistent.responses.push_back(resp("c", true));
  consistent.responses.push_back(resp("c", false, "m1"));
  consistent.responses.push_back(resp("c", false, "m1"));
  CHECK(pattern_of(learning_profile(consistent, c), "c") == ErrorPattern::none);
  consistent.responses.back().misconception_id = "m2";  // two different ones: careless
  CHECK(pattern_of(learning_profile(consistent, c), "c") == ErrorPattern::careless);
}

TEST_CASE("profile: the dominant pattern is the most frequent, ties in the seed's order") {
  ProfileInput in;
  in.mastery = {{"p", 0.3, 0}, {"x", 0.9, 0}, {"y", 0.9, 0}};
  in.prerequisites["g"] = {"p"};
  in.responses.push_back(resp("g", false));  // foundational gap
  for (const char *cid : {"x", "y"}) {       // careless twice
    for (int i = 0; i < 9; ++i)
      in.responses.push_back(resp(cid, true));
    in.responses.push_back(resp(cid, false));
  }
  for (int i = 0; i < 3; ++i)
    in.responses.push_back(resp("s", false, "m1"));  // systematic
  LearningProfile p = learning_profile(in, ProfileConfig{});
  CHECK(p.concept_patterns.size() == 4);  // g, s, x, y (p has no answers)
  CHECK(p.error_pattern == ErrorPattern::careless);
  // One more systematic concept ties careless at two; systematic comes first.
  for (int i = 0; i < 3; ++i)
    in.responses.push_back(resp("s2", false, "m2"));
  CHECK(learning_profile(in, ProfileConfig{}).error_pattern == ErrorPattern::systematic);
  CHECK(std::string(error_pattern_name(ErrorPattern::foundational_gap)) == "foundational_gap");
  CHECK(learning_profile(ProfileInput{}, ProfileConfig{}).error_pattern == ErrorPattern::none);
}

TEST_CASE("profile: mean latency and the fast-wrong, slow-wrong, slow-right bands") {
  ProfileInput in;
  in.responses = {resp("c", false, "", 0, false, 5000), resp("c", false, "", 0, false, 70000),
                  resp("c", true, "", 0, false, 90000), resp("c", true, "", 0, false, 30000),
                  resp("c", true, "", 0, false, 0),     resp("c", true, "", 0, false, 8000),
                  resp("c", false, "", 0, false, 60000)};
  LearningProfile p = learning_profile(in, ProfileConfig{});
  CHECK(p.timed_responses == 6);  // the unknown latency is left out
  CHECK(p.mean_latency_ms == doctest::Approx((5000 + 70000 + 90000 + 30000 + 8000 + 60000) / 6.0));
  CHECK(p.fast_wrong == 1);  // 8 s but right is not fast-wrong
  CHECK(p.slow_wrong == 1);  // 60 s exactly is not above 60 s
  CHECK(p.slow_right == 1);
}

TEST_CASE("profile: decay is mastery lost per day between sessions") {
  ProfileInput in;
  // x: 0.80 -> 0.72 over 2 days (0.04/day); 0.72 -> 0.75 half a day later is
  // in the same session (skipped); 0.75 -> 0.67 over 2 days (0.04/day).
  in.mastery = {{"x", 0.80, 0},
                {"x", 0.72, 2 * kDay},
                {"x", 0.75, 2 * kDay + kDay / 2},
                {"x", 0.67, 4 * kDay + kDay / 2},
                // y: gains 0.1 in a day: -0.1/day.
                {"y", 0.50, 0},
                {"y", 0.60, kDay}};
  ProfileConfig c;
  LearningProfile p = learning_profile(in, c);
  CHECK(p.decay_pairs == 3);
  CHECK(p.decay_per_day == doctest::Approx((0.04 + -0.1) / 2));
  CHECK_FALSE(p.high_decay);

  in.mastery.resize(4);  // x alone: 0.04/day, not above 0.05
  p = learning_profile(in, c);
  CHECK(p.decay_per_day == doctest::Approx(0.04));
  CHECK_FALSE(p.high_decay);
  c.high_decay_per_day = 0.03;
  CHECK(learning_profile(in, c).high_decay);
  c.decay_min_gap_days = 0.0;  // every pair: the in-session rise counts as -0.06/day
  p = learning_profile(in, c);
  CHECK(p.decay_pairs == 3);
  CHECK(p.decay_per_day == doctest::Approx((0.04 - 0.06 + 0.04) / 3));
}

TEST_CASE("profile: velocity counts responses from mastery 0.35 to 0.85") {
  ProfileInput in;
  // a: samples after each response; 0.40 at t=2 and 0.90 at t=5: responses at
  // t = 3, 4, 5 took it there (n = 3).
  const double levels[] = {0.30, 0.40, 0.55, 0.70, 0.90, 0.92};
  for (int i = 0; i < 6; ++i) {
    in.responses.push_back(resp("a", true, "", i + 1));
    in.mastery.push_back({"a", levels[i], i + 1});
  }
  // b: one answer jumps from 0.2 to 0.9 (n = 1).
  in.responses.push_back(resp("b", true, "", 10));
  in.responses.push_back(resp("b", true, "", 11));
  in.mastery.push_back({"b", 0.2, 10});
  in.mastery.push_back({"b", 0.9, 11});
  // c never reaches 0.85: left out.
  in.responses.push_back(resp("c", true, "", 20));
  in.mastery.push_back({"c", 0.6, 20});
  LearningProfile p = learning_profile(in, ProfileConfig{});
  CHECK(p.velocity_concepts == 2);
  CHECK(p.learning_velocity == doctest::Approx((1.0 / 3 + 1.0) / 2));
  CHECK(p.responses_to_mastery == doctest::Approx(2.0));
}

TEST_CASE("profile: the modality vector is Laplace-smoothed") {
  ProfileInput in;
  in.outcomes = {{"m", Modality::visual, true, 0},
                 {"m", Modality::visual, true, 1},
                 {"m", Modality::visual, false, 2},
                 {"m", Modality::concrete, false, 3},
                 {"n", Modality::verbal, true, 4}};
  LearningProfile p = learning_profile(in, ProfileConfig{});
  CHECK(p.modality_vector[0] == doctest::Approx(3.0 / 5));  // (2 + 1) / (3 + 2)
  CHECK(p.modality_vector[1] == doctest::Approx(1.0 / 3));  // (0 + 1) / (1 + 2)
  CHECK(p.modality_vector[2] == doctest::Approx(0.5));      // no data
  CHECK(p.modality_vector[3] == doctest::Approx(2.0 / 3));
  CHECK(p.modality_vector[4] == doctest::Approx(0.5));
  CHECK(p.modality_tried[0] == 3);
  CHECK(p.modality_resolved[0] == 2);
}

TEST_CASE("profile: transfer success counts only concepts solid on ordinary items") {
  ProfileInput in;
  // solid: 5/5 ordinary; transfer 2 of 3 right. shaky: 1/2 ordinary; its transfer item is ignored.
  for (int i = 0; i < 5; ++i)
    in.responses.push_back(resp("solid", true));
  in.responses.push_back(resp("solid", true, "", 0, true));
  in.responses.push_back(resp("solid", true, "", 0, true));
  in.responses.push_back(resp("solid", false, "", 0, true));
  in.responses.push_back(resp("shaky", true));
  in.responses.push_back(resp("shaky", false));
  in.responses.push_back(resp("shaky", true, "", 0, true));
  LearningProfile p = learning_profile(in, ProfileConfig{});
  CHECK(p.transfer_attempts == 3);
  CHECK(p.transfer_success_rate == doctest::Approx(2.0 / 3));
}

TEST_CASE("profile: bad records and config are refused with Error(invalid)") {
  ProfileInput in;
  in.mastery = {{"c", 1.5, 0}};
  try {
    learning_profile(in, ProfileConfig{});
    FAIL("expected Error(invalid)");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid);
    CHECK(std::string(e.what()).find("mastery[0]") != std::string::npos);
  }
  in.mastery.clear();
  in.outcomes = {{"m", static_cast<Modality>(7), true, 0}};
  CHECK_THROWS_AS(learning_profile(in, ProfileConfig{}), Error);
  ProfileConfig c;
  c.fast_ms = 70000;
  CHECK_THROWS_AS(check_profile_config(c), Error);
  c = ProfileConfig{};
  c.velocity_from = 0.9;
  CHECK_THROWS_AS(learning_profile(ProfileInput{}, c), Error);
}
