// The validity simulator's learners (see learner.hpp for the model).
#include "tutorcore/sim/learner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "tutorcore/common/error.hpp"
#include "tutorcore/sequencing/template.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

double clamp01(double x) {
  return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

void need(bool ok, const char *field, const char *rule) {
  if (!ok) throw Error(Errc::invalid, fmt::format("learner.{}: {}", field, rule));
}

// How much practice at correctness p teaches (1 at zpd_center).
double zpd(double p, const LearnerConfig &c) {
  double z = (p - c.zpd_center) / c.zpd_width;
  return std::exp(-z * z);
}

// Learning slows while a prerequisite is below prereq_needed.
double prereq_factor(const SimLearner &l, const SimWorld &w, int32_t concept,
                     const LearnerConfig &c) {
  double f = 1.0;
  for (int32_t p : w.concepts[concept].prerequisites) {
    double k = l.knowledge[p];
    if (k < c.prereq_needed) {
      f = std::min(f, c.prereq_floor + (1.0 - c.prereq_floor) * k / c.prereq_needed);
    }
  }
  return f;
}

// The strongest misconception held on a concept (0 when none).
double strongest(const SimLearner &l, const SimWorld &w, int32_t concept, int32_t *which) {
  double s = 0.0;
  if (which) *which = -1;
  for (int32_t m : w.concepts[concept].misconceptions) {
    if (l.strength[m] > s) {
      s = l.strength[m];
      if (which) *which = m;
    }
  }
  return s;
}

double block_factor(const SimLearner &l, const SimWorld &w, int32_t concept,
                    const LearnerConfig &c) {
  return 1.0 - c.block_strength * strongest(l, w, concept, nullptr);
}

// P(none of the probed misconceptions fires) on an item.
double probe_pass(const SimLearner &l, const std::vector<int32_t> &probes) {
  double pass = 1.0;
  for (int32_t m : probes)
    pass *= 1.0 - l.strength[m];
  return pass;
}

double knowledge_p(double k, const IrtItem &it, const LearnerConfig &c) {
  return c.guess + (1.0 - c.guess - c.slip) * irt_probability(c.knowledge_scale * (k - 0.5), it);
}

SimItem item_from_problem(const Problem &p, int32_t concept, const Domain &d) {
  SimItem it;
  it.id = p.id;
  it.concept = concept;
  it.irt = IrtItem{p.irt_a, p.irt_b};
  for (const auto &[mid, answer] : p.misconception_answers) {
    auto found = d.misconception_index.find(mid);
    if (found != d.misconception_index.end())
      it.probes.push_back(static_cast<int32_t>(found->second));
  }
  return it;
}

}  // namespace

