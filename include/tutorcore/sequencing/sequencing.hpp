// Adaptive sequencing: which problems a student works on next. Pure
// functions over the domain and the views (no I/O); the pipeline appends
// what they decide (Tutor::assign, Tutor::diagnostic,
// Tutor::apply_diagnostic in pipeline/tutor.hpp).
//
// Shared rules:
//  - A concept's mastery is the mastery view's level, or the concept's BKT
//    prior p_init before the first mastery.updated; theta = logit(mastery)
//    (irt.hpp), and an item's predicted P(correct) is the 2PL probability at
//    that theta with the item's (irt_a, irt_b).
//  - Seen: a problem with a practice row for the student (its own id, or for
//    a bank problem generated from a template, the id of that instance). No
//    rule ever picks a seen problem, nor the same problem twice.
//  - When a concept's bank has no unseen problem left, the item comes from
//    the concept's templates (sequencing/template.hpp): the template nearest
//    the rule's goal, instances 0, 1, ... under the seed (template_seed,
//    tenant, student) until one is unseen and not a bank problem.
//
// Assignment (seed 003, Phase 3), in this order:
//  1. remediation: for each prerequisite of a target concept whose mastery is
//     below prereq_threshold (0.60), one easy item: the unseen item of that
//     prerequisite nearest remediation_p_correct (0.80).
//  2. diagnostic: for each active misconception (an escalation not resolved)
//     of a target concept or of one of their prerequisites, the unseen
//     problem whose diagnostic_for lists it, nearest target_p_correct for
//     its concept.
//  3. target: items_per_concept unseen items of each target concept nearest
//     target_p_correct (0.70).
//  4. review: one item of the mastered concept (level >= the concept's
//     threshold) whose last practice is the oldest and at least
//     review_after_days (7) old, nearest review_p_correct (0.80); target
//     concepts are not reviewed.
//  At most max_items items: the list is cut at the end (the seed's
//  problems[:count]) and the cut items are reported. Each item carries its
//  reason in words, with the numbers it was chosen by.
//
// Cold start (seed 001: "a short diagnostic assessment (5-8 items) that sets
// reasonable priors before the adaptive engine takes over"):
//  - Concepts are chosen greedily to cover the prerequisite graph: a picked
//    concept covers each concept it is linked to by prerequisite edges (its
//    prerequisites and dependants, transitively) with weight
//    diagnostic_decay^distance (itself with 1); each pick adds the concept
//    with the largest gain in total coverage (sum over concepts of the best
//    weight so far). Picks go on until diagnostic_max_items (8), or, once
//    diagnostic_min_items (5) are picked, until the best gain is below
//    diagnostic_min_gain. When every concept is picked and fewer than
//    diagnostic_min_items items are chosen, the picked concepts get further
//    items in the order they were picked.
//  - Each concept's item is its unseen item with the most Fisher information
//    at theta = logit(mastery) (the prior for a new student).
//  - Posterior of an answered concept: its prior updated by each answer with
//    the concept's guess and slip, without learning (an assessment, not
//    practice): P(K | right) = p(1-s) / (p(1-s) + (1-p)g),
//    P(K | wrong) = p s / (p s + (1-p)(1-g)).
//  - Propagation along prerequisites (B requires A): knowing B implies
//    knowing A, and not knowing A implies not knowing B. An unanswered
//    concept gets its prior clamped into [lower, upper] where lower is the
//    largest posterior(D) * w^d over answered concepts D that require it
//    (d edges away) and upper is the smallest 1 - (1 - posterior(P)) * w^d
//    over answered concepts P it requires; w = prerequisite_weight (0.8)
//    discounts each edge (the graph can be wrong: seed 001's drift). When the
//    bounds cross, the level is their midpoint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {

struct SequencingConfig {
  double prereq_threshold = 0.60;       // remediation below this (seed 003)
  double target_p_correct = 0.70;       // target items (seed 003)
  double remediation_p_correct = 0.80;  // easy remediation items (seed 003's select_by_irt 0.80)
  double review_p_correct = 0.80;       // spaced review (seed 003)
  double review_after_days = 7.0;       // a mastered concept unpractised this long is reviewed
  int32_t items_per_concept = 2;        // target items per target concept
  int32_t max_items = 10;               // the assignment's length at most
  int32_t diagnostic_min_items = 5;     // cold start: 5 to 8 items (seed 001)
  int32_t diagnostic_max_items = 8;
  double diagnostic_decay = 0.5;        // coverage weight per prerequisite edge
  double diagnostic_min_gain = 1.0;     // after min_items: stop below this gain (concepts)
  double prerequisite_weight = 0.8;     // cold start: evidence kept per prerequisite edge
  uint64_t template_seed = 42;          // generated instances: (seed, tenant, student)
  int32_t instances_per_template = 64;  // instance numbers tried when the bank runs dry
  int32_t max_draws = 100;              // draws per instance before it is given up
};

