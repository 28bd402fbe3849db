// The coaching outputs of a tutor: the pre-class plan, the debrief and the
// parent summary (engine in coaching/), their events, and acknowledgments.
#include <fmt/format.h>
#include <simdjson.h>

#include <set>

#include "tutorcore/analytics/interval.hpp"
#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/pipeline/analytics.hpp"
#include "tutorcore/pipeline/tutor.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr double kUsPerDay = 86400e6;

// The request's students; else the classroom's (classroom.enrolled events);
// else every student of the tenant with a mastery row.
std::vector<std::string> class_of(const ViewSet &v, const CoachingRequest &r,
                                  const Membership *members) {
  if (!r.students.empty()) return r.students;
  if (members && !r.classroom.empty()) {
    std::set<std::string> in;
    for (const auto &[student, classroom] : members->classroom_of)
      if (classroom == r.classroom) in.insert(student);
    if (in.empty()) {
      throw Error(Errc::not_found,
                  fmt::format("coaching request.classroom: no student of tenant '{}' is enrolled "
                              "in '{}' (classroom.enrolled events)",
                              r.tenant, r.classroom));
    }
    return {in.begin(), in.end()};
  }
  std::set<std::string> all;
  for (const auto &kv : v.mastery.rows)
    if (kv.first.a == r.tenant) all.insert(kv.first.b);
  return {all.begin(), all.end()};
}

void require_tenant(const CoachingRequest &r, const char *what) {
  if (r.tenant.empty()) throw Error(Errc::invalid, fmt::format("{}.tenant: is required", what));
}

Event classroom_event(const CoachingRequest &r, const char *type, std::string payload,
                      int64_t now) {
  Event e;
  e.tenant = r.tenant;
  e.entity_type = "classroom";
  e.entity_id = r.classroom.empty() ? "all" : r.classroom;
  e.type = type;
  e.payload = std::move(payload);
  e.time_us = now;
  return e;
}

}  // namespace

void Tutor::set_text_generator(TextGenerator g) {
  std::lock_guard<std::mutex> lock(mu_);
  text_generator_ = std::move(g);
}

std::string Tutor::preclass_plan(const CoachingRequest &r) {
  require_tenant(r, "coaching request");
  const int64_t now = r.now_us ? r.now_us : now_us();
  std::lock_guard<std::mutex> lock(mu_);
  ClassInput in;
  in.tenant = r.tenant;
  in.classroom = r.classroom;
  in.now_us = now;
  Membership members = read_membership(ledger_, r.tenant);
  in.students = ledger_.with_views([&](const ViewSet &v) { return class_of(v, r, &members); });
  // Recent peaks, for regressions: the students' mastery updates in the window.
  const int64_t since =
      now - static_cast<int64_t>(config_.coaching.regression_window_days * kUsPerDay);
  simdjson::dom::parser parser;
  for (const std::string &s : in.students) {
    EventQuery q;
    q.tenant = r.tenant;
    q.entity_type = "student";
    q.entity_id = s;
    q.type = "mastery.updated";
    q.since_us = since;
    q.until_us = now + 1;
    ledger_.read(q, [&](const Event &e) {
      simdjson::dom::object o;
      std::string_view cid;
      double level;
      if (parser.parse(e.payload).get_object().get(o) || o["concept_id"].get_string().get(cid) ||
          o["new_level"].get_double().get(level))
        return true;
      auto &peak = in.peaks[{s, std::string(cid)}];
      if (level >= peak.first) peak = {level, e.time_us};
      return true;
    });
  }
  CoachingPlan plan = ledger_.with_views(
      [&](const ViewSet &v) { return plan_preclass(*domain_, v, in, config_.coaching); });
  std::string plan_json = coaching_plan_json(plan);
  JsonWriter w;
  w.begin_object().field("plan_type", "pre_class").key("plan").raw(plan_json);
  w.field("rendered_text", render_preclass(plan, *domain_, {})).end_object();
  std::vector<Event> batch{classroom_event(r, "coaching.plan_generated", w.take(), now)};
  ledger_.append(batch);
  JsonWriter out;
  out.begin_object().field("schema_version", 1).field("event_id", batch[0].id);
  out.key("plan").raw(plan_json).field("text", render_preclass(plan, *domain_, r.roster));
  out.end_object();
  return out.take();
}

