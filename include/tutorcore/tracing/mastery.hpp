// The mastery policy: when a BKT estimate counts as mastery, and how much a
// suspiciously fast answer may move it. Defaults are the seed's: threshold
// 0.95 (0.85 for low-stakes concepts), at least 8 attempts, two consecutive
// right answers at mastery level before a prerequisite opens what follows.
#pragma once

#include <cstdint>

#include "tutorcore/tracing/bkt.hpp"

namespace tutorcore {
inline namespace v0 {

struct MasteryPolicy {
  double threshold = 0.95;
  double low_stakes_threshold = 0.85;
  int32_t min_attempts = 8;
  int32_t gate_streak = 2;  // consecutive right answers at mastery level to open dependants
  // An answer faster than fast_fraction of the item's typical time is less
  // credible (a guess or gaming): its update is scaled down, linearly in the
  // time taken, to no less than min_credibility.
  double fast_fraction = 0.25;
  double min_credibility = 0.1;
};

struct MasteryState {
  double p_known = 0.0;
  int32_t attempts = 0;
  int32_t streak = 0;  // consecutive right answers given at mastery level
};

// 1 for an answer at a normal pace; less for one much faster than typical.
// Unknown times (<= 0) count as fully credible.
double response_credibility(double latency_ms, double typical_ms, const MasteryPolicy &policy);

// One answer: the BKT update, moved only `credibility` of the way, and the
// attempt and streak counters. Allocation-free.
MasteryState mastery_step(const MasteryState &s, bool correct, double credibility,
                          const BktParams &b, const MasteryPolicy &policy, bool low_stakes);

// P(known) at the threshold after enough attempts.
bool is_mastered(const MasteryState &s, const MasteryPolicy &policy, bool low_stakes);
// Mastered, and confirmed by the streak: prerequisites gate on this.
bool opens_dependants(const MasteryState &s, const MasteryPolicy &policy, bool low_stakes);

}  // namespace v0
}  // namespace tutorcore
