// Choosing the next item: nearest the target P(correct), or most informative,
// with optional exposure control: randomesque (at random among the best k)
// or Sympson-Hetter (a per-item lottery, with parameters calibrated by
// simulation).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "tutorcore/common/error.hpp"
#include "tutorcore/irt/irt.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

using Ranked = std::vector<std::pair<double, int64_t>>;  // (score, item), lower is better

void rank_items(double theta, const std::vector<IrtItem> &items, const std::vector<uint8_t> &seen,
                const SelectionOptions &opts, Ranked *ranked) {
  ranked->clear();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i < seen.size() && seen[i]) continue;
    double score = opts.rule == SelectionOptions::max_information
                       ? -irt_information(theta, items[i])
                       : std::fabs(irt_probability(theta, items[i]) - opts.p_target);
    ranked->emplace_back(score, static_cast<int64_t>(i));
  }
}

double uniform(std::mt19937_64 &rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Walks the ranking best first; each candidate passes its lottery with
// probability k. `selected` counts candidates that came up (may be null).
int64_t sympson_hetter_pick(Ranked &ranked, const std::vector<double> &k, std::mt19937_64 &rng,
                            std::vector<double> *selected) {
  std::sort(ranked.begin(), ranked.end());
  for (size_t r = 0; r < ranked.size(); ++r) {
    const size_t i = static_cast<size_t>(ranked[r].second);
    if (selected) (*selected)[i] += 1.0;
    if (r + 1 == ranked.size() || uniform(rng) < k[i]) return ranked[r].second;
  }
  return -1;
}

void check_exposure(const std::vector<IrtItem> &items, const SelectionOptions &opts) {
  if (!opts.exposure) return;
  if (opts.exposure->size() != items.size()) {
    throw Error(Errc::invalid, fmt::format("item selection: {} exposure parameters for {} items",
                                           opts.exposure->size(), items.size()));
  }
  if (opts.randomesque > 1) {
    throw Error(
        Errc::invalid,
        "item selection: randomesque and Sympson-Hetter exposure control exclude each other");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    double k = (*opts.exposure)[i];
    if (!(k > 0.0 && k <= 1.0)) {
      throw Error(Errc::invalid,
                  fmt::format("item selection: exposure[{}] = {} is outside (0, 1]", i, k));
    }
  }
}

}  // namespace

int64_t select_item(double theta, const std::vector<IrtItem> &items,
                    const std::vector<uint8_t> &seen, const SelectionOptions &opts) {
  check_exposure(items, opts);
  Ranked ranked;
  ranked.reserve(items.size());
  rank_items(theta, items, seen, opts, &ranked);
  if (ranked.empty()) return -1;
  if (opts.exposure) {
    std::mt19937_64 rng(opts.seed);
    return sympson_hetter_pick(ranked, *opts.exposure, rng, nullptr);
  }
  size_t k = std::min(ranked.size(), static_cast<size_t>(std::max(1, opts.randomesque)));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<long>(k), ranked.end());
  if (k == 1) return ranked[0].second;
  std::mt19937_64 rng(opts.seed);
  return ranked[static_cast<size_t>(rng() % k)].second;
}

ExposureCalibration calibrate_sympson_hetter(const std::vector<IrtItem> &items,
                                             const ExposureOptions &opts) {
  if (!(opts.r_max > 0 && opts.r_max <= 1))
    throw Error(Errc::invalid, fmt::format("exposure: r_max = {} is outside (0, 1]", opts.r_max));
  if (opts.test_length < 1 || static_cast<size_t>(opts.test_length) > items.size()) {
    throw Error(Errc::invalid,
                fmt::format("exposure: test_length = {} is outside 1..{} (the items)",
                            opts.test_length, items.size()));
  }
  if (opts.examinees < 1 || opts.rounds < 1)
    throw Error(Errc::invalid, "exposure: examinees and rounds must be positive");
  if (opts.r_max * static_cast<double>(items.size()) < opts.test_length) {
    throw Error(
        Errc::invalid,
        fmt::format("exposure: r_max = {} cannot hold: {} items per test need at least {} "
                    "items in the bank",
                    opts.r_max, opts.test_length, std::ceil(opts.test_length / opts.r_max)));
  }
  std::mt19937_64 rng(opts.seed);
  // The same simulated examinees every round, so k converges. Box-Muller
  // on the generator's bits: std::normal_distribution differs between
  // standard libraries, and the seed must give the same result everywhere.
  std::vector<double> thetas(static_cast<size_t>(opts.examinees));
  for (double &t : thetas) {
    double u1 = 1.0 - uniform(rng), u2 = uniform(rng);
    t = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  ExposureCalibration out;
  out.k.assign(items.size(), 1.0);
  const double n = static_cast<double>(opts.examinees);
  std::vector<double> selected(items.size()), given(items.size());
  std::vector<uint8_t> seen(items.size());
  Ranked ranked;
  for (int round = 0; round < opts.rounds; ++round) {
    std::fill(selected.begin(), selected.end(), 0.0);
    std::fill(given.begin(), given.end(), 0.0);
    std::mt19937_64 draws(opts.seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(round + 1)));
    for (double theta : thetas) {
      std::fill(seen.begin(), seen.end(), 0);
      for (int t = 0; t < opts.test_length; ++t) {
        rank_items(theta, items, seen, opts.selection, &ranked);
        int64_t i = sympson_hetter_pick(ranked, out.k, draws, &selected);
        seen[static_cast<size_t>(i)] = 1;
        given[static_cast<size_t>(i)] += 1.0;
      }
    }
    out.exposure.resize(items.size());
    out.max_exposure = 0.0;
    for (size_t i = 0; i < items.size(); ++i) {
      out.exposure[i] = given[i] / n;
      out.max_exposure = std::max(out.max_exposure, out.exposure[i]);
    }
    if (round == 0) out.max_exposure_uncontrolled = out.max_exposure;
    if (round + 1 == opts.rounds) break;
    for (size_t i = 0; i < items.size(); ++i) {
      double p_selected = selected[i] / n;
      out.k[i] = p_selected > opts.r_max ? opts.r_max / p_selected : 1.0;
    }
  }
  return out;
}

}  // namespace v0
}  // namespace tutorcore
