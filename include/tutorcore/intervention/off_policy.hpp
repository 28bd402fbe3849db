// Off-policy evaluation: the resolution rate a target selection policy would
// have had, estimated from decisions another policy logged with its
// propensities, before the target is ever deployed.
//
// Record i weighs w_i = target P(chosen_i | context_i) / logged propensity_i.
//   IPS   = (1/n) sum w_i r_i: unbiased when the logging policy gives every
//           arm the target may pick a propensity > 0; its variance grows
//           with the weights.
//   SNIPS = sum w_i r_i / sum w_i: self-normalised, slightly biased, usually
//           of much lower variance; stays within the range of the rewards.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "tutorcore/intervention/policy.hpp"

namespace tutorcore {
inline namespace v0 {

struct LoggedDecision {
  PolicyContext context;
  Modality chosen = Modality::visual;
  double propensity = 0.0;  // the logging policy's P(chosen | context), in (0, 1]
  double reward = 0.0;      // 1 resolved, 0 persisted; any finite number
};

struct OffPolicyEstimate {
  size_t records = 0;
  double ips = 0.0;
  double ips_se = 0.0;  // sample standard deviation of w_i r_i / sqrt(n); NaN below 2 records
  // NaN when the target gives every logged choice probability 0 (sum w_i = 0).
  double snips = 0.0;
  // Delta method: sqrt(sum w_i^2 (r_i - snips)^2) / sum w_i.
  double snips_se = 0.0;
  double mean_weight = 0.0;  // (1/n) sum w_i; near 1 when the log covers the target
  double max_weight = 0.0;
  double effective_records = 0.0;  // (sum w_i)^2 / sum w_i^2: what the weights leave of n
};

// The target policy given as its probability of each record's logged choice
// (target_propensities[i] for log[i], in [0, 1]). Throws Error(invalid)
// naming the record index for a logged propensity outside (0, 1], a target
// propensity outside [0, 1], NaNs, a non-finite reward, an empty log, or
// lengths that differ.
OffPolicyEstimate estimate_off_policy(const std::vector<LoggedDecision> &log,
                                      const std::vector<double> &target_propensities);

// The target policy as a function of the record: P(record.chosen | record.context).
OffPolicyEstimate estimate_off_policy(
    const std::vector<LoggedDecision> &log,
    const std::function<double(const LoggedDecision &)> &target_propensity);

// The target is one of the selection policies under `cfg`
// (choice_probabilities of the logged choice in the logged context).
OffPolicyEstimate estimate_off_policy(const std::vector<LoggedDecision> &log, PolicyKind target,
                                      const PolicyConfig &cfg);

}  // namespace v0
}  // namespace tutorcore
