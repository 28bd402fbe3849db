// ViewSet: the materialized views, a pure fold of the event log in id order.
// Each view is a map from key to row; rows remember the event that last
// changed them. Folding the whole log from scratch must give exactly the rows
// that incremental folding gave (tests check it row for row).
//
// Rules (which event changes which row):
//  mastery (tenant, student, concept)
//    response.submitted {concept_id, correct}  attempts += 1, correct += correct
//    mastery.updated    {concept_id, new_level, streak?} level = new_level,
//        streak = streak (the mastery policy's run of right answers)
//  practice (tenant, student, problem)
//    response.submitted {problem_id, correct}  attempts += 1, correct += correct;
//        updated_us is the last practice time
//  escalation (tenant, student, misconception): the state machine of
//    intervention/escalation.hpp, stepped by the trigger each event carries:
//    misconception.detected {misconception_id, concept_id}  detected (a new
//        row, or a new episode after resolved)
//    intervention.recommended {misconception_id, modality}  modality_recommended
//    intervention.assigned {misconception_id, modality}  intervention_approved
//        (a teacher's approval or choice, or the engine's under auto-approval);
//        starts the outcome window
//    response.submitted {concept_id, misconception_id?}  counts toward the
//        outcome window of every active intervention of the student on that concept
//    intervention.outcome {misconception_id, outcome}  assessed_resolved / _persisted
//    escalation.triggered {misconception_id, trigger, prereq_mastery?}  the
//        prerequisite check and remediation, and the teacher's acknowledgment,
//        resolution and failed conference
//    escalation.transitioned {misconception_id, to}  an administrative
//        correction: state = to
//    A trigger the machine refuses in the row's state changes nothing (the
//    engines check before they append; the fold must not fail on history).
//  effectiveness (tenant, misconception, modality)
//    intervention.outcome {misconception_id, modality, outcome}
//        attempts += 1, resolutions += (outcome == "resolved")
//  modality (tenant, student, modality): the same counts per student, the
//    student's own modality vector
// Student rows come only from events whose entity_type is "student".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tutorcore/intervention/escalation.hpp"
#include "tutorcore/intervention/outcome.hpp"
#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/storage/event.hpp"

