// The validity simulator's students (issue 8): learners over a domain's
// prerequisite graph whose learning depends on the quality of the tutoring,
// so that good tutoring and bad can be told apart (seed 003's experiments
// 07-09 found the opposite of its own simulator, and listed the fixes this
// model makes: conditional learning, a confusion penalty, negative transfer,
// misconception-aware testing, a branching graph of 15-25 concepts).
//
// A learner has, per concept, a latent knowledge k in [0, 1] and the
// misconceptions it holds (each with a strength s in (0, 1)); a modality
// preference vector from Dirichlet(1, ..., 1); a latency scale; and a gaming
// tendency. Answering item i (difficulty b, discrimination a) of concept c:
//   - gaming (with the learner's gaming tendency): right with p = guess, fast;
//   - else, for each held misconception the item probes, the learner gives
//     its wrong answer with probability s;
//   - else right with p = guess + (1 - guess - slip) sigmoid(a (phi - b)),
//     phi = knowledge_scale (k - 1/2).
// What the tutor does next decides what is learned:
//   - practice: k += practice_rate zpd(p) prereq(c) block(c) (1 - k), where
//     zpd peaks where the item is neither too easy nor too hard (desirable
//     difficulty), prereq falls when a prerequisite is below prereq_needed,
//     and block falls with the strongest misconception held on c;
//   - an intervention that targets a misconception the learner holds, in
//     modality m: resolves it with p = min(max_resolve, resolve_base K pref_m)
//     and raises k by resolve_gain (1 - k);
//   - an intervention that targets a misconception the learner does not
//     hold (a misidentification, a false positive, a misrouted concept)
//     confuses: k of the targeted concept falls by confusion k, and with
//     negative_transfer the strongest misconception held there strengthens,
//     or, holding none, the taught one takes root at implant_strength.
// (conditional_learning = false restores the seed's old unconditional rule
// for ablations: every intervention teaches.)
// The post-test is held out: items the tutor never sees, half plain and one
// per misconception probing it, scored as expected correctness from the
// latent state (no sampling noise, no tutor estimate involved).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tutorcore/intervention/policy.hpp"
#include "tutorcore/irt/irt.hpp"
#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/tracing/bkt.hpp"

