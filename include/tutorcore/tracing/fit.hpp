// Fitting BKT per skill by expectation-maximisation (forward-backward over
// each student's ordered answers), evaluating a fitted model on held-out
// students, and cross-validating by student.
//
// Defaults follow pyBKT (the field's reference): 5 seeded random restarts per
// skill, at most 100 EM iterations, stop when the skill's log-likelihood
// changes by less than 1e-3. Unlike pyBKT, guess and slip are bounded by
// default (0.3 each), which rules out the degenerate fits where mastery rises
// after wrong answers; a skill whose fit reached a bound is flagged.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/tracing/bkt.hpp"
#include "tutorcore/tracing/dataset.hpp"

namespace tutorcore {
inline namespace v0 {

struct FitOptions {
  int restarts = 5;
  int max_iterations = 100;
  double tolerance = 1e-3;  // on the skill's total log-likelihood
  bool forgets = false;
  uint64_t seed = 42;
  int threads = 0;  // 0 = one per hardware thread
  // Bounds of the fitted parameters. Guess and slip above their bounds make
  // a wrong answer raise the mastery estimate (with guess + slip >= 1).
  double max_guess = 0.3;
  double max_slip = 0.3;
  double min_probability = 1e-4;  // every parameter stays in [min, 1 - min]
  bool keep_trace = false;        // record the log-likelihood of every iteration
  // pyBKT's model variants; each needs the matching column in the data.
  bool multigs = false;     // guess and slip per item
  bool multilearn = false;  // learn (and forget) per item: learning from the item just answered
  bool multiprior = false;  // prior per group (the group column at a sequence's first answer)
  // Pseudo-answers pulling each per-item (per-group) parameter toward the
  // skill-wide value (a Beta prior, MAP-EM). 0 = plain maximum likelihood, as pyBKT.
  double variant_pseudo_count = 0.0;
  // Called on the calling thread after each skill; return false to cancel.
  std::function<bool(size_t done, size_t total)> progress;
};

// The per-item and per-group parameters of the model variants. A vector is
// empty when its variant is off; items and groups without data are left out
// (they take the skill's base parameters).
struct BktVariant {
  std::vector<std::string> items;     // names of the entries of the per-item vectors
  std::vector<double> guess, slip;    // multigs
  std::vector<double> learn, forget;  // multilearn
  std::vector<std::string> groups;
  std::vector<double> init;  // multiprior, per group
  bool empty() const { return items.empty() && groups.empty(); }
  int64_t find_item(std::string_view name) const;   // -1 when absent
  int64_t find_group(std::string_view name) const;  // -1 when absent
  // The parameters for an answer to `item` by a student of `group` (-1 =
  // unknown: the base parameters' value).
  BktParams resolve(const BktParams &base, int64_t item, int64_t group) const;
};

struct SkillFit {
  std::string skill;
  BktParams params;  // with a variant: the answer-weighted means (for unseen items)
  BktVariant variant;
  double log_likelihood = 0.0;  // of `params` on the skill's training answers
  int iterations = 0;           // EM iterations of the best restart
  int best_restart = 0;
  bool guess_at_bound = false;
  bool slip_at_bound = false;
  size_t sequences = 0;
  size_t responses = 0;
  std::vector<double> trace;  // per iteration, when keep_trace
};

struct FitReport {
  std::vector<SkillFit> skills;  // in the dataset's skill order
  double seconds = 0.0;
  int64_t response_iterations = 0;  // sum over skills, restarts and iterations of answers visited
  int threads = 0;                  // worker threads the fit ran on
  bool cancelled = false;
};

// Fits every skill of `d`. Deterministic for a given seed, whatever the
// number of threads. Throws Error(invalid) for out-of-range options.
FitReport fit_bkt(const Dataset &d, const FitOptions &opts);

// EM for one skill from several starting points, run in lockstep (SIMD
// lanes); one result per start. fit_skill runs a single start.
std::vector<SkillFit> fit_skill_restarts(const SkillSequences &s,
                                         const std::vector<BktParams> &starts,
                                         const FitOptions &opts);
SkillFit fit_skill(const SkillSequences &s, const BktParams &start, const FitOptions &opts);

// EM with the per-item and per-group variants (scalar; one start). Throws
// Error(invalid) when a variant is on and the data lacks its column.
SkillFit fit_skill_variant(const SkillSequences &s, const BktParams &start, const FitOptions &opts);
bool has_variants(const FitOptions &o);

// A fitted model: parameters per skill name.
struct BktModel {
  bool forgets = false;
  std::vector<std::string> skills;
  std::vector<BktParams> params;
  std::vector<BktVariant> variants;  // per skill when the model has variants, else empty
  std::vector<SkillFit> fits;        // the fit report's rows, when the model came from a fit
  int64_t find(const std::string &skill) const;
  // Parameters for a skill the model has not seen: the mean of the fitted ones.
  BktParams fallback() const;
};

BktModel model_from_fit(const FitReport &r, bool forgets);

// The model as a portable, versioned JSON document, and back. from_json
// throws Error(invalid) naming the JSON path of a bad value and
// Error(version) for a newer schema.
std::string model_to_json(const BktModel &m);
BktModel model_from_json(const std::string &json);

struct Metrics {
  size_t responses = 0;
  double auc = 0.0;
  double rmse = 0.0;
  double accuracy = 0.0;
  double log_likelihood = 0.0;  // total, natural log
  size_t unseen_skills = 0;     // test skills the model did not have (fallback used)
};

// One-step-ahead predictions: each answer is predicted from the student's
// earlier answers on the same skill, as pyBKT's evaluate does.
struct Predictions {
  std::vector<double> p;
  std::vector<uint8_t> y;
};
Predictions predict(const BktModel &m, const Dataset &test, size_t *unseen_skills = nullptr);
Metrics score(const Predictions &pred);
Metrics evaluate(const BktModel &m, const Dataset &test);

// Area under the ROC curve with tied scores averaged (0.5 when one class is absent).
double roc_auc(const std::vector<double> &p, const std::vector<uint8_t> &y);

// K-fold cross-validation split by student (seeded): every student's answers
// are predicted by a model fitted without that student.
struct CrossValidation {
  int folds = 0;
  Metrics pooled;  // over all held-out predictions
  std::vector<Metrics> per_fold;
};
CrossValidation cross_validate(const Dataset &d, int folds, const FitOptions &opts);

// The report of a fit as JSON (schema_version 1): timing, counts, held-out
// and cross-validated metrics when given, and the model.
std::string fit_report_json(const FitReport &r, const BktModel &m, const Dataset &train,
                            const FitOptions &o, const Metrics *test, const CrossValidation *cv);

}  // namespace v0
}  // namespace tutorcore
