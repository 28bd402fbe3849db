// A simulated study (issue 8): learners of learner.hpp, tutored one at a time
// by the library's engines under a chosen condition, tested before and after
// on the held-out test. The tutoring loop, per learner:
//   1. a block of block_size concepts: a target concept and its nearest
//      ancestors in the prerequisite graph (drawn per learner);
//   2. budget interactions; each picks a concept (concept_selection: "bkt",
//      the lowest BKT estimate among unmastered concepts whose prerequisites
//      in the block are at prereq_threshold, or "random", or "oracle", the
//      same rule on the true knowledge), an unseen item of it
//      (item_selection: "irt", select_item at p_target from theta_from_mastery
//      of the BKT estimate; "easiest"; "hardest"; "random"), and the learner
//      answers;
//   3. the answer is classified: the truth (right, a misconception's wrong
//      answer, another wrong answer) passed through the injected errors
//      (misidentification: another misconception of the concept; false
//      negative: a misconception's answer read as a plain wrong one; false
//      positive: a right or plain wrong answer read as a misconception of
//      the concept; misroute: a misconception of another concept);
//   4. BKT updates the concept (bkt_update with the domain's parameters);
//      the learner practises; a wrong answer read as misconception m gets an
//      intervention on m in the modality the policy picks (decide() with
//      the learner's own outcomes as evidence; modalities tried on m are not
//      offered again until it resolves), which the teacher approves; other
//      wrong answers get generic feedback.
// Interventions off: the tutor never intervenes (a practice-only baseline).
// Learners are independent: they run on `threads` threads with a generator
// per learner and stream, so a result depends on the seed alone, and two
// conditions with the same seed see the same learners.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tutorcore/intervention/policy.hpp"
#include "tutorcore/sim/learner.hpp"

namespace tutorcore {
inline namespace v0 {

enum class ItemSelection : uint8_t { irt = 0, easiest, hardest, random };
enum class ConceptSelection : uint8_t { bkt = 0, random, oracle };
const char *item_selection_name(ItemSelection s);
const char *concept_selection_name(ConceptSelection s);

// Error rates of the simulated classifier, each in [0, 1].
struct ClassifierErrors {
  double misidentification = 0.0;
  double false_negative = 0.0;
  double false_positive = 0.0;
  double misroute = 0.0;
};

struct StudyOptions {
  uint64_t seed = 42;
  int32_t students = 500;
  int32_t threads = 0;     // 0: the hardware's
  int32_t budget = 12;     // interactions per learner (the seed's fix: 10-15)
  int32_t block_size = 5;  // concepts per block
  int32_t bank_size = 0;   // 0: the domain's bank; n: n items per concept (templates fill)
  ItemSelection item_selection = ItemSelection::irt;
  double p_target = 0.70;
  ConceptSelection concept_selection = ConceptSelection::bkt;
  double mastery_threshold = 0.95;  // a BKT estimate at or above is mastered
  double prereq_threshold = 0.60;
  bool interventions = true;
  bool oracle_modality = false;  // pick the learner's best modality (the policy's ceiling)
  PolicyKind modality_policy = PolicyKind::thompson;
  PolicyConfig policy;
  ClassifierErrors errors;
  LearnerConfig learner;
  bool per_student = false;  // keep each learner's gain (for paired comparisons)
  // The tutor's BKT parameters per concept (indexed like the domain's
  // concepts); empty: the domain's. Lets a study compare the domain's
  // priors with parameters fitted to simulated answers.
  std::vector<BktParams> bkt;
  bool keep_log = false;  // keep every answer (StudyResult::log), e.g. to fit BKT on
};

// Throws Error(invalid) naming the field ("simulation.budget: ...").
void check_study_options(const StudyOptions &o);

struct MeanSe {
  double mean = 0.0, sd = 0.0, se = 0.0;
};

struct StudyResult {
  int32_t students = 0, budget = 0, block_size = 0;
  int32_t template_instances = 0;
  MeanSe pre, post, gain;
  double gain_per_interaction = 0.0;
  double concepts_mastered = 0.0;  // block concepts with a post-test concept score >= 0.8, mean
  // Misconceptions per learner in the block.
  double misconceptions_start = 0.0, misconceptions_end = 0.0;
  double resolved = 0.0, implanted = 0.0, strengthened = 0.0, confused = 0.0;
  // Interventions per learner, and their shares.
  double interventions = 0.0, well_targeted = 0.0, mistargeted = 0.0;
  double intervention_resolution_rate = 0.0;  // resolved / well-targeted interventions
  double misconception_answers = 0.0;         // per learner
  double gamed_answers = 0.0;                 // per learner
  double accuracy = 0.0;                      // right answers / answers
  double mean_latency_s = 0.0;
  // Items whose true P(right) was in [0.55, 0.85] (desirable difficulty).
  double difficulty_hit_rate = 0.0;
  // How often the concept chosen equals the oracle rule's choice, and how
  // often a uniform choice would have (the chance baseline, per step).
  double selection_agreement = 0.0, selection_chance = 0.0;
  // RMSE between the BKT estimate and the true knowledge over the block's
  // concepts, before the first interaction (index 0) and after each.
  std::vector<double> bkt_rmse;
  std::vector<double> gains;  // per learner, when per_student
  // Every answer in order, when keep_log.
  struct LogRow {
    int32_t learner = 0, concept = 0, step = 0;
    bool correct = false;
    LogRow(int32_t learner_, int32_t concept_, int32_t step_, bool correct_)
        : learner(learner_), concept(concept_), step(step_), correct(correct_) {}
  };
  std::vector<LogRow> log;
};

StudyResult run_study(const SimWorld &w, const StudyOptions &o);
StudyResult run_study(const Domain &d, const StudyOptions &o);

// The mean, SD and SE of the paired differences a[i] - b[i]: the gains of
// two conditions run with per_student on the same seed (the same learners).
// Throws Error(invalid) unless both hold the same number (2 or more).
MeanSe paired_difference(const std::vector<double> &a, const std::vector<double> &b);

// The request document of tc_sim_run and `tutorcore sim` (docs/simulation.md):
// {"seed","students","threads","budget","block_size","bank_size",
// "item_selection","p_target","concept_selection","mastery_threshold",
// "prereq_threshold","interventions","modality_policy","oracle_modality",
// "errors":{"misidentification","false_negative","false_positive","misroute"},
// "learner":{LearnerConfig fields},"per_student"}; every field optional.
// Throws Error(invalid) naming the field.
StudyOptions study_options_from_json(std::string_view json);
// {"schema_version":1,"domain","options":{...},"students",...}.
std::string study_result_json(const StudyResult &r, const StudyOptions &o,
                              std::string_view domain_id);

}  // namespace v0
}  // namespace tutorcore
