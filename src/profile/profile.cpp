// The learning profile (readings of the seed in profile.hpp).
#include "tutorcore/profile/profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
constexpr double kUsPerDay = 86400.0 * 1e6;

bool in_unit(double x) {
  return x >= 0.0 && x <= 1.0;
}

void require_unit(double x, const char *field) {
  if (!in_unit(x))
    throw Error(Errc::invalid,
                fmt::format("profile config: {} is {}; it must be in [0, 1]", field, x));
}

void require_at_least(int32_t x, int32_t min, const char *field) {
  if (x < min)
    throw Error(Errc::invalid,
                fmt::format("profile config: {} is {}; it must be at least {}", field, x, min));
}

// What one concept's responses say.
struct ConceptTally {
  int32_t total = 0, wrong = 0;
  int32_t base_total = 0, base_right = 0;          // ordinary items
  int32_t transfer_total = 0, transfer_right = 0;  // transfer items
  std::map<std::string, int32_t> misconceptions;
  int32_t max_same_misconception() const {
    int32_t m = 0;
    for (const auto &[id, n] : misconceptions)
      m = std::max(m, n);
    return m;
  }
  double base_accuracy() const { return base_total ? double(base_right) / base_total : 0.0; }
  double transfer_accuracy() const {
    return transfer_total ? double(transfer_right) / transfer_total : 0.0;
  }
};

// Mastery samples of one concept in time order (stable for equal times).
using SampleSeries = std::vector<const MasterySample *>;

ErrorPattern classify(const std::string &concept_id, const ConceptTally &t,
                      const std::map<std::string, SampleSeries> &series, const ProfileInput &in,
                      const ProfileConfig &c) {
  auto last_level = [&](const std::string &id, double *out) {
    auto it = series.find(id);
    if (it == series.end() || it->second.empty()) return false;
    *out = it->second.back()->level;
    return true;
  };
  if (auto p = in.prerequisites.find(concept_id); p != in.prerequisites.end()) {
    for (const std::string &pre : p->second) {
      double m;
      if (last_level(pre, &m) && m < c.prereq_gap_below) return ErrorPattern::foundational_gap;
    }
  }
  int32_t same = t.max_same_misconception();
  if (same >= c.systematic_min_count) return ErrorPattern::systematic;
  if (t.base_total > 0 && t.transfer_total > 0 &&
      t.base_accuracy() >= c.transfer_base_min_accuracy &&
      t.transfer_accuracy() < c.transfer_fail_below)
    return ErrorPattern::transfer_failure;
  double mastery;
  if (!last_level(concept_id, &mastery)) mastery = double(t.total - t.wrong) / t.total;
  double error_rate = double(t.wrong) / t.total;
  if (mastery >= c.careless_min_mastery && error_rate < c.careless_max_error_rate &&
      same < c.consistent_misconception_count)
    return ErrorPattern::careless;
  return ErrorPattern::none;
}
}  // namespace

const char *error_pattern_name(ErrorPattern p) {
  switch (p) {
    case ErrorPattern::none:
      return "none";
    case ErrorPattern::careless:
      return "careless";
    case ErrorPattern::systematic:
      return "systematic";
    case ErrorPattern::foundational_gap:
      return "foundational_gap";
    case ErrorPattern::transfer_failure:
      return "transfer_failure";
  }
  return "invalid";
}

void check_profile_config(const ProfileConfig &c) {
  require_unit(c.careless_min_mastery, "careless_min_mastery");
  require_unit(c.careless_max_error_rate, "careless_max_error_rate");
  require_at_least(c.consistent_misconception_count, 1, "consistent_misconception_count");
  require_at_least(c.systematic_min_count, 1, "systematic_min_count");
  require_unit(c.prereq_gap_below, "prereq_gap_below");
  require_unit(c.transfer_base_min_accuracy, "transfer_base_min_accuracy");
  require_unit(c.transfer_fail_below, "transfer_fail_below");
  require_unit(c.velocity_from, "velocity_from");
  require_unit(c.velocity_to, "velocity_to");
  if (!(c.fast_ms >= 0.0 && c.fast_ms <= c.slow_ms))
    throw Error(Errc::invalid, fmt::format("profile config: fast_ms ({}) and slow_ms ({}) must "
                                           "satisfy 0 <= fast_ms <= slow_ms",
                                           c.fast_ms, c.slow_ms));
  if (!(c.velocity_from < c.velocity_to))
    throw Error(Errc::invalid,
                fmt::format("profile config: velocity_from ({}) must be below velocity_to ({})",
                            c.velocity_from, c.velocity_to));
  if (!(c.decay_min_gap_days >= 0.0))
    throw Error(Errc::invalid,
                fmt::format("profile config: decay_min_gap_days is {}; it must be >= 0",
                            c.decay_min_gap_days));
  if (!(c.high_decay_per_day >= 0.0))
    throw Error(Errc::invalid,
                fmt::format("profile config: high_decay_per_day is {}; it must be >= 0",
                            c.high_decay_per_day));
}