// Throws Error(invalid) naming the field ("sequencing config.max_items: ...").
void check_sequencing_config(const SequencingConfig &c);

// Reads {"prereq_threshold","target_p_correct","remediation_p_correct",
// "review_p_correct","review_after_days","items_per_concept","max_items",
// "diagnostic_min_items","diagnostic_max_items","diagnostic_decay",
// "diagnostic_min_gain","prerequisite_weight","template_seed",
// "instances_per_template","max_draws"} over `base`; fields left out keep
// base's values. Unknown fields and bad values throw Error(invalid) naming
// the field under `where`.
SequencingConfig sequencing_config_from_json(std::string_view json, const SequencingConfig &base,
                                             std::string_view where = "sequencing config");

enum class ItemKind : uint8_t { remediation = 0, diagnostic, target, review, cold_start };
const char *item_kind_name(ItemKind k);

struct SequencedItem {
  Problem problem;  // a copy of the bank problem, or the generated instance
  ItemKind kind = ItemKind::target;
  bool generated = false;            // from a template (the bank had no unseen item)
  double mastery = 0.0;              // of the problem's concept
  double p_correct = 0.0;            // predicted at theta = logit(mastery)
  double information = 0.0;          // Fisher information at that theta
  std::string misconception_id;      // diagnostic: the misconception it checks
  std::string for_concept;           // remediation: the target that needs the prerequisite
  double days_since_practice = 0.0;  // review
  std::string reason;                // why it was chosen, with the numbers
};

// A rule that found nothing to give (every item seen and no template), or an
// item cut by max_items.
struct SequencingNote {
  ItemKind kind = ItemKind::target;
  std::string concept_id;
  std::string misconception_id;
  std::string text;
};

struct StudentRef {
  std::string_view tenant, student;
};

struct AssignmentPlan {
  std::vector<std::string> concepts;  // the targets, deduplicated, in request order
  std::vector<SequencedItem> items;
  std::vector<SequencingNote> notes;
};

// The assignment for `who` on the target concepts (rules above). `now_us`
// dates the spaced review. Throws Error(invalid) for no target concept,
// Error(not_found) naming an unknown concept.
AssignmentPlan plan_assignment(const Domain &d, const ViewSet &v, StudentRef who,
                               const std::vector<std::string> &concepts, int64_t now_us,
                               const SequencingConfig &cfg);

// Concepts of the domain with a mastery row for the student (0 for a new student).
size_t concepts_with_mastery(const Domain &d, const ViewSet &v, StudentRef who);

struct DiagnosticPlan {
  std::vector<SequencedItem> items;  // kind cold_start
  std::vector<double> coverage;      // per domain concept, after the picks
  std::vector<std::string> notes;    // concepts without any item
};

// The cold-start diagnostic for `who` (rules above).
DiagnosticPlan plan_diagnostic(const Domain &d, const ViewSet &v, StudentRef who,
                               const SequencingConfig &cfg);

// One answered diagnostic item, classified.
struct DiagnosticAnswer {
  std::string concept_id;
  bool correct = false;
};

enum class PriorEvidence : uint8_t {
  prior = 0,          // no evidence: the concept's p_init
  direct,             // answered in the diagnostic
  from_dependant,     // raised: a concept that requires it was known
  from_prerequisite,  // lowered: a concept it requires was not known
  conflicting         // both bounds, crossed: their midpoint
};
const char *prior_evidence_name(PriorEvidence e);

struct ConceptPrior {
  std::string concept_id;
  double prior = 0.0;  // the concept's p_init
  double level = 0.0;  // after the diagnostic
  PriorEvidence evidence = PriorEvidence::prior;
  std::string from;                 // the answered concept that bound it (propagated levels)
  int32_t distance = 0;             // prerequisite edges to `from`
  int32_t answered = 0, right = 0;  // direct evidence
};

// Every domain concept's level after the diagnostic's answers (rules above),
// in domain order. Throws Error(not_found) for an answer on an unknown concept.
std::vector<ConceptPrior> diagnostic_priors(const Domain &d,
                                            const std::vector<DiagnosticAnswer> &answers,
                                            const SequencingConfig &cfg);

// An item as JSON: {"problem_id","concept_id","kind","text","p_correct",
// "mastery","generated","reason", and per kind "misconception_id",
// "prerequisite_of", "days_since_practice", "information"}.
void write_item_json(JsonWriter &w, const SequencedItem &item);

}  // namespace v0
}  // namespace tutorcore
