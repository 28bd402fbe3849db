// The cold-start diagnostic and the priors it sets (rules in
// sequencing/sequencing.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "picker.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

using seq::Goal;
using seq::Picker;

namespace {

constexpr int32_t kFar = std::numeric_limits<int32_t>::max();

// up[a][b]: prerequisite edges from a up to b (a requires ... requires b);
// kFar when b is not a prerequisite of a, 0 on the diagonal.
std::vector<std::vector<int32_t>> upward_distances(const Domain &d) {
  const size_t n = d.concepts.size();
  std::vector<std::vector<int32_t>> up(n, std::vector<int32_t>(n, kFar));
  std::vector<size_t> queue;
  for (size_t a = 0; a < n; ++a) {
    up[a][a] = 0;
    queue.assign(1, a);
    for (size_t q = 0; q < queue.size(); ++q) {
      size_t c = queue[q];
      for (const auto &pre : d.concepts[c].prerequisites) {
        auto it = d.concept_index.find(pre);
        if (it == d.concept_index.end() || up[a][it->second] != kFar) continue;
        up[a][it->second] = up[a][c] + 1;
        queue.push_back(it->second);
      }
    }
  }
  return up;
}

}  // namespace

size_t concepts_with_mastery(const Domain &d, const ViewSet &v, StudentRef who) {
  size_t n = 0;
  for (const Concept &c : d.concepts) {
    if (v.mastery.find({std::string(who.tenant), std::string(who.student), c.id})) ++n;
  }
  return n;
}

DiagnosticPlan plan_diagnostic(const Domain &d, const ViewSet &v, StudentRef who,
                               const SequencingConfig &cfg) {
  check_sequencing_config(cfg);
  const size_t n = d.concepts.size();
  auto up = upward_distances(d);
  // The coverage weight a pick of `p` gives concept `c`.
  auto weight = [&](size_t c, size_t p) {
    int32_t dist = std::min(up[c][p], up[p][c]);
    return dist == kFar ? 0.0 : std::pow(cfg.diagnostic_decay, dist);
  };
  auto linked = [&](size_t p) {
    size_t k = 0;
    for (size_t c = 0; c < n; ++c)
      k += c != p && weight(c, p) > 0 ? 1 : 0;
    return k;
  };

  Picker pk(d, v, who, cfg);
  DiagnosticPlan plan;
  plan.coverage.assign(n, 0.0);
  std::vector<uint8_t> picked(n, 0), dry(n, 0);
  std::vector<size_t> order;  // concepts in pick order
  const Goal informative{true, 0.0};
  auto count = [&] { return static_cast<int32_t>(plan.items.size()); };

  while (count() < cfg.diagnostic_max_items) {
    double best_gain = -1.0;
    size_t best = n;
    for (size_t p = 0; p < n; ++p) {
      if (picked[p] || dry[p]) continue;
      double gain = 0.0;
      for (size_t c = 0; c < n; ++c)
        gain += std::max(0.0, weight(c, p) - plan.coverage[c]);
      if (gain > best_gain + 1e-12) {
        best_gain = gain;
        best = p;
      }
    }
    if (best == n) break;
    if (count() >= cfg.diagnostic_min_items && best_gain < cfg.diagnostic_min_gain) break;
    auto it = pk.pick(pk.problems_of(best), pk.templates_of(best), informative);
    if (!it) {
      dry[best] = 1;
      plan.notes.push_back(
          fmt::format("{} has no unseen problem or template instance", d.concepts[best].id));
      continue;
    }
    picked[best] = 1;
    order.push_back(best);
    for (size_t c = 0; c < n; ++c)
      plan.coverage[c] = std::max(plan.coverage[c], weight(c, best));
    const Concept &con = d.concepts[best];
    it->kind = ItemKind::cold_start;
    it->reason = fmt::format(
        "cold start: {} (level {}) is linked by prerequisites to {} other concepts and adds "
        "{:.2f} to the graph's coverage; the most informative unseen item at mastery {:.2f} "
        "(information {:.3f}){}",
        con.id, con.level, linked(best), best_gain, it->mastery, it->information,
        seq::generated_suffix(*it));
    plan.items.push_back(std::move(*it));
  }

  // Fewer concepts than the minimum: further items on the picked ones.
  bool progress = true;
  while (count() < cfg.diagnostic_min_items && progress) {
    progress = false;
    for (size_t c : order) {
      if (count() >= cfg.diagnostic_min_items) break;
      auto it = pk.pick(pk.problems_of(c), pk.templates_of(c), informative);
      if (!it) continue;
      progress = true;
      it->kind = ItemKind::cold_start;
      it->reason = fmt::format(
          "cold start: a further item on {}: every concept with items is in the diagnostic, "
          "which has at least {} items; the most informative unseen at mastery {:.2f} "
          "(information {:.3f}){}",
          d.concepts[c].id, cfg.diagnostic_min_items, it->mastery, it->information,
          seq::generated_suffix(*it));
      plan.items.push_back(std::move(*it));
    }
  }
  return plan;
}

