// Joint calibration of a whole response matrix by marginal maximum likelihood
// (Bock-Aitkin EM over a quadrature grid, theta ~ N(0, 1)). The E-step sums,
// for each person, one table row per answer, and for each item one posterior
// row per answer, so sparse data with many items (every student answers a
// few) stays cheap; SQUAREM extrapolation cuts the number of EM iterations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tutorcore/irt/irt.hpp"

namespace tutorcore {
inline namespace v0 {

// Sparse answers: (person, item, right) triples and a weight per person
// (a response pattern's frequency; 1 for raw data).
struct ResponseMatrix {
  struct Entry {
    uint32_t person, item;
    uint8_t correct;
  };
  std::vector<Entry> entries;
  std::vector<double> weight;  // per person
  std::vector<std::string> item_ids;
  size_t persons() const { return weight.size(); }
  size_t items() const { return item_ids.size(); }
};

// A CSV of 0/1 item columns, one row per person or response pattern, with an
// optional frequency column named Freq or freq (as R's LSAT data). Empty
// cells are unanswered. Throws Error(invalid) naming the line and column.
ResponseMatrix load_pattern_csv(const std::string &path);

// Long rows (person, item, right); a repeated (person, item) keeps the first.
struct ItemResponse {
  std::string person, item;
  bool correct = false;
};
ResponseMatrix response_matrix_from_rows(const std::vector<ItemResponse> &rows);

enum class IrtModel {
  rasch,         // a = 1 for every item
  common_slope,  // one estimated slope for all items (= Rasch with free latent sd)
  two_pl,        // a slope per item
};

enum class EmAcceleration {
  none,     // plain EM: one E-step and one M-step per iteration
  squarem,  // SQUAREM (Varadhan & Roland 2008, step length S3): from two EM steps,
            // extrapolate; keep the extrapolated point only when the penalised
            // log-likelihood does not decrease, else the second EM step (monotone)
};

struct MmlOptions {
  IrtModel model = IrtModel::two_pl;
  int quadrature_points = 61;  // equally spaced on [-range, range]
  double range = 6.0;
  int max_iterations = 2000;  // E-steps (passes over the data), extrapolated ones included
  // Converged when one plain EM step (under squarem, the step each cycle starts
  // with) changes the marginal log-likelihood by less than this, and the
  // objective too when a ridge or slope prior makes them differ.
  double tolerance = 1e-7;
  double max_slope = 8.0;
  double ridge =
      0.0;  // optional N(0, 1/ridge) penalty on intercepts (items with all right or all wrong)
  EmAcceleration acceleration = EmAcceleration::squarem;  // same estimates, fewer E-steps
  // 2PL only, off by default (maximum likelihood, as mirt's default): > 0 puts
  // a lognormal prior on every slope, log a ~ N(slope_prior_mean,
  // slope_prior_sd^2) (the log density of a, whose mode is exp(mean - sd^2)),
  // which keeps the slopes of items with few answers off the bounds (MAP
  // estimates). Even sd = 2 moves LSAT7's slopes by up to 0.03 from mirt's.
  double slope_prior_sd = 0.0;
  double slope_prior_mean = 0.0;
};

struct MmlResult {
  std::vector<IrtItem> items;      // (a, b) form
  std::vector<double> intercepts;  // d = -a b, the slope-intercept form
  double latent_variance = 1.0;    // for common_slope: the slope squared (Rasch form)
  double log_likelihood = 0.0;     // marginal, without the ridge or slope prior
  int iterations = 0;              // E-steps, as max_iterations counts them
  bool converged = false;
  double seconds = 0.0;
  // The objective EM increases (log_likelihood plus the log ridge and slope
  // priors) at each accepted point in order, the starting values first and
  // the result last; it never decreases (up to rounding).
  std::vector<double> trace;
};

// Throws Error(invalid) for an empty matrix or bad options.
MmlResult calibrate_mml(const ResponseMatrix &m, const MmlOptions &opts = {});

}  // namespace v0
}  // namespace tutorcore
