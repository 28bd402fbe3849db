#include "tutorcore/tracing/mastery.hpp"

#include <algorithm>

namespace tutorcore {
inline namespace v0 {

namespace {
double threshold(const MasteryPolicy &p, bool low_stakes) {
  return low_stakes ? p.low_stakes_threshold : p.threshold;
}
}  // namespace

double response_credibility(double latency_ms, double typical_ms, const MasteryPolicy &policy) {
  if (!(latency_ms > 0) || !(typical_ms > 0)) return 1.0;
  double fast = policy.fast_fraction * typical_ms;
  if (latency_ms >= fast) return 1.0;
  return std::max(policy.min_credibility, latency_ms / fast);
}

MasteryState mastery_step(const MasteryState &s, bool correct, double credibility,
                          const BktParams &b, const MasteryPolicy &policy, bool low_stakes) {
  MasteryState n = s;
  double w = std::clamp(credibility, 0.0, 1.0);
  n.p_known = s.p_known + w * (bkt_update(s.p_known, correct, b) - s.p_known);
  n.attempts = s.attempts + 1;
  n.streak = correct && n.p_known >= threshold(policy, low_stakes) ? s.streak + 1 : 0;
  return n;
}

bool is_mastered(const MasteryState &s, const MasteryPolicy &policy, bool low_stakes) {
  return s.attempts >= policy.min_attempts && s.p_known >= threshold(policy, low_stakes);
}

bool opens_dependants(const MasteryState &s, const MasteryPolicy &policy, bool low_stakes) {
  return is_mastered(s, policy, low_stakes) && s.streak >= policy.gate_streak;
}

}  // namespace v0
}  // namespace tutorcore
