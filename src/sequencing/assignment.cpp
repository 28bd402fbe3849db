// The assignment generator (rules in sequencing/sequencing.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "picker.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/irt/irt.hpp"

namespace tutorcore {
inline namespace v0 {

using seq::Goal;
using seq::Picker;

namespace {
constexpr double kMicrosPerDay = 86400.0 * 1e6;
}  // namespace

AssignmentPlan plan_assignment(const Domain &d, const ViewSet &v, StudentRef who,
                               const std::vector<std::string> &concepts, int64_t now_us,
                               const SequencingConfig &cfg) {
  check_sequencing_config(cfg);
  if (concepts.empty()) {
    throw Error(Errc::invalid, "assignment.concepts: name at least one target concept");
  }
  AssignmentPlan plan;
  std::vector<const Concept *> targets;
  for (size_t i = 0; i < concepts.size(); ++i) {
    const Concept *c = d.find_concept(concepts[i]);
    if (!c) {
      throw Error(Errc::not_found,
                  fmt::format("assignment.concepts[{}]: '{}' is not a concept of domain '{}'", i,
                              concepts[i], d.id));
    }
    if (std::find(targets.begin(), targets.end(), c) != targets.end()) continue;
    targets.push_back(c);
    plan.concepts.push_back(c->id);
  }

  Picker pk(d, v, who, cfg);
  auto note = [&](ItemKind k, const std::string &concept_id, const std::string &mid,
                  std::string text) {
    plan.notes.push_back({k, concept_id, mid, std::move(text)});
  };

  // 1. Remediation: one easy item per weak prerequisite.
  std::unordered_set<std::string> remediated;
  for (const Concept *t : targets) {
    for (const std::string &pre_id : t->prerequisites) {
      const Concept *pre = d.find_concept(pre_id);
      if (!pre || remediated.count(pre->id)) continue;
      double m = pk.mastery(*pre);
      if (m >= cfg.prereq_threshold) continue;
      remediated.insert(pre->id);
      size_t ci = pk.concept_index(pre->id);
      auto it =
          pk.pick(pk.problems_of(ci), pk.templates_of(ci), Goal{false, cfg.remediation_p_correct});
      if (!it) {
        note(ItemKind::remediation, pre->id, {},
             fmt::format("prerequisite {} is at {:.2f}, below {:.2f}, but every one of its "
                         "problems was seen and it has no template",
                         pre->id, m, cfg.prereq_threshold));
        continue;
      }
      it->kind = ItemKind::remediation;
      it->for_concept = t->id;
      it->reason = fmt::format(
          "remediation: prerequisite {} of {} is at mastery {:.2f}, below {:.2f}; an easy item, "
          "P(correct) {:.2f} nearest {:.2f}{}",
          pre->id, t->id, m, cfg.prereq_threshold, it->p_correct, cfg.remediation_p_correct,
          seq::generated_suffix(*it));
      plan.items.push_back(std::move(*it));
    }
  }

  // 2. Diagnostic: one item per active misconception of a target concept or
  //    of a prerequisite of one, in the taxonomy's order.
  std::unordered_set<std::string> scope;
  for (const Concept *t : targets) {
    scope.insert(t->id);
    for (const auto &pre : t->prerequisites)
      scope.insert(pre);
  }
  std::vector<std::pair<size_t, const EscalationRow *>> active;
  for (const auto &[k, row] : v.escalations_of(who.tenant, who.student)) {
    if (row->state() == EscalationState::resolved) continue;
    auto mi = d.misconception_index.find(k->c);
    if (mi == d.misconception_index.end()) continue;
    if (!scope.count(d.misconceptions[mi->second].concept_id)) continue;
    active.emplace_back(mi->second, row);
  }
  std::sort(active.begin(), active.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  for (const auto &[mi, row] : active) {
    const Misconception &m = d.misconceptions[mi];
    std::vector<const Problem *> bank;
    for (const Problem &p : d.problems) {
      if (std::find(p.diagnostic_for.begin(), p.diagnostic_for.end(), m.id) !=
          p.diagnostic_for.end()) {
        bank.push_back(&p);
      }
    }
    std::vector<const ProblemTemplate *> templates;
    for (const ProblemTemplate &t : d.templates) {
      if (std::find(t.diagnostic_for.begin(), t.diagnostic_for.end(), m.id) !=
          t.diagnostic_for.end()) {
        templates.push_back(&t);
      }
    }
    auto it = pk.pick(bank, templates, Goal{false, cfg.target_p_correct});
    const char *state = escalation_state_name(row->state());
    if (!it) {
      note(ItemKind::diagnostic, m.concept_id, m.id,
           fmt::format("misconception {} is open ({}), but every problem diagnostic for it was "
                       "seen and no template is",
                       m.id, state));
      continue;
    }
    it->kind = ItemKind::diagnostic;
    it->misconception_id = m.id;
    it->reason = fmt::format(
        "diagnostic: misconception {} is open ({}); this item is diagnostic for it, P(correct) "
        "{:.2f} nearest {:.2f}{}",
        m.id, state, it->p_correct, cfg.target_p_correct, seq::generated_suffix(*it));
    plan.items.push_back(std::move(*it));
  }

  // 3. Target items nearest the target P(correct).
  for (const Concept *t : targets) {
    size_t ci = pk.concept_index(t->id);
    double m = pk.mastery(*t);
    for (int32_t k = 0; k < cfg.items_per_concept; ++k) {
      auto it = pk.pick(pk.problems_of(ci), pk.templates_of(ci), Goal{false, cfg.target_p_correct});
      if (!it) {
        note(ItemKind::target, t->id, {},
             fmt::format("{} has no unseen problem or template instance left after {} items", t->id,
                         k));
        break;
      }
      it->kind = ItemKind::target;
      it->reason = fmt::format(
          "target: {} at mastery {:.2f} (theta {:.2f}); P(correct) {:.2f} is the nearest unseen "
          "to {:.2f}{}",
          t->id, m, theta_from_mastery(m), it->p_correct, cfg.target_p_correct,
          seq::generated_suffix(*it));
      plan.items.push_back(std::move(*it));
    }
  }

  // 4. Spaced review: the mastered concept practised longest ago, if that is
  //    at least review_after_days ago.
  std::vector<int64_t> last = pk.last_practice();
  std::vector<size_t> stale;
  for (size_t c = 0; c < d.concepts.size(); ++c) {
    const Concept &con = d.concepts[c];
    if (std::find(targets.begin(), targets.end(), &con) != targets.end()) continue;
    if (!pk.has_level(con) || pk.mastery(con) < d.threshold_for(con) || last[c] == 0) continue;
    if (static_cast<double>(now_us - last[c]) < cfg.review_after_days * kMicrosPerDay) continue;
    stale.push_back(c);
  }
  std::stable_sort(stale.begin(), stale.end(),
                   [&](size_t a, size_t b) { return last[a] < last[b]; });
  bool reviewed = false;
  for (size_t c : stale) {
    const Concept &con = d.concepts[c];
    auto it = pk.pick(pk.problems_of(c), pk.templates_of(c), Goal{false, cfg.review_p_correct});
    if (!it) continue;
    it->kind = ItemKind::review;
    it->days_since_practice = static_cast<double>(now_us - last[c]) / kMicrosPerDay;
    it->reason = fmt::format(
        "spaced review: {} is mastered ({:.2f}) and was last practised {:.1f} days ago (review "
        "after {:g}); P(correct) {:.2f} nearest {:.2f}{}",
        con.id, it->mastery, it->days_since_practice, cfg.review_after_days, it->p_correct,
        cfg.review_p_correct, seq::generated_suffix(*it));
    plan.items.push_back(std::move(*it));
    reviewed = true;
    break;
  }
  if (!reviewed) {
    note(ItemKind::review, {}, {},
         stale.empty() ? fmt::format("no mastered concept outside the targets was last practised "
                                     "{:g} or more days ago",
                                     cfg.review_after_days)
                       : std::string("the stale mastered concepts have no unseen item left"));
  }

  // At most max_items: cut at the end, as the seed does.
  while (static_cast<int32_t>(plan.items.size()) > cfg.max_items) {
    const SequencedItem &cut = plan.items.back();
    note(cut.kind, cut.problem.concept_id, cut.misconception_id,
         fmt::format("{} item {} cut: the assignment holds at most {} items",
                     item_kind_name(cut.kind), cut.problem.id, cfg.max_items));
    plan.items.pop_back();
  }
  return plan;
}

}  // namespace v0
}  // namespace tutorcore
