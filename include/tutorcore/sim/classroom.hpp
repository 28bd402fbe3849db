// A simulated class for demos and load: students answer through the
// one-call pipeline (Tutor::submit), and a simulated teacher approves the
// recommended interventions and takes up escalations.
//
// The students are deliberately simple (the validity simulator of issue 8
// is a separate engine): each has a latent known/unknown state per concept,
// may hold some of the domain's misconceptions (shown through the problem
// bank's misconception answers), and a chance per modality that an
// intervention resolves a misconception. Seeded: the same options give the
// same answers, and rerunning on the same store replays them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "tutorcore/pipeline/tutor.hpp"

namespace tutorcore {
inline namespace v0 {

struct ClassroomOptions {
  std::string tenant = "demo-school";
  std::string student_prefix = "s-";  // students are <prefix>0001, ...
  std::string key_prefix = "demo";    // idempotency keys <prefix>-<tenant>-<n>
  int students = 30;
  uint64_t seed = 42;
  int max_attempts_per_concept = 12;
  double misconception_rate = 0.12;  // chance a student holds each misconception
  double misconception_shows =
      0.8;  // chance a held misconception shows on a problem that probes it
  // The simulated teacher: approves this share of recommendations at once
  // (the rest wait for a real teacher), and of those picks another modality
  // this often.
  double teacher_approves = 1.0;
  double teacher_modifies = 1.0 / 6;
  double conference_success = 0.5;
  int64_t start_us = 1767225600000000;  // 2026-01-01T00:00:00Z: fixed, so runs repeat
  int64_t step_us = 45 * 1000000;       // between answers
  bool wall_clock = false;  // stamp events with the real time instead of start_us + steps
  // Called before each answer; returning false stops the class (a live
  // server paces and stops its simulated class with it).
  std::function<bool()> before_answer;
};

struct ClassroomStats {
  int64_t answers = 0;   // submitted and stored
  int64_t replayed = 0;  // already stored under the same idempotency keys
  int64_t approvals = 0, modified = 0, pending = 0, escalations = 0;
};

// Runs the class through `tutor`, concept by concept in level order.
// Throws Error(invalid) for out-of-range options.
ClassroomStats run_classroom(Tutor &tutor, const ClassroomOptions &opts);

}  // namespace v0
}  // namespace tutorcore
