// The learning profile (seed 003, Phase 2): what a student's history says
// about how they learn, computed from plain records. Deterministic, no I/O.
//
// Readings of the seed:
//  - Error pattern, per concept with at least one wrong answer, first match
//    in the seed's order (its _classify_error_pattern): foundational_gap (a
//    prerequisite's mastery < 0.60; a prerequisite without any mastery
//    sample is not evidence of a gap), systematic (one misconception in >= 3
//    responses), transfer_failure (accuracy >= 0.80 on ordinary items and
//    < 0.50 on transfer items: the seed's "mastery on easy/medium vs hard
//    problems" is performance on those items), careless (mastery >= 0.70,
//    error rate < 20%, no misconception seen twice: "no consistent
//    misconception"). A concept that fits none has no pattern rather than
//    the docstring's fallback to careless, because the seed's table gives
//    careless conditions. The dominant pattern is the most frequent over
//    concepts, ties going to the earlier pattern in that order; none when no
//    concept has one.
//  - Mastery of a concept is its last mastery sample; without one its
//    accuracy stands in.
//  - Decay is mastery loss per day, (m1 - m2) / days (positive = forgetting,
//    the docstring's sign), over consecutive samples of a concept at least
//    decay_min_gap_days apart: changes within a session are learning, not
//    forgetting, and would swamp a per-day rate. Mean per concept, then over
//    concepts.
//  - Velocity: n_c = responses on c after the first sample >= 0.35 up to and
//    including the first sample >= 0.85 (at least 1), v_c = 1 / n_c;
//    reported as the mean v_c and the mean n_c over concepts that got there.
//  - Latency: the mean over responses whose latency is known (> 0); the
//    bands are counts among those.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "tutorcore/knowledge/domain.hpp"

namespace tutorcore {
inline namespace v0 {

struct ResponseRecord {
  std::string concept_id;
  bool correct = false;
  std::string misconception_id;  // the diagnosed misconception; empty for none
  double latency_ms = 0.0;       // <= 0: unknown
  int64_t time_us = 0;
  bool transfer = false;  // a transfer item (hard, or a new context for the concept)
};

// One mastery.updated: the concept's mastery from that time on.
struct MasterySample {
  std::string concept_id;
  double level = 0.0;
  int64_t time_us = 0;
};

// One intervention.outcome.
struct InterventionOutcome {
  std::string misconception_id;
  Modality modality = Modality::visual;
  bool resolved = false;
  int64_t time_us = 0;
};

struct ProfileInput {
  std::vector<ResponseRecord> responses;
  std::vector<MasterySample> mastery;
  std::vector<InterventionOutcome> outcomes;
  // concept id -> the ids of its prerequisites (the knowledge graph)
  std::unordered_map<std::string, std::vector<std::string>> prerequisites;
};

enum class ErrorPattern : uint8_t {
  none = 0,
  careless,
  systematic,
  foundational_gap,
  transfer_failure
};
constexpr size_t kErrorPatternCount = 5;
const char *error_pattern_name(ErrorPattern p);

struct ProfileConfig {
  // Error patterns (seed 003's table).
  double careless_min_mastery = 0.70;
  double careless_max_error_rate = 0.20;       // strictly below
  int32_t consistent_misconception_count = 2;  // careless: no misconception this often
  int32_t systematic_min_count = 3;
  double prereq_gap_below = 0.60;
  double transfer_base_min_accuracy = 0.80;  // on ordinary items
  double transfer_fail_below = 0.50;         // on transfer items
  // Latency bands.
  double fast_ms = 10000.0;  // fast-and-wrong below
  double slow_ms = 60000.0;  // slow-and-wrong, slow-and-right above
  // Decay.
  double decay_min_gap_days = 1.0;
  double high_decay_per_day = 0.05;  // above: shorter spacing intervals
  // Velocity.
  double velocity_from = 0.35;
  double velocity_to = 0.85;
};

// Throws Error(invalid) naming the field when a value is out of range.
void check_profile_config(const ProfileConfig &config);

struct ConceptPattern {
  std::string concept_id;
  ErrorPattern pattern = ErrorPattern::none;
};

struct LearningProfile {
  ErrorPattern error_pattern = ErrorPattern::none;  // the dominant one
  std::vector<ConceptPattern> concept_patterns;     // concepts with errors, by id

  double mean_latency_ms = 0.0;
  int32_t timed_responses = 0;  // responses with a known latency
  int32_t fast_wrong = 0;
  int32_t slow_wrong = 0;
  int32_t slow_right = 0;

  double decay_per_day = 0.0;  // mean mastery loss per day; 0 without pairs
  int32_t decay_pairs = 0;
  bool high_decay = false;

  double learning_velocity = 0.0;     // mean 1 / n_c
  double responses_to_mastery = 0.0;  // mean n_c
  int32_t velocity_concepts = 0;      // concepts that went from 0.35 to 0.85

  // Laplace-smoothed resolution rate per Modality: (resolved + 1) / (tried + 2).
  std::array<double, kModalityCount> modality_vector{};
  std::array<int32_t, kModalityCount> modality_tried{};
  std::array<int32_t, kModalityCount> modality_resolved{};

  // Right answers on transfer items of concepts with ordinary accuracy >=
  // transfer_base_min_accuracy; 0 when there are none (transfer_attempts = 0).
  double transfer_success_rate = 0.0;
  int32_t transfer_attempts = 0;
};

// Throws Error(invalid) naming the record for a mastery level outside [0, 1]
// or an invalid modality, and for a bad config.
LearningProfile learning_profile(const ProfileInput &in, const ProfileConfig &config);

}  // namespace v0
}  // namespace tutorcore
