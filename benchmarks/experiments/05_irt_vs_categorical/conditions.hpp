// Experiment 05's building blocks, shared with its test
// (tests/experiments/test_exp05_conditions.cpp): the four item-selection
// conditions run on the same learners, and the paired comparison of two
// conditions' per-learner gains.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tutorcore/sim/study.hpp"

namespace exp05 {

using tutorcore::ItemSelection;
using tutorcore::StudyOptions;
using tutorcore::StudyResult;

// The conditions in table order; easiest-first (the seed's "current
// system") is the reference of every comparison.
constexpr std::array<ItemSelection, 4> kConditions = {
    ItemSelection::irt, ItemSelection::easiest, ItemSelection::hardest, ItemSelection::random};
constexpr size_t kReference = 1;  // easiest

// One study per condition, parallel to kConditions.
using Results = std::array<StudyResult, kConditions.size()>;

// One study per condition on the same world and learners: `base` with its
// item_selection replaced and per_student on (the simulator draws learner i
// from the seed and i alone, so every condition sees the same learners).
Results run_conditions(const tutorcore::SimWorld &w, StudyOptions base);

// Condition a against reference b on the same learners (gains parallel).
struct Comparison {
  double diff = 0.0;      // mean gain of a - mean gain of b
  double diff_se = 0.0;   // SE of the mean paired difference
  double d_pooled = 0.0;  // Cohen's d: diff / sqrt((sd_a^2 + sd_b^2) / 2)
  double d_paired = 0.0;  // d_z: diff / sd of the paired differences
  double t = 0.0;         // diff / diff_se
};
// Throws std::invalid_argument when the vectors differ in size or hold
// fewer than two learners.
Comparison compare(const std::vector<double> &a, const std::vector<double> &b);

// The sample standard deviation (n - 1).
double sample_sd(const std::vector<double> &x);

}  // namespace exp05
