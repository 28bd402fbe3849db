// Adaptive sequencing in the pipeline: assignments (assignment.created), the
// cold-start diagnostic and the priors its answers set. The decisions are
// sequencing/'s pure functions over the views; this file reads the views,
// classifies the diagnostic's answers and appends the events.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sequencing/template.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

simdjson::dom::object request_object(simdjson::dom::parser &p, std::string_view json,
                                     std::string_view what) {
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, what).get_object().get(o))
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object", what));
  return o;
}

// A required array field.
simdjson::dom::array array_field(simdjson::dom::object o, const char *key, std::string_view what) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e))
    throw Error(Errc::invalid, fmt::format("{}.{}: is required", what, key));
  simdjson::dom::array a;
  if (e.get_array().get(a)) {
    throw Error(Errc::invalid, fmt::format("{}.{}: must be an array, found {}", what, key,
                                           json_type_name(e.type())));
  }
  return a;
}

void check_id(const std::string &v, const char *field, const char *what) {
  if (v.empty()) throw Error(Errc::invalid, fmt::format("{}.{}: is required", what, field));
}

// One event of a request, with the request's key (or key/suffix).
Event make_event(const std::string &tenant, const std::string &student, const char *type,
                 std::string payload, int64_t time_us, const std::string &key,
                 const std::string &suffix) {
  Event e;
  e.tenant = tenant;
  e.entity_type = "student";
  e.entity_id = student;
  e.type = type;
  e.payload = std::move(payload);
  e.time_us = time_us;
  e.author = "system";
  if (!key.empty()) e.idempotency_key = suffix.empty() ? key : key + "/" + suffix;
  return e;
}

const Event *event_of_type(const std::vector<Event> &events, const char *type) {
  for (const Event &e : events)
    if (e.type == type) return &e;
  return nullptr;
}

std::string assign_result(const std::vector<Event> &events) {
  const Event *e = event_of_type(events, "assignment.created");
  if (!e) {
    throw Error(Errc::storage,
                "assign: the events stored under this idempotency key hold no assignment; the "
                "key was used by another kind of request");
  }
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("event_id", e->id);
  w.field("tenant", e->tenant).field("student", e->entity_id);
  w.key("assignment").raw(e->payload).end_object();
  return w.take();
}

std::string diagnostic_result(const std::vector<Event> &events) {
  const Event *e = event_of_type(events, "diagnostic.completed");
  if (!e) {
    throw Error(Errc::storage,
                "apply_diagnostic: the events stored under this idempotency key hold no "
                "diagnostic; the key was used by another kind of request");
  }
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("event_id", e->id);
  w.field("tenant", e->tenant).field("student", e->entity_id);
  w.key("event_ids").begin_array();
  for (const Event &x : events)
    w.value(x.id);
  w.end_array();
  w.key("diagnostic").raw(e->payload).end_object();
  return w.take();
}

[[noreturn]] void not_new(const std::string &tenant, const std::string &student, size_t n,
                          const char *what) {
  throw Error(Errc::exists,
              fmt::format("{}: student '{}' of tenant '{}' already has mastery for {} concept(s); "
                          "the cold-start diagnostic sets a new student's priors (use an "
                          "assignment instead)",
                          what, student, tenant, n));
}

}  // namespace

AssignRequest assign_request_from_json(std::string_view json, const SequencingConfig &base) {
  constexpr std::string_view what = "assign request";
  simdjson::dom::parser p;
  simdjson::dom::object o = request_object(p, json, what);
  reject_unknown_fields(o,
                        {"tenant", "student", "concepts", "idempotency_key", "time_us", "config"},
                        std::string(what));
  AssignRequest r;
  read_string(o, "tenant", true, what, &r.tenant);
  read_string(o, "student", true, what, &r.student);
  size_t i = 0;
  for (simdjson::dom::element e : array_field(o, "concepts", what)) {
    std::string_view s;
    if (e.get_string().get(s)) {
      throw Error(Errc::invalid, fmt::format("{}.concepts[{}]: must be a string, found {}", what, i,
                                             json_type_name(e.type())));
    }
    r.concepts.emplace_back(s);
    ++i;
  }
  read_string(o, "idempotency_key", false, what, &r.idempotency_key);
  read_int(o, "time_us", 0, INT64_MAX, what, &r.time_us);
  simdjson::dom::element cfg;
  if (!o.at_key("config").get(cfg) && !cfg.is_null()) {
    if (!cfg.is_object())
      throw Error(Errc::invalid, fmt::format("{}.config: must be an object", what));
    r.config = sequencing_config_from_json(simdjson::minify(cfg), base, "assign request.config");
  }
  return r;
}

