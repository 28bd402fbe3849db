// The one-call pipeline: from one answer to the events it causes (rules in
// tutor.hpp), and the teacher's actions.
#include "tutorcore/pipeline/tutor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "pipeline_internal.hpp"
#include "tutorcore/classify/rules.hpp"
#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/irt/irt.hpp"
#include "tutorcore/sequencing/template.hpp"

namespace tutorcore {
inline namespace v0 {

// Lookups the pipeline needs for every answer, built once per domain.
struct Tutor::Index {
  std::vector<std::vector<size_t>> problems_of;  // per concept: problem indices by difficulty
  std::vector<std::vector<size_t>> dependants;   // per concept: concepts that require it
  std::unordered_map<std::string_view, size_t> concept_of_id;
};

namespace {

uint64_t mix(uint64_t h, std::string_view s) {
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ULL;  // FNV-1a
  return (h ^ 0xff) * 0x100000001b3ULL;
}

// The draws of one decision: a function of the seed and of who and what it
// is for, so a rebuilt or replayed run decides the same.
uint64_t decision_seed(uint64_t seed, std::string_view tenant, std::string_view student,
                       std::string_view misconception, int32_t attempt, int32_t episode) {
  uint64_t h = mix(mix(mix(0xcbf29ce484222325ULL ^ seed, tenant), student), misconception);
  return (h ^ static_cast<uint64_t>(attempt)) * 0x9e3779b97f4a7c15ULL ^
         static_cast<uint64_t>(episode);
}

const char *state_name(const Escalation &e) {
  return escalation_state_name(e.state);
}

// Builds the events of one request before anything is stored.
struct Plan {
  const std::string &tenant, &student, &key, &author;
  int64_t time_us;
  std::vector<Event> events;
  void add(const char *type, std::string payload, const std::string &suffix) {
    Event e;
    e.tenant = tenant;
    e.entity_type = "student";
    e.entity_id = student;
    e.type = type;
    e.payload = std::move(payload);
    e.time_us = time_us;
    e.author = author;
    if (!key.empty()) e.idempotency_key = suffix.empty() ? key : key + "/" + suffix;
    events.push_back(std::move(e));
  }
};

}  // namespace

void check_tutor_config(const TutorConfig &c) {
  auto bad = [](const char *field, const std::string &msg) {
    throw Error(Errc::invalid, fmt::format("tutor config.{}: {}", field, msg));
  };
  check_escalation_config(c.rules.escalation);
  check_policy_config(c.policy);
  check_profile_config(c.profile);
  check_sequencing_config(c.sequencing);
  check_coaching_config(c.coaching);
  if (c.rules.outcome.window < 1 || c.rules.outcome.window > 100)
    bad("outcome.window", fmt::format("{} is outside 1..100", c.rules.outcome.window));
  if (!(c.target_p_correct > 0 && c.target_p_correct < 1))
    bad("target_p_correct", fmt::format("{} is outside (0, 1)", c.target_p_correct));
  if (c.next_problems < 0 || c.next_problems > 50)
    bad("next_problems", fmt::format("{} is outside 0..50", c.next_problems));
  if (!(c.typical_response_ms >= 0)) bad("typical_response_ms", "must be >= 0");
  const MasteryPolicy &m = c.mastery;
  if (!(m.threshold > 0 && m.threshold <= 1)) bad("mastery.threshold", "must lie in (0, 1]");
  if (!(m.low_stakes_threshold > 0 && m.low_stakes_threshold <= 1))
    bad("mastery.low_stakes_threshold", "must lie in (0, 1]");
  if (m.min_attempts < 0) bad("mastery.min_attempts", "must be >= 0");
  if (m.gate_streak < 0) bad("mastery.gate_streak", "must be >= 0");
  if (!(m.fast_fraction >= 0 && m.fast_fraction <= 1))
    bad("mastery.fast_fraction", "must lie in [0, 1]");
  if (!(m.min_credibility > 0 && m.min_credibility <= 1))
    bad("mastery.min_credibility", "must lie in (0, 1]");
}

Tutor::Tutor(std::shared_ptr<const Domain> domain, Ledger &ledger, TutorConfig config)
    : domain_(std::move(domain)),
      ledger_(ledger),
      config_(std::move(config)),
      registry_(std::make_shared<ClassifierRegistry>()) {
  if (!domain_) throw Error(Errc::invalid, "tutor: no domain");
  check_tutor_config(config_);
  auto index = std::make_shared<Index>();
  const Domain &d = *domain_;
  index->problems_of.resize(d.concepts.size());
  index->dependants.resize(d.concepts.size());
  for (size_t c = 0; c < d.concepts.size(); ++c)
    index->concept_of_id.emplace(d.concepts[c].id, c);
  for (size_t p = 0; p < d.problems.size(); ++p) {
    auto it = index->concept_of_id.find(d.problems[p].concept_id);
    if (it != index->concept_of_id.end()) index->problems_of[it->second].push_back(p);
  }
  for (auto &list : index->problems_of) {
    std::stable_sort(list.begin(), list.end(),
                     [&](size_t a, size_t b) { return d.problems[a].irt_b < d.problems[b].irt_b; });
  }
  for (size_t c = 0; c < d.concepts.size(); ++c) {
    for (const auto &pre : d.concepts[c].prerequisites) {
      auto it = index->concept_of_id.find(pre);
      if (it != index->concept_of_id.end()) index->dependants[it->second].push_back(c);
    }
  }
  index_ = std::move(index);
  registry_->add(std::make_shared<const RuleClassifier>(domain_));
  registry_->add(std::make_shared<const CatalogClassifier>(domain_, classify_settings_.catalog));
  router_ =
      std::make_shared<const HybridClassifier>(domain_, registry_, classify_settings_.routing);
  ledger_.set_view_rules(config_.rules);
}

namespace {

// What the pipeline reads of one student, and the decisions it takes, for
// one request: views are read under the ledger's lock, decisions are
// simulated on copies of the escalation rows so that one answer can chain
// them (outcome, prerequisite check, new recommendation).
class Step {
 public:
  Step(const Domain &d, const TutorConfig &cfg, const ViewSet &v, Plan &plan,
       const std::vector<std::vector<size_t>> &problems_of,
       const std::vector<std::vector<size_t>> &dependants,
       const std::unordered_map<std::string_view, size_t> &concept_of_id)
      : d_(d),
        cfg_(cfg),
        v_(v),
        plan_(plan),
        problems_of_(problems_of),
        dependants_(dependants),
        concept_of_id_(concept_of_id) {
    for (const auto &[k, r] : v.escalations_of(plan.tenant, plan.student))
      rows_.emplace(k->c, *r);
  }

  // The mastery of a concept: the view's level, or the concept's prior.
  double mastery(const Concept &c) const {
    auto it = levels_.find(c.id);
    if (it != levels_.end()) return it->second;
    const MasteryRow *r = v_.mastery.find({plan_.tenant, plan_.student, c.id});
    return r && r->has_level ? r->level : c.bkt.p_init;
  }

  // The lowest mastery among a concept's prerequisites (1 without any).
  double min_prereq(const Concept &c) const {
    double m = 1.0;
    for (const auto &pre : c.prerequisites) {
      if (const Concept *p = d_.find_concept(pre)) m = std::min(m, mastery(*p));
    }
    return m;
  }

  void response(const Problem &p, const Concept &c, const SubmitRequest &rq,
                const Classification &cls) {
    JsonWriter w;
    w.begin_object().field("problem_id", p.id).field("concept_id", c.id);
    w.field("answer", rq.answer).field("correct", cls.correct);
    if (!cls.misconception_id.empty()) w.field("misconception_id", cls.misconception_id);
    w.field("confidence", cls.confidence).field("classifier", cls.backend);
    if (!cls.reason.empty()) w.field("classifier_reason", cls.reason);
    if (rq.latency_ms >= 0) w.field("latency_ms", rq.latency_ms);
    w.end_object();
    plan_.add("response.submitted", w.take(), "");

    // BKT mastery, moved less by a suspiciously fast answer.
    const MasteryRow *row = v_.mastery.find({plan_.tenant, plan_.student, c.id});
    MasteryState before{row && row->has_level ? row->level : c.bkt.p_init, row ? row->attempts : 0,
                        row ? row->streak : 0};
    double cred = response_credibility(rq.latency_ms, cfg_.typical_response_ms, cfg_.mastery);
    MasteryState after = mastery_step(before, cls.correct, cred, c.bkt, cfg_.mastery, c.low_stakes);
    levels_[c.id] = after.p_known;
    JsonWriter m;
    m.begin_object().field("concept_id", c.id).field("old_level", before.p_known);
    m.field("new_level", after.p_known).field("attempts", after.attempts);
    m.field("streak", after.streak).field("credibility", cred);
    m.field("mastered", is_mastered(after, cfg_.mastery, c.low_stakes));
    m.end_object();
    plan_.add("mastery.updated", m.take(), "mastery");
    mastered_ = is_mastered(after, cfg_.mastery, c.low_stakes);

    // Outcome windows this answer completes.
    for (auto &[mid, r] : rows_) {
      Escalation &e = r.machine;
      if (!e.intervention_active || r.concept_id != c.id ||
          r.window_counted >= cfg_.rules.outcome.window) {
        continue;
      }
      r.window_counted += 1;
      r.window_present += cls.misconception_id == mid ? 1 : 0;
      if (r.window_counted < cfg_.rules.outcome.window) continue;
      bool resolved = r.window_present == 0;
      outcome(mid, r, resolved, "window");
    }

    // Prerequisite remediation: this concept may be the prerequisite that held a row back.
    for (auto &[mid, r] : rows_) {
      if (r.machine.state != EscalationState::prereq_remediation) continue;
      const Concept *target = d_.find_concept(r.concept_id);
      if (!target || std::find(target->prerequisites.begin(), target->prerequisites.end(), c.id) ==
                         target->prerequisites.end()) {
        continue;
      }
      double m_min = min_prereq(*target);
      if (m_min < cfg_.rules.escalation.prereq_threshold) continue;
      trigger(mid, r, EscalationTrigger::prereq_update(m_min), "remediated");
    }

    // A misconception the answer shows.
    if (!cls.misconception_id.empty()) {
      const std::string &mid = cls.misconception_id;
      auto it = rows_.find(mid);
      if (it == rows_.end()) {
        EscalationRow r;
        r.machine = escalation_begin();
        r.concept_id = c.id;
        it = rows_.emplace(mid, std::move(r)).first;
      } else {
        bool recurrence = it->second.machine.state == EscalationState::resolved;
        it->second.machine = escalation_step(it->second.machine, EscalationTrigger::detected(),
                                             cfg_.rules.escalation);
        if (recurrence) it->second.window_counted = it->second.window_present = 0;
      }
      JsonWriter dw;
      dw.begin_object().field("misconception_id", mid).field("concept_id", c.id);
      dw.field("confidence", cls.confidence).field("classifier", cls.backend);
      dw.field("state", state_name(it->second.machine));
      dw.field("detections", it->second.machine.detections);
      dw.end_object();
      plan_.add("misconception.detected", dw.take(), "detected");
    }

    recommend_due();
  }

  // The student's row for a misconception (it must exist).
  EscalationRow &row(const std::string &mid) { return rows_.at(mid); }

  // A recommendation for every row that needs a modality and has none pending.
  void recommend_due() {
    for (auto &[mid, r] : rows_) {
      if (escalation_awaits_modality(r.machine) && !r.machine.recommended) recommend(mid, r);
    }
  }

  // Outcome of the intervention of row `mid`, then the prerequisite check a
  // second persist calls for.
  void outcome(const std::string &mid, EscalationRow &r, bool resolved, const char *source) {
    Modality modality = r.machine.current.value_or(Modality::visual);
    r.machine = escalation_step(
        r.machine, resolved ? EscalationTrigger::resolved() : EscalationTrigger::persisted(),
        cfg_.rules.escalation);
    JsonWriter w;
    w.begin_object().field("misconception_id", mid).field("concept_id", r.concept_id);
    w.field("modality", modality_name(modality));
    w.field("outcome", resolved ? "resolved" : "persisted");
    w.field("responses_since", r.window_counted).field("showed_misconception", r.window_present);
    w.field("assessed_by", source).field("state", state_name(r.machine));
    w.end_object();
    plan_.add("intervention.outcome", w.take(), "outcome/" + mid);
    if (r.machine.state == EscalationState::prerequisite_check) {
      const Concept *target = d_.find_concept(r.concept_id);
      double m_min = target ? min_prereq(*target) : 1.0;
      trigger(mid, r, EscalationTrigger::prereq_check(m_min), "prereq");
    }
  }

  void trigger(const std::string &mid, EscalationRow &r, const EscalationTrigger &t,
               const std::string &suffix) {
    EscalationState from = r.machine.state;
    r.machine = escalation_step(r.machine, t, cfg_.rules.escalation);
    if (from == EscalationState::prereq_remediation && r.machine.state != from)
      r.window_counted = r.window_present = 0;
    JsonWriter w;
    w.begin_object().field("misconception_id", mid);
    w.field("trigger", escalation_trigger_name(t.kind));
    if (t.kind == EscalationTriggerKind::prereq_checked ||
        t.kind == EscalationTriggerKind::prereq_mastery_updated) {
      w.field("prereq_mastery", t.prereq_mastery);
      w.field("threshold", cfg_.rules.escalation.prereq_threshold);
    }
    w.field("from", escalation_state_name(from)).field("state", state_name(r.machine));
    w.end_object();
    plan_.add("escalation.triggered", w.take(), suffix + "/" + mid);
  }

  // The modality policy's choice for row `mid`, for a teacher to approve.
  void recommend(const std::string &mid, EscalationRow &r) {
    const Misconception *m = d_.find_misconception(mid);
    if (!m) return;
    PolicyContext ctx;
    bool peer_resolved = false;
    for (size_t i = 0; i < kModalityCount; ++i) {
      const char *name = modality_name(static_cast<Modality>(i));
      ArmContext &arm = ctx.arms[i];
      if (const EffectivenessRow *e = v_.effectiveness.find({plan_.tenant, mid, name})) {
        arm.class_attempts = e->attempts;
        arm.class_resolutions = e->resolutions;
        peer_resolved = peer_resolved || e->resolutions > 0;
      }
      if (const EffectivenessRow *s = v_.modality.find({plan_.tenant, plan_.student, name})) {
        arm.student_attempts = s->attempts;
        arm.student_resolutions = s->resolutions;
      }
      arm.student_rate =
          modality_vector_entry(arm.student_resolutions, arm.student_attempts, cfg_.policy);
      arm.tried = (r.machine.modalities_tried >> i) & 1u;
    }
    ctx.resolved_peer_exists = peer_resolved;
    Rng rng(decision_seed(cfg_.seed, plan_.tenant, plan_.student, mid, r.machine.attempts,
                          r.machine.recurrences));
    Decision dec = decide(cfg_.policy_kind, ctx, cfg_.policy, rng);
    if (dec.none_available()) return;  // the teacher decides; nothing to recommend
    size_t mi = static_cast<size_t>(&*m - d_.misconceptions.data());
    const Intervention &iv = d_.interventions[mi].by_modality[static_cast<size_t>(dec.chosen)];
    int32_t before = r.machine.attempts;
    r.machine = escalation_step(r.machine, EscalationTrigger::recommended(dec.chosen),
                                cfg_.rules.escalation);
    if (r.machine.attempts != before) r.window_counted = r.window_present = 0;
    JsonWriter w;
    w.begin_object().field("misconception_id", mid).field("concept_id", r.concept_id);
    w.field("modality", modality_name(dec.chosen));
    w.field("policy", policy_name(dec.policy)).field("propensity", dec.propensity);
    w.field("greedy_modality", modality_name(dec.greedy));
    w.key("probabilities").begin_object();
    for (size_t i = 0; i < kModalityCount; ++i) {
      if (dec.available[i]) w.field(modality_name(static_cast<Modality>(i)), dec.probabilities[i]);
    }
    w.end_object();
    // The decision's context, so the log supports off-policy evaluation.
    w.key("context").begin_object().field("resolved_peer_exists", ctx.resolved_peer_exists);
    w.key("arms").begin_array();
    for (const ArmContext &arm : ctx.arms) {
      w.begin_object().field("class_attempts", arm.class_attempts);
      w.field("class_resolutions", arm.class_resolutions);
      w.field("student_attempts", arm.student_attempts);
      w.field("student_resolutions", arm.student_resolutions);
      w.field("student_rate", arm.student_rate).field("tried", arm.tried).end_object();
    }
    w.end_array().end_object();
    w.field("attempt", before + 1).field("text", iv.text);
    w.field("estimated_minutes", iv.estimated_minutes);
    w.field("auto_approved", cfg_.rules.escalation.auto_approve);
    w.field("state", state_name(r.machine));
    w.end_object();
    plan_.add("intervention.recommended", w.take(), "recommended/" + mid);
  }

  // The problems to answer next, with the reason for each.
  void next_problems(const Concept &answered, const Problem &current) {
    const int32_t want = cfg_.next_problems;
    std::vector<std::pair<size_t, std::string>> picks;  // problem index, reason
    std::vector<double> p_correct;
    auto seen = [&](size_t pi) {
      const Problem &p = d_.problems[pi];
      if (p.id == current.id) return true;
      for (const auto &pk : picks)
        if (pk.first == pi) return true;
      return v_.practice.find({plan_.tenant, plan_.student, p.id}) != nullptr;
    };
    auto concept_index = [&](const std::string &id) -> const std::vector<size_t> * {
      auto it = concept_of_id_.find(id);
      return it == concept_of_id_.end() ? nullptr : &problems_of_[it->second];
    };
    // 1. Remediation: the easiest unseen problem of each weak prerequisite.
    for (const auto &[mid, r] : rows_) {
      if (r.machine.state != EscalationState::prereq_remediation) continue;
      const Concept *target = d_.find_concept(r.concept_id);
      if (!target) continue;
      for (const auto &pre : target->prerequisites) {
        const Concept *pc = d_.find_concept(pre);
        const std::vector<size_t> *list = pc ? concept_index(pc->id) : nullptr;
        if (!list || mastery(*pc) >= cfg_.rules.escalation.prereq_threshold) continue;
        for (size_t pi : *list) {
          if (seen(pi) || static_cast<int32_t>(picks.size()) >= want) continue;
          picks.emplace_back(
              pi, fmt::format("remediation: prerequisite {} is at {:.2f}, below "
                              "{:.2f}, for misconception {}",
                              pc->id, mastery(*pc), cfg_.rules.escalation.prereq_threshold, mid));
          p_correct.push_back(irt_probability(theta_from_mastery(mastery(*pc)),
                                              {d_.problems[pi].irt_a, d_.problems[pi].irt_b}));
          break;
        }
      }
    }
    // 2. The concept to work on: this one, or once it is mastered, the first
    //    dependant whose prerequisites are all mastered.
    const Concept *target = &answered;
    if (mastered_) {
      auto it = concept_of_id_.find(answered.id);
      for (size_t dc :
           it == concept_of_id_.end() ? std::vector<size_t>{} : dependants_[it->second]) {
        const Concept &cand = d_.concepts[dc];
        bool ready = mastery(cand) < d_.threshold_for(cand);
        for (const auto &pre : cand.prerequisites) {
          const Concept *pc = d_.find_concept(pre);
          ready = ready && pc && mastery(*pc) >= d_.threshold_for(*pc);
        }
        if (ready) {
          target = &cand;
          break;
        }
      }
    }
    // 3. Items nearest the target P(correct), unseen.
    const std::vector<size_t> *list = concept_index(target->id);
    double theta = theta_from_mastery(mastery(*target));
    while (list && static_cast<int32_t>(picks.size()) < want) {
      double best = 2.0;
      size_t best_pi = 0;
      for (size_t pi : *list) {
        if (seen(pi)) continue;
        double pc = irt_probability(theta, {d_.problems[pi].irt_a, d_.problems[pi].irt_b});
        double dist = std::fabs(pc - cfg_.target_p_correct);
        if (dist < best) {
          best = dist;
          best_pi = pi;
        }
      }
      if (best > 1.0) break;  // every problem of the concept was seen
      double pc = irt_probability(theta, {d_.problems[best_pi].irt_a, d_.problems[best_pi].irt_b});
      picks.emplace_back(best_pi, fmt::format("{}: P(correct) {:.2f} is the nearest unseen to the "
                                              "target {:.2f}",
                                              target == &answered ? "practice" : "next concept", pc,
                                              cfg_.target_p_correct));
      p_correct.push_back(pc);
    }
    JsonWriter w;
    w.begin_object().field("concept_id", target->id).field("theta", theta);
    w.key("problems").begin_array();
    for (size_t i = 0; i < picks.size(); ++i) {
      const Problem &p = d_.problems[picks[i].first];
      w.begin_object().field("problem_id", p.id).field("concept_id", p.concept_id);
      w.field("p_correct", p_correct[i]).field("reason", picks[i].second).end_object();
    }
    w.end_array().end_object();
    plan_.add("problems.proposed", w.take(), "next");
  }

 private:
  const Domain &d_;
  const TutorConfig &cfg_;
  const ViewSet &v_;
  Plan &plan_;
  const std::vector<std::vector<size_t>> &problems_of_;
  const std::vector<std::vector<size_t>> &dependants_;
  const std::unordered_map<std::string_view, size_t> &concept_of_id_;
  std::map<std::string, EscalationRow> rows_;       // by misconception, ordered: stable event order
  std::unordered_map<std::string, double> levels_;  // masteries changed by this request
  bool mastered_ = false;
};

void check_id(const std::string &v, const char *field, const char *what) {
  if (v.empty()) throw Error(Errc::invalid, fmt::format("{}.{}: is required", what, field));
}

}  // namespace

SubmitResult Tutor::submit(const SubmitRequest &rq) {
  const char *what = "submit request";
  check_id(rq.tenant, "tenant", what);
  check_id(rq.student, "student", what);
  check_id(rq.problem_id, "problem_id", what);
  check_id(rq.idempotency_key, "idempotency_key", what);
  if (rq.answer.empty())
    throw Error(Errc::invalid, "submit request.answer: is empty; send the student's answer text");
  if (rq.time_us < 0) throw Error(Errc::invalid, "submit request.time_us: is negative");
  if (!std::isfinite(rq.latency_ms))
    throw Error(Errc::invalid, "submit request.latency_ms: must be a finite number");
  const Domain &d = *domain_;
  Problem generated;  // a template instance named by its id (sequencing/template.hpp)
  const Problem *p = find_problem_or_instance(d, rq.problem_id, &generated);
  if (!p) {
    throw Error(Errc::not_found,
                fmt::format("submit request.problem_id: '{}' is not a problem of domain '{}'",
                            rq.problem_id, d.id));
  }
  const Concept *c = d.find_concept(p->concept_id);
  if (!c) {
    throw Error(Errc::invalid, fmt::format("domain '{}': problem '{}' names unknown concept '{}'",
                                           d.id, p->id, p->concept_id));
  }

  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Event> prior = ledger_.read_keyed(rq.tenant, rq.idempotency_key);
  if (!prior.empty()) return {submit_result_json(prior), true, prior.front().id};

  Classification cls = to_classification(router()->predict(*p, rq.answer, *c));
  // A label the domain does not know cannot drive its interventions.
  if (!cls.misconception_id.empty() && !d.find_misconception(cls.misconception_id))
    cls.misconception_id.clear();

  const std::string author = "system";
  Plan plan{rq.tenant, rq.student, rq.idempotency_key, author, rq.time_us ? rq.time_us : now_us(),
            {}};
  ledger_.with_views([&](const ViewSet &v) {
    Step step(d, config_, v, plan, index_->problems_of, index_->dependants, index_->concept_of_id);
    step.response(*p, *c, rq, cls);
    step.next_problems(*c, *p);
    return 0;
  });
  std::vector<AppendOutcome> out = ledger_.append(plan.events);
  if (!out.front().inserted) {  // another process stored the same request first
    prior = ledger_.read_keyed(rq.tenant, rq.idempotency_key);
    return {submit_result_json(prior), true, prior.empty() ? 0 : prior.front().id};
  }
  return {submit_result_json(plan.events), false, plan.events.front().id};
}

std::string Tutor::act(const TeacherAction &a) {
  const char *what = "teacher action";
  check_id(a.tenant, "tenant", what);
  check_id(a.student, "student", what);
  check_id(a.misconception_id, "misconception_id", what);
  check_id(a.teacher_id, "teacher_id", what);
  if (a.time_us < 0) throw Error(Errc::invalid, "teacher action.time_us: is negative");
  const Domain &d = *domain_;
  const Misconception *m = d.find_misconception(a.misconception_id);
  if (!m) {
    throw Error(Errc::not_found,
                fmt::format("teacher action.misconception_id: '{}' is not a misconception of "
                            "domain '{}'",
                            a.misconception_id, d.id));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!a.idempotency_key.empty()) {
    std::vector<Event> prior = ledger_.read_keyed(a.tenant, a.idempotency_key);
    if (!prior.empty()) return teacher_result_json(prior);
  }
  const std::string author = "teacher:" + a.teacher_id;
  Plan plan{a.tenant, a.student, a.idempotency_key, author, a.time_us ? a.time_us : now_us(), {}};
  ledger_.with_views([&](const ViewSet &v) {
    const EscalationRow *row = v.escalation.find({a.tenant, a.student, a.misconception_id});
    if (!row) {
      throw Error(Errc::not_found,
                  fmt::format("teacher action: student '{}' has no escalation for misconception "
                              "'{}' in tenant '{}'",
                              a.student, a.misconception_id, a.tenant));
    }
    Step step(d, config_, v, plan, index_->problems_of, index_->dependants, index_->concept_of_id);
    EscalationRow &r = step.row(a.misconception_id);
    auto refuse = [&](const char *action, EscalationTriggerKind k) {
      if (!escalation_accepts(r.machine, k)) {
        throw Error(
            Errc::invalid,
            fmt::format("teacher action '{}': not valid while the escalation of '{}' for "
                        "student '{}' is in state '{}'{}",
                        action, a.misconception_id, a.student, state_name(r.machine),
                        r.machine.intervention_active ? " with an intervention assigned" : ""));
      }
    };
    switch (a.kind) {
      case TeacherActionKind::approve: {
        refuse("approve", EscalationTriggerKind::intervention_approved);
        if (!a.modality && !r.machine.recommended) {
          throw Error(Errc::invalid,
                      "teacher action 'approve': there is no recommendation to approve; name "
                      "the modality to assign");
        }
        Modality chosen = a.modality.value_or(*r.machine.recommended);
        std::optional<Modality> recommended = r.machine.recommended;
        JsonWriter w;
        w.begin_object().field("misconception_id", a.misconception_id);
        w.field("modality", modality_name(chosen));
        w.key("recommended_modality");
        if (recommended)
          w.value(modality_name(*recommended));
        else
          w.null();
        w.field("modified", !recommended || *recommended != chosen);
        w.end_object();
        plan.add("intervention.approved", w.take(), "approved");
        size_t mi = static_cast<size_t>(m - d.misconceptions.data());
        const Intervention &iv = d.interventions[mi].by_modality[static_cast<size_t>(chosen)];
        r.machine = escalation_step(r.machine, EscalationTrigger::approved(chosen),
                                    config_.rules.escalation);
        JsonWriter aw;
        aw.begin_object().field("misconception_id", a.misconception_id);
        aw.field("concept_id", r.concept_id).field("modality", modality_name(chosen));
        aw.field("selected_by", "teacher").field("text", iv.text);
        aw.field("estimated_minutes", iv.estimated_minutes);
        aw.field("attempt", r.machine.attempts).field("state", state_name(r.machine));
        aw.end_object();
        plan.add("intervention.assigned", aw.take(), "assigned");
        break;
      }
      case TeacherActionKind::record_outcome:
        refuse("record_outcome", a.resolved ? EscalationTriggerKind::assessed_resolved
                                            : EscalationTriggerKind::assessed_persisted);
        step.outcome(a.misconception_id, r, a.resolved, "teacher");
        step.recommend_due();
        break;
      case TeacherActionKind::acknowledge:
        refuse("acknowledge", EscalationTriggerKind::teacher_acknowledged);
        step.trigger(a.misconception_id, r, EscalationTrigger::acknowledged(), "acknowledged");
        break;
      case TeacherActionKind::resolve:
        refuse("resolve", EscalationTriggerKind::teacher_resolved);
        step.trigger(a.misconception_id, r, EscalationTrigger::teacher_resolved(), "resolved");
        break;
      case TeacherActionKind::conference_failed:
        refuse("conference_failed", EscalationTriggerKind::conference_failed);
        step.trigger(a.misconception_id, r, EscalationTrigger::conference_failed(),
                     "conference_failed");
        break;
    }
    return 0;
  });
  ledger_.append(plan.events);
  return teacher_result_json(plan.events);
}

}  // namespace v0
}  // namespace tutorcore
