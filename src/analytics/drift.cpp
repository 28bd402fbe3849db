// Prerequisite drift: students who mastered A failing B (analytics.hpp).
#include "tutorcore/analytics/analytics.hpp"

namespace tutorcore {
inline namespace v0 {

std::vector<DriftEdge> prerequisite_drift(const ClassData &data, const Domain &domain,
                                          const AnalyticsConfig &c, std::string_view classroom) {
  check_analytics_config(c);
  const std::vector<uint8_t> mask = scope_mask(data, classroom);
  // The graph's edges, as concept indices.
  std::vector<DriftEdge> edges;
  for (size_t b = 0; b < domain.concepts.size(); ++b) {
    for (const std::string &p : domain.concepts[b].prerequisites) {
      auto it = domain.concept_index.find(p);
      if (it == domain.concept_index.end()) continue;
      DriftEdge e;
      e.prerequisite = static_cast<int32_t>(it->second);
      e.concept_index = static_cast<int32_t>(b);
      edges.push_back(e);
    }
  }
  std::vector<int64_t> base(edges.size(), 0), failing(edges.size(), 0);
  // Per student, each concept's standing: 0 no row or too few answers,
  // 1 practised and not mastered, 2 mastered.
  const size_t n_concepts = domain.concepts.size();
  std::vector<uint8_t> mastered(n_concepts), practised(n_concepts);
  for (size_t s = 0; s < mask.size(); ++s) {
    if (!mask[s]) continue;
    const size_t from = data.mastery_start[s], to = data.mastery_start[s + 1];
    if (from == to) continue;
    for (size_t k = from; k < to; ++k) {
      const MasteryRecord &m = data.mastery[k];
      const size_t ci = static_cast<size_t>(m.concept_index);
      mastered[ci] = m.has_level && m.level >= domain.threshold_for(domain.concepts[ci]) &&
                     m.attempts >= c.mastery_min_attempts;
      practised[ci] = m.attempts >= c.drift_min_attempts;
    }
    for (size_t e = 0; e < edges.size(); ++e) {
      const size_t a = static_cast<size_t>(edges[e].prerequisite);
      const size_t b = static_cast<size_t>(edges[e].concept_index);
      if (!mastered[a] || !practised[b]) continue;
      ++base[e];
      failing[e] += !mastered[b];
    }
    for (size_t k = from; k < to; ++k) {
      const size_t ci = static_cast<size_t>(data.mastery[k].concept_index);
      mastered[ci] = practised[ci] = 0;
    }
  }
  for (size_t e = 0; e < edges.size(); ++e) {
    edges[e].failing = rate_estimate(failing[e], base[e], c);
    edges[e].flagged = base[e] >= c.drift_min_students && edges[e].failing.rate > c.drift_fail_rate;
  }
  return edges;
}

}  // namespace v0
}  // namespace tutorcore