DiagnosticRequest diagnostic_request_from_json(std::string_view json) {
  constexpr std::string_view what = "diagnostic request";
  simdjson::dom::parser p;
  simdjson::dom::object o = request_object(p, json, what);
  reject_unknown_fields(o, {"tenant", "student", "answers", "idempotency_key", "time_us"},
                        std::string(what));
  DiagnosticRequest r;
  read_string(o, "tenant", true, what, &r.tenant);
  read_string(o, "student", true, what, &r.student);
  size_t i = 0;
  for (simdjson::dom::element e : array_field(o, "answers", what)) {
    std::string where = fmt::format("{}.answers[{}]", what, i++);
    simdjson::dom::object a;
    if (e.get_object().get(a))
      throw Error(Errc::invalid, fmt::format("{}: must be an object", where));
    reject_unknown_fields(a, {"problem_id", "answer", "latency_ms"}, where);
    DiagnosticResponse d;
    read_string(a, "problem_id", true, where, &d.problem_id);
    read_string(a, "answer", true, where, &d.answer);
    read_number(a, "latency_ms", 0, 1e9, where, &d.latency_ms);
    r.answers.push_back(std::move(d));
  }
  read_string(o, "idempotency_key", true, what, &r.idempotency_key);
  read_int(o, "time_us", 0, INT64_MAX, what, &r.time_us);
  return r;
}

std::string Tutor::assign(const AssignRequest &r) {
  const char *what = "assign request";
  check_id(r.tenant, "tenant", what);
  check_id(r.student, "student", what);
  if (r.time_us < 0) throw Error(Errc::invalid, "assign request.time_us: is negative");
  const SequencingConfig cfg = r.config.value_or(config_.sequencing);
  check_sequencing_config(cfg);
  const Domain &d = *domain_;

  std::lock_guard<std::mutex> lock(mu_);
  if (!r.idempotency_key.empty()) {
    std::vector<Event> prior = ledger_.read_keyed(r.tenant, r.idempotency_key);
    if (!prior.empty()) return assign_result(prior);
  }
  const int64_t time_us = r.time_us ? r.time_us : now_us();
  AssignmentPlan plan = ledger_.with_views([&](const ViewSet &v) {
    return plan_assignment(d, v, {r.tenant, r.student}, r.concepts, time_us, cfg);
  });

  JsonWriter w;
  w.begin_object().field("student", r.student);
  w.key("concepts").begin_array();
  for (const auto &c : plan.concepts)
    w.value(c);
  w.end_array();
  w.key("problems").begin_array();
  for (const SequencedItem &it : plan.items)
    write_item_json(w, it);
  w.end_array();
  w.key("notes").begin_array();
  for (const SequencingNote &n : plan.notes) {
    w.begin_object().field("kind", item_kind_name(n.kind));
    if (!n.concept_id.empty()) w.field("concept_id", n.concept_id);
    if (!n.misconception_id.empty()) w.field("misconception_id", n.misconception_id);
    w.field("text", n.text).end_object();
  }
  w.end_array();
  w.key("rules").begin_object();
  w.field("prereq_threshold", cfg.prereq_threshold);
  w.field("target_p_correct", cfg.target_p_correct);
  w.field("remediation_p_correct", cfg.remediation_p_correct);
  w.field("review_p_correct", cfg.review_p_correct);
  w.field("review_after_days", cfg.review_after_days);
  w.field("items_per_concept", cfg.items_per_concept).field("max_items", cfg.max_items);
  w.end_object().end_object();

  std::vector<Event> events;
  events.push_back(make_event(r.tenant, r.student, "assignment.created", w.take(), time_us,
                              r.idempotency_key, ""));
  std::vector<AppendOutcome> out = ledger_.append(events);
  if (!out.front().inserted) return assign_result(ledger_.read_keyed(r.tenant, r.idempotency_key));
  return assign_result(events);
}

