// The student snapshot (seed 002's "cognitive profile"): mastery per concept
// as a Beta distribution with its mean and 5th/95th percentiles, the open
// misconceptions with their lifecycle, quiz context with weak areas, the
// recent history window, and the teaching strategy by mastery band.
//
// Choices:
//  - Beta from counts, as the seed's alpha (successes) and beta (failures),
//    on a Beta(prior_alpha, prior_beta) prior (uniform by default):
//    Beta(prior_alpha + correct, prior_beta + attempts - correct). The
//    percentiles invert the regularized incomplete beta exactly (continued
//    fraction, safeguarded Newton), not a normal approximation.
//  - Lifecycle: resolved when the escalation is resolved; resolving when it
//    is open but the last resolving_after responses on its concept were free
//    of it; active otherwise. The escalation machine (and the teacher) decide
//    resolution; the snapshot only reports the evidence since.
//  - Strategy bands (seed 002): < 0.3 direct_instruction, [0.3, 0.5)
//    scaffolding, [0.5, 0.7) socratic, [0.7, 0.9] guided_practice, > 0.9
//    challenge. With quiz evidence (attempts > 0): mastery "high" (>= 0.7)
//    with a "low" quiz score (< 0.4) moves one band down (surface-level
//    understanding), "low" mastery (< 0.4) with a "high" score (>= 0.7) one
//    band up (a quiet student), then a pass rate below 0.4 caps the result at
//    scaffolding. The seed does not give high and low; these are config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tutorcore/profile/profile.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {

// I_x(a, b), the regularized incomplete beta function (the Beta(a, b) CDF at
// x). Throws Error(invalid) unless a > 0, b > 0 and x in [0, 1].
double incomplete_beta(double x, double a, double b);
// The p-quantile of Beta(a, b): the x with I_x(a, b) = p, to about 1e-12.
// Throws Error(invalid) unless a > 0, b > 0 and p in [0, 1].
double beta_quantile(double p, double a, double b);

enum class Strategy : uint8_t {
  direct_instruction = 0,
  scaffolding,
  socratic,
  guided_practice,
  challenge,
};
constexpr size_t kStrategyCount = 5;
const char *strategy_name(Strategy s);

struct StrategyConfig {
  // Lower edges of the bands (seed 002); challenge is strictly above its edge.
  double scaffolding_from = 0.3;
  double socratic_from = 0.5;
  double guided_practice_from = 0.7;
  double challenge_above = 0.9;
  // Quiz divergence: what counts as high and low, for mastery and quiz score.
  double divergence_high = 0.7;  // at or above
  double divergence_low = 0.4;   // below
  double cap_pass_rate_below = 0.4;
  Strategy cap = Strategy::scaffolding;
};

// Quiz results on the concept's assessments, as fractions in [0, 1].
struct QuizContext {
  int32_t attempts = 0;
  double avg_score = 0.0;
  double pass_rate = 0.0;
};

// The band alone.
Strategy strategy_for_mastery(double mastery, const StrategyConfig &config);
// The band with the quiz-divergence adjustments. Throws Error(invalid) for
// mastery or quiz fractions outside [0, 1] and for unordered bands.
Strategy select_strategy(double mastery, const QuizContext &quiz, const StrategyConfig &config);

enum class MisconceptionLifecycle : uint8_t { active = 0, resolving, resolved };
const char *misconception_lifecycle_name(MisconceptionLifecycle l);

struct SnapshotConfig {
  double prior_alpha = 1.0;
  double prior_beta = 1.0;
  double lower_percentile = 0.05;
  double upper_percentile = 0.95;
  double weak_below = 0.4;      // weak areas: mean mastery below
  int32_t recent_window = 10;   // responses kept in recent history
  int32_t resolving_after = 1;  // clean responses on the concept since the last sighting
  StrategyConfig strategy;
};

MisconceptionLifecycle misconception_lifecycle(EscalationState state, int32_t clean_since_last,
                                               const SnapshotConfig &config);

struct ConceptMastery {
  std::string concept_id;
  int32_t attempts = 0;
  int32_t correct = 0;
  double alpha = 1.0, beta = 1.0;
  double mean = 0.5;
  double lower = 0.05;  // lower_percentile
  double upper = 0.95;  // upper_percentile
  Strategy strategy = Strategy::socratic;
};

// One concept's Beta mastery and strategy. Throws Error(invalid) naming the
// concept when correct is outside [0, attempts].
ConceptMastery concept_mastery(std::string concept_id, int32_t attempts, int32_t correct,
                               const QuizContext &quiz, const SnapshotConfig &config);

// A misconception the escalation view knows (concept_id may be empty: it is
// then taken from the responses that showed it).
struct MisconceptionState {
  std::string misconception_id;
  std::string concept_id;
  EscalationState state = EscalationState::detected;
};

struct MisconceptionEntry {
  std::string misconception_id;
  std::string concept_id;
  EscalationState state = EscalationState::detected;
  MisconceptionLifecycle lifecycle = MisconceptionLifecycle::active;
  int32_t occurrences = 0;       // responses that showed it
  int32_t clean_since_last = 0;  // responses on its concept since it was last shown
};

struct SnapshotInput {
  std::vector<ResponseRecord> responses;  // the student's history
  // Escalation rows. A misconception seen in responses but absent here
  // counts as open (detected).
  std::vector<MisconceptionState> misconceptions;
  QuizContext quiz;
};

struct StudentSnapshot {
  std::vector<ConceptMastery> mastery;             // by concept id
  std::vector<MisconceptionEntry> misconceptions;  // active and resolving, by id
  QuizContext quiz;
  std::vector<std::string> weak_areas;  // mean mastery < weak_below, by id
  std::vector<ResponseRecord> recent;   // the last recent_window, oldest first
};

// Responses are taken in time order (stable for equal times). Throws
// Error(invalid) for a bad config or quiz context.
StudentSnapshot student_snapshot(const SnapshotInput &in, const SnapshotConfig &config);

}  // namespace v0
}  // namespace tutorcore
