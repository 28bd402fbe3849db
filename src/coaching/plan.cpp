// The coaching planner: candidate action items from the views, scored and
// ranked (rules in coaching.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "tutorcore/analytics/interval.hpp"
#include "tutorcore/coaching/coaching.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/irt/irt.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr double kUsPerDay = 86400e6;

double days_since(int64_t now_us, int64_t then_us) {
  return then_us <= 0 || now_us <= then_us ? 0.0 : (now_us - then_us) / kUsPerDay;
}

// The modality with the best evidence for a misconception in the tenant:
// the highest Wilson lower bound of its resolution rate.
struct Remedy {
  Modality modality = Modality::visual;
  int32_t attempts = 0, resolutions = 0;
  bool evidence = false;
};

Remedy best_remedy(const ViewSet &v, const std::string &tenant, const std::string &mid) {
  Remedy best;
  double best_low = -1.0;
  for (size_t i = 0; i < kModalityCount; ++i) {
    Modality m = static_cast<Modality>(i);
    const EffectivenessRow *e = v.effectiveness.find({tenant, mid, modality_name(m)});
    if (!e || e->attempts == 0) continue;
    double low = wilson_interval(e->resolutions, e->attempts).low;
    if (low > best_low) {
      best_low = low;
      best = {m, e->attempts, e->resolutions, true};
    }
  }
  return best;
}

const Intervention *intervention_for(const Domain &d, const std::string &mid, Modality m) {
  const Misconception *mis = d.find_misconception(mid);
  if (!mis) return nullptr;
  size_t i = static_cast<size_t>(mis - d.misconceptions.data());
  return i < d.interventions.size() ? &d.interventions[i].by_modality[static_cast<size_t>(m)]
                                    : nullptr;
}

}  // namespace

void check_coaching_config(const CoachingConfig &c) {
  auto bad = [](const char *f, const char *m) {
    throw Error(Errc::invalid, fmt::format("coaching config.{}: {}", f, m));
  };
  for (auto [name, v] : {std::pair<const char *, double>{"w_severity", c.w_severity},
                         {"w_recency", c.w_recency},
                         {"w_impact", c.w_impact},
                         {"w_effort", c.w_effort},
                         {"severity_escalated", c.severity_escalated},
                         {"severity_shared_misconception", c.severity_shared_misconception},
                         {"severity_regression", c.severity_regression},
                         {"severity_near_mastery", c.severity_near_mastery},
                         {"effort_conference", c.effort_conference},
                         {"effort_pull_out", c.effort_pull_out},
                         {"effort_warmup", c.effort_warmup},
                         {"effort_monitor", c.effort_monitor},
                         {"near_mastery_band", c.near_mastery_band},
                         {"regression_drop", c.regression_drop}}) {
    if (!(v >= 0.0 && v <= 1.0)) bad(name, "must lie in [0, 1]");
  }
  if (!(c.recency_lambda >= 0)) bad("recency_lambda", "must be >= 0");
  if (!(c.regression_window_days > 0)) bad("regression_window_days", "must be > 0");
  if (c.min_group < 1 || c.min_warmup < 1)
    bad("min_group", "min_group and min_warmup must be >= 1");
  if (c.max_items < 1 || c.max_items > 100) bad("max_items", "must lie in 1..100");
  if (c.warmup_problems < 1 || c.warmup_problems > 20) bad("warmup_problems", "must lie in 1..20");
  if (!(c.target_p_correct > 0 && c.target_p_correct < 1))
    bad("target_p_correct", "must lie in (0, 1)");
}

double priority_score(double severity, double days_since_event, double fraction_affected,
                      double teacher_effort, const CoachingConfig &c) {
  double recency = std::exp(-c.recency_lambda * std::max(0.0, days_since_event));
  double s = c.w_severity * severity + c.w_recency * recency + c.w_impact * fraction_affected +
             c.w_effort * (1.0 - teacher_effort);
  return std::round(s * 1000.0) / 1000.0;
}

