// Choosing the next item: nearest the target P(correct), or most informative,
// optionally at random among the best k (randomesque exposure control).
#include <algorithm>
#include <cmath>
#include <random>

#include "tutorcore/irt/irt.hpp"

namespace tutorcore {
inline namespace v0 {

int64_t select_item(double theta, const std::vector<IrtItem> &items,
                    const std::vector<uint8_t> &seen, const SelectionOptions &opts) {
  // Lower score is better.
  std::vector<std::pair<double, int64_t>> ranked;
  ranked.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (i < seen.size() && seen[i]) continue;
    double score = opts.rule == SelectionOptions::max_information
                       ? -irt_information(theta, items[i])
                       : std::fabs(irt_probability(theta, items[i]) - opts.p_target);
    ranked.emplace_back(score, static_cast<int64_t>(i));
  }
  if (ranked.empty()) return -1;
  size_t k = std::min(ranked.size(), static_cast<size_t>(std::max(1, opts.randomesque)));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<long>(k), ranked.end());
  if (k == 1) return ranked[0].second;
  std::mt19937_64 rng(opts.seed);
  return ranked[static_cast<size_t>(rng() % k)].second;
}

}  // namespace v0
}  // namespace tutorcore
