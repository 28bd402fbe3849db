// ViewSet: the materialized views, a pure fold of the event log in id order.
// Each view is a map from key to row; rows remember the event that last
// changed them. Folding the whole log from scratch must give exactly the rows
// that incremental folding gave (tests check it row for row).
//
// Rules (which event changes which row):
//  mastery (tenant, student, concept)
//    response.submitted {concept_id, correct}  attempts += 1, correct += correct
//    mastery.updated    {concept_id, new_level} level = new_level
//  escalation (tenant, student, misconception)
//    misconception.detected {misconception_id}  a new or resolved row restarts
//        at "detected" (a resolved one counts a recurrence); an open row counts
//        one more detection
//    intervention.assigned {misconception_id, modality}  the modality joins
//        modalities_tried, attempts += 1, state = intervention_assigned on the
//        first attempt and modality_switched after it
//    intervention.outcome {misconception_id, outcome}  "resolved" -> resolved
//    escalation.transitioned {misconception_id, to}  state = to
//  effectiveness (tenant, misconception, modality)
//    intervention.outcome {misconception_id, modality, outcome}
//        attempts += 1, resolutions += (outcome == "resolved")
// Student rows come only from events whose entity_type is "student".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/storage/event.hpp"

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
  int64_t last_event_id = 0;
  int64_t updated_us = 0;
  bool operator==(const MasteryRow &o) const;
};

struct EscalationRow {
  EscalationState state = EscalationState::detected;
  uint8_t modalities_tried = 0;  // bit i = Modality i
  int32_t attempts = 0;
  int32_t detections = 0;
  int32_t recurrences = 0;
  int64_t last_event_id = 0;
  int64_t updated_us = 0;
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
  enum Kind : uint8_t { none, response, mastery, detected, assigned, outcome, transition };
  Kind kind = none;
  std::string key;                       // concept_id (response, mastery) or misconception_id
  bool flag = false;                     // response: correct; outcome: resolved
  double level = 0.0;                    // mastery: new_level
  Modality modality = Modality::visual;  // assigned, outcome
  EscalationState state = EscalationState::detected;  // transition: to
};

// The kind of view input an event type carries (none for types the views ignore).
ViewInput::Kind view_input_kind(std::string_view type);

// Reads the view input from a stored payload with simdjson's on-demand
// parser. Throws Error(storage) naming the event when it cannot.
ViewInput read_view_input(const Event &e);

class ViewSet {
 public:
  // Folds one event; events must arrive in increasing id order. Throws
  // Error(storage) naming the event when a stored payload cannot be read.
  void apply(const Event &e) { apply(e, read_view_input(e)); }
  // Folds one event whose view input was already extracted.
  void apply(const Event &e, const ViewInput &in);
  void clear();
  void clear_dirty();

  int64_t through_id() const { return through_id_; }
  void set_through_id(int64_t id) { through_id_ = id; }

  View<MasteryRow> mastery;              // (tenant, student, concept)
  View<EscalationRow> escalation;        // (tenant, student, misconception)
  View<EffectivenessRow> effectiveness;  // (tenant, misconception, modality)

  bool operator==(const ViewSet &o) const;

 private:
  int64_t through_id_ = 0;
};

// Rows of one view of one tenant (optionally one student) as JSON:
// {"schema_version":1,"view":name,"rows":[...]}. Throws Error(invalid) for an
// unknown view name.
std::string view_rows_json(const ViewSet &v, std::string_view view, std::string_view tenant,
                           std::string_view student);

}  // namespace v0
}  // namespace tutorcore