CoachingPlan plan_preclass(const Domain &d, const ViewSet &v, const ClassInput &in,
                           const CoachingConfig &c) {
  check_coaching_config(c);
  CoachingPlan plan;
  plan.classroom = in.classroom;
  plan.generated_us = in.now_us;
  plan.class_size = static_cast<int32_t>(in.students.size());
  if (in.students.empty()) return plan;
  const double n = static_cast<double>(in.students.size());
  std::unordered_set<std::string> in_class(in.students.begin(), in.students.end());
  std::vector<ActionItem> cand;
  auto finish = [&](ActionItem &a, double severity, double effort, int64_t last_us,
                    size_t affected) {
    a.severity = severity;
    a.effort = effort;
    a.impact = static_cast<double>(affected) / n;
    a.recency = std::exp(-c.recency_lambda * days_since(in.now_us, last_us));
    a.score = priority_score(severity, days_since(in.now_us, last_us), a.impact, effort, c);
    cand.push_back(std::move(a));
  };

  // Misconceptions: open ones shared by a group, escalated ones per student.
  std::map<std::string, std::vector<std::pair<const Key3 *, const EscalationRow *>>> open;
  for (const std::string &s : in.students) {
    for (const auto &[k, r] : v.escalations_of(in.tenant, s)) {
      EscalationState st = r->state();
      if (st == EscalationState::resolved || st == EscalationState::iep_referral) continue;
      if (st == EscalationState::escalated || st == EscalationState::teacher_conference) {
        ActionItem a;
        a.action_type = "one_on_one_conference";
        a.misconception_id = k->c;
        a.concept_id = r->concept_id;
        a.students.push_back({s, r->concept_id, k->c, -1, -1, escalation_state_name(st)});
        Remedy rem = best_remedy(v, in.tenant, k->c);
        a.modality = modality_name(rem.modality);
        a.recommendation =
            fmt::format("One-on-one conference on {}: {} modalities tried without resolving it",
                        k->c, r->machine.attempts);
        a.evidence = fmt::format("{} persisted through {} assessments; state {}", k->c,
                                 r->machine.persists, escalation_state_name(st));
        a.estimated_minutes = 10;
        finish(a, c.severity_escalated, c.effort_conference, r->updated_us, 1);
        continue;
      }
      open[k->c].emplace_back(k, r);
    }
  }
  for (const auto &[mid, rows] : open) {
    if (static_cast<int32_t>(rows.size()) < c.min_group) continue;
    ActionItem a;
    a.action_type = "pull_out_group";
    a.misconception_id = mid;
    int64_t last = 0;
    for (const auto &[k, r] : rows) {
      a.students.push_back({k->b, r->concept_id, mid, -1, -1, escalation_state_name(r->state())});
      a.concept_id = r->concept_id;
      last = std::max(last, r->updated_us);
    }
    Remedy rem = best_remedy(v, in.tenant, mid);
    a.modality = modality_name(rem.modality);
    const Intervention *iv = intervention_for(d, mid, rem.modality);
    a.recommendation = iv ? iv->text : fmt::format("A {} intervention for {}", a.modality, mid);
    a.estimated_minutes = iv && iv->estimated_minutes > 0 ? iv->estimated_minutes : 5;
    a.evidence =
        rem.evidence
            ? fmt::format(
                  "{} students share {}; the {} intervention resolved it for {}/{} "
                  "students who tried it",
                  rows.size(), mid, a.modality, rem.resolutions, rem.attempts)
            : fmt::format("{} students share {}; no intervention has been assessed for it yet",
                          rows.size(), mid);
    finish(a, c.severity_shared_misconception, c.effort_pull_out, last, rows.size());
  }

  // Near mastery: students just below a concept's threshold.
  for (const Concept &con : d.concepts) {
    const double thr = d.threshold_for(con);
    ActionItem a;
    a.action_type = "whole_class_warmup";
    a.concept_id = con.id;
    int64_t last = 0;
    double lo = 1, hi = 0, sum = 0;
    for (const std::string &s : in.students) {
      const MasteryRow *m = v.mastery.find({in.tenant, s, con.id});
      if (!m || !m->has_level || m->level >= thr || m->level < thr - c.near_mastery_band) continue;
      a.students.push_back({s, con.id, "", m->level, -1, ""});
      last = std::max(last, m->updated_us);
      lo = std::min(lo, m->level);
      hi = std::max(hi, m->level);
      sum += m->level;
    }
    if (static_cast<int32_t>(a.students.size()) < c.min_warmup) continue;
    // The concept's problems nearest the target P(correct) for the group's mean.
    double theta = theta_from_mastery(sum / static_cast<double>(a.students.size()));
    std::vector<std::pair<double, std::string>> ranked;
    for (const Problem &p : d.problems) {
      if (p.concept_id != con.id) continue;
      double pc = irt_probability(theta, {p.irt_a, p.irt_b});
      ranked.emplace_back(std::fabs(pc - c.target_p_correct), p.id);
    }
    std::sort(ranked.begin(), ranked.end());
    for (size_t i = 0; i < ranked.size() && static_cast<int32_t>(i) < c.warmup_problems; ++i)
      a.problems.push_back(ranked[i].second);
    std::string list;
    for (const auto &p : a.problems)
      list += (list.empty() ? "" : " and ") + p;
    a.recommendation = fmt::format("Assign {} as a warm-up to push them over the threshold", list);
    a.evidence = fmt::format("{} students are within {:.2f}-{:.2f} of the {:.2f} threshold on {}",
                             a.students.size(), thr - hi, thr - lo, thr, con.id);
    a.estimated_minutes = 3;
    finish(a, c.severity_near_mastery, c.effort_warmup, last, a.students.size());
  }

  // Regressions: mastery below its recent peak.
  for (const auto &[key, peak] : in.peaks) {
    if (!in_class.count(key.first)) continue;
    const MasteryRow *m = v.mastery.find({in.tenant, key.first, key.second});
    if (!m || !m->has_level || peak.first - m->level < c.regression_drop) continue;
    ActionItem a;
    a.action_type = "monitor";
    a.concept_id = key.second;
    a.students.push_back({key.first, key.second, "", m->level, peak.first, ""});
    a.recommendation = fmt::format("Check in on {}: mastery of {} fell since {:.0f} days ago",
                                   key.first, key.second, days_since(in.now_us, peak.second));
    a.evidence = fmt::format("{} dropped from {:.2f} to {:.2f} on {}", key.first, peak.first,
                             m->level, key.second);
    a.estimated_minutes = 2;
    finish(a, c.severity_regression, c.effort_monitor, m->updated_us, 1);
  }

  // Highest score first; ties by type then concept, so plans are stable.
  std::stable_sort(cand.begin(), cand.end(), [](const ActionItem &a, const ActionItem &b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.action_type != b.action_type) return a.action_type < b.action_type;
    return a.concept_id + a.misconception_id < b.concept_id + b.misconception_id;
  });
  if (static_cast<int32_t>(cand.size()) > c.max_items)
    cand.resize(static_cast<size_t>(c.max_items));
  for (size_t i = 0; i < cand.size(); ++i)
    cand[i].priority = static_cast<int32_t>(i + 1);
  plan.items = std::move(cand);
  return plan;
}

