// The student snapshot: Beta mastery with exact percentiles, misconception
// lifecycle, weak areas, recent history, strategy bands (choices in
// snapshot.hpp).
#include "tutorcore/profile/snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <numeric>

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
constexpr double kPi = 3.14159265358979323846;

bool in_unit(double x) {
  return x >= 0.0 && x <= 1.0;
}

void check_beta_args(const char *what, double v, double a, double b) {
  if (!(a > 0.0) || !(b > 0.0) || !std::isfinite(a) || !std::isfinite(b) || !in_unit(v))
    throw Error(Errc::invalid, fmt::format("{}: arguments ({}, a = {}, b = {}) need a > 0, b > 0 "
                                           "and a value in [0, 1]",
                                           what, v, a, b));
}

// log Gamma(x) for x > 0 by Lanczos (g = 7, 9 terms, ~1e-15 relative).
// std::lgamma writes the global signgam, a data race when engines run on
// several threads.
double log_gamma(double x) {
  static constexpr double kG = 7.0;
  static constexpr double kC[9] = {
      0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
      771.32342877765313,   -176.61502916214059,   12.507343278686905,
      -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
  static const double kLogSqrt2Pi = 0.5 * std::log(2.0 * kPi);
  if (x < 0.5) return std::log(kPi / std::sin(kPi * x)) - log_gamma(1.0 - x);  // reflection
  x -= 1.0;
  double sum = kC[0];
  for (int i = 1; i < 9; ++i)
    sum += kC[i] / (x + i);
  double t = x + kG + 0.5;
  return kLogSqrt2Pi + (x + 0.5) * std::log(t) - t + std::log(sum);
}

double log_beta(double a, double b) {
  return log_gamma(a) + log_gamma(b) - log_gamma(a + b);
}

// The continued fraction of I_x(a, b) (modified Lentz), which converges fast
// for x < (a + 1) / (a + b + 2).
double beta_fraction(double x, double a, double b) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  auto guard = [](double v) { return std::fabs(v) < kTiny ? kTiny : v; };
  double c = 1.0;
  double d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    double m2 = 2.0 * m;
    double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));  // even step
    d = 1.0 / guard(1.0 + num * d);
    c = guard(1.0 + num / c);
    h *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));  // odd step
    d = 1.0 / guard(1.0 + num * d);
    c = guard(1.0 + num / c);
    double step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < kEps) break;
  }
  return h;
}

double incomplete_beta_unchecked(double x, double a, double b, double lbeta) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  double log_front = a * std::log(x) + b * std::log1p(-x) - lbeta;
  if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(log_front) * beta_fraction(x, a, b) / a;
  return 1.0 - std::exp(log_front) * beta_fraction(1.0 - x, b, a) / b;
}

void check_strategy_config(const StrategyConfig &c) {
  if (!(0.0 <= c.scaffolding_from && c.scaffolding_from <= c.socratic_from &&
        c.socratic_from <= c.guided_practice_from && c.guided_practice_from <= c.challenge_above &&
        c.challenge_above <= 1.0))
    throw Error(Errc::invalid,
                fmt::format("strategy config: bands must satisfy 0 <= scaffolding_from ({}) <= "
                            "socratic_from ({}) <= guided_practice_from ({}) <= challenge_above "
                            "({}) <= 1",
                            c.scaffolding_from, c.socratic_from, c.guided_practice_from,
                            c.challenge_above));
  if (!in_unit(c.divergence_high) || !in_unit(c.divergence_low) || !in_unit(c.cap_pass_rate_below))
    throw Error(Errc::invalid,
                fmt::format("strategy config: divergence_high ({}), divergence_low "
                            "({}) and cap_pass_rate_below ({}) must be in [0, 1]",
                            c.divergence_high, c.divergence_low, c.cap_pass_rate_below));
  if (static_cast<size_t>(c.cap) >= kStrategyCount)
    throw Error(Errc::invalid, fmt::format("strategy config: cap ({}) is not a strategy",
                                           static_cast<int>(c.cap)));
}

void check_quiz(const QuizContext &q) {
  if (q.attempts < 0 || !in_unit(q.avg_score) || !in_unit(q.pass_rate))
    throw Error(Errc::invalid,
                fmt::format("quiz context: attempts ({}) must be >= 0, avg_score ({}) and "
                            "pass_rate ({}) in [0, 1]",
                            q.attempts, q.avg_score, q.pass_rate));
}

