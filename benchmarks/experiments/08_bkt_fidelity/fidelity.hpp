// Validity experiment 08's building blocks (docs/experiments/08_bkt_fidelity.md),
// shared by exp_08 and its test (tests/experiments/test_exp08_bkt_fidelity.cpp):
// BKT parameters scaled by a factor within valid ranges, the calibration
// study whose answer log BKT is fitted on, the fitted parameters per concept,
// and paired differences between conditions that see the same learners.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/sim/study.hpp"
#include "tutorcore/tracing/dataset.hpp"
#include "tutorcore/tracing/fit.hpp"

namespace exp08 {

using tutorcore::BktParams;

// The four BKT parameters Part B perturbs one at a time.
enum class Param : uint8_t { init = 0, learn, guess, slip };
constexpr std::array<Param, 4> kParams = {Param::init, Param::learn, Param::guess, Param::slip};
const char *param_name(Param p);  // "p_init", ...

// Every scaled probability is kept in [kMinP, kMaxP], and guess + slip at
// most kMaxGuessSlip (both scaled down in proportion), so that a wrong
// answer still lowers the estimate.
constexpr double kMinP = 0.001, kMaxP = 0.999, kMaxGuessSlip = 0.95;

// `base` with one parameter (or, scale_all, every one of the four) multiplied
// by `factor` and clamped as above; *clamped (when given) is set when a
// clamp changed a value.
BktParams scale_param(const BktParams &base, Param which, double factor, bool *clamped = nullptr);
BktParams scale_all(const BktParams &base, double factor, bool *clamped = nullptr);

// The domain's BKT priors, one per concept in the domain's order.
std::vector<BktParams> domain_params(const tutorcore::Domain &d);

// The static (no-tracking) baseline: parameters under which bkt_update leaves
// the estimate at p_init (p_learn = 0, guess = slip = 0.5).
BktParams frozen(const BktParams &base);

// The calibration study: learners drawn with their own seed, practising
// concepts and items picked at random (so the log does not depend on any BKT
// parameters), every answer logged.
struct CalibrationOptions {
  uint64_t seed = 43;
  int32_t students = 2000;
  int32_t budget = 40;
  int32_t threads = 2;
  tutorcore::FitOptions fit;  // pyBKT's defaults (5 restarts, 100 iterations, 1e-3)
};

struct Calibration {
  tutorcore::Dataset data;  // student = learner index, skill = concept id
  tutorcore::FitReport report;
  tutorcore::BktModel model;      // the fitted skills
  std::vector<BktParams> params;  // per domain concept: fitted, or the domain's without data
  std::vector<uint8_t> fitted;    // per domain concept: 1 when it had answers to fit
  tutorcore::StudyResult study;   // the calibration study (with its log)
};

// One row per logged answer: student "learner_<index>", skill the concept's
// id, in each learner's answer order (the order dataset_from_rows expects).
std::vector<tutorcore::ResponseRow> log_rows(const std::vector<tutorcore::StudyResult::LogRow> &log,
                                             const tutorcore::Domain &d);

Calibration calibrate(const tutorcore::Domain &d, const CalibrationOptions &o);
// Fits c->data again with `fit` (other bounds, say), replacing report, model,
// params and fitted.
void refit(const tutorcore::Domain &d, const tutorcore::FitOptions &fit, Calibration *c);

// A model holding `params` for every skill of `data` (to score the domain's
// priors on a log like a fitted model).
tutorcore::BktModel model_of(const std::vector<BktParams> &params, const tutorcore::Domain &d);

// Mean and standard error of a[i] - b[i] (the same learners under two conditions).
// Paired differences of two conditions' gains (the library's).
using Paired = tutorcore::MeanSe;
using tutorcore::paired_difference;

}  // namespace exp08
