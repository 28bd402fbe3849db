// Validity experiment 08's building blocks (see fidelity.hpp).
#include "fidelity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace exp08 {

using namespace tutorcore;

namespace {

double clamp_p(double x, bool *clamped) {
  double y = std::min(kMaxP, std::max(kMinP, x));
  if (clamped && y != x) *clamped = true;
  return y;
}

// Keeps guess + slip at most kMaxGuessSlip, scaling both.
void keep_identifiable(BktParams &p, bool *clamped) {
  double sum = p.p_guess + p.p_slip;
  if (sum > kMaxGuessSlip) {
    p.p_guess *= kMaxGuessSlip / sum;
    p.p_slip *= kMaxGuessSlip / sum;
    if (clamped) *clamped = true;
  }
}

}  // namespace

const char *param_name(Param p) {
  switch (p) {
    case Param::init:
      return "p_init";
    case Param::learn:
      return "p_learn";
    case Param::guess:
      return "p_guess";
    case Param::slip:
      return "p_slip";
  }
  return "?";
}

BktParams scale_param(const BktParams &base, Param which, double factor, bool *clamped) {
  BktParams p = base;
  switch (which) {
    case Param::init:
      p.p_init = clamp_p(base.p_init * factor, clamped);
      break;
    case Param::learn:
      p.p_learn = clamp_p(base.p_learn * factor, clamped);
      break;
    case Param::guess:
      p.p_guess = clamp_p(base.p_guess * factor, clamped);
      break;
    case Param::slip:
      p.p_slip = clamp_p(base.p_slip * factor, clamped);
      break;
  }
  keep_identifiable(p, clamped);
  return p;
}

BktParams scale_all(const BktParams &base, double factor, bool *clamped) {
  BktParams p = base;
  p.p_init = clamp_p(base.p_init * factor, clamped);
  p.p_learn = clamp_p(base.p_learn * factor, clamped);
  p.p_guess = clamp_p(base.p_guess * factor, clamped);
  p.p_slip = clamp_p(base.p_slip * factor, clamped);
  keep_identifiable(p, clamped);
  return p;
}

std::vector<BktParams> domain_params(const Domain &d) {
  std::vector<BktParams> out;
  out.reserve(d.concepts.size());
  for (const Concept &c : d.concepts)
    out.push_back(c.bkt);
  return out;
}

BktParams frozen(const BktParams &base) {
  BktParams p;
  p.p_init = base.p_init;
  p.p_learn = 0.0;
  p.p_guess = 0.5;
  p.p_slip = 0.5;
  p.p_forget = 0.0;
  return p;
}

std::vector<ResponseRow> log_rows(const std::vector<StudyResult::LogRow> &log, const Domain &d) {
  // run_study gives the log learner by learner, each in step order; sort
  // anyway (stably) so the rows are in each student's order whatever the
  // log's.
  std::vector<StudyResult::LogRow> sorted = log;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) {
    return a.learner != b.learner ? a.learner < b.learner : a.step < b.step;
  });
  std::vector<ResponseRow> rows;
  rows.reserve(sorted.size());
  for (const auto &r : sorted) {
    if (r.concept < 0 || static_cast<size_t>(r.concept) >= d.concepts.size()) {
      throw std::runtime_error(
          fmt::format("log row of learner {}: concept {} out of range", r.learner, r.concept));
    }
    rows.emplace_back(fmt::format("learner_{}", r.learner),
                      d.concepts[static_cast<size_t>(r.concept)].id, r.correct);
  }
  return rows;
}

Calibration calibrate(const Domain &d, const CalibrationOptions &o) {
  StudyOptions so;
  so.seed = o.seed;
  so.students = o.students;
  so.threads = o.threads;
  so.budget = o.budget;
  so.concept_selection = ConceptSelection::random;
  so.item_selection = ItemSelection::random;
  so.keep_log = true;
  Calibration c;
  c.study = run_study(d, so);
  c.data = dataset_from_rows(log_rows(c.study.log, d));
  FitOptions fo = o.fit;
  if (fo.threads == 0) fo.threads = o.threads;
  refit(d, fo, &c);
  return c;
}

void refit(const Domain &d, const FitOptions &fit, Calibration *c) {
  c->report = fit_bkt(c->data, fit);
  c->model = model_from_fit(c->report, fit.forgets);
  c->params = domain_params(d);
  c->fitted.assign(d.concepts.size(), 0);
  for (const SkillFit &f : c->report.skills) {
    if (f.responses == 0) continue;
    auto found = d.concept_index.find(f.skill);
    if (found == d.concept_index.end()) continue;
    BktParams p = f.params;
    p.p_forget = 0.0;
    c->params[found->second] = p;
    c->fitted[found->second] = 1;
  }
}

BktModel model_of(const std::vector<BktParams> &params, const Domain &d) {
  BktModel m;
  for (size_t i = 0; i < d.concepts.size() && i < params.size(); ++i) {
    m.skills.push_back(d.concepts[i].id);
    m.params.push_back(params[i]);
  }
  return m;
}

}  // namespace exp08
