// The escalation transition function (rules and readings in escalation.hpp).
#include "tutorcore/intervention/escalation.hpp"

#include <fmt/format.h>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/names.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
constexpr const char *kStateNames[kEscalationStateCount] = {
    "detected",           "intervention_assigned", "modality_switched",
    "prerequisite_check", "prereq_remediation",    "escalated",
    "teacher_conference", "iep_referral",          "resolved"};

constexpr const char *kTriggerNames[kEscalationTriggerCount] = {
    "misconception_detected", "modality_recommended", "intervention_approved",
    "assessed_resolved",      "assessed_persisted",   "prereq_checked",
    "prereq_mastery_updated", "teacher_acknowledged", "teacher_resolved",
    "conference_failed"};

using S = EscalationState;
using K = EscalationTriggerKind;

// Messages must not index the name tables with a corrupt value.
std::string state_label(S s) {
  if (static_cast<size_t>(s) < kEscalationStateCount) return escalation_state_name(s);
  return fmt::format("<invalid state {}>", static_cast<int>(s));
}

std::string trigger_label(K k) {
  if (static_cast<size_t>(k) < kEscalationTriggerCount)
    return kTriggerNames[static_cast<size_t>(k)];
  return fmt::format("<invalid trigger {}>", static_cast<int>(k));
}

[[noreturn]] void reject(const Escalation &s, const EscalationTrigger &t) {
  std::string valid;
  for (size_t i = 0; i < kEscalationTriggerCount; ++i) {
    if (!escalation_accepts(s, static_cast<K>(i))) continue;
    if (!valid.empty()) valid += ", ";
    valid += kTriggerNames[i];
  }
  throw Error(Errc::invalid,
              fmt::format("escalation: trigger '{}' is not valid in state '{}'{}; valid there: {}",
                          trigger_label(t.kind), state_label(s.state),
                          s.state == S::modality_switched
                              ? (s.intervention_active ? " (an intervention awaits assessment)"
                                                       : " (a modality is due)")
                              : "",
                          valid.empty() ? "none" : valid));
}

void check_trigger(const EscalationTrigger &t) {
  if ((t.kind == K::modality_recommended || t.kind == K::intervention_approved) &&
      static_cast<size_t>(t.modality) >= kModalityCount)
    throw Error(Errc::invalid, fmt::format("escalation: trigger '{}' has an invalid modality ({})",
                                           trigger_label(t.kind), static_cast<int>(t.modality)));
  if ((t.kind == K::prereq_checked || t.kind == K::prereq_mastery_updated) &&
      !(t.prereq_mastery >= 0.0 && t.prereq_mastery <= 1.0))
    throw Error(Errc::invalid,
                fmt::format("escalation: trigger '{}' has prereq_mastery {}; it must be in [0, 1] "
                            "(pass 1.0 for a concept without prerequisites)",
                            trigger_label(t.kind), t.prereq_mastery));
}

Escalation assign(Escalation n, Modality m) {
  n.state = n.state == S::detected ? S::intervention_assigned : S::modality_switched;
  n.modalities_tried = static_cast<uint8_t>(n.modalities_tried | (1u << static_cast<unsigned>(m)));
  n.attempts += 1;
  n.current = m;
  n.recommended.reset();
  n.intervention_active = true;
  return n;
}
}  // namespace

const char *escalation_state_name(EscalationState s) {
  return kStateNames[static_cast<size_t>(s)];
}

bool parse_escalation_trigger(std::string_view name, EscalationTriggerKind *out) {
  size_t i;
  if (!find_name(kTriggerNames, kEscalationTriggerCount, name, &i)) return false;
  *out = static_cast<EscalationTriggerKind>(i);
  return true;
}

bool parse_escalation_state(std::string_view name, EscalationState *out) {
  size_t i;
  if (!find_name(kStateNames, kEscalationStateCount, name, &i)) return false;
  *out = static_cast<EscalationState>(i);
  return true;
}

