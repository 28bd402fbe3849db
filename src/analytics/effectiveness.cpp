// Intervention effectiveness and the cohort comparison (analytics.hpp).
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "tutorcore/analytics/analytics.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

const char *versus_name(Versus v) {
  switch (v) {
    case Versus::higher:
      return "higher";
    case Versus::lower:
      return "lower";
    case Versus::similar:
      break;
  }
  return "similar";
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int32_t misconception_filter(const Domain &domain, std::string_view id) {
  if (id.empty()) return -1;
  auto it = domain.misconception_index.find(std::string(id));
  if (it == domain.misconception_index.end()) {
    throw Error(Errc::not_found,
                fmt::format("misconception '{}' is not in domain '{}'", id, domain.id));
  }
  return static_cast<int32_t>(it->second);
}

// The best modality by lower bound among those with enough data, and
// whether the data separates it from every other modality with outcomes.
void pick_best(MisconceptionEffect &e) {
  for (size_t k = 0; k < e.modalities.size(); ++k) {
    const RateEstimate &r = e.modalities[k].resolution;
    if (r.insufficient) continue;
    if (e.best < 0 || r.ci.low > e.modalities[static_cast<size_t>(e.best)].resolution.ci.low)
      e.best = static_cast<int32_t>(k);
  }
  if (e.best < 0) return;
  const RateEstimate &b = e.modalities[static_cast<size_t>(e.best)].resolution;
  e.clear = e.modalities.size() > 1;
  for (size_t k = 0; k < e.modalities.size(); ++k) {
    if (static_cast<int32_t>(k) != e.best && !(b.ci.low > e.modalities[k].resolution.ci.high))
      e.clear = false;
  }
}

Versus versus(const Interval &ci, double school, bool usable) {
  if (!usable || std::isnan(school)) return Versus::similar;
  if (ci.low > school) return Versus::higher;
  if (ci.high < school) return Versus::lower;
  return Versus::similar;
}

MeanEstimate mean_estimate(double sum, double sum_sq, int64_t n, double z) {
  MeanEstimate m;
  m.n = n;
  m.mean = n ? sum / static_cast<double>(n) : kNaN;
  m.ci = mean_interval(sum, sum_sq, n, z);
  return m;
}

// One group of students (the school, or one classroom).
Cohort cohort_of(const ClassData &data, const Domain &domain, const AnalyticsConfig &c,
                 const std::vector<uint8_t> &in, const std::vector<uint8_t> &keep_misconception) {
  Cohort out;
  const size_t n_concepts = domain.concepts.size(), n_mis = domain.misconceptions.size();
  struct ConceptSums {
    double sum = 0, sum_sq = 0;
    int64_t with_level = 0, rows = 0, mastered = 0;
  };
  std::vector<ConceptSums> concepts(n_concepts);
  std::vector<int64_t> having(n_mis, 0), treated(n_mis, 0), resolved(n_mis, 0);
  std::array<OutcomeCounts, kModalityCount> modal{};
  double sum = 0, sum_sq = 0;
  int64_t with_mastery = 0, all_treated = 0, all_resolved = 0;
  for (size_t s = 0; s < in.size(); ++s) {
    if (!in[s]) continue;
    ++out.students;
    double own = 0;
    int64_t own_n = 0;
    for (size_t k = data.mastery_start[s]; k < data.mastery_start[s + 1]; ++k) {
      const MasteryRecord &m = data.mastery[k];
      const Concept &concept = domain.concepts[static_cast<size_t>(m.concept_index)];
      ConceptSums &cs = concepts[static_cast<size_t>(m.concept_index)];
      ++cs.rows;
      if (!m.has_level) continue;
      cs.sum += m.level;
      cs.sum_sq += m.level * m.level;
      ++cs.with_level;
      cs.mastered +=
          m.level >= domain.threshold_for(concept) && m.attempts >= c.mastery_min_attempts;
      own += m.level;
      ++own_n;
    }
    if (own_n) {
      const double mean = own / static_cast<double>(own_n);
      sum += mean;
      sum_sq += mean * mean;
      ++with_mastery;
    }
    for (size_t k = data.misconception_start[s]; k < data.misconception_start[s + 1]; ++k) {
      const MisconceptionRecord &m = data.misconceptions[k];
      const size_t i = static_cast<size_t>(m.misconception_index);
      ++having[i];
      if (m.treated()) {
        ++treated[i];
        resolved[i] += m.resolved();
        if (keep_misconception[i]) {
          ++all_treated;
          all_resolved += m.resolved();
        }
      }
    }
    for (size_t k = 0; k < kModalityCount; ++k) {
      modal[k].attempts += data.modality[s][k].attempts;
      modal[k].resolutions += data.modality[s][k].resolutions;
    }
  }
  out.mastery = mean_estimate(sum, sum_sq, with_mastery, c.z);
  out.resolution = rate_estimate(all_resolved, all_treated, c);
  for (size_t k = 0; k < n_concepts; ++k) {
    const ConceptSums &cs = concepts[k];
    if (!cs.rows) continue;
    CohortConcept cc;
    cc.concept_index = static_cast<int32_t>(k);
    cc.level = mean_estimate(cs.sum, cs.sum_sq, cs.with_level, c.z);
    cc.mastered = rate_estimate(cs.mastered, cs.rows, c);
    out.concepts.push_back(cc);
  }
  for (size_t i = 0; i < n_mis; ++i) {
    if (!keep_misconception[i]) continue;
    CohortMisconception cm;
    cm.misconception_index = static_cast<int32_t>(i);
    cm.prevalence = rate_estimate(having[i], out.students, c);
    cm.resolution = rate_estimate(resolved[i], treated[i], c);
    out.misconceptions.push_back(cm);
  }
  for (size_t k = 0; k < kModalityCount; ++k)
    out.modalities[k] = rate_estimate(modal[k].resolutions, modal[k].attempts, c);
  return out;
}

}  // namespace

