// The escalation state machine of one (student, misconception) as a pure
// transition function: a state value plus a typed trigger gives the next
// state value. The rules are seed 003's "State transitions reference", with
// the teacher in the loop: the engine recommends a modality, and an
// intervention is assigned only when a teacher approves it or picks another
// (or at once when the host sets auto_approve). escalation_transitions() lists
// every rule; tests drive each one.
//
// Readings of the seed where its table, diagram and code differ:
//  - "all modalities tried" means all the attempts allowed: the diagram's
//    escalation comes at the 4th persist and experiment 06 calls the number of
//    modality attempts before escalation "currently 4" (peer needs a resolved
//    peer, so four is "all" in the usual class), hence max_modality_attempts.
//  - The table's "attempt < 3" counts modalities tried after the first, so a
//    persist with fewer than max_modality_attempts attempts goes to the
//    prerequisite check: first after the 2nd persist, and again before each
//    further modality (the seed's code checks whenever attempt_count >= 2).
//  - After prerequisite remediation the flow re-enters intervention_assigned
//    with the intervention already assigned: the diagram goes straight back to
//    assessment, so no new approval is needed.
//  - A detection in an open episode counts and changes nothing; a detection
//    after resolved starts a new episode at detected (a recurrence), as the
//    escalation view does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/knowledge/domain.hpp"

namespace tutorcore {
inline namespace v0 {

enum class EscalationState : uint8_t {
  detected = 0,
  intervention_assigned,
  modality_switched,
  prerequisite_check,
  prereq_remediation,
  escalated,
  teacher_conference,
  iep_referral,
  resolved,
};
constexpr size_t kEscalationStateCount = 9;
const char *escalation_state_name(EscalationState s);
bool parse_escalation_state(std::string_view name, EscalationState *out);

struct EscalationConfig {
  // Modalities assigned before a persist escalates to the teacher (seed: 4).
  int32_t max_modality_attempts = 4;
  // The lowest prerequisite mastery that lets the flow go on (seed: 0.60).
  double prereq_threshold = 0.60;
  // Failed teacher conferences before an IEP referral ("multiple": 2).
  int32_t conferences_before_referral = 2;
  // The seed's first constraint: the teacher decides. Only a host that has
  // its teachers' consent for automatic assignment turns this on.
  bool auto_approve = false;
};

// Throws Error(invalid) naming the field when a value is out of range.
void check_escalation_config(const EscalationConfig &config);

enum class EscalationTriggerKind : uint8_t {
  misconception_detected = 0,
  modality_recommended,    // the engine selected a modality
  intervention_approved,   // a teacher approved the recommendation or chose another modality
  assessed_resolved,       // outcome over the next responses: misconception absent
  assessed_persisted,      // outcome over the next responses: misconception present
  prereq_checked,          // the prerequisite check's result
  prereq_mastery_updated,  // prerequisite mastery changed during remediation
  teacher_acknowledged,    // a teacher took up the escalation
  teacher_resolved,        // a teacher marked the misconception resolved
  conference_failed,       // a teacher conference did not resolve it
};
constexpr size_t kEscalationTriggerCount = 10;
const char *escalation_trigger_name(EscalationTriggerKind k);
// Returns false when `name` is not a trigger name.
bool parse_escalation_trigger(std::string_view name, EscalationTriggerKind *out);

struct EscalationTrigger {
  EscalationTriggerKind kind = EscalationTriggerKind::misconception_detected;
  Modality modality = Modality::visual;  // modality_recommended, intervention_approved
  // prereq_checked, prereq_mastery_updated: the lowest mastery among the
  // concept's prerequisites (1.0 when it has none).
  double prereq_mastery = 1.0;

  static EscalationTrigger detected() { return {}; }
  static EscalationTrigger recommended(Modality m) {
    return {EscalationTriggerKind::modality_recommended, m, 1.0};
  }
  static EscalationTrigger approved(Modality m) {
    return {EscalationTriggerKind::intervention_approved, m, 1.0};
  }
  static EscalationTrigger resolved() {
    return {EscalationTriggerKind::assessed_resolved, Modality::visual, 1.0};
  }
  static EscalationTrigger persisted() {
    return {EscalationTriggerKind::assessed_persisted, Modality::visual, 1.0};
  }
  static EscalationTrigger prereq_check(double min_mastery) {
    return {EscalationTriggerKind::prereq_checked, Modality::visual, min_mastery};
  }
  static EscalationTrigger prereq_update(double min_mastery) {
    return {EscalationTriggerKind::prereq_mastery_updated, Modality::visual, min_mastery};
  }
  static EscalationTrigger acknowledged() {
    return {EscalationTriggerKind::teacher_acknowledged, Modality::visual, 1.0};
  }
  static EscalationTrigger teacher_resolved() {
    return {EscalationTriggerKind::teacher_resolved, Modality::visual, 1.0};
  }
  static EscalationTrigger conference_failed() {
    return {EscalationTriggerKind::conference_failed, Modality::visual, 1.0};
  }
};

// One (student, misconception). Counters other than recurrences belong to
// the current episode and restart on a recurrence.
struct Escalation {
  EscalationState state = EscalationState::detected;
  uint8_t modalities_tried = 0;  // bit i = Modality i
  int32_t attempts = 0;          // interventions assigned
  int32_t persists = 0;          // assessments that found the misconception
  int32_t conferences_failed = 0;
  int32_t detections = 0;
  int32_t recurrences = 0;  // episodes started after a resolved one
  // An assigned intervention waits for its assessment. False while a
  // modality is due (detected, or modality_switched before the next one).
  bool intervention_active = false;
  std::optional<Modality> current;      // the intervention being assessed (last assigned)
  std::optional<Modality> recommended;  // the engine's choice waiting for a teacher
  bool operator==(const Escalation &o) const;
  bool operator!=(const Escalation &o) const { return !(*this == o); }
};

// The first detection: a new row at detected.
Escalation escalation_begin();

// A modality is due: the engine should recommend one and a teacher approve it.
bool escalation_awaits_modality(const Escalation &s);
// Whether `kind` is valid in the current state (escalation_step would not throw).
bool escalation_accepts(const Escalation &s, EscalationTriggerKind kind);

// The next state. Throws Error(invalid) naming the state, the trigger and the
// triggers valid there when the trigger is not valid in the current state,
// and for a bad config.
Escalation escalation_step(const Escalation &s, const EscalationTrigger &t,
                           const EscalationConfig &config);

// One rule of the machine. Self-loops (a trigger that is valid but leaves
// the state as it was) are listed too, so the list is the whole function.
struct EscalationTransition {
  std::optional<EscalationState> from;  // nullopt: no row yet
  EscalationTriggerKind trigger;
  std::string condition;  // with the config's numbers
  EscalationState to;
  bool in_seed_table;  // a row of the seed's table, or a rule this library adds
};

// Every rule, ordered by state, for docs, tests and absorbing-chain models.
std::vector<EscalationTransition> escalation_transitions(const EscalationConfig &config);

}  // namespace v0
}  // namespace tutorcore