std::string Tutor::debrief(const CoachingRequest &r) {
  require_tenant(r, "debrief request");
  if (r.since_us <= 0)
    throw Error(Errc::invalid, "debrief request.since_us: is required (the assignment's start)");
  const int64_t now = r.now_us ? r.now_us : now_us();
  std::lock_guard<std::mutex> lock(mu_);
  Debrief b;
  b.title = r.title.empty() ? "Assignment debrief" : r.title;
  b.since_us = r.since_us;
  Membership members = read_membership(ledger_, r.tenant);
  std::vector<std::string> students =
      ledger_.with_views([&](const ViewSet &v) { return class_of(v, r, &members); });
  b.students = static_cast<int32_t>(students.size());
  simdjson::dom::parser parser;
  std::set<std::string> fresh;
  std::set<std::pair<std::string, std::string>> seen;
  for (const std::string &s : students) {
    EventQuery q;
    q.tenant = r.tenant;
    q.entity_type = "student";
    q.entity_id = s;
    q.since_us = r.since_us;
    q.until_us = now + 1;
    ledger_.read(q, [&](const Event &e) {
      bool det = e.type == "misconception.detected", mas = e.type == "mastery.updated";
      if (!det && !mas) return true;
      simdjson::dom::object o;
      if (parser.parse(e.payload).get_object().get(o)) return true;
      std::string_view a, cid;
      if (det) {
        int64_t detections = 0;
        if (o["misconception_id"].get_string().get(a) ||
            o["detections"].get_int64().get(detections) || detections != 1)
          return true;  // only first detections of an episode are new
        if (o["concept_id"].get_string().get(cid)) cid = {};
        // Once per student and misconception, however many episodes.
        if (seen.insert({s, std::string(a)}).second) {
          b.findings.push_back({"new_misconception", s, std::string(cid), std::string(a), -1});
          fresh.insert(std::string(a));
        }
      } else {
        double before = 0, after = 0;
        if (o["concept_id"].get_string().get(cid) || o["old_level"].get_double().get(before) ||
            o["new_level"].get_double().get(after))
          return true;
        const Concept *c = domain_->find_concept(cid);
        if (c && before < domain_->threshold_for(*c) && after >= domain_->threshold_for(*c) &&
            seen.insert({s, "concept:" + std::string(cid)}).second)
          b.findings.push_back({"crossed_threshold", s, std::string(cid), "", after});
      }
      return true;
    });
  }
  ledger_.with_views([&](const ViewSet &v) {
    for (const std::string &s : students) {
      for (const auto &[k, row] : v.escalations_of(r.tenant, s)) {
        EscalationState st = row->state();
        if (st == EscalationState::escalated || st == EscalationState::teacher_conference)
          b.findings.push_back({"persisting", s, row->concept_id, k->c, -1});
      }
    }
    // For each new misconception, the modality with the best class evidence.
    for (const std::string &mid : fresh) {
      double best = -1;
      for (size_t i = 0; i < kModalityCount; ++i) {
        const char *name = modality_name(static_cast<Modality>(i));
        const EffectivenessRow *e = v.effectiveness.find({r.tenant, mid, name});
        if (!e || e->resolutions == 0) continue;  // only what has worked is recommended
        double low = wilson_interval(e->resolutions, e->attempts).low;
        if (low > best) {
          best = low;
          b.remedies[mid] = {name, fmt::format("it resolved this for {}/{} students who tried it",
                                               e->resolutions, e->attempts)};
        }
      }
    }
    return 0;
  });
  std::string json = debrief_json(b);
  JsonWriter w;
  w.begin_object().field("plan_type", "debrief").key("plan").raw(json);
  w.field("rendered_text", render_debrief(b, *domain_, {})).end_object();
  std::vector<Event> batch{classroom_event(r, "coaching.plan_generated", w.take(), now)};
  ledger_.append(batch);
  JsonWriter out;
  out.begin_object().field("schema_version", 1).field("event_id", batch[0].id);
  out.key("plan").raw(json).field("text", render_debrief(b, *domain_, r.roster)).end_object();
  return out.take();
}