LearningProfile learning_profile(const ProfileInput &in, const ProfileConfig &c) {
  check_profile_config(c);
  LearningProfile p;

  // Mastery series per concept, in time order.
  std::map<std::string, SampleSeries> series;
  for (size_t i = 0; i < in.mastery.size(); ++i) {
    const MasterySample &m = in.mastery[i];
    if (!in_unit(m.level))
      throw Error(Errc::invalid,
                  fmt::format("profile: mastery[{}] (concept '{}') has level {}; levels are in "
                              "[0, 1]",
                              i, m.concept_id, m.level));
    series[m.concept_id].push_back(&m);
  }
  for (auto &[id, s] : series)
    std::stable_sort(s.begin(), s.end(), [](const MasterySample *a, const MasterySample *b) {
      return a->time_us < b->time_us;
    });

  // Responses: per-concept tallies and latency.
  std::map<std::string, ConceptTally> tallies;
  double latency_sum = 0.0;
  for (const ResponseRecord &r : in.responses) {
    ConceptTally &t = tallies[r.concept_id];
    t.total += 1;
    t.wrong += r.correct ? 0 : 1;
    if (r.transfer) {
      t.transfer_total += 1;
      t.transfer_right += r.correct ? 1 : 0;
    } else {
      t.base_total += 1;
      t.base_right += r.correct ? 1 : 0;
    }
    if (!r.misconception_id.empty()) t.misconceptions[r.misconception_id] += 1;
    if (r.latency_ms > 0) {
      p.timed_responses += 1;
      latency_sum += r.latency_ms;
      if (!r.correct && r.latency_ms < c.fast_ms) p.fast_wrong += 1;
      if (r.latency_ms > c.slow_ms) (r.correct ? p.slow_right : p.slow_wrong) += 1;
    }
  }
  if (p.timed_responses) p.mean_latency_ms = latency_sum / p.timed_responses;

  // Error patterns: per concept, then the most frequent (ties: seed order).
  std::array<int32_t, kErrorPatternCount> votes{};
  for (const auto &[id, t] : tallies) {
    if (t.wrong == 0) continue;  // no errors, no error pattern
    ErrorPattern e = classify(id, t, series, in, c);
    p.concept_patterns.push_back({id, e});
    if (e != ErrorPattern::none) votes[static_cast<size_t>(e)] += 1;
  }
  constexpr ErrorPattern kOrder[] = {ErrorPattern::foundational_gap, ErrorPattern::systematic,
                                     ErrorPattern::transfer_failure, ErrorPattern::careless};
  int32_t best = 0;
  for (ErrorPattern e : kOrder) {
    if (votes[static_cast<size_t>(e)] > best) {
      best = votes[static_cast<size_t>(e)];
      p.error_pattern = e;
    }
  }

  // Transfer: transfer items of concepts solid on ordinary items.
  int32_t transfer_right = 0;
  for (const auto &[id, t] : tallies) {
    if (t.base_total == 0 || t.base_accuracy() < c.transfer_base_min_accuracy) continue;
    p.transfer_attempts += t.transfer_total;
    transfer_right += t.transfer_right;
  }
  if (p.transfer_attempts) p.transfer_success_rate = double(transfer_right) / p.transfer_attempts;

  // Decay and velocity from the mastery series.
  double decay_sum = 0.0;
  int32_t decay_concepts = 0;
  double velocity_sum = 0.0, n_sum = 0.0;
  for (const auto &[id, s] : series) {
    double concept_sum = 0.0;
    int32_t pairs = 0;
    for (size_t i = 1; i < s.size(); ++i) {
      double days = double(s[i]->time_us - s[i - 1]->time_us) / kUsPerDay;
      if (days <= 0.0 || days < c.decay_min_gap_days) continue;
      concept_sum += (s[i - 1]->level - s[i]->level) / days;
      pairs += 1;
    }
    if (pairs) {
      decay_sum += concept_sum / pairs;
      decay_concepts += 1;
      p.decay_pairs += pairs;
    }

    auto from = std::find_if(s.begin(), s.end(),
                             [&](const MasterySample *m) { return m->level >= c.velocity_from; });
    auto to = std::find_if(from, s.end(),
                           [&](const MasterySample *m) { return m->level >= c.velocity_to; });
    if (from == s.end() || to == s.end()) continue;
    int64_t t0 = (*from)->time_us, t1 = (*to)->time_us;
    int32_t n = 0;
    for (const ResponseRecord &r : in.responses)
      n += r.concept_id == id && r.time_us > t0 && r.time_us <= t1 ? 1 : 0;
    n = std::max(n, 1);  // one answer took it across both marks
    velocity_sum += 1.0 / n;
    n_sum += n;
    p.velocity_concepts += 1;
  }
  if (decay_concepts) p.decay_per_day = decay_sum / decay_concepts;
  p.high_decay = p.decay_per_day > c.high_decay_per_day;
  if (p.velocity_concepts) {
    p.learning_velocity = velocity_sum / p.velocity_concepts;
    p.responses_to_mastery = n_sum / p.velocity_concepts;
  }

  // Modality vector.
  for (size_t i = 0; i < in.outcomes.size(); ++i) {
    const InterventionOutcome &o = in.outcomes[i];
    auto m = static_cast<size_t>(o.modality);
    if (m >= kModalityCount)
      throw Error(Errc::invalid, fmt::format("profile: outcomes[{}] (misconception '{}') has an "
                                             "invalid modality ({})",
                                             i, o.misconception_id, m));
    p.modality_tried[m] += 1;
    p.modality_resolved[m] += o.resolved ? 1 : 0;
  }
  for (size_t m = 0; m < kModalityCount; ++m)
    p.modality_vector[m] = (p.modality_resolved[m] + 1.0) / (p.modality_tried[m] + 2.0);
  return p;
}

}  // namespace v0
}  // namespace tutorcore
