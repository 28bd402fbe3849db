// Misconception co-occurrence and the prerequisites it suggests (analytics.hpp).
#include <algorithm>
#include <map>
#include <utility>

#include "tutorcore/analytics/analytics.hpp"

namespace tutorcore {
inline namespace v0 {

Eigen::MatrixXd Cooccurrence::conditional() const {
  const Eigen::Index m = with.size();
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(m, m);
  for (Eigen::Index i = 0; i < m; ++i) {
    if (with(i)) c.row(i) = both.row(i).cast<double>() / static_cast<double>(with(i));
  }
  return c;
}

Cooccurrence misconception_cooccurrence(const ClassData &data, const Domain &domain,
                                        std::string_view classroom) {
  const std::vector<uint8_t> mask = scope_mask(data, classroom);
  const Eigen::Index m = static_cast<Eigen::Index>(domain.misconceptions.size());
  Cooccurrence co;
  co.with = Eigen::VectorXi::Zero(m);
  co.both = Eigen::MatrixXi::Zero(m, m);
  // Each student adds one to every pair of its misconceptions: the sum over
  // students of k^2 for k misconceptions each, the least work for sparse
  // rows (X^T X of the student-by-misconception incidence matrix).
  std::vector<int32_t> mine;
  for (size_t s = 0; s < mask.size(); ++s) {
    if (!mask[s]) continue;
    ++co.students;
    mine.clear();
    for (size_t k = data.misconception_start[s]; k < data.misconception_start[s + 1]; ++k)
      mine.push_back(data.misconceptions[k].misconception_index);
    for (size_t a = 0; a < mine.size(); ++a) {
      ++co.with(mine[a]);
      ++co.both(mine[a], mine[a]);
      for (size_t b = a + 1; b < mine.size(); ++b) {
        ++co.both(mine[a], mine[b]);
        ++co.both(mine[b], mine[a]);
      }
    }
  }
  return co;
}

namespace {

// ancestors[b][a]: a is a prerequisite of b, directly or through others.
std::vector<std::vector<uint8_t>> prerequisite_closure(const Domain &domain) {
  const size_t n = domain.concepts.size();
  std::vector<std::vector<uint8_t>> anc(n, std::vector<uint8_t>(n, 0));
  std::vector<uint8_t> state(n, 0);  // 0 new, 1 on the stack, 2 done
  // Depth-first, so a concept's ancestors are complete before its dependants
  // use them; a validated domain has no cycles (the guard keeps it finite).
  std::vector<std::pair<size_t, size_t>> stack;
  for (size_t root = 0; root < n; ++root) {
    if (state[root]) continue;
    stack.emplace_back(root, 0);
    state[root] = 1;
    while (!stack.empty()) {
      auto &[c, next] = stack.back();
      const auto &pre = domain.concepts[c].prerequisites;
      if (next < pre.size()) {
        auto it = domain.concept_index.find(pre[next++]);
        if (it == domain.concept_index.end() || state[it->second] == 1) continue;
        if (state[it->second] == 0) {
          state[it->second] = 1;
          stack.emplace_back(it->second, 0);
        }
        continue;
      }
      for (const std::string &p : pre) {
        auto it = domain.concept_index.find(p);
        if (it == domain.concept_index.end()) continue;
        anc[c][it->second] = 1;
        for (size_t a = 0; a < n; ++a)
          anc[c][a] |= anc[it->second][a];
      }
      state[c] = 2;
      stack.pop_back();
    }
  }
  return anc;
}

bool stronger(const PrerequisiteProposal &a, const PrerequisiteProposal &b) {
  if (a.strength != b.strength) return a.strength > b.strength;
  if (a.evidence.size() != b.evidence.size()) return a.evidence.size() > b.evidence.size();
  return std::make_pair(a.prerequisite, a.concept_index) <
         std::make_pair(b.prerequisite, b.concept_index);
}

}  // namespace

PrerequisiteDiscovery discover_prerequisites(const Cooccurrence &co, const Domain &domain,
                                             const AnalyticsConfig &c) {
  check_analytics_config(c);
  PrerequisiteDiscovery out;
  const auto anc = prerequisite_closure(domain);
  const Eigen::Index m = co.with.size();
  // (A, B) -> the proposal, for new and for confirmed edges.
  std::map<std::pair<int32_t, int32_t>, PrerequisiteProposal> fresh, known;
  for (Eigen::Index i = 0; i < m; ++i) {
    if (co.with(i) < c.prerequisite_min_students) continue;
    const auto ci =
        domain.concept_index.find(domain.misconceptions[static_cast<size_t>(i)].concept_id);
    if (ci == domain.concept_index.end()) continue;
    for (Eigen::Index j = 0; j < m; ++j) {
      if (i == j) continue;
      const double rate = co.rate(i, j);
      if (!(rate > c.prerequisite_cooccurrence)) continue;
      const auto cj =
          domain.concept_index.find(domain.misconceptions[static_cast<size_t>(j)].concept_id);
      if (cj == domain.concept_index.end() || cj->second == ci->second) continue;
      const double base = co.students ? static_cast<double>(co.with(j)) / co.students : 0.0;
      const double lift = base > 0.0 ? rate / base : 0.0;
      if (lift < c.prerequisite_min_lift) continue;
      ++out.pairs_considered;
      const size_t a = ci->second, b = cj->second;
      if (anc[a][b]) {  // B is already a prerequisite of A: the reverse would close a cycle
        ++out.would_cycle;
        continue;
      }
      auto &target = anc[b][a] ? known : fresh;
      PrerequisiteProposal &p = target[{static_cast<int32_t>(a), static_cast<int32_t>(b)}];
      p.prerequisite = static_cast<int32_t>(a);
      p.concept_index = static_cast<int32_t>(b);
      p.strength = std::max(p.strength, rate);
      p.evidence.push_back({static_cast<int32_t>(i), static_cast<int32_t>(j), co.with(i),
                            co.both(i, j), rate, lift});
    }
  }
  auto finish = [](std::map<std::pair<int32_t, int32_t>, PrerequisiteProposal> &from) {
    std::vector<PrerequisiteProposal> v;
    for (auto &kv : from) {
      auto &ev = kv.second.evidence;
      std::sort(ev.begin(), ev.end(), [](const auto &x, const auto &y) {
        if (x.cooccurrence != y.cooccurrence) return x.cooccurrence > y.cooccurrence;
        return std::make_pair(x.from_misconception, x.to_misconception) <
               std::make_pair(y.from_misconception, y.to_misconception);
      });
      v.push_back(std::move(kv.second));
    }
    std::sort(v.begin(), v.end(), stronger);
    return v;
  };
  // Both directions of one concept pair: keep the lower level as the
  // prerequisite, then the stronger direction, then the first by index.
  for (auto it = fresh.begin(); it != fresh.end();) {
    auto rev = fresh.find({it->first.second, it->first.first});
    if (rev == fresh.end()) {
      ++it;
      continue;
    }
    const PrerequisiteProposal &p = it->second, &q = rev->second;
    const int lp = domain.concepts[static_cast<size_t>(p.prerequisite)].level;
    const int lq = domain.concepts[static_cast<size_t>(q.prerequisite)].level;
    bool keep_p = lp != lq ? lp < lq
                           : (p.strength != q.strength ? p.strength > q.strength
                                                       : p.prerequisite < q.prerequisite);
    (keep_p ? it->second : rev->second).mutual = true;
    if (keep_p) {
      fresh.erase(rev);
      ++it;
    } else {
      it = fresh.erase(it);
    }
  }
  out.proposals = finish(fresh);
  out.confirmed = finish(known);
  return out;
}

}  // namespace v0
}  // namespace tutorcore
