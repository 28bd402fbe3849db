#include "tutorcore/intervention/off_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

void check_record(const LoggedDecision &r, size_t i) {
  if (static_cast<size_t>(r.chosen) >= kModalityCount)
    throw Error(Errc::invalid,
                fmt::format("off-policy record {}: chosen modality {} is not one of the {}", i,
                            static_cast<int>(r.chosen), kModalityCount));
  if (!(r.propensity > 0.0 && r.propensity <= 1.0))
    throw Error(Errc::invalid,
                fmt::format("off-policy record {}: logged propensity {} is outside (0, 1]; the "
                            "logging policy must give its choice a positive probability",
                            i, r.propensity));
  if (!std::isfinite(r.reward))
    throw Error(Errc::invalid,
                fmt::format("off-policy record {}: reward {} is not a finite number", i, r.reward));
}

double checked_target(double q, size_t i) {
  if (!(q >= 0.0 && q <= 1.0))
    throw Error(Errc::invalid,
                fmt::format("off-policy record {}: target propensity {} is outside [0, 1]", i, q));
  return q;
}

template <class Target>
OffPolicyEstimate estimate(const std::vector<LoggedDecision> &log, Target &&target) {
  if (log.empty()) throw Error(Errc::invalid, "off-policy estimate: the log has no records");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  OffPolicyEstimate e;
  const size_t n = log.size();
  e.records = n;
  // Two passes over the weights: the means first, then the spreads around
  // them (no cancellation of large sums).
  std::vector<double> w(n);
  double sum_w = 0, sum_wr = 0, sum_w2 = 0;
  for (size_t i = 0; i < n; ++i) {
    check_record(log[i], i);
    w[i] = checked_target(target(i), i) / log[i].propensity;
    sum_w += w[i];
    sum_wr += w[i] * log[i].reward;
    sum_w2 += w[i] * w[i];
    e.max_weight = std::max(e.max_weight, w[i]);
  }
  e.ips = sum_wr / n;
  e.mean_weight = sum_w / n;
  e.effective_records = sum_w2 > 0 ? sum_w * sum_w / sum_w2 : 0.0;
  e.snips = sum_w > 0 ? sum_wr / sum_w : nan;
  double ss_ips = 0, ss_snips = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = w[i] * log[i].reward - e.ips;
    ss_ips += d * d;
    double r = w[i] * (log[i].reward - e.snips);
    ss_snips += r * r;
  }
  e.ips_se = n >= 2 ? std::sqrt(ss_ips / static_cast<double>(n - 1) / static_cast<double>(n)) : nan;
  e.snips_se = sum_w > 0 ? std::sqrt(ss_snips) / sum_w : nan;
  return e;
}

}  // namespace

OffPolicyEstimate estimate_off_policy(const std::vector<LoggedDecision> &log,
                                      const std::vector<double> &target_propensities) {
  if (target_propensities.size() != log.size())
    throw Error(Errc::invalid,
                fmt::format("off-policy estimate: {} target propensities for {} records; give one "
                            "per record",
                            target_propensities.size(), log.size()));
  return estimate(log, [&](size_t i) { return target_propensities[i]; });
}

OffPolicyEstimate estimate_off_policy(
    const std::vector<LoggedDecision> &log,
    const std::function<double(const LoggedDecision &)> &target_propensity) {
  if (!target_propensity)
    throw Error(Errc::invalid, "off-policy estimate: the target propensity function is empty");
  return estimate(log, [&](size_t i) { return target_propensity(log[i]); });
}

OffPolicyEstimate estimate_off_policy(const std::vector<LoggedDecision> &log, PolicyKind target,
                                      const PolicyConfig &cfg) {
  check_policy_config(cfg);
  return estimate(log, [&](size_t i) {
    try {
      return choice_probabilities(target, log[i].context, cfg)[static_cast<size_t>(log[i].chosen)];
    } catch (const Error &err) {
      throw Error(err.code(), fmt::format("off-policy record {}: {}", i, err.what()));
    }
  });
}

}  // namespace v0
}  // namespace tutorcore
