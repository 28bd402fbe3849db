// The escalation chain of experiment 06 (rules in chain.hpp).
#include "chain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace exp06 {

using tutorcore::Escalation;
using tutorcore::EscalationState;
using tutorcore::EscalationTrigger;
using tutorcore::Modality;
using S = EscalationState;

namespace {
void check_probability(const char *name, double v) {
  if (!(v >= 0.0 && v <= 1.0))
    throw std::invalid_argument(fmt::format("exp06: {} is {}; it must be in [0, 1]", name, v));
}

// Mastery values sent with the prerequisite triggers: one clearly below and
// one clearly above the engine's threshold (the engine compares only).
double below(const ChainParams &p) {
  return p.config.prereq_threshold * 0.5;
}
double above(const ChainParams &p) {
  return (1.0 + p.config.prereq_threshold) * 0.5;
}

int find(const std::vector<Node> &nodes, const Node &n) {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i] == n) return static_cast<int>(i);
  return -1;
}

// The next node: the engine's step, plus the escalated mark.
Node step(const Node &n, const EscalationTrigger &t, const ChainParams &p) {
  Node next{tutorcore::escalation_step(n.esc, t, p.config), n.escalated};
  if (next.esc.state == S::escalated) next.escalated = true;
  return next;
}

double population_variance(double sum, double sum_sq, double n) {
  double mean = sum / n;
  return std::max(0.0, sum_sq / n - mean * mean);
}
}  // namespace

void check_params(const ChainParams &p) {
  check_probability("p_resolve", p.p_resolve);
  check_probability("p_prereq_low", p.p_prereq_low);
  check_probability("p_remediated", p.p_remediated);
  check_probability("p_conference", p.p_conference);
  if (p.p_prereq_low > 0.0 && p.p_remediated <= 0.0)
    throw std::invalid_argument(
        "exp06: p_remediated is 0 while p_prereq_low > 0: remediation would never end");
  tutorcore::check_escalation_config(p.config);
}

const char *outcome_name(Outcome o) {
  switch (o) {
    case Outcome::resolved:
      return "resolved";
    case Outcome::teacher_conference:
      return "teacher_conference";
    case Outcome::teacher_resolved:
      return "teacher_resolved";
    case Outcome::iep_referral:
      return "iep_referral";
  }
  return "invalid";
}

Modality next_modality(const Escalation &esc) {
  for (size_t m = 0; m < tutorcore::kModalityCount; ++m)
    if (!(esc.modalities_tried & (1u << m))) return static_cast<Modality>(m);
  return static_cast<Modality>(static_cast<size_t>(esc.attempts) % tutorcore::kModalityCount);
}

int distinct_modalities(const Escalation &esc) {
  int n = 0;
  for (size_t m = 0; m < tutorcore::kModalityCount; ++m)
    if (esc.modalities_tried & (1u << m)) ++n;
  return n;
}

bool is_absorbing(const Escalation &esc, const ChainParams &p) {
  return esc.state == S::resolved || esc.state == S::iep_referral ||
         (esc.state == S::teacher_conference && !p.model_conferences);
}

Outcome outcome_of(const Node &n) {
  switch (n.esc.state) {
    case S::resolved:
      return n.escalated ? Outcome::teacher_resolved : Outcome::resolved;
    case S::teacher_conference:
      return Outcome::teacher_conference;
    case S::iep_referral:
      return Outcome::iep_referral;
    default:
      throw std::logic_error(
          fmt::format("exp06: state {} is not absorbing", escalation_state_name(n.esc.state)));
  }
}

std::vector<Branch> world_triggers(const Escalation &esc, const ChainParams &p) {
  std::vector<Branch> out;
  auto add = [&](const EscalationTrigger &t, double prob) {
    if (prob > 0.0) out.push_back({t, prob});
  };
  if (is_absorbing(esc, p)) return out;
  if (tutorcore::escalation_awaits_modality(esc)) {
    if (esc.recommended)
      add(EscalationTrigger::approved(*esc.recommended), 1.0);  // the teacher approves
    else
      add(EscalationTrigger::recommended(next_modality(esc)), 1.0);
    return out;
  }
  switch (esc.state) {
    case S::intervention_assigned:
    case S::modality_switched:  // an intervention awaits assessment
      add(EscalationTrigger::resolved(), p.p_resolve);
      add(EscalationTrigger::persisted(), 1.0 - p.p_resolve);
      break;
    case S::prerequisite_check:
      add(EscalationTrigger::prereq_check(below(p)), p.p_prereq_low);
      add(EscalationTrigger::prereq_check(above(p)), 1.0 - p.p_prereq_low);
      break;
    case S::prereq_remediation:
      add(EscalationTrigger::prereq_update(above(p)), p.p_remediated);
      add(EscalationTrigger::prereq_update(below(p)), 1.0 - p.p_remediated);
      break;
    case S::escalated:
      add(EscalationTrigger::acknowledged(), 1.0);
      break;
    case S::teacher_conference:
      add(EscalationTrigger::teacher_resolved(), p.p_conference);
      add(EscalationTrigger::conference_failed(), 1.0 - p.p_conference);
      break;
    default:
      throw std::logic_error(
          fmt::format("exp06: no trigger for state {}", escalation_state_name(esc.state)));
  }
  return out;
}