void check_learner_config(const LearnerConfig &c) {
  auto prob = [](double x) { return std::isfinite(x) && x >= 0.0 && x <= 1.0; };
  auto pos = [](double x) { return std::isfinite(x) && x > 0.0; };
  auto nonneg = [](double x) { return std::isfinite(x) && x >= 0.0; };
  need(nonneg(c.ability_sd), "ability_sd", "must be a finite number >= 0");
  need(nonneg(c.concept_sd), "concept_sd", "must be a finite number >= 0");
  need(std::isfinite(c.initial_logit), "initial_logit", "must be finite");
  need(std::isfinite(c.level_step), "level_step", "must be finite");
  need(prob(c.hold_rate), "hold_rate", "must be in [0, 1]");
  need(prob(c.min_strength) && c.min_strength > 0.0, "min_strength", "must be in (0, 1]");
  need(prob(c.max_strength) && c.max_strength >= c.min_strength, "max_strength",
       "must be in [min_strength, 1]");
  need(prob(c.guess), "guess", "must be in [0, 1]");
  need(prob(c.slip) && c.guess + c.slip < 1.0, "slip", "must be in [0, 1] with guess + slip < 1");
  need(pos(c.knowledge_scale), "knowledge_scale", "must be > 0");
  need(prob(c.practice_rate), "practice_rate", "must be in [0, 1]");
  need(prob(c.zpd_center), "zpd_center", "must be in [0, 1]");
  need(pos(c.zpd_width), "zpd_width", "must be > 0");
  need(prob(c.prereq_needed) && c.prereq_needed > 0.0, "prereq_needed", "must be in (0, 1]");
  need(prob(c.prereq_floor), "prereq_floor", "must be in [0, 1]");
  need(prob(c.block_strength), "block_strength", "must be in [0, 1]");
  need(prob(c.feedback_rate), "feedback_rate", "must be in [0, 1]");
  need(prob(c.resolve_base), "resolve_base", "must be in [0, 1]");
  need(prob(c.max_resolve), "max_resolve", "must be in [0, 1]");
  need(prob(c.resolve_gain), "resolve_gain", "must be in [0, 1]");
  need(prob(c.confusion), "confusion", "must be in [0, 1]");
  need(prob(c.negative_transfer), "negative_transfer", "must be in [0, 1]");
  need(prob(c.strengthen), "strengthen", "must be in [0, 1]");
  need(prob(c.implant), "implant", "must be in [0, 1]");
  need(prob(c.implant_strength) && c.implant_strength > 0.0, "implant_strength",
       "must be in (0, 1]");
  need(prob(c.max_strength_cap) && c.max_strength_cap > 0.0, "max_strength_cap",
       "must be in (0, 1]");
  need(pos(c.gaming_alpha), "gaming_alpha", "must be > 0");
  need(pos(c.gaming_beta), "gaming_beta", "must be > 0");
  need(pos(c.latency_median_s), "latency_median_s", "must be > 0");
  need(nonneg(c.latency_student_sd), "latency_student_sd", "must be >= 0");
  need(nonneg(c.latency_item_sd), "latency_item_sd", "must be >= 0");
  need(pos(c.gaming_latency_s), "gaming_latency_s", "must be > 0");
  need(!c.test_difficulties.empty(), "test_difficulties", "must not be empty");
  for (double b : c.test_difficulties) {
    need(std::isfinite(b), "test_difficulties", "must hold finite numbers");
  }
  need(std::isfinite(c.probe_difficulty), "probe_difficulty", "must be finite");
  need(prob(c.probe_weight), "probe_weight", "must be in [0, 1]");
}

SimWorld build_sim_world(const Domain &d, int32_t bank_size, uint64_t seed) {
  if (d.concepts.empty()) throw Error(Errc::invalid, "simulation: the domain has no concepts");
  if (bank_size < 0) {
    throw Error(Errc::invalid, fmt::format("simulation.bank_size: {} is negative", bank_size));
  }
  SimWorld w;
  w.concepts.resize(d.concepts.size());
  for (size_t i = 0; i < d.concepts.size(); ++i) {
    const Concept &c = d.concepts[i];
    SimWorld::ConceptNode &n = w.concepts[i];
    n.id = c.id;
    n.level = c.level;
    n.bkt = c.bkt;
    for (const std::string &p : c.prerequisites) {
      auto found = d.concept_index.find(p);
      if (found != d.concept_index.end())
        n.prerequisites.push_back(static_cast<int32_t>(found->second));
    }
  }
  for (size_t m = 0; m < d.misconceptions.size(); ++m) {
    auto found = d.concept_index.find(d.misconceptions[m].concept_id);
    int32_t concept = found == d.concept_index.end() ? -1 : static_cast<int32_t>(found->second);
    w.misconceptions.push_back(d.misconceptions[m].id);
    w.misconception_concept.push_back(concept);
    if (concept >= 0) w.concepts[concept].misconceptions.push_back(static_cast<int32_t>(m));
  }
  w.items.resize(d.concepts.size());
  for (const Problem &p : d.problems) {
    auto found = d.concept_index.find(p.concept_id);
    if (found == d.concept_index.end()) continue;
    auto &bank = w.items[found->second];
    if (bank_size == 0 || static_cast<int32_t>(bank.size()) < bank_size) {
      bank.push_back(item_from_problem(p, static_cast<int32_t>(found->second), d));
    }
  }
  if (bank_size == 0) return w;
  // Fill each bank with template instances, the concept's templates in turn.
  for (size_t ci = 0; ci < d.concepts.size(); ++ci) {
    auto &bank = w.items[ci];
    std::vector<const ProblemTemplate *> templates;
    for (const ProblemTemplate &t : d.templates) {
      if (t.concept_id == d.concepts[ci].id) templates.push_back(&t);
    }
    if (templates.empty()) continue;
    std::unordered_set<std::string> ids;
    for (const SimItem &it : bank)
      ids.insert(it.id);
    // Stop after a run of draws that add nothing (a template's space is small).
    int misses = 0;
    for (uint64_t n = 0; static_cast<int32_t>(bank.size()) < bank_size && misses < 200; ++n) {
      const ProblemTemplate &t = *templates[n % templates.size()];
      std::optional<Problem> p = generate_instance(t, seed, n / templates.size());
      if (!p || !ids.insert(p->id).second) {
        ++misses;
        continue;
      }
      misses = 0;
      bank.push_back(item_from_problem(*p, static_cast<int32_t>(ci), d));
      ++w.template_instances;
    }
  }
  return w;
}