Effectiveness intervention_effectiveness(const ClassData &data, const Domain &domain,
                                         const AnalyticsConfig &c, std::string_view classroom,
                                         std::string_view misconception) {
  check_analytics_config(c);
  const int32_t only = misconception_filter(domain, misconception);
  Effectiveness out;
  out.tenant_wide = classroom.empty();
  std::array<OutcomeCounts, kModalityCount> totals{};
  if (out.tenant_wide) {
    for (size_t i = 0; i < data.effectiveness.size(); ++i) {
      if (only >= 0 && static_cast<int32_t>(i) != only) continue;
      MisconceptionEffect e;
      e.misconception_index = static_cast<int32_t>(i);
      OutcomeCounts all;
      for (size_t k = 0; k < kModalityCount; ++k) {
        const OutcomeCounts &o = data.effectiveness[i][k];
        totals[k].attempts += o.attempts;
        totals[k].resolutions += o.resolutions;
        if (!o.attempts) continue;
        all.attempts += o.attempts;
        all.resolutions += o.resolutions;
        e.modalities.push_back(
            {static_cast<Modality>(k), rate_estimate(o.resolutions, o.attempts, c)});
      }
      if (!all.attempts) continue;
      e.overall = rate_estimate(all.resolutions, all.attempts, c);
      pick_best(e);
      out.by_misconception.push_back(std::move(e));
    }
  } else {
    const std::vector<uint8_t> mask = scope_mask(data, classroom);
    for (size_t s = 0; s < mask.size(); ++s) {
      if (!mask[s]) continue;
      for (size_t k = 0; k < kModalityCount; ++k) {
        totals[k].attempts += data.modality[s][k].attempts;
        totals[k].resolutions += data.modality[s][k].resolutions;
      }
    }
  }
  for (size_t k = 0; k < kModalityCount; ++k) {
    out.by_modality.push_back(
        {static_cast<Modality>(k), rate_estimate(totals[k].resolutions, totals[k].attempts, c)});
  }
  return out;
}

CohortComparison compare_cohorts(const ClassData &data, const Domain &domain,
                                 const AnalyticsConfig &c, std::string_view misconception) {
  check_analytics_config(c);
  const int32_t only = misconception_filter(domain, misconception);
  CohortComparison out;
  const size_t n = data.students.size();
  // Misconceptions seen in the school (or the one asked for).
  std::vector<uint8_t> keep(domain.misconceptions.size(), 0);
  if (only >= 0) {
    keep[static_cast<size_t>(only)] = 1;
  } else {
    for (const MisconceptionRecord &m : data.misconceptions)
      keep[static_cast<size_t>(m.misconception_index)] = 1;
  }
  out.school = cohort_of(data, domain, c, std::vector<uint8_t>(n, 1), keep);
  out.school.enrolled = 0;
  for (int32_t e : data.enrolled)
    out.school.enrolled += e;
  for (size_t s = 0; s < n; ++s)
    out.unassigned += data.classroom[s] < 0;
  for (size_t k = 0; k < data.classrooms.size(); ++k) {
    std::vector<uint8_t> in(n, 0);
    for (size_t s = 0; s < n; ++s)
      in[s] = data.classroom[s] == static_cast<int32_t>(k);
    Cohort g = cohort_of(data, domain, c, in, keep);
    g.classroom = data.classrooms[k];
    g.enrolled = data.enrolled[k];
    g.mastery_vs = versus(g.mastery.ci, out.school.mastery.mean, g.mastery.n >= 2);
    g.resolution_vs =
        versus(g.resolution.ci, out.school.resolution.rate, !g.resolution.insufficient);
    for (size_t i = 0; i < g.misconceptions.size(); ++i) {
      CohortMisconception &m = g.misconceptions[i];
      const CohortMisconception &school = out.school.misconceptions[i];
      m.prevalence_vs = versus(m.prevalence.ci, school.prevalence.rate, !m.prevalence.insufficient);
      m.resolution_vs = versus(m.resolution.ci, school.resolution.rate, !m.resolution.insufficient);
    }
    out.classrooms.push_back(std::move(g));
  }
  return out;
}

}  // namespace v0
}  // namespace tutorcore