const char *escalation_trigger_name(EscalationTriggerKind k) {
  return static_cast<size_t>(k) < kEscalationTriggerCount ? kTriggerNames[static_cast<size_t>(k)]
                                                          : "invalid";
}

void check_escalation_config(const EscalationConfig &c) {
  // The table always switches modality after the first persist, so a limit
  // below two could not be honoured.
  if (c.max_modality_attempts < 2)
    throw Error(Errc::invalid,
                fmt::format("escalation config: max_modality_attempts is {}; it must "
                            "be at least 2",
                            c.max_modality_attempts));
  if (!(c.prereq_threshold >= 0.0 && c.prereq_threshold <= 1.0))
    throw Error(Errc::invalid,
                fmt::format("escalation config: prereq_threshold is {}; it must be in [0, 1]",
                            c.prereq_threshold));
  if (c.conferences_before_referral < 1)
    throw Error(Errc::invalid, fmt::format("escalation config: conferences_before_referral is {}; "
                                           "it must be at least 1",
                                           c.conferences_before_referral));
}

bool Escalation::operator==(const Escalation &o) const {
  return state == o.state && modalities_tried == o.modalities_tried && attempts == o.attempts &&
         persists == o.persists && conferences_failed == o.conferences_failed &&
         detections == o.detections && recurrences == o.recurrences &&
         intervention_active == o.intervention_active && current == o.current &&
         recommended == o.recommended;
}

Escalation escalation_begin() {
  Escalation s;
  s.detections = 1;
  return s;
}

bool escalation_awaits_modality(const Escalation &s) {
  return s.state == S::detected || (s.state == S::modality_switched && !s.intervention_active);
}

bool escalation_accepts(const Escalation &s, EscalationTriggerKind kind) {
  if (static_cast<size_t>(s.state) >= kEscalationStateCount) return false;
  switch (kind) {
    case K::misconception_detected:
      return true;
    case K::modality_recommended:
    case K::intervention_approved:
      return escalation_awaits_modality(s);
    case K::assessed_resolved:
    case K::assessed_persisted:
      return (s.state == S::intervention_assigned || s.state == S::modality_switched) &&
             s.intervention_active;
    case K::prereq_checked:
      return s.state == S::prerequisite_check;
    case K::prereq_mastery_updated:
      return s.state == S::prereq_remediation;
    case K::teacher_acknowledged:
      return s.state == S::escalated;
    case K::teacher_resolved:
    case K::conference_failed:
      return s.state == S::teacher_conference;
  }
  return false;
}

Escalation escalation_step(const Escalation &s, const EscalationTrigger &t,
                           const EscalationConfig &c) {
  check_escalation_config(c);
  if (!escalation_accepts(s, t.kind)) reject(s, t);
  check_trigger(t);
  Escalation n = s;
  switch (t.kind) {
    case K::misconception_detected:
      if (s.state == S::resolved) {
        n = Escalation{};
        n.recurrences = s.recurrences + 1;
      }
      n.detections += 1;
      return n;
    case K::modality_recommended:
      if (c.auto_approve) return assign(n, t.modality);
      n.recommended = t.modality;
      return n;
    case K::intervention_approved:
      return assign(n, t.modality);
    case K::assessed_resolved:
      n.state = S::resolved;
      n.intervention_active = false;
      return n;
    case K::assessed_persisted:
      n.persists += 1;
      n.intervention_active = false;
      if (s.state == S::intervention_assigned)
        n.state = S::modality_switched;
      else
        n.state = s.attempts >= c.max_modality_attempts ? S::escalated : S::prerequisite_check;
      return n;
    case K::prereq_checked:
      n.state =
          t.prereq_mastery < c.prereq_threshold ? S::prereq_remediation : S::modality_switched;
      return n;
    case K::prereq_mastery_updated:
      if (t.prereq_mastery >= c.prereq_threshold) {
        n.state = S::intervention_assigned;  // the current intervention is assessed again
        n.intervention_active = true;
      }
      return n;
    case K::teacher_acknowledged:
      n.state = S::teacher_conference;
      return n;
    case K::teacher_resolved:
      n.state = S::resolved;
      return n;
    case K::conference_failed:
      n.conferences_failed += 1;
      if (n.conferences_failed >= c.conferences_before_referral) n.state = S::iep_referral;
      return n;
  }
  reject(s, t);  // unreachable for valid kinds: escalation_accepts refused the others
}