std::string Tutor::parent_summary(const CoachingRequest &r) {
  require_tenant(r, "parent summary request");
  if (r.student.empty()) throw Error(Errc::invalid, "parent summary request.student: is required");
  const int64_t now = r.now_us ? r.now_us : now_us();
  std::lock_guard<std::mutex> lock(mu_);
  // The structured context: ids and domain content only.
  std::string context = ledger_.with_views([&](const ViewSet &v) {
    JsonWriter w;
    w.begin_object().field("student", r.student).field("generated_us", now);
    std::vector<std::pair<double, const Concept *>> working;
    w.key("mastered").begin_array();
    for (const Concept &c : domain_->concepts) {
      const MasteryRow *m = v.mastery.find({r.tenant, r.student, c.id});
      if (!m || !m->has_level) continue;
      if (m->level >= domain_->threshold_for(c)) {
        w.begin_object().field("concept_id", c.id).field("level", m->level).end_object();
      } else {
        working.emplace_back(m->level, &c);
      }
    }
    w.end_array().key("working_on").begin_array();
    std::sort(working.begin(), working.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    for (const auto &[level, c] : working)
      w.begin_object().field("concept_id", c->id).field("level", level).end_object();
    w.end_array().key("misconceptions").begin_array();
    for (const auto &[k, row] : v.escalations_of(r.tenant, r.student)) {
      if (row->state() == EscalationState::resolved) continue;
      w.begin_object().field("id", k->c).field("concept_id", row->concept_id);
      w.field("state", escalation_state_name(row->state()));
      const Misconception *m = domain_->find_misconception(k->c);
      if (m && !m->examples.empty()) {
        const auto &ex = m->examples.front();
        w.key("example").begin_object().field("problem", ex.problem).field("wrong", ex.wrong);
        w.field("correct", ex.correct).end_object();
      }
      w.key("modalities_tried").begin_array();
      for (size_t i = 0; i < kModalityCount; ++i)
        if ((row->machine.modalities_tried >> i) & 1u)
          w.value(modality_name(static_cast<Modality>(i)));
      w.end_array();
      if (m && row->machine.recommended) {
        size_t mi = static_cast<size_t>(m - domain_->misconceptions.data());
        w.field("next_step", domain_->interventions[mi]
                                 .by_modality[static_cast<size_t>(*row->machine.recommended)]
                                 .text);
      }
      w.end_object();
    }
    w.end_array().end_object();
    return w.take();
  });
  std::string text, source = "template";
  if (text_generator_) {
    try {
      std::string generated;
      if (text_generator_(context, &generated) && !generated.empty()) {
        text = std::move(generated);
        source = "host";
      }
    } catch (...) {
      // A failing generator falls back to the template.
    }
  }
  if (text.empty()) text = parent_summary_template(context, *domain_, r.roster);
  JsonWriter ev;
  ev.begin_object().field("source", source).field("characters", static_cast<int64_t>(text.size()));
  ev.end_object();
  std::vector<Event> batch(1);
  batch[0].tenant = r.tenant;
  batch[0].entity_type = "student";
  batch[0].entity_id = r.student;
  batch[0].type = "coaching.parent_summary_generated";
  batch[0].payload = ev.take();
  batch[0].time_us = now;
  ledger_.append(batch);
  JsonWriter out;
  out.begin_object().field("schema_version", 1).field("event_id", batch[0].id);
  out.field("source", source).key("context").raw(context).field("text", text).end_object();
  return out.take();
}

std::string Tutor::acknowledge_plan(const std::string &tenant, int64_t plan_event_id,
                                    const std::string &teacher_id,
                                    const std::string &modifications) {
  if (tenant.empty()) throw Error(Errc::invalid, "plan acknowledgment.tenant: is required");
  if (teacher_id.empty()) throw Error(Errc::invalid, "plan acknowledgment.teacher_id: is required");
  std::lock_guard<std::mutex> lock(mu_);
  EventQuery q;
  q.tenant = tenant;
  q.after_id = plan_event_id - 1;
  q.limit = 1;
  Event plan;
  ledger_.read(q, [&](const Event &e) {
    plan = e;
    return false;
  });
  if (plan.id != plan_event_id || plan.type != "coaching.plan_generated") {
    throw Error(Errc::not_found,
                fmt::format("plan acknowledgment.plan_event_id: {} is not a coaching plan of "
                            "tenant '{}'",
                            plan_event_id, tenant));
  }
  JsonWriter w;
  w.begin_object().field("plan_event_id", plan_event_id).field("teacher_id", teacher_id);
  w.key("modifications");
  if (modifications.empty())
    w.null();
  else
    w.raw(modifications);
  w.end_object();
  std::vector<Event> batch(1);
  batch[0].tenant = tenant;
  batch[0].entity_type = plan.entity_type;
  batch[0].entity_id = plan.entity_id;
  batch[0].type = "coaching.plan_acknowledged";
  batch[0].payload = w.take();
  batch[0].author = "teacher:" + teacher_id;
  batch[0].time_us = now_us();
  ledger_.append(batch);
  return fmt::format(R"({{"schema_version":1,"event_id":{}}})", batch[0].id);
}

CoachingRequest coaching_request_from_json(std::string_view json, std::string *kind) {
  constexpr std::string_view what = "coaching request";
  simdjson::dom::parser p;
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, what).get_object().get(o))
    throw Error(Errc::invalid, "coaching request: must be a JSON object");
  reject_unknown_fields(o,
                        {"plan", "tenant", "classroom", "students", "roster", "now_us", "since_us",
                         "title", "student"},
                        std::string(what));
  CoachingRequest r;
  read_string(o, "plan", true, what, kind);
  if (*kind != "pre_class" && *kind != "debrief" && *kind != "parent_summary") {
    throw Error(Errc::invalid, fmt::format("coaching request.plan: '{}' is not pre_class, debrief "
                                           "or parent_summary",
                                           *kind));
  }
  read_string(o, "tenant", true, what, &r.tenant);
  read_string(o, "classroom", false, what, &r.classroom);
  read_string(o, "title", false, what, &r.title);
  read_string(o, "student", false, what, &r.student);
  read_int(o, "now_us", 0, INT64_MAX, what, &r.now_us);
  read_int(o, "since_us", 0, INT64_MAX, what, &r.since_us);
  simdjson::dom::array students;
  simdjson::dom::element e;
  if (!o.at_key("students").get(e)) {
    if (e.get_array().get(students))
      throw Error(Errc::invalid, "coaching request.students: must be an array of ids");
    size_t i = 0;
    for (simdjson::dom::element s : students) {
      std::string_view id;
      if (s.get_string().get(id) || id.empty())
        throw Error(Errc::invalid,
                    fmt::format("coaching request.students[{}]: must be a non-empty string", i));
      r.students.emplace_back(id);
      ++i;
    }
  }
  simdjson::dom::object roster;
  if (!o.at_key("roster").get(e)) {
    if (e.get_object().get(roster))
      throw Error(Errc::invalid, "coaching request.roster: must be an object {id: name}");
    for (auto [id, name] : roster) {
      std::string_view n;
      if (name.get_string().get(n))
        throw Error(Errc::invalid, fmt::format("coaching request.roster.{}: must be a string", id));
      r.roster.emplace(std::string(id), std::string(n));
    }
  }
  return r;
}

}  // namespace v0
}  // namespace tutorcore