namespace tutorcore {
inline namespace v0 {

struct LearnerConfig {
  // The population: initial knowledge k0 = sigmoid(ability + concept noise
  // + initial_logit - level_step (level - 1)), ability ~ N(0, ability_sd).
  double ability_sd = 1.0;
  double concept_sd = 0.5;
  double initial_logit = -0.6;
  double level_step = 0.15;
  // Each misconception of a concept is held with this chance, at a strength
  // drawn uniformly from [min_strength, max_strength].
  double hold_rate = 0.3;
  double min_strength = 0.5, max_strength = 0.9;
  // Answers.
  double guess = 0.1, slip = 0.05;
  double knowledge_scale = 5.0;  // phi = scale (k - 1/2): k in [0, 1] spans IRT's [-2.5, 2.5]
  // Practice learning.
  double practice_rate = 0.12;
  double zpd_center = 0.65;     // the correctness at which practice teaches most
  double zpd_width = 0.25;      // Gaussian width of that bump
  double prereq_needed = 0.6;   // a prerequisite below this slows learning
  double prereq_floor = 0.2;    // the slowest it gets (factor at k_prereq = 0)
  double block_strength = 0.7;  // block(c) = 1 - block_strength s_max
  double feedback_rate = 0.05;  // a wrong answer's generic feedback (no misconception named)
  // Interventions.
  double resolve_base = 0.5;  // the mean resolution chance of a well-targeted intervention
  double max_resolve = 0.95;
  double resolve_gain = 0.15;
  double confusion = 0.1;
  double negative_transfer = 0.35;
  double strengthen = 0.15;  // added to a strengthened misconception (capped at max_strength_cap)
  double implant = 0.5;      // of negative transfers with nothing held: the taught one takes root
  double implant_strength = 0.45;  //
  double max_strength_cap = 0.98;
  // Behaviour.
  double gaming_alpha = 1.0, gaming_beta = 12.0;  // gaming tendency ~ Beta(alpha, beta)
  double latency_median_s = 25.0;                 // the population's median answer time
  double latency_student_sd = 0.3;                // log-scale spread between students
  double latency_item_sd = 0.4;                   // log-scale spread between answers
  double gaming_latency_s = 3.0;                  // median time of a gamed answer
  // The post-test: plain items at these difficulties plus one item probing
  // each misconception of the concept at probe_difficulty.
  std::vector<double> test_difficulties = {-1.5, -0.5, 0.5, 1.5};
  double probe_difficulty = 0.0;
  // The probing items' share of a concept's test score; 0 is the seed's
  // old test, which measured knowledge alone.
  double probe_weight = 0.5;
  // false: the seed's old unconditional learning, for ablations. Every
  // intervention raises the targeted concept's k by resolve_gain whatever
  // it targets (a held misconception still resolves with its chance), and
  // mistargeting costs nothing.
  bool conditional_learning = true;
};

// Throws Error(invalid) naming the field ("learner.hold_rate: ...").
void check_learner_config(const LearnerConfig &c);

// An item the simulated learner answers: a bank problem or a template instance.
struct SimItem {
  std::string id;
  int32_t concept = 0;
  IrtItem irt;
  std::vector<int32_t> probes;  // misconception indexes (SimWorld::misconceptions)
};

// The domain as the simulator sees it: concepts with prerequisite indexes,
// misconceptions per concept, and an item bank per concept.
struct SimWorld {
  struct ConceptNode {
    std::string id;
    int32_t level = 1;
    std::vector<int32_t> prerequisites;
    std::vector<int32_t> misconceptions;
    BktParams bkt;
  };
  std::vector<ConceptNode> concepts;
  std::vector<std::string> misconceptions;     // ids
  std::vector<int32_t> misconception_concept;  // parallel: the concept index
  std::vector<std::vector<SimItem>> items;     // per concept
  int32_t template_instances = 0;              // items generated from templates
};

// The world of a domain. bank_size 0 takes each concept's bank problems as
// they are; bank_size n > 0 gives every concept n items: its first n bank
// problems, then instances of its templates (seeded by `seed`) until n or
// until the templates give no new instance. Throws Error(invalid) for a
// domain without concepts or a negative bank_size.
SimWorld build_sim_world(const Domain &d, int32_t bank_size, uint64_t seed);

struct SimLearner {
  std::vector<double> knowledge;              // per concept
  std::vector<double> strength;               // per misconception; 0 = not held
  std::array<double, kModalityCount> pref{};  // Dirichlet(1, ..., 1)
  double gaming = 0.0;
  double latency_scale_s = 25.0;
};

SimLearner draw_learner(const SimWorld &w, const LearnerConfig &c, Rng &rng);

// One answer.
struct SimAnswer {
  bool correct = false;
  int32_t misconception = -1;  // the misconception whose wrong answer was given, or -1
  bool gamed = false;
  double latency_s = 0.0;
  double p_correct = 0.0;  // the learner's chance of a right answer on this item (not gaming)
};

// P(right) on an item from the latent state, gaming aside.
double learner_p_correct(const SimLearner &l, const SimItem &it, const LearnerConfig &c);
SimAnswer learner_answer(const SimLearner &l, const SimItem &it, const LearnerConfig &c, Rng &rng);

// Learning from practising `it` with pre-answer correctness p (no learning
// from a gamed answer).
void learner_practice(SimLearner &l, const SimWorld &w, const SimItem &it, double p,
                      const LearnerConfig &c);
// Generic feedback on a wrong answer that names no misconception.
void learner_feedback(SimLearner &l, const SimWorld &w, int32_t concept, const LearnerConfig &c);

enum class InterventionEffect : uint8_t {
  resolved = 0,
  persisted,
  confused,
  strengthened,
  implanted
};
const char *intervention_effect_name(InterventionEffect e);
// An intervention on misconception `target` in `modality`.
InterventionEffect learner_intervene(SimLearner &l, const SimWorld &w, int32_t target,
                                     Modality modality, const LearnerConfig &c, Rng &rng);

// The held-out test: mean expected correctness over the concepts given
// (each concept's plain and probing items averaged first).
double learner_test_score(const SimLearner &l, const SimWorld &w,
                          const std::vector<int32_t> &concepts, const LearnerConfig &c);
// One concept's test score.
double learner_concept_score(const SimLearner &l, const SimWorld &w, int32_t concept,
                             const LearnerConfig &c);

}  // namespace v0
}  // namespace tutorcore