std::vector<ConceptPrior> diagnostic_priors(const Domain &d,
                                            const std::vector<DiagnosticAnswer> &answers,
                                            const SequencingConfig &cfg) {
  check_sequencing_config(cfg);
  const size_t n = d.concepts.size();
  std::vector<ConceptPrior> out(n);
  for (size_t c = 0; c < n; ++c) {
    out[c].concept_id = d.concepts[c].id;
    out[c].prior = out[c].level = d.concepts[c].bkt.p_init;
  }
  // Direct evidence: Bayes with guess and slip, no learning.
  for (size_t i = 0; i < answers.size(); ++i) {
    auto it = d.concept_index.find(answers[i].concept_id);
    if (it == d.concept_index.end()) {
      throw Error(Errc::not_found,
                  fmt::format("diagnostic answer[{}]: '{}' is not a concept of domain '{}'", i,
                              answers[i].concept_id, d.id));
    }
    ConceptPrior &cp = out[it->second];
    const BktParams &b = d.concepts[it->second].bkt;
    double p = cp.level;
    double known = answers[i].correct ? p * (1 - b.p_slip) : p * b.p_slip;
    double unknown = answers[i].correct ? (1 - p) * b.p_guess : (1 - p) * (1 - b.p_guess);
    cp.level = known / (known + unknown);
    cp.evidence = PriorEvidence::direct;
    cp.answered += 1;
    cp.right += answers[i].correct ? 1 : 0;
  }
  // Propagation to the unanswered concepts.
  auto up = upward_distances(d);
  const double w = cfg.prerequisite_weight;
  for (size_t c = 0; c < n; ++c) {
    if (out[c].evidence == PriorEvidence::direct) continue;
    double lower = 0.0, upper = 1.0;
    size_t lower_from = n, upper_from = n;
    for (size_t a = 0; a < n; ++a) {
      if (out[a].evidence != PriorEvidence::direct) continue;
      if (up[a][c] != kFar) {  // a requires c: knowing a says c is known
        double lb = out[a].level * std::pow(w, up[a][c]);
        if (lb > lower) {
          lower = lb;
          lower_from = a;
        }
      }
      if (up[c][a] != kFar) {  // c requires a: not knowing a says c is not known
        double ub = 1.0 - (1.0 - out[a].level) * std::pow(w, up[c][a]);
        if (ub < upper) {
          upper = ub;
          upper_from = a;
        }
      }
    }
    ConceptPrior &cp = out[c];
    auto bind = [&](PriorEvidence e, double level, size_t from, int32_t dist) {
      cp.evidence = e;
      cp.level = level;
      cp.from = d.concepts[from].id;
      cp.distance = dist;
    };
    if (lower > upper) {
      bind(PriorEvidence::conflicting, 0.5 * (lower + upper), lower_from, up[lower_from][c]);
    } else if (cp.prior < lower) {
      bind(PriorEvidence::from_dependant, lower, lower_from, up[lower_from][c]);
    } else if (cp.prior > upper) {
      bind(PriorEvidence::from_prerequisite, upper, upper_from, up[c][upper_from]);
    }
  }
  return out;
}

}  // namespace v0
}  // namespace tutorcore