void check_snapshot_config(const SnapshotConfig &c) {
  if (!(c.prior_alpha > 0.0) || !(c.prior_beta > 0.0))
    throw Error(Errc::invalid, fmt::format("snapshot config: prior_alpha ({}) and prior_beta ({}) "
                                           "must be > 0",
                                           c.prior_alpha, c.prior_beta));
  if (!(0.0 < c.lower_percentile && c.lower_percentile < c.upper_percentile &&
        c.upper_percentile < 1.0))
    throw Error(Errc::invalid, fmt::format("snapshot config: percentiles must satisfy 0 < "
                                           "lower_percentile ({}) < upper_percentile ({}) < 1",
                                           c.lower_percentile, c.upper_percentile));
  if (!in_unit(c.weak_below))
    throw Error(
        Errc::invalid,
        fmt::format("snapshot config: weak_below is {}; it must be in [0, 1]", c.weak_below));
  if (c.recent_window < 0 || c.resolving_after < 1)
    throw Error(Errc::invalid, fmt::format("snapshot config: recent_window ({}) must be >= 0 and "
                                           "resolving_after ({}) >= 1",
                                           c.recent_window, c.resolving_after));
  check_strategy_config(c.strategy);
}

Strategy shift(Strategy s, int by) {
  int v = std::clamp(static_cast<int>(s) + by, 0, static_cast<int>(kStrategyCount) - 1);
  return static_cast<Strategy>(v);
}
}  // namespace

double incomplete_beta(double x, double a, double b) {
  check_beta_args("incomplete_beta", x, a, b);
  return incomplete_beta_unchecked(x, a, b, log_beta(a, b));
}

double beta_quantile(double p, double a, double b) {
  check_beta_args("beta_quantile", p, a, b);
  if (p <= 0.0) return 0.0;
  if (p >= 1.0) return 1.0;
  const double lbeta = log_beta(a, b);
  // Newton on I_x(a, b) - p, kept inside a bracket that shrinks every step,
  // falling back to bisection when a step leaves it: the CDF is monotone, so
  // this always converges, also where Newton alone overshoots (steep tails).
  double lo = 0.0, hi = 1.0;
  double x = a / (a + b);
  // In a tail, start from the tail's leading term, I_x ~ x^a / (a B(a, b))
  // (mirrored for the upper tail): from the mean, a tiny quantile would take
  // hundreds of halvings.
  double at_mean = incomplete_beta_unchecked(x, a, b, lbeta);
  if (p < at_mean)
    x = std::min(x, std::exp((std::log(p) + std::log(a) + lbeta) / a));
  else
    x = std::max(x, 1.0 - std::exp((std::log1p(-p) + std::log(b) + lbeta) / b));
  x = std::clamp(x, DBL_MIN, 1.0 - DBL_EPSILON);
  for (int i = 0; i < 2000; ++i) {
    double f = incomplete_beta_unchecked(x, a, b, lbeta) - p;
    if (f == 0.0) return x;
    (f < 0.0 ? lo : hi) = x;
    double density = std::exp((a - 1.0) * std::log(x) + (b - 1.0) * std::log1p(-x) - lbeta);
    double next = density > 0.0 && std::isfinite(density) ? x - f / density : lo - 1.0;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    bool done = std::fabs(next - x) <= 4.0 * DBL_EPSILON * next;
    x = next;
    if (done) break;
  }
  return x;
}

const char *strategy_name(Strategy s) {
  switch (s) {
    case Strategy::direct_instruction:
      return "direct_instruction";
    case Strategy::scaffolding:
      return "scaffolding";
    case Strategy::socratic:
      return "socratic";
    case Strategy::guided_practice:
      return "guided_practice";
    case Strategy::challenge:
      return "challenge";
  }
  return "invalid";
}

Strategy strategy_for_mastery(double m, const StrategyConfig &c) {
  if (m > c.challenge_above) return Strategy::challenge;
  if (m >= c.guided_practice_from) return Strategy::guided_practice;
  if (m >= c.socratic_from) return Strategy::socratic;
  if (m >= c.scaffolding_from) return Strategy::scaffolding;
  return Strategy::direct_instruction;
}

Strategy select_strategy(double mastery, const QuizContext &quiz, const StrategyConfig &c) {
  check_strategy_config(c);
  check_quiz(quiz);
  if (!in_unit(mastery))
    throw Error(Errc::invalid,
                fmt::format("select_strategy: mastery is {}; it must be in [0, 1]", mastery));
  Strategy s = strategy_for_mastery(mastery, c);
  if (quiz.attempts == 0) return s;  // no quiz evidence to diverge from
  if (mastery >= c.divergence_high && quiz.avg_score < c.divergence_low)
    s = shift(s, -1);  // surface-level understanding
  else if (mastery < c.divergence_low && quiz.avg_score >= c.divergence_high)
    s = shift(s, +1);  // a quiet student
  if (quiz.pass_rate < c.cap_pass_rate_below) s = std::min(s, c.cap);
  return s;
}

