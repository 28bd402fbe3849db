// JSON rendering of view rows for the C ABI and tools.
#include <fmt/format.h>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
template <class Row, class WriteRow>
void write_rows(JsonWriter &w, const View<Row> &view, std::string_view tenant,
                std::string_view student, WriteRow write_row) {
  for (const auto &[k, r] : view.sorted()) {
    if (k->a != tenant) continue;
    if (!student.empty() && k->b != student) continue;
    w.begin_object();
    write_row(*k, *r);
    w.field("last_event_id", r->last_event_id).field("updated_us", r->updated_us);
    w.end_object();
  }
}
}  // namespace

std::string view_rows_json(const ViewSet &v, std::string_view view, std::string_view tenant,
                           std::string_view student) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("view", view);
  w.key("rows").begin_array();
  if (view == "mastery") {
    write_rows(w, v.mastery, tenant, student, [&](const Key3 &k, const MasteryRow &r) {
      w.field("student", k.b).field("concept_id", k.c);
      w.key("level");
      if (r.has_level)
        w.value(r.level);
      else
        w.null();
      w.field("attempts", r.attempts).field("correct", r.correct).field("streak", r.streak);
    });
  } else if (view == "practice") {
    write_rows(w, v.practice, tenant, student, [&](const Key3 &k, const PracticeRow &r) {
      w.field("student", k.b).field("problem_id", k.c);
      w.field("attempts", r.attempts).field("correct", r.correct);
    });
  } else if (view == "modality") {
    write_rows(w, v.modality, tenant, student, [&](const Key3 &k, const EffectivenessRow &r) {
      w.field("student", k.b).field("modality", k.c);
      w.field("attempts", r.attempts).field("resolutions", r.resolutions);
      w.field("resolution_rate", r.rate());
    });
  } else if (view == "escalation") {
    write_rows(w, v.escalation, tenant, student, [&](const Key3 &k, const EscalationRow &r) {
      const Escalation &m = r.machine;
      w.field("student", k.b).field("misconception_id", k.c).field("concept_id", r.concept_id);
      w.field("state", escalation_state_name(m.state));
      w.key("modalities_tried").begin_array();
      for (size_t i = 0; i < kModalityCount; ++i) {
        if (m.modalities_tried & (1u << i)) w.value(modality_name(static_cast<Modality>(i)));
      }
      w.end_array();
      w.field("attempts", m.attempts).field("persists", m.persists);
      w.field("detections", m.detections).field("recurrences", m.recurrences);
      w.field("conferences_failed", m.conferences_failed);
      w.field("intervention_active", m.intervention_active);
      w.key("current_modality");
      if (m.current)
        w.value(modality_name(*m.current));
      else
        w.null();
      w.key("recommended_modality");
      if (m.recommended)
        w.value(modality_name(*m.recommended));
      else
        w.null();
      w.field("awaiting_approval", m.recommended.has_value() && !m.intervention_active);
      w.field("outcome_window", r.window_counted);
    });
  } else if (view == "effectiveness") {
    if (!student.empty()) {
      throw Error(Errc::invalid,
                  "view query: 'student' does not apply to the effectiveness view "
                  "(it aggregates over students); remove it");
    }
    write_rows(w, v.effectiveness, tenant, student, [&](const Key3 &k, const EffectivenessRow &r) {
      w.field("misconception_id", k.b).field("modality", k.c);
      w.field("attempts", r.attempts).field("resolutions", r.resolutions);
      w.field("resolution_rate", r.rate());
    });
  } else {
    throw Error(Errc::invalid, fmt::format("view query: unknown view '{}'; use mastery, practice, "
                                           "escalation, effectiveness or modality",
                                           view));
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