std::string Tutor::diagnostic(const std::string &tenant, const std::string &student) {
  const char *what = "diagnostic";
  check_id(tenant, "tenant", what);
  check_id(student, "student", what);
  const Domain &d = *domain_;
  const SequencingConfig &cfg = config_.sequencing;
  DiagnosticPlan plan = ledger_.with_views([&](const ViewSet &v) {
    size_t known = concepts_with_mastery(d, v, {tenant, student});
    if (known) not_new(tenant, student, known, what);
    return plan_diagnostic(d, v, {tenant, student}, cfg);
  });
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("tenant", tenant).field("student", student);
  w.key("items").begin_array();
  for (const SequencedItem &it : plan.items)
    write_item_json(w, it);
  w.end_array();
  w.key("coverage").begin_array();
  for (size_t c = 0; c < d.concepts.size(); ++c) {
    w.begin_object().field("concept_id", d.concepts[c].id);
    w.field("coverage", plan.coverage[c]).end_object();
  }
  w.end_array();
  w.key("notes").begin_array();
  for (const auto &n : plan.notes)
    w.value(n);
  w.end_array().end_object();
  return w.take();
}

std::string Tutor::apply_diagnostic(const DiagnosticRequest &r) {
  const char *what = "diagnostic request";
  check_id(r.tenant, "tenant", what);
  check_id(r.student, "student", what);
  check_id(r.idempotency_key, "idempotency_key", what);
  if (r.time_us < 0) throw Error(Errc::invalid, "diagnostic request.time_us: is negative");
  if (r.answers.empty())
    throw Error(Errc::invalid, "diagnostic request.answers: is empty; send the answered items");
  const Domain &d = *domain_;
  // Resolve every problem first: nothing is stored when one is unknown.
  std::vector<Problem> generated(r.answers.size());
  std::vector<const Problem *> problems(r.answers.size());
  std::vector<const Concept *> concepts(r.answers.size());
  std::unordered_set<std::string> ids;
  for (size_t i = 0; i < r.answers.size(); ++i) {
    const DiagnosticResponse &a = r.answers[i];
    std::string where = fmt::format("diagnostic request.answers[{}]", i);
    check_id(a.problem_id, "problem_id", where.c_str());
    if (a.answer.empty())
      throw Error(Errc::invalid, where + ".answer: is empty; send the student's answer text");
    if (!std::isfinite(a.latency_ms))
      throw Error(Errc::invalid, where + ".latency_ms: must be a finite number");
    if (!ids.insert(a.problem_id).second) {
      throw Error(Errc::invalid,
                  fmt::format("{}.problem_id: '{}' is answered twice", where, a.problem_id));
    }
    problems[i] = find_problem_or_instance(d, a.problem_id, &generated[i]);
    if (!problems[i]) {
      throw Error(Errc::not_found,
                  fmt::format("{}.problem_id: '{}' is not a problem of domain '{}'", where,
                              a.problem_id, d.id));
    }
    concepts[i] = d.find_concept(problems[i]->concept_id);
    if (!concepts[i]) {
      throw Error(Errc::invalid, fmt::format("domain '{}': problem '{}' names unknown concept '{}'",
                                             d.id, problems[i]->id, problems[i]->concept_id));
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Event> prior = ledger_.read_keyed(r.tenant, r.idempotency_key);
  if (!prior.empty()) return diagnostic_result(prior);

  std::vector<Classification> cls(r.answers.size());
  std::vector<DiagnosticAnswer> answers(r.answers.size());
  for (size_t i = 0; i < r.answers.size(); ++i) {
    cls[i] = to_classification(router()->predict(*problems[i], r.answers[i].answer, *concepts[i]));
    if (!cls[i].misconception_id.empty() && !d.find_misconception(cls[i].misconception_id))
      cls[i].misconception_id.clear();
    answers[i] = {concepts[i]->id, cls[i].correct};
  }
  const int64_t time_us = r.time_us ? r.time_us : now_us();
  const std::string &key = r.idempotency_key;

  std::vector<Event> events = ledger_.with_views([&](const ViewSet &v) {
    size_t known = concepts_with_mastery(d, v, {r.tenant, r.student});
    if (known) not_new(r.tenant, r.student, known, "apply_diagnostic");
    std::vector<ConceptPrior> priors = diagnostic_priors(d, answers, config_.sequencing);

    std::vector<Event> ev;
    int32_t right = 0;
    std::vector<std::string> shown;
    for (size_t i = 0; i < answers.size(); ++i) {
      right += cls[i].correct ? 1 : 0;
      const std::string &mid = cls[i].misconception_id;
      if (!mid.empty() && std::find(shown.begin(), shown.end(), mid) == shown.end())
        shown.push_back(mid);
    }
    JsonWriter s;
    s.begin_object().field("student", r.student);
    s.field("answered", static_cast<int64_t>(answers.size())).field("correct", right);
    s.key("misconceptions").begin_array();
    for (const auto &m : shown)
      s.value(m);
    s.end_array();
    s.key("priors").begin_array();
    for (const ConceptPrior &cp : priors) {
      s.begin_object().field("concept_id", cp.concept_id).field("prior", cp.prior);
      s.field("level", cp.level).field("evidence", prior_evidence_name(cp.evidence));
      if (!cp.from.empty()) s.field("from", cp.from).field("distance", cp.distance);
      if (cp.answered) s.field("answered", cp.answered).field("right", cp.right);
      s.end_object();
    }
    s.end_array().end_object();
    ev.push_back(
        make_event(r.tenant, r.student, "diagnostic.completed", s.take(), time_us, key, ""));

    for (size_t i = 0; i < answers.size(); ++i) {
      JsonWriter w;
      w.begin_object().field("problem_id", problems[i]->id).field("concept_id", concepts[i]->id);
      w.field("answer", r.answers[i].answer).field("correct", cls[i].correct);
      if (!cls[i].misconception_id.empty()) w.field("misconception_id", cls[i].misconception_id);
      w.field("confidence", cls[i].confidence).field("classifier", cls[i].backend);
      if (!cls[i].reason.empty()) w.field("classifier_reason", cls[i].reason);
      if (r.answers[i].latency_ms >= 0) w.field("latency_ms", r.answers[i].latency_ms);
      w.field("diagnostic", true).end_object();
      ev.push_back(make_event(r.tenant, r.student, "response.submitted", w.take(), time_us, key,
                              fmt::format("answer/{}", i)));
    }

    // Misconceptions the answers show start (or count in) their escalation.
    std::map<std::string, Escalation> rows;
    for (const auto &[k, row] : v.escalations_of(r.tenant, r.student))
      rows.emplace(k->c, row->machine);
    for (size_t i = 0; i < answers.size(); ++i) {
      const std::string &mid = cls[i].misconception_id;
      if (mid.empty()) continue;
      auto it = rows.find(mid);
      if (it == rows.end()) {
        it = rows.emplace(mid, escalation_begin()).first;
      } else {
        it->second =
            escalation_step(it->second, EscalationTrigger::detected(), config_.rules.escalation);
      }
      JsonWriter w;
      w.begin_object().field("misconception_id", mid).field("concept_id", concepts[i]->id);
      w.field("confidence", cls[i].confidence).field("classifier", cls[i].backend);
      w.field("state", escalation_state_name(it->second.state));
      w.field("detections", it->second.detections).field("source", "diagnostic").end_object();
      ev.push_back(make_event(r.tenant, r.student, "misconception.detected", w.take(), time_us, key,
                              fmt::format("detected/{}", i)));
    }

    for (const ConceptPrior &cp : priors) {
      JsonWriter w;
      w.begin_object().field("concept_id", cp.concept_id).field("old_level", cp.prior);
      w.field("new_level", cp.level).field("attempts", cp.answered).field("streak", 0);
      w.field("source", "diagnostic").field("evidence", prior_evidence_name(cp.evidence));
      if (!cp.from.empty()) w.field("from", cp.from);
      w.end_object();
      ev.push_back(make_event(r.tenant, r.student, "mastery.updated", w.take(), time_us, key,
                              "prior/" + cp.concept_id));
    }
    return ev;
  });
  std::vector<AppendOutcome> out = ledger_.append(events);
  if (!out.front().inserted) return diagnostic_result(ledger_.read_keyed(r.tenant, key));
  return diagnostic_result(events);
}

}  // namespace v0
}  // namespace tutorcore
