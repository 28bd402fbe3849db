// Validity experiment 06: the escalation state machine as an absorbing
// Markov chain, derived from the engine itself.
//
// The chain is not written by hand. Starting from escalation_begin(), every
// reachable engine value (tutorcore::Escalation: state, attempts, modalities
// tried, persists, whether an intervention awaits assessment, the pending
// recommendation, ...) becomes a Markov state, and its successors are the
// values escalation_step() returns for each trigger the world can send from
// there, with that trigger's probability (world_triggers below):
//
//   a modality is due, none recommended  -> modality_recommended(first untried
//                                           modality), probability 1
//   a modality is due and recommended    -> intervention_approved(it), 1
//                                           (the teacher approves every one)
//   an intervention awaits assessment    -> assessed_resolved p,
//                                           assessed_persisted 1 - p
//   prerequisite_check                   -> prereq_checked below the threshold
//                                           q, at or above it 1 - q
//   prereq_remediation                   -> prereq_mastery_updated reaching the
//                                           threshold r, still below 1 - r
//   escalated                            -> teacher_acknowledged, 1
//   teacher_conference (only with model_conferences)
//                                        -> teacher_resolved c,
//                                           conference_failed 1 - c
//
// Absorbing: resolved and iep_referral, and teacher_conference unless the
// conferences are modelled (the seed's three terminal states). One step is one
// trigger applied by the engine. The Monte Carlo (simulate) sends the same
// triggers to escalation_step one at a time with a seeded generator, so it
// checks the state-space construction and the linear algebra, not the world.
#pragma once

#include <Eigen/Dense>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tutorcore/intervention/escalation.hpp"
#include "tutorcore/intervention/policy.hpp"

namespace exp06 {

struct ChainParams {
  double p_resolve = 0.5;      // p: an assessment finds the misconception absent
  double p_prereq_low = 0.25;  // q: the prerequisite check finds one below the threshold
  double p_remediated = 0.5;   // r: a remediation update brings prerequisites to the threshold
  // false: teacher_conference is absorbing (the seed's chain); true: each
  // conference resolves with p_conference, and failing
  // conferences_before_referral of them ends in iep_referral.
  bool model_conferences = false;
  double p_conference = 0.5;
  tutorcore::EscalationConfig config;  // max_modality_attempts, threshold, conferences
};

// Throws std::invalid_argument for a probability outside [0, 1], or
// p_remediated = 0 with p_prereq_low > 0 (remediation would never end).
void check_params(const ChainParams &p);

// The terminal outcomes. Without model_conferences only resolved and
// teacher_conference are reachable; with it teacher_conference is transient
// and an escalated episode ends in teacher_resolved or iep_referral.
enum class Outcome : int { resolved = 0, teacher_conference, teacher_resolved, iep_referral };
constexpr int kOutcomeCount = 4;
const char *outcome_name(Outcome o);

// One Markov state: the engine's value plus whether the episode went through
// escalated (so a resolution by a teacher is told apart from one by the
// system).
struct Node {
  tutorcore::Escalation esc;
  bool escalated = false;
  bool operator==(const Node &o) const { return esc == o.esc && escalated == o.escalated; }
};

struct Branch {
  tutorcore::EscalationTrigger trigger;
  double prob;
};

// The triggers the world sends from `esc`, with their probabilities
// (zero-probability branches left out). Empty for an absorbing state.
std::vector<Branch> world_triggers(const tutorcore::Escalation &esc, const ChainParams &p);
bool is_absorbing(const tutorcore::Escalation &esc, const ChainParams &p);
Outcome outcome_of(const Node &n);
// The next modality the engine is asked to recommend: the first untried one
// in the order visual, concrete, pattern, verbal, peer; once all five are
// tried, they are reused in that order.
tutorcore::Modality next_modality(const tutorcore::Escalation &esc);
int distinct_modalities(const tutorcore::Escalation &esc);
// A short name for a state, e.g. "modality_switched[a=2,persists=2,due]"
// (a: interventions assigned; persists: assessments that found it).
std::string node_label(const Node &n);

struct Chain {
  ChainParams params;
  std::vector<Node> transient;  // transient[0] is escalation_begin()
  std::vector<Node> absorbing;
  Eigen::MatrixXd Q;  // transient -> transient
  Eigen::MatrixXd R;  // transient -> absorbing
  // Per transient state: the probability that its step is an assessment.
  Eigen::VectorXd assessment;
};

// Explores every engine value reachable from escalation_begin().
Chain build_chain(const ChainParams &p);

struct Analysis {
  Eigen::MatrixXd N;        // (I - Q)^-1: expected visits
  Eigen::MatrixXd B;        // N R: absorption probabilities per start state
  Eigen::VectorXd t;        // N 1: expected steps per start state
  Eigen::VectorXd t_var;    // (2N - I) t - t.^2: variance of the steps
  Eigen::VectorXd assess;   // N a: expected assessments per start state
  Eigen::MatrixXd outcome;  // transient x kOutcomeCount: B summed by outcome
  // From the start state (escalation_begin()):
  std::array<double, kOutcomeCount> p_outcome{};
  double e_steps = 0, var_steps = 0, e_assessments = 0;
  double e_modalities = 0, var_modalities = 0;  // distinct modalities at absorption
  double e_attempts = 0;                        // interventions assigned
};

Analysis analyse(const Chain &c);

// The Monte Carlo: `episodes` episodes from escalation_begin() through
// escalation_step, the branch drawn with rng.uniform().
struct McResult {
  int64_t episodes = 0;
  std::array<int64_t, kOutcomeCount> count{};
  double mean_steps = 0, var_steps = 0;
  double mean_assessments = 0;
  double mean_modalities = 0, var_modalities = 0;
  double mean_attempts = 0;
};
McResult simulate(const ChainParams &p, int64_t episodes, tutorcore::Rng &rng);

// How far the Monte Carlo is from the analysis: absolute differences and z
// scores (difference over the standard error of the Monte Carlo estimate;
// binomial for fractions, the analytic variance for means).
struct Agreement {
  double max_abs_diff_p = 0;  // over the outcome fractions
  double max_z_p = 0;
  double diff_steps = 0, z_steps = 0;
  double diff_modalities = 0, z_modalities = 0;
  double max_z() const;
};
Agreement compare(const Analysis &a, const McResult &m);

// Closed forms for the start state, from the engine's rules: an episode
// reaches escalated when all max_modality_attempts assessments persist and so
// do the re-assessments after remediation; the check runs after attempts
// 2 .. max - 1, each time sending the flow to remediation with probability q,
// which adds one re-assessment of the current intervention:
//   P(escalated) = (1 - p)^m (1 - q p)^(m - 2).
double closed_form_p_escalated(const ChainParams &p);
// With q = 0: attempt k costs recommend, approve and assess (3 steps) plus
// the prerequisite checks after attempts 2 .. k - 1; escalating costs the m
// attempts, m - 2 checks and the teacher's acknowledgment.
double closed_form_steps_no_prereq(const ChainParams &p);

}  // namespace exp06