std::string node_label(const Node &n) {
  const Escalation &e = n.esc;
  std::string extra;
  if (e.state == S::detected || e.state == S::modality_switched) {
    if (tutorcore::escalation_awaits_modality(e))
      extra = e.recommended ? ",recommended" : ",due";
    else if (e.state == S::modality_switched)
      extra = ",assessing";
  }
  if (n.escalated && e.state == S::resolved) extra += ",by_teacher";
  if (e.state == S::teacher_conference && e.conferences_failed > 0)
    extra += fmt::format(",failed={}", e.conferences_failed);
  return fmt::format("{}[a={},persists={}{}]", escalation_state_name(e.state), e.attempts,
                     e.persists, extra);
}

Chain build_chain(const ChainParams &p) {
  check_params(p);
  Chain c;
  c.params = p;
  struct Edge {
    int from;
    bool to_absorbing;
    int to;
    double prob;
  };
  std::vector<Edge> edges;
  c.transient.push_back({tutorcore::escalation_begin(), false});
  // Breadth-first: transient states are numbered in the order they are found.
  for (size_t i = 0; i < c.transient.size(); ++i) {
    const Node from = c.transient[i];
    for (const Branch &b : world_triggers(from.esc, p)) {
      Node to = step(from, b.trigger, p);
      bool absorbing = is_absorbing(to.esc, p);
      std::vector<Node> &set = absorbing ? c.absorbing : c.transient;
      int j = find(set, to);
      if (j < 0) {
        set.push_back(to);
        j = static_cast<int>(set.size()) - 1;
      }
      edges.push_back({static_cast<int>(i), absorbing, j, b.prob});
    }
  }
  const auto nt = static_cast<Eigen::Index>(c.transient.size());
  const auto na = static_cast<Eigen::Index>(c.absorbing.size());
  c.Q = Eigen::MatrixXd::Zero(nt, nt);
  c.R = Eigen::MatrixXd::Zero(nt, na);
  c.assessment = Eigen::VectorXd::Zero(nt);
  for (const Edge &e : edges) {
    if (e.to_absorbing)
      c.R(e.from, e.to) += e.prob;
    else
      c.Q(e.from, e.to) += e.prob;
  }
  for (Eigen::Index i = 0; i < nt; ++i) {
    const Escalation &e = c.transient[static_cast<size_t>(i)].esc;
    bool assessing = (e.state == S::intervention_assigned || e.state == S::modality_switched) &&
                     e.intervention_active;
    c.assessment(i) = assessing ? 1.0 : 0.0;
  }
  return c;
}

Analysis analyse(const Chain &c) {
  Analysis a;
  const Eigen::Index nt = c.Q.rows();
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(nt, nt);
  a.N = (I - c.Q).fullPivLu().solve(I);
  a.B = a.N * c.R;
  a.t = a.N * Eigen::VectorXd::Ones(nt);
  a.t_var = (2.0 * a.N - I) * a.t - a.t.cwiseProduct(a.t);
  a.assess = a.N * c.assessment;
  a.outcome = Eigen::MatrixXd::Zero(nt, kOutcomeCount);
  Eigen::VectorXd modalities(c.absorbing.size()), attempts(c.absorbing.size());
  for (size_t j = 0; j < c.absorbing.size(); ++j) {
    const auto col = static_cast<Eigen::Index>(j);
    a.outcome.col(static_cast<int>(outcome_of(c.absorbing[j]))) += a.B.col(col);
    modalities(col) = distinct_modalities(c.absorbing[j].esc);
    attempts(col) = c.absorbing[j].esc.attempts;
  }
  for (int k = 0; k < kOutcomeCount; ++k)
    a.p_outcome[static_cast<size_t>(k)] = a.outcome(0, k);
  a.e_steps = a.t(0);
  a.var_steps = a.t_var(0);
  a.e_assessments = a.assess(0);
  a.e_modalities = a.B.row(0).dot(modalities);
  a.var_modalities = std::max(
      0.0, a.B.row(0).dot(modalities.cwiseProduct(modalities)) - a.e_modalities * a.e_modalities);
  a.e_attempts = a.B.row(0).dot(attempts);
  return a;
}