std::vector<EscalationTransition> escalation_transitions(const EscalationConfig &c) {
  check_escalation_config(c);
  const int max = c.max_modality_attempts;
  const double thr = c.prereq_threshold;
  const int conf = c.conferences_before_referral;
  std::vector<EscalationTransition> t;
  auto row = [&](std::optional<S> from, K k, std::string cond, S to, bool seed) {
    t.push_back({from, k, std::move(cond), to, seed});
  };
  row(std::nullopt, K::misconception_detected, "first detection", S::detected, true);
  for (size_t i = 0; i < kEscalationStateCount; ++i) {
    auto s = static_cast<S>(i);
    if (s == S::resolved) continue;
    row(s, K::misconception_detected, "episode open: detections + 1", s, false);
  }
  row(S::detected, K::modality_recommended, "auto_approve off: awaits a teacher", S::detected,
      false);
  row(S::detected, K::modality_recommended, "auto_approve on", S::intervention_assigned, true);
  row(S::detected, K::intervention_approved, "teacher approves or chooses a modality",
      S::intervention_assigned, true);
  row(S::intervention_assigned, K::assessed_resolved, "misconception absent", S::resolved, true);
  row(S::intervention_assigned, K::assessed_persisted, "misconception present",
      S::modality_switched, true);
  row(S::modality_switched, K::modality_recommended,
      "modality due, auto_approve off: awaits a teacher", S::modality_switched, false);
  row(S::modality_switched, K::modality_recommended, "modality due, auto_approve on",
      S::modality_switched, false);
  row(S::modality_switched, K::intervention_approved,
      "modality due: teacher approves or chooses a modality", S::modality_switched, false);
  row(S::modality_switched, K::assessed_resolved, "misconception absent", S::resolved, true);
  row(S::modality_switched, K::assessed_persisted,
      fmt::format("misconception present, attempts < {}", max), S::prerequisite_check, true);
  row(S::modality_switched, K::assessed_persisted,
      fmt::format("misconception present, attempts >= {} (all modalities allowed tried)", max),
      S::escalated, true);
  row(S::prerequisite_check, K::prereq_checked, fmt::format("a prerequisite < {:.2f}", thr),
      S::prereq_remediation, true);
  row(S::prerequisite_check, K::prereq_checked, fmt::format("all prerequisites >= {:.2f}", thr),
      S::modality_switched, true);
  row(S::prereq_remediation, K::prereq_mastery_updated,
      fmt::format("all prerequisites >= {:.2f}: re-assess the current intervention", thr),
      S::intervention_assigned, true);
  row(S::prereq_remediation, K::prereq_mastery_updated, fmt::format("a prerequisite < {:.2f}", thr),
      S::prereq_remediation, false);
  row(S::escalated, K::teacher_acknowledged, "always", S::teacher_conference, true);
  row(S::teacher_conference, K::teacher_resolved, "resolution confirmed", S::resolved, true);
  row(S::teacher_conference, K::conference_failed, fmt::format("failed conferences < {}", conf),
      S::teacher_conference, false);
  row(S::teacher_conference, K::conference_failed, fmt::format("failed conferences reach {}", conf),
      S::iep_referral, true);
  row(S::resolved, K::misconception_detected, "recurrence: a new episode, recurrences + 1",
      S::detected, false);
  return t;
}

}  // namespace v0
}  // namespace tutorcore
