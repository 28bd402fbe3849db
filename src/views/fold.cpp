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
constexpr const char *kStateNames[kEscalationStateCount] = {
    "detected",           "intervention_assigned", "modality_switched",
    "prerequisite_check", "prereq_remediation",    "escalated",
    "teacher_conference", "iep_referral",          "resolved"};

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

const char *escalation_state_name(EscalationState s) {
  return kStateNames[static_cast<size_t>(s)];
}

bool parse_escalation_state(std::string_view name, EscalationState *out) {
  size_t i;
  if (!find_name(kStateNames, kEscalationStateCount, name, &i)) return false;
  *out = static_cast<EscalationState>(i);
  return true;
}

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
         correct == o.correct && last_event_id == o.last_event_id && updated_us == o.updated_us;
}
bool EscalationRow::operator==(const EscalationRow &o) const {
  return state == o.state && modalities_tried == o.modalities_tried && attempts == o.attempts &&
         detections == o.detections && recurrences == o.recurrences &&
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
template struct View<EscalationRow>;
template struct View<EffectivenessRow>;

ViewInput::Kind view_input_kind(std::string_view t) {
  if (t == "response.submitted") return ViewInput::response;
  if (t == "mastery.updated") return ViewInput::mastery;
  if (t == "misconception.detected") return ViewInput::detected;
  if (t == "intervention.assigned") return ViewInput::assigned;
  if (t == "intervention.outcome") return ViewInput::outcome;
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
  switch (in.kind) {
    case ViewInput::response:
      in.key = get_str(o, "concept_id", e);
      if (o.find_field_unordered("correct").get_bool().get(in.flag)) {
        bad_payload(e, "has no boolean 'correct'");
      }
      break;
    case ViewInput::mastery:
      in.key = get_str(o, "concept_id", e);
      if (o.find_field_unordered("new_level").get_double().get(in.level)) {
        bad_payload(e, "has no number 'new_level'");
      }
      break;
    case ViewInput::detected:
      in.key = get_str(o, "misconception_id", e);
      break;
    case ViewInput::assigned:
      in.key = get_str(o, "misconception_id", e);
      if (!parse_modality(get_str(o, "modality", e), &in.modality))
        bad_payload(e, "has an unknown modality");
      break;
    case ViewInput::outcome:
      in.key = get_str(o, "misconception_id", e);
      if (!parse_modality(get_str(o, "modality", e), &in.modality))
        bad_payload(e, "has an unknown modality");
      in.flag = get_str(o, "outcome", e) == "resolved";
      break;
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
      break;
    }
    case ViewInput::mastery: {
      auto &r = mastery.touch({e.tenant, e.entity_id, in.key}, e.id, e.time_us);
      r.level = in.level;
      r.has_level = true;
      break;
    }
    case ViewInput::detected: {
      Key3 k{e.tenant, e.entity_id, in.key};
      bool existed = escalation.rows.count(k) != 0;
      auto &r = escalation.touch(std::move(k), e.id, e.time_us);
      if (!existed || r.state == EscalationState::resolved) {
        int32_t recurrences = r.recurrences + (existed ? 1 : 0);
        r = EscalationRow{};
        r.recurrences = recurrences;
        r.last_event_id = e.id;
        r.updated_us = e.time_us;
      }
      r.detections += 1;
      break;
    }
    case ViewInput::assigned: {
      auto &r = escalation.touch({e.tenant, e.entity_id, in.key}, e.id, e.time_us);
      r.modalities_tried |= static_cast<uint8_t>(1u << static_cast<unsigned>(in.modality));
      r.attempts += 1;
      r.state = r.attempts == 1 ? EscalationState::intervention_assigned
                                : EscalationState::modality_switched;
      break;
    }
    case ViewInput::outcome: {
      auto &eff =
          effectiveness.touch({e.tenant, in.key, modality_name(in.modality)}, e.id, e.time_us);
      eff.attempts += 1;
      eff.resolutions += in.flag ? 1 : 0;
      if (student && in.flag) {
        auto &r = escalation.touch({e.tenant, e.entity_id, in.key}, e.id, e.time_us);
        r.state = EscalationState::resolved;
      }
      break;
    }
    case ViewInput::transition: {
      auto &r = escalation.touch({e.tenant, e.entity_id, in.key}, e.id, e.time_us);
      r.state = in.state;
      break;
    }
    case ViewInput::none:
      break;
  }
}

void ViewSet::clear() {
  mastery = {};
  escalation = {};
  effectiveness = {};
  through_id_ = 0;
}

void ViewSet::clear_dirty() {
  mastery.dirty.clear();
  escalation.dirty.clear();
  effectiveness.dirty.clear();
  mastery.saved_through = escalation.saved_through = effectiveness.saved_through = through_id_;
}

bool ViewSet::operator==(const ViewSet &o) const {
  return through_id_ == o.through_id_ && mastery.rows == o.mastery.rows &&
         escalation.rows == o.escalation.rows && effectiveness.rows == o.effectiveness.rows;
}

}  // namespace v0
}  // namespace tutorcore