McResult simulate(const ChainParams &p, int64_t episodes, tutorcore::Rng &rng) {
  check_params(p);
  McResult r;
  r.episodes = episodes;
  double steps_sum = 0, steps_sq = 0, mod_sum = 0, mod_sq = 0, assess_sum = 0, att_sum = 0;
  constexpr int64_t kMaxSteps = 1'000'000;  // far beyond any episode with r, c > 0
  for (int64_t ep = 0; ep < episodes; ++ep) {
    Node n{tutorcore::escalation_begin(), false};
    int64_t steps = 0, assessments = 0;
    while (!is_absorbing(n.esc, p)) {
      std::vector<Branch> branches = world_triggers(n.esc, p);
      double u = rng.uniform(), acc = 0.0;
      const Branch *chosen = &branches.back();
      for (const Branch &b : branches) {
        acc += b.prob;
        if (u < acc) {
          chosen = &b;
          break;
        }
      }
      if (chosen->trigger.kind == tutorcore::EscalationTriggerKind::assessed_resolved ||
          chosen->trigger.kind == tutorcore::EscalationTriggerKind::assessed_persisted)
        ++assessments;
      n = step(n, chosen->trigger, p);
      if (++steps > kMaxSteps) throw std::runtime_error("exp06: an episode did not end");
    }
    r.count[static_cast<size_t>(outcome_of(n))] += 1;
    const auto s = static_cast<double>(steps);
    const double m = distinct_modalities(n.esc);
    steps_sum += s;
    steps_sq += s * s;
    mod_sum += m;
    mod_sq += m * m;
    assess_sum += static_cast<double>(assessments);
    att_sum += n.esc.attempts;
  }
  const auto e = static_cast<double>(episodes);
  r.mean_steps = steps_sum / e;
  r.var_steps = population_variance(steps_sum, steps_sq, e);
  r.mean_modalities = mod_sum / e;
  r.var_modalities = population_variance(mod_sum, mod_sq, e);
  r.mean_assessments = assess_sum / e;
  r.mean_attempts = att_sum / e;
  return r;
}

double Agreement::max_z() const {
  return std::max({max_z_p, z_steps, z_modalities});
}

Agreement compare(const Analysis &a, const McResult &m) {
  Agreement g;
  const auto n = static_cast<double>(m.episodes);
  // A z score; a zero standard error (a certain outcome) must be matched exactly.
  auto z = [](double diff, double se) {
    if (se > 0.0) return std::fabs(diff) / se;
    return std::fabs(diff) < 1e-12 ? 0.0 : HUGE_VAL;
  };
  for (size_t k = 0; k < static_cast<size_t>(kOutcomeCount); ++k) {
    double pa = a.p_outcome[k];
    double diff = static_cast<double>(m.count[k]) / n - pa;
    g.max_abs_diff_p = std::max(g.max_abs_diff_p, std::fabs(diff));
    g.max_z_p = std::max(g.max_z_p, z(diff, std::sqrt(pa * (1.0 - pa) / n)));
  }
  g.diff_steps = m.mean_steps - a.e_steps;
  g.z_steps = z(g.diff_steps, std::sqrt(a.var_steps / n));
  g.diff_modalities = m.mean_modalities - a.e_modalities;
  g.z_modalities = z(g.diff_modalities, std::sqrt(a.var_modalities / n));
  return g;
}

double closed_form_p_escalated(const ChainParams &p) {
  const int m = p.config.max_modality_attempts;
  return std::pow(1.0 - p.p_resolve, m) * std::pow(1.0 - p.p_prereq_low * p.p_resolve, m - 2);
}

double closed_form_steps_no_prereq(const ChainParams &p) {
  const int m = p.config.max_modality_attempts;
  const double q = 1.0 - p.p_resolve;
  double e = 0.0;
  for (int k = 1; k <= m; ++k)
    e += p.p_resolve * std::pow(q, k - 1) * (3.0 * k + std::max(0, k - 2));
  return e + std::pow(q, m) * (4.0 * m - 1.0);
}

}  // namespace exp06