std::string coaching_plan_json(const CoachingPlan &p) {
  JsonWriter w;
  w.begin_object().field("plan_type", p.plan_type).field("classroom", p.classroom);
  w.field("generated_us", p.generated_us).field("class_size", p.class_size);
  w.key("action_items").begin_array();
  for (const ActionItem &a : p.items) {
    w.begin_object().field("priority", a.priority).field("score", a.score);
    w.field("action_type", a.action_type);
    if (!a.concept_id.empty()) w.field("concept_id", a.concept_id);
    if (!a.misconception_id.empty()) w.field("misconception_id", a.misconception_id);
    if (!a.modality.empty()) w.field("modality", a.modality);
    w.key("students").begin_array();
    for (const PlanStudent &s : a.students) {
      w.begin_object().field("id", s.id);
      if (s.mastery >= 0) w.field("mastery", s.mastery);
      if (s.before >= 0) w.field("before", s.before);
      if (!s.state.empty()) w.field("state", s.state);
      w.end_object();
    }
    w.end_array();
    if (!a.problems.empty()) {
      w.key("problems").begin_array();
      for (const auto &pid : a.problems)
        w.value(pid);
      w.end_array();
    }
    w.field("recommendation", a.recommendation).field("evidence", a.evidence);
    w.field("estimated_minutes", a.estimated_minutes);
    w.key("score_inputs").begin_object().field("severity", a.severity);
    w.field("recency", a.recency).field("impact", a.impact).field("effort", a.effort);
    w.end_object().end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