SimLearner draw_learner(const SimWorld &w, const LearnerConfig &c, Rng &rng) {
  SimLearner l;
  double ability = c.ability_sd * rng.normal();
  l.knowledge.resize(w.concepts.size());
  for (size_t i = 0; i < w.concepts.size(); ++i) {
    double logit = ability + c.concept_sd * rng.normal() + c.initial_logit -
                   c.level_step * (w.concepts[i].level - 1);
    l.knowledge[i] = sigmoid(logit);
  }
  l.strength.assign(w.misconceptions.size(), 0.0);
  for (size_t m = 0; m < w.misconceptions.size(); ++m) {
    // Draw both numbers for every misconception so one learner's draws do
    // not depend on what it holds (common random numbers across configs).
    double u = rng.uniform(), v = rng.uniform();
    if (u < c.hold_rate) l.strength[m] = c.min_strength + (c.max_strength - c.min_strength) * v;
  }
  double total = 0.0;
  for (double &p : l.pref)
    total += (p = rng.gamma(1.0));
  for (double &p : l.pref)
    p /= total;
  l.gaming = rng.beta(c.gaming_alpha, c.gaming_beta);
  l.latency_scale_s = c.latency_median_s * std::exp(c.latency_student_sd * rng.normal());
  return l;
}

double learner_p_correct(const SimLearner &l, const SimItem &it, const LearnerConfig &c) {
  return probe_pass(l, it.probes) * knowledge_p(l.knowledge[it.concept], it.irt, c);
}

SimAnswer learner_answer(const SimLearner &l, const SimItem &it, const LearnerConfig &c, Rng &rng) {
  SimAnswer a;
  a.p_correct = learner_p_correct(l, it, c);
  // A fixed number of draws per answer keeps the streams aligned across configs.
  double u_game = rng.uniform(), u_right = rng.uniform(), u_time = rng.normal();
  if (u_game < l.gaming) {
    a.gamed = true;
    a.correct = u_right < c.guess;
    a.latency_s = c.gaming_latency_s * std::exp(0.3 * u_time);
    return a;
  }
  for (int32_t m : it.probes) {
    double u = rng.uniform();  // drawn for every probe, held or not
    if (a.misconception < 0 && u < l.strength[m]) a.misconception = m;
  }
  if (a.misconception < 0) a.correct = u_right < knowledge_p(l.knowledge[it.concept], it.irt, c);
  // Harder items take longer; a wrong answer a little less than a right one.
  double hard = 0.25 * (it.irt.b - c.knowledge_scale * (l.knowledge[it.concept] - 0.5));
  a.latency_s = l.latency_scale_s * std::exp(c.latency_item_sd * u_time + hard);
  return a;
}

