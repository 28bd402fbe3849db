// The fold: how each event type changes the views (rules in views.hpp).
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/names.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {
namespace od = simdjson::ondemand;

namespace {
[[noreturn]] void bad_payload(const Event &e, std::string_view what) {
  throw Error(Errc::storage, fmt::format("event {} ({}): payload {}; the log holds an event the "
                                         "views cannot read (was the database edited by hand?)",
                                         e.id, e.type, what));
}

// Thread-local parser: apply() is called under the store's lock, but several
// stores may fold on different threads.
od::parser &payload_parser() {
  thread_local od::parser p;
  return p;
}

std::string_view get_str(od::object &o, const char *key, const Event &e) {
  std::string_view s;
  if (o.find_field_unordered(key).get_string().get(s)) {
    bad_payload(e, fmt::format("has no string '{}'", key));
  }
  return s;
}

}  // namespace

bool Key3::operator<(const Key3 &o) const {
  if (int c = a.compare(o.a)) return c < 0;
  if (int c = b.compare(o.b)) return c < 0;
  return c.compare(o.c) < 0;
}

size_t Key3Hash::operator()(const Key3 &k) const noexcept {
  std::hash<std::string_view> h;
  size_t x = h(k.a);
  x ^= h(k.b) + 0x9e3779b97f4a7c15ULL + (x << 6) + (x >> 2);
  x ^= h(k.c) + 0x9e3779b97f4a7c15ULL + (x << 6) + (x >> 2);
  return x;
}

bool MasteryRow::operator==(const MasteryRow &o) const {
  return level == o.level && has_level == o.has_level && attempts == o.attempts &&
         correct == o.correct && streak == o.streak && last_event_id == o.last_event_id &&
         updated_us == o.updated_us;
}
bool PracticeRow::operator==(const PracticeRow &o) const {
  return attempts == o.attempts && correct == o.correct && last_event_id == o.last_event_id &&
         updated_us == o.updated_us;
}
bool EscalationRow::operator==(const EscalationRow &o) const {
  return machine == o.machine && concept_id == o.concept_id && window_counted == o.window_counted &&
         window_present == o.window_present && refused == o.refused &&
         last_event_id == o.last_event_id && updated_us == o.updated_us;
}
bool EffectivenessRow::operator==(const EffectivenessRow &o) const {
  return attempts == o.attempts && resolutions == o.resolutions &&
         last_event_id == o.last_event_id && updated_us == o.updated_us;
}

template <class Row>
Row &View<Row>::touch(Key3 &&k, int64_t event_id, int64_t time_us) {
  auto [it, inserted] = rows.try_emplace(std::move(k));
  Row &r = it->second;
  // A row joins the dirty list once between saves: its last_event_id is
  // older than the last save exactly when it is not listed yet.
  if (inserted || r.last_event_id <= saved_through) dirty.push_back(&it->first);
  r.last_event_id = event_id;
  r.updated_us = time_us;
  return r;
}

template <class Row>
std::vector<std::pair<const Key3 *, const Row *>> View<Row>::sorted() const {
  std::vector<std::pair<const Key3 *, const Row *>> out;
  out.reserve(rows.size());
  for (const auto &[k, r] : rows)
    out.emplace_back(&k, &r);
  std::sort(out.begin(), out.end(),
            [](const auto &x, const auto &y) { return *x.first < *y.first; });
  return out;
}

template struct View<MasteryRow>;
template struct View<PracticeRow>;
template struct View<EscalationRow>;
template struct View<EffectivenessRow>;

ViewInput::Kind view_input_kind(std::string_view t) {
  if (t == "response.submitted") return ViewInput::response;
  if (t == "mastery.updated") return ViewInput::mastery;
  if (t == "misconception.detected") return ViewInput::detected;
  if (t == "intervention.recommended") return ViewInput::recommended;
  if (t == "intervention.assigned") return ViewInput::assigned;
  if (t == "intervention.outcome") return ViewInput::outcome;
  if (t == "escalation.triggered") return ViewInput::triggered;
  if (t == "escalation.transitioned") return ViewInput::transition;
  return ViewInput::none;
}

ViewInput read_view_input(const Event &e) {
  ViewInput in;
  in.kind = view_input_kind(e.type);
  if (in.kind == ViewInput::none) return in;
  // simdjson reads up to SIMDJSON_PADDING bytes past the text.
  thread_local std::string scratch;
  scratch.assign(e.payload);
  scratch.resize(e.payload.size() + simdjson::SIMDJSON_PADDING, ' ');
  od::document doc;
  od::object o;
  if (payload_parser().iterate(scratch.data(), e.payload.size(), scratch.size()).get(doc) ||
      doc.get_object().get(o)) {
    bad_payload(e, "is not a JSON object");
  }
  // Optional fields: absent or null reads as empty / unchanged.
  auto opt_str = [&](const char *key) {
    std::string_view v;
    if (o.find_field_unordered(key).get_string().get(v)) return std::string();
    return std::string(v);
  };
  auto modality = [&] {
    if (!parse_modality(get_str(o, "modality", e), &in.modality))
      bad_payload(e, "has an unknown modality");
  };
  switch (in.kind) {
    case ViewInput::response:
      in.key = get_str(o, "concept_id", e);
      if (o.find_field_unordered("correct").get_bool().get(in.flag)) {
        bad_payload(e, "has no boolean 'correct'");
      }
      in.key2 = get_str(o, "problem_id", e);
      in.key3 = opt_str("misconception_id");
      break;
    case ViewInput::mastery: {
      in.key = get_str(o, "concept_id", e);
      if (o.find_field_unordered("new_level").get_double().get(in.level)) {
        bad_payload(e, "has no number 'new_level'");
      }
      int64_t streak = 0;
      if (!o.find_field_unordered("streak").get_int64().get(streak))
        in.count = static_cast<int32_t>(streak);
      break;
    }
    case ViewInput::detected:
      in.key = get_str(o, "misconception_id", e);
      in.key2 = opt_str("concept_id");
      break;
    case ViewInput::recommended:
    case ViewInput::assigned:
      in.key = get_str(o, "misconception_id", e);
      modality();
      break;
    case ViewInput::outcome:
      in.key = get_str(o, "misconception_id", e);
      modality();
      in.flag = get_str(o, "outcome", e) == "resolved";
      break;
    case ViewInput::triggered: {
      in.key = get_str(o, "misconception_id", e);
      if (!parse_escalation_trigger(get_str(o, "trigger", e), &in.trigger))
        bad_payload(e, "has an unknown trigger");
      in.level = 1.0;
      double m;
      if (!o.find_field_unordered("prereq_mastery").get_double().get(m)) in.level = m;
      break;
    }
    case ViewInput::transition:
      in.key = get_str(o, "misconception_id", e);
      if (!parse_escalation_state(get_str(o, "to", e), &in.state))
        bad_payload(e, "has an unknown state");
      break;
    case ViewInput::none:
      break;
  }
  return in;
}

ViewSet::ViewSet(const ViewSet &o)
    : mastery(o.mastery),
      practice(o.practice),
      escalation(o.escalation),
      effectiveness(o.effectiveness),
      modality(o.modality),
      rules_(o.rules_),
      through_id_(o.through_id_) {}

ViewSet &ViewSet::operator=(const ViewSet &o) {
  if (this != &o) {
    mastery = o.mastery;
    practice = o.practice;
    escalation = o.escalation;
    effectiveness = o.effectiveness;
    modality = o.modality;
    rules_ = o.rules_;
    through_id_ = o.through_id_;
    reindex();
  }
  return *this;
}

std::string ViewSet::student_key(std::string_view tenant, std::string_view student) {
  std::string k;
  k.reserve(tenant.size() + student.size() + 1);
  k.append(tenant).push_back('\x1f');
  k.append(student);
  return k;
}

void ViewSet::index_locked() const {
  if (indexed_) return;
  by_student_.clear();
  for (const auto &kv : escalation.rows)
    by_student_[student_key(kv.first.a, kv.first.b)].push_back(&kv.first);
  indexed_ = true;
}

std::vector<std::pair<const Key3 *, const EscalationRow *>> ViewSet::escalations_of(
    std::string_view tenant, std::string_view student) const {
  index_locked();
  std::vector<std::pair<const Key3 *, const EscalationRow *>> out;
  auto it = by_student_.find(student_key(tenant, student));
  if (it == by_student_.end()) return out;
  for (const Key3 *k : it->second)
    out.emplace_back(k, &escalation.rows.find(*k)->second);
  return out;
}

namespace {

// Steps the machine; a refused trigger leaves the row as it was (counted).
void step(EscalationRow &r, const EscalationTrigger &t, const ViewRules &rules) {
  if (!escalation_accepts(r.machine, t.kind)) {
    r.refused += 1;
    return;
  }
  r.machine = escalation_step(r.machine, t, rules.escalation);
}

}  // namespace

void ViewSet::apply(const Event &e, const ViewInput &in) {
  through_id_ = e.id;
  if (in.kind == ViewInput::none) return;
  bool student = e.entity_type == "student";
  if (!student && in.kind != ViewInput::outcome) return;

  switch (in.kind) {
    case ViewInput::response: {
      auto &r = mastery.touch({e.tenant, e.entity_id, in.key}, e.id, e.time_us);
      r.attempts += 1;
      r.correct += in.flag ? 1 : 0;
      auto &p = practice.touch({e.tenant, e.entity_id, in.key2}, e.id, e.time_us);
      p.attempts += 1;
      p.correct += in.flag ? 1 : 0;
      // The outcome window of each active intervention on this concept.
      index_locked();
      auto it = by_student_.find(student_key(e.tenant, e.entity_id));
      if (it == by_student_.end()) break;
      for (const Key3 *k : it->second) {
        EscalationRow &row = escalation.rows.find(*k)->second;
        if (!row.machine.intervention_active || row.concept_id != in.key ||
            row.window_counted >= rules_.outcome.window) {
          continue;
        }
        EscalationRow &t = escalation.touch(Key3(*k), e.id, e.time_us);
        t.window_counted += 1;
        t.window_present += in.key3 == k->c ? 1 : 0;
      }
      break;
    }
    case ViewInput::mastery: {
      auto &r = mastery.touch({e.tenant, e.entity_id, in.key}, e.id, e.time_us);
      r.level = in.level;
      r.has_level = true;
      r.streak = in.count;
      break;
    }
    case ViewInput::detected: {
      Key3 k{e.tenant, e.entity_id, in.key};
      auto found = escalation.rows.find(k);
      if (found == escalation.rows.end()) {
        index_locked();
        auto &r = escalation.touch(std::move(k), e.id, e.time_us);
        auto pos = escalation.rows.find(Key3{e.tenant, e.entity_id, in.key});
        by_student_[student_key(e.tenant, e.entity_id)].push_back(&pos->first);
        r.machine = escalation_begin();
        r.concept_id = in.key2;
      } else {
        auto &r = escalation.touch(std::move(k), e.id, e.time_us);
        bool recurrence = r.machine.state == EscalationState::resolved;
        step(r, EscalationTrigger::detected(), rules_);
        if (recurrence) r.window_counted = r.window_present = 0;
        if (!in.key2.empty()) r.concept_id = in.key2;
      }
      break;
    }
    case ViewInput::recommended: {
      auto it = escalation.rows.find({e.tenant, e.entity_id, in.key});
      if (it == escalation.rows.end()) break;  // nothing detected: nothing to recommend for
      auto &r = escalation.touch(Key3(it->first), e.id, e.time_us);
      int32_t before = r.machine.attempts;
      step(r, EscalationTrigger::recommended(in.modality), rules_);
      // Under auto-approval the recommendation is the assignment.
      if (r.machine.attempts != before) r.window_counted = r.window_present = 0;
      break;
    }
    case ViewInput::assigned: {
      auto it = escalation.rows.find({e.tenant, e.entity_id, in.key});
      if (it == escalation.rows.end()) break;
      auto &r = escalation.touch(Key3(it->first), e.id, e.time_us);
      int32_t before = r.machine.attempts;
      step(r, EscalationTrigger::approved(in.modality), rules_);
      if (r.machine.attempts != before) r.window_counted = r.window_present = 0;
      break;
    }
    case ViewInput::outcome: {
      auto &eff =
          effectiveness.touch({e.tenant, in.key, modality_name(in.modality)}, e.id, e.time_us);
      eff.attempts += 1;
      eff.resolutions += in.flag ? 1 : 0;
      if (!student) break;
      auto &own =
          modality.touch({e.tenant, e.entity_id, modality_name(in.modality)}, e.id, e.time_us);
      own.attempts += 1;
      own.resolutions += in.flag ? 1 : 0;
      auto it = escalation.rows.find({e.tenant, e.entity_id, in.key});
      if (it == escalation.rows.end()) break;
      auto &r = escalation.touch(Key3(it->first), e.id, e.time_us);
      step(r, in.flag ? EscalationTrigger::resolved() : EscalationTrigger::persisted(), rules_);
      break;
    }
    case ViewInput::triggered: {
      auto it = escalation.rows.find({e.tenant, e.entity_id, in.key});
      if (it == escalation.rows.end()) break;
      auto &r = escalation.touch(Key3(it->first), e.id, e.time_us);
      EscalationTrigger t;
      t.kind = in.trigger;
      t.prereq_mastery = in.level;
      // Only the triggers that no other event carries.
      switch (in.trigger) {
        case EscalationTriggerKind::prereq_checked:
        case EscalationTriggerKind::prereq_mastery_updated:
        case EscalationTriggerKind::teacher_acknowledged:
        case EscalationTriggerKind::teacher_resolved:
        case EscalationTriggerKind::conference_failed: {
          int32_t before = r.machine.attempts;
          EscalationState from = r.machine.state;
          step(r, t, rules_);
          // Back from remediation: the current intervention is assessed afresh.
          if (from == EscalationState::prereq_remediation && r.machine.state != from &&
              r.machine.attempts == before)
            r.window_counted = r.window_present = 0;
          break;
        }
        default:
          r.refused += 1;
      }
      break;
    }
    case ViewInput::transition: {
      auto it = escalation.rows.find({e.tenant, e.entity_id, in.key});
      if (it == escalation.rows.end()) break;
      auto &r = escalation.touch(Key3(it->first), e.id, e.time_us);
      r.machine.state = in.state;
      break;
    }
    case ViewInput::none:
      break;
  }
}

void ViewSet::clear() {
  mastery = {};
  practice = {};
  escalation = {};
  effectiveness = {};
  modality = {};
  through_id_ = 0;
  reindex();
}

void ViewSet::clear_dirty() {
  mastery.dirty.clear();
  practice.dirty.clear();
  escalation.dirty.clear();
  effectiveness.dirty.clear();
  modality.dirty.clear();
  mastery.saved_through = practice.saved_through = escalation.saved_through =
      effectiveness.saved_through = modality.saved_through = through_id_;
}

bool ViewSet::operator==(const ViewSet &o) const {
  return through_id_ == o.through_id_ && mastery.rows == o.mastery.rows &&
         practice.rows == o.practice.rows && escalation.rows == o.escalation.rows &&
         effectiveness.rows == o.effectiveness.rows && modality.rows == o.modality.rows;
}

}  // namespace v0
}  // namespace tutorcore