namespace tutorcore {
inline namespace v0 {

struct Key3 {
  std::string a, b, c;
  bool operator==(const Key3 &o) const { return a == o.a && b == o.b && c == o.c; }
  bool operator<(const Key3 &o) const;
};
struct Key3Hash {
  size_t operator()(const Key3 &k) const noexcept;
};

struct MasteryRow {
  double level = 0.0;
  bool has_level = false;  // false until the first mastery.updated
  int32_t attempts = 0;
  int32_t correct = 0;
  int32_t streak = 0;  // from the last mastery.updated
  int64_t last_event_id = 0;
  int64_t updated_us = 0;
  bool operator==(const MasteryRow &o) const;
};

struct PracticeRow {
  int32_t attempts = 0;
  int32_t correct = 0;
  int64_t last_event_id = 0;
  int64_t updated_us = 0;  // the last answer to the problem
  bool operator==(const PracticeRow &o) const;
};

struct EscalationRow {
  Escalation machine;          // state, modalities tried, attempts, the pending recommendation
  std::string concept_id;      // of the misconception, from misconception.detected
  int32_t window_counted = 0;  // responses on the concept since the assignment (outcome window)
  int32_t window_present = 0;  // of those, the ones that showed the misconception
  int32_t refused = 0;         // triggers the machine refused (history that changed nothing)
  int64_t last_event_id = 0;
  int64_t updated_us = 0;
  EscalationState state() const { return machine.state; }
  bool operator==(const EscalationRow &o) const;
};

struct EffectivenessRow {
  int32_t attempts = 0;
  int32_t resolutions = 0;
  int64_t last_event_id = 0;
  int64_t updated_us = 0;
  double rate() const { return attempts ? static_cast<double>(resolutions) / attempts : 0.0; }
  bool operator==(const EffectivenessRow &o) const;
};

template <class Row>
struct View {
  View() = default;
  // Copies point their dirty list into their own rows.
  View(const View &o) : rows(o.rows), saved_through(o.saved_through) { remap(o); }
  View &operator=(const View &o) {
    if (this != &o) {
      rows = o.rows;
      saved_through = o.saved_through;
      dirty.clear();
      remap(o);
    }
    return *this;
  }
  View(View &&) noexcept = default;
  View &operator=(View &&) noexcept = default;

  std::unordered_map<Key3, Row, Key3Hash> rows;
  std::vector<const Key3 *> dirty;  // rows changed since the last save
  int64_t saved_through = 0;        // event id the last save covered

  Row &touch(Key3 &&k, int64_t event_id, int64_t time_us);
  const Row *find(const Key3 &k) const {
    auto it = rows.find(k);
    return it == rows.end() ? nullptr : &it->second;
  }
  // Rows sorted by key, for output and comparisons.
  std::vector<std::pair<const Key3 *, const Row *>> sorted() const;

 private:
  void remap(const View &o) {
    dirty.reserve(o.dirty.size());
    for (const Key3 *k : o.dirty)
      dirty.push_back(&rows.find(*k)->first);
  }
};

// What the views read from one event: extracted once, by the event check on
// append or by parsing the stored payload on rebuild.
struct ViewInput {
  enum Kind : uint8_t {
    none,
    response,
    mastery,
    detected,
    recommended,
    assigned,
    outcome,
    triggered,
    transition
  };
  Kind kind = none;
  std::string key;                       // concept_id (response, mastery) or misconception_id
  std::string key2;                      // response: problem_id; detected: concept_id
  std::string key3;                      // response: the diagnosed misconception_id (may be empty)
  bool flag = false;                     // response: correct; outcome: resolved
  double level = 0.0;                    // mastery: new_level; triggered: prereq_mastery
  int32_t count = 0;                     // mastery: streak
  Modality modality = Modality::visual;  // recommended, assigned, outcome
  EscalationState state = EscalationState::detected;                              // transition: to
  EscalationTriggerKind trigger = EscalationTriggerKind::misconception_detected;  // triggered
};

// The rules the fold applies that a deployment configures. Folding the same
// log with other rules gives other views; a store keeps the rules it was
// opened with.
struct ViewRules {
  EscalationConfig escalation;
  OutcomeConfig outcome;
};

// The kind of view input an event type carries (none for types the views ignore).
ViewInput::Kind view_input_kind(std::string_view type);

// Reads the view input from a stored payload with simdjson's on-demand
// parser. Throws Error(storage) naming the event when it cannot.
ViewInput read_view_input(const Event &e);

class ViewSet {
 public:
  ViewSet() = default;
  explicit ViewSet(ViewRules rules) : rules_(rules) {}
  ViewSet(const ViewSet &o);
  ViewSet &operator=(const ViewSet &o);
  ViewSet(ViewSet &&) noexcept = default;
  ViewSet &operator=(ViewSet &&) noexcept = default;

  // Folds one event; events must arrive in increasing id order. Throws
  // Error(storage) naming the event when a stored payload cannot be read.
  void apply(const Event &e) { apply(e, read_view_input(e)); }
  // Folds one event whose view input was already extracted.
  void apply(const Event &e, const ViewInput &in);
  void clear();
  void clear_dirty();

  int64_t through_id() const { return through_id_; }
  void set_through_id(int64_t id) { through_id_ = id; }

  const ViewRules &rules() const { return rules_; }
  void set_rules(const ViewRules &r) { rules_ = r; }
  // Must be called after rows were put into `escalation` other than by apply().
  void reindex() {
    by_student_.clear();
    indexed_ = false;
  }
  // The escalation rows of one student (all misconceptions), in no order.
  std::vector<std::pair<const Key3 *, const EscalationRow *>> escalations_of(
      std::string_view tenant, std::string_view student) const;

  View<MasteryRow> mastery;              // (tenant, student, concept)
  View<PracticeRow> practice;            // (tenant, student, problem)
  View<EscalationRow> escalation;        // (tenant, student, misconception)
  View<EffectivenessRow> effectiveness;  // (tenant, misconception, modality)
  View<EffectivenessRow> modality;       // (tenant, student, modality)

  bool operator==(const ViewSet &o) const;

 private:
  void index_locked() const;
  static std::string student_key(std::string_view tenant, std::string_view student);

  ViewRules rules_;
  int64_t through_id_ = 0;
  // (tenant, student) -> that student's escalation rows, built on first use.
  mutable std::unordered_map<std::string, std::vector<const Key3 *>> by_student_;
  mutable bool indexed_ = false;
};

// Rows of one view of one tenant (optionally one student) as JSON:
// {"schema_version":1,"view":name,"rows":[...]}. Throws Error(invalid) for an
// unknown view name.
std::string view_rows_json(const ViewSet &v, std::string_view view, std::string_view tenant,
                           std::string_view student);

}  // namespace v0
}  // namespace tutorcore