const char *misconception_lifecycle_name(MisconceptionLifecycle l) {
  switch (l) {
    case MisconceptionLifecycle::active:
      return "active";
    case MisconceptionLifecycle::resolving:
      return "resolving";
    case MisconceptionLifecycle::resolved:
      return "resolved";
  }
  return "invalid";
}

MisconceptionLifecycle misconception_lifecycle(EscalationState state, int32_t clean_since_last,
                                               const SnapshotConfig &config) {
  if (state == EscalationState::resolved) return MisconceptionLifecycle::resolved;
  return clean_since_last >= config.resolving_after ? MisconceptionLifecycle::resolving
                                                    : MisconceptionLifecycle::active;
}

ConceptMastery concept_mastery(std::string concept_id, int32_t attempts, int32_t correct,
                               const QuizContext &quiz, const SnapshotConfig &config) {
  check_snapshot_config(config);
  if (attempts < 0 || correct < 0 || correct > attempts)
    throw Error(Errc::invalid, fmt::format("concept '{}': correct ({}) must be in [0, attempts "
                                           "({})]",
                                           concept_id, correct, attempts));
  ConceptMastery m;
  m.concept_id = std::move(concept_id);
  m.attempts = attempts;
  m.correct = correct;
  m.alpha = config.prior_alpha + correct;
  m.beta = config.prior_beta + (attempts - correct);
  m.mean = m.alpha / (m.alpha + m.beta);
  m.lower = beta_quantile(config.lower_percentile, m.alpha, m.beta);
  m.upper = beta_quantile(config.upper_percentile, m.alpha, m.beta);
  m.strategy = select_strategy(m.mean, quiz, config.strategy);
  return m;
}

StudentSnapshot student_snapshot(const SnapshotInput &in, const SnapshotConfig &config) {
  check_snapshot_config(config);
  check_quiz(in.quiz);
  StudentSnapshot snap;
  snap.quiz = in.quiz;

  std::vector<size_t> order(in.responses.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return in.responses[x].time_us < in.responses[y].time_us;
  });

  // Mastery and weak areas.
  std::map<std::string, std::pair<int32_t, int32_t>> counts;  // attempts, correct
  for (const ResponseRecord &r : in.responses) {
    auto &c = counts[r.concept_id];
    c.first += 1;
    c.second += r.correct ? 1 : 0;
  }
  for (const auto &[id, c] : counts) {
    snap.mastery.push_back(concept_mastery(id, c.first, c.second, in.quiz, config));
    if (snap.mastery.back().mean < config.weak_below) snap.weak_areas.push_back(id);
  }

  // Misconceptions: the escalation rows, plus any seen in responses only.
  std::map<std::string, MisconceptionEntry> entries;
  for (const MisconceptionState &m : in.misconceptions) {
    MisconceptionEntry &e = entries[m.misconception_id];
    e.misconception_id = m.misconception_id;
    e.concept_id = m.concept_id;
    e.state = m.state;
  }
  std::map<std::string, size_t> last_seen;  // position in `order`
  for (size_t k = 0; k < order.size(); ++k) {
    const ResponseRecord &r = in.responses[order[k]];
    if (r.misconception_id.empty()) continue;
    MisconceptionEntry &e = entries[r.misconception_id];
    if (e.misconception_id.empty()) e.misconception_id = r.misconception_id;  // new: detected
    e.occurrences += 1;
    last_seen[r.misconception_id] = k;
  }
  for (auto &[id, e] : entries) {
    auto seen = last_seen.find(id);
    if (e.concept_id.empty() && seen != last_seen.end())
      e.concept_id = in.responses[order[seen->second]].concept_id;
    size_t from = seen == last_seen.end() ? 0 : seen->second + 1;
    for (size_t k = from; k < order.size(); ++k)
      e.clean_since_last += in.responses[order[k]].concept_id == e.concept_id ? 1 : 0;
    e.lifecycle = misconception_lifecycle(e.state, e.clean_since_last, config);
    if (e.lifecycle != MisconceptionLifecycle::resolved) snap.misconceptions.push_back(e);
  }

  // Recent history, oldest first.
  size_t keep = std::min(order.size(), static_cast<size_t>(config.recent_window));
  for (size_t k = order.size() - keep; k < order.size(); ++k)
    snap.recent.push_back(in.responses[order[k]]);
  return snap;
}

}  // namespace v0
}  // namespace tutorcore