void learner_practice(SimLearner &l, const SimWorld &w, const SimItem &it, double p,
                      const LearnerConfig &c) {
  double &k = l.knowledge[it.concept];
  double gain = c.practice_rate * zpd(p, c) * prereq_factor(l, w, it.concept, c) *
                block_factor(l, w, it.concept, c);
  k = clamp01(k + gain * (1.0 - k));
}

void learner_feedback(SimLearner &l, const SimWorld &w, int32_t concept, const LearnerConfig &c) {
  double &k = l.knowledge[concept];
  double gain = c.feedback_rate * prereq_factor(l, w, concept, c) * block_factor(l, w, concept, c);
  k = clamp01(k + gain * (1.0 - k));
}

const char *intervention_effect_name(InterventionEffect e) {
  switch (e) {
    case InterventionEffect::resolved:
      return "resolved";
    case InterventionEffect::persisted:
      return "persisted";
    case InterventionEffect::confused:
      return "confused";
    case InterventionEffect::strengthened:
      return "strengthened";
    case InterventionEffect::implanted:
      return "implanted";
  }
  return "?";
}

InterventionEffect learner_intervene(SimLearner &l, const SimWorld &w, int32_t target,
                                     Modality modality, const LearnerConfig &c, Rng &rng) {
  double u = rng.uniform(), v = rng.uniform();
  int32_t concept = w.misconception_concept[target];
  if (concept < 0) return InterventionEffect::persisted;
  double &k = l.knowledge[concept];
  if (l.strength[target] > 0.0) {
    double p = std::min(c.max_resolve,
                        c.resolve_base * kModalityCount * l.pref[static_cast<size_t>(modality)]);
    if (u >= p) {
      if (!c.conditional_learning) k = clamp01(k + c.resolve_gain * (1.0 - k));
      return InterventionEffect::persisted;
    }
    l.strength[target] = 0.0;
    k = clamp01(k + c.resolve_gain * (1.0 - k));
    return InterventionEffect::resolved;
  }
  if (!c.conditional_learning) {
    k = clamp01(k + c.resolve_gain * (1.0 - k));
    return InterventionEffect::persisted;
  }
  // Taught a misconception it does not hold: confused.
  k = clamp01(k - c.confusion * k);
  if (u >= c.negative_transfer) return InterventionEffect::confused;
  int32_t held = -1;
  strongest(l, w, concept, &held);
  if (held >= 0) {
    l.strength[held] = std::min(c.max_strength_cap, l.strength[held] + c.strengthen);
    return InterventionEffect::strengthened;
  }
  if (v < c.implant) {
    l.strength[target] = c.implant_strength;
    return InterventionEffect::implanted;
  }
  return InterventionEffect::confused;
}

double learner_concept_score(const SimLearner &l, const SimWorld &w, int32_t concept,
                             const LearnerConfig &c) {
  double k = l.knowledge[concept];
  double sum = 0.0;
  int n = 0;
  for (double b : c.test_difficulties) {
    sum += knowledge_p(k, IrtItem{1.0, b}, c);
    ++n;
  }
  double plain = sum / n;
  const auto &ms = w.concepts[concept].misconceptions;
  if (ms.empty() || c.probe_weight == 0.0) return plain;
  double probe = 0.0;
  for (int32_t m : ms) {
    probe += (1.0 - l.strength[m]) * knowledge_p(k, IrtItem{1.0, c.probe_difficulty}, c);
  }
  probe /= static_cast<double>(ms.size());
  return (1.0 - c.probe_weight) * plain + c.probe_weight * probe;
}

double learner_test_score(const SimLearner &l, const SimWorld &w,
                          const std::vector<int32_t> &concepts, const LearnerConfig &c) {
  if (concepts.empty()) return 0.0;
  double sum = 0.0;
  for (int32_t ci : concepts)
    sum += learner_concept_score(l, w, ci, c);
  return sum / static_cast<double>(concepts.size());
}

}  // namespace v0
}  // namespace tutorcore
