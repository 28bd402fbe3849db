// Experiment 05's conditions and paired comparisons (see conditions.hpp).
#include "conditions.hpp"

#include <cmath>
#include <stdexcept>

namespace exp05 {

Results run_conditions(const tutorcore::SimWorld &w, StudyOptions base) {
  Results out;
  base.per_student = true;
  for (size_t i = 0; i < kConditions.size(); ++i) {
    base.item_selection = kConditions[i];
    out[i] = tutorcore::run_study(w, base);
  }
  return out;
}

double sample_sd(const std::vector<double> &x) {
  if (x.size() < 2) return 0.0;
  double mean = 0.0;
  for (double v : x)
    mean += v;
  mean /= static_cast<double>(x.size());
  double ss = 0.0;
  for (double v : x)
    ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

Comparison compare(const std::vector<double> &a, const std::vector<double> &b) {
  if (a.size() != b.size() || a.size() < 2) {
    throw std::invalid_argument("exp05::compare: needs two parallel vectors of 2+ learners");
  }
  const tutorcore::MeanSe d = tutorcore::paired_difference(a, b);
  Comparison c;
  c.diff = d.mean;
  c.diff_se = d.se;
  const double sa = sample_sd(a), sb = sample_sd(b);
  const double pooled = std::sqrt((sa * sa + sb * sb) / 2.0);
  c.d_pooled = pooled > 0.0 ? d.mean / pooled : 0.0;
  c.d_paired = d.sd > 0.0 ? d.mean / d.sd : 0.0;
  c.t = c.diff_se > 0.0 ? d.mean / c.diff_se : 0.0;
  return c;
}

}  // namespace exp05
