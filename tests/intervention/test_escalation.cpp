// The escalation state machine: every row of the transition table, the
// teacher-approval gate, escalation after the allowed modalities fail,
// recurrence and refused triggers.
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/intervention/escalation.hpp"

using namespace tutorcore;
using S = EscalationState;
using K = EscalationTriggerKind;
using T = EscalationTrigger;

namespace {
Escalation run(Escalation s, const std::vector<T> &triggers, const EscalationConfig &c) {
  for (const T &t : triggers)
    s = escalation_step(s, t, c);
  return s;
}

// Starting points, reached only through the transition function.
Escalation assigned(const EscalationConfig &c) {
  return run(escalation_begin(), {T::approved(Modality::visual)}, c);
}
Escalation switched_due(const EscalationConfig &c) {
  return run(assigned(c), {T::persisted()}, c);
}
Escalation switched_active(const EscalationConfig &c) {
  return run(switched_due(c), {T::approved(Modality::concrete)}, c);
}
Escalation prereq_check(const EscalationConfig &c) {
  return run(switched_active(c), {T::persisted()}, c);
}
Escalation remediation(const EscalationConfig &c) {
  return run(prereq_check(c), {T::prereq_check(0.4)}, c);
}
// The 4th modality assigned, awaiting its assessment.
Escalation last_attempt(const EscalationConfig &c) {
  return run(prereq_check(c),
             {T::prereq_check(0.9), T::approved(Modality::pattern), T::persisted(),
              T::prereq_check(0.9), T::approved(Modality::verbal)},
             c);
}
Escalation escalated(const EscalationConfig &c) {
  return run(last_attempt(c), {T::persisted()}, c);
}
Escalation conference(const EscalationConfig &c) {
  return run(escalated(c), {T::acknowledged()}, c);
}
Escalation referral(const EscalationConfig &c) {
  return run(conference(c), {T::conference_failed(), T::conference_failed()}, c);
}
Escalation resolved(const EscalationConfig &c) {
  return run(assigned(c), {T::resolved()}, c);
}

bool is_invalid(const Escalation &s, const T &t, const EscalationConfig &c) {
  try {
    escalation_step(s, t, c);
  } catch (const Error &e) {
    return e.code() == Errc::invalid;
  }
  return false;
}
}  // namespace

TEST_CASE("escalation: every row of the transition table is driven") {
  EscalationConfig manual;
  EscalationConfig automatic;
  automatic.auto_approve = true;
  auto rows = escalation_transitions(manual);
  std::set<size_t> covered;
  // Applies `t` to `s`, checks the state reached, and marks the table row it
  // exercised (matched on from, trigger, to and a phrase of the condition).
  auto drive = [&](const Escalation &s, const T &t, const EscalationConfig &c, S expected,
                   const std::string &phrase = "") {
    Escalation n = escalation_step(s, t, c);
    CHECK_MESSAGE(n.state == expected, escalation_state_name(s.state)
                                           << " --" << escalation_trigger_name(t.kind) << "--> "
                                           << escalation_state_name(n.state));
    size_t matches = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto &r = rows[i];
      if (r.from == s.state && r.trigger == t.kind && r.to == expected &&
          r.condition.find(phrase) != std::string::npos) {
        covered.insert(i);
        ++matches;
      }
    }
    CHECK_MESSAGE(matches == 1,
                  "no single table row for " << escalation_state_name(s.state) << " / " << phrase);
    return n;
  };

  // (none) --detected--> detected
  Escalation first = escalation_begin();
  CHECK(first.state == S::detected);
  CHECK(first.detections == 1);
  for (size_t i = 0; i < rows.size(); ++i)
    if (!rows[i].from) covered.insert(i);

  // A detection in each open state counts and keeps the state.
  std::vector<Escalation> open = {escalation_begin(),   assigned(manual),    switched_due(manual),
                                  prereq_check(manual), remediation(manual), escalated(manual),
                                  conference(manual),   referral(manual)};
  for (const Escalation &s : open) {
    Escalation n = drive(s, T::detected(), manual, s.state, "open");
    CHECK(n.detections == s.detections + 1);
    CHECK(n.recurrences == s.recurrences);
  }
  Escalation again = drive(resolved(manual), T::detected(), manual, S::detected, "recurrence");
  CHECK(again.recurrences == 1);

  // detected: the gate.
  Escalation waiting =
      drive(escalation_begin(), T::recommended(Modality::visual), manual, S::detected, "off");
  CHECK(waiting.recommended == Modality::visual);
  CHECK(waiting.attempts == 0);
  drive(escalation_begin(), T::recommended(Modality::visual), automatic, S::intervention_assigned,
        "on");
  drive(escalation_begin(), T::approved(Modality::pattern), manual, S::intervention_assigned);

  // intervention_assigned: the assessment.
  drive(assigned(manual), T::resolved(), manual, S::resolved);
  drive(assigned(manual), T::persisted(), manual, S::modality_switched);

  // modality_switched: the next modality, then its assessment.
  drive(switched_due(manual), T::recommended(Modality::concrete), manual, S::modality_switched,
        "off");
  Escalation auto_switched = drive(switched_due(manual), T::recommended(Modality::concrete),
                                   automatic, S::modality_switched, "on");
  CHECK(auto_switched.intervention_active);
  CHECK(auto_switched.attempts == 2);
  drive(switched_due(manual), T::approved(Modality::concrete), manual, S::modality_switched,
        "teacher");
  drive(switched_active(manual), T::resolved(), manual, S::resolved);
  drive(switched_active(manual), T::persisted(), manual, S::prerequisite_check, "<");
  drive(last_attempt(manual), T::persisted(), manual, S::escalated, ">=");

  // prerequisite_check and prereq_remediation.
  drive(prereq_check(manual), T::prereq_check(0.59), manual, S::prereq_remediation);
  drive(prereq_check(manual), T::prereq_check(0.60), manual, S::modality_switched);
  drive(remediation(manual), T::prereq_update(0.60), manual, S::intervention_assigned);
  drive(remediation(manual), T::prereq_update(0.5), manual, S::prereq_remediation);

  // The teacher's part.
  drive(escalated(manual), T::acknowledged(), manual, S::teacher_conference);
  drive(conference(manual), T::teacher_resolved(), manual, S::resolved);
  Escalation once =
      drive(conference(manual), T::conference_failed(), manual, S::teacher_conference, "<");
  CHECK(once.conferences_failed == 1);
  drive(once, T::conference_failed(), manual, S::iep_referral, "reach");

  CHECK(covered.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    CHECK_MESSAGE(covered.count(i), "row not driven: " << rows[i].condition);
}

TEST_CASE("escalation: the seed's rows are marked and the config's numbers appear") {
  EscalationConfig c;
  c.max_modality_attempts = 5;
  c.prereq_threshold = 0.7;
  c.conferences_before_referral = 3;
  auto rows = escalation_transitions(c);
  size_t seed_rows = 0;
  bool saw_attempts = false, saw_threshold = false, saw_conferences = false;
  for (const auto &r : rows) {
    seed_rows += r.in_seed_table ? 1 : 0;
    saw_attempts |= r.condition.find("attempts < 5") != std::string::npos;
    saw_threshold |= r.condition.find("0.70") != std::string::npos;
    saw_conferences |= r.condition.find("reach 3") != std::string::npos;
  }
  // The seed's 13 rows, with "system selects modality" as approval and auto-approval.
  CHECK(seed_rows == 14);
  CHECK(saw_attempts);
  CHECK(saw_threshold);
  CHECK(saw_conferences);
  CHECK_FALSE(rows.front().from.has_value());
  CHECK(rows.front().to == S::detected);
}

TEST_CASE("escalation: all allowed modalities failing escalates at the 4th persist") {
  EscalationConfig c;
  Escalation s = escalation_begin();
  const Modality order[] = {Modality::visual, Modality::concrete, Modality::pattern,
                            Modality::verbal};
  for (int i = 0; i < 4; ++i) {
    REQUIRE(escalation_awaits_modality(s));
    s = escalation_step(s, T::recommended(order[i]), c);
    s = escalation_step(s, T::approved(order[i]), c);
    CHECK(s.state == (i == 0 ? S::intervention_assigned : S::modality_switched));
    CHECK(s.attempts == i + 1);
    s = escalation_step(s, T::persisted(), c);
    if (i == 0) CHECK(s.state == S::modality_switched);
    if (i == 1 || i == 2) {
      CHECK(s.state == S::prerequisite_check);          // first after the 2nd persist
      s = escalation_step(s, T::prereq_check(1.0), c);  // no prerequisite is weak
      CHECK(s.state == S::modality_switched);
    }
  }
  CHECK(s.state == S::escalated);
  CHECK(s.persists == 4);
  CHECK(s.modalities_tried == 0x0F);  // visual, concrete, pattern, verbal
  CHECK_FALSE(escalation_awaits_modality(s));
  s = escalation_step(s, T::acknowledged(), c);
  s = escalation_step(s, T::conference_failed(), c);
  CHECK(s.state == S::teacher_conference);
  s = escalation_step(s, T::conference_failed(), c);
  CHECK(s.state == S::iep_referral);
  CHECK(s.conferences_failed == 2);
}

TEST_CASE("escalation: max_modality_attempts and conferences are configurable") {
  EscalationConfig c;
  c.max_modality_attempts = 2;
  Escalation s = run(escalation_begin(),
                     {T::approved(Modality::visual), T::persisted(),
                      T::approved(Modality::concrete), T::persisted()},
                     c);
  CHECK(s.state == S::escalated);

  c.max_modality_attempts = 5;
  c.conferences_before_referral = 1;
  s = run(escalation_begin(), {T::approved(Modality::visual), T::persisted()}, c);
  for (Modality m : {Modality::concrete, Modality::pattern, Modality::verbal}) {
    s = run(s, {T::approved(m), T::persisted()}, c);
    CHECK(s.state == S::prerequisite_check);
    s = escalation_step(s, T::prereq_check(0.8), c);
  }
  s = run(s, {T::approved(Modality::peer), T::persisted()}, c);
  CHECK(s.state == S::escalated);
  CHECK(s.modalities_tried == 0x1F);
  s = run(s, {T::acknowledged(), T::conference_failed()}, c);
  CHECK(s.state == S::iep_referral);

  c.max_modality_attempts = 1;
  CHECK_THROWS_AS(escalation_step(escalation_begin(), T::approved(Modality::visual), c), Error);
  c = EscalationConfig{};
  c.prereq_threshold = 1.5;
  CHECK_THROWS_AS(escalation_transitions(c), Error);
}

TEST_CASE("escalation: the engine recommends and only a teacher's approval assigns") {
  EscalationConfig c;
  REQUIRE_FALSE(c.auto_approve);  // the seed's first constraint is the default
  Escalation s = escalation_step(escalation_begin(), T::recommended(Modality::visual), c);
  CHECK(s.state == S::detected);
  CHECK(s.recommended == Modality::visual);
  CHECK_FALSE(s.intervention_active);
  CHECK(s.attempts == 0);
  // Nothing is assessed before an intervention was approved.
  CHECK_FALSE(escalation_accepts(s, K::assessed_persisted));
  CHECK(is_invalid(s, T::persisted(), c));
  // A newer recommendation replaces the pending one.
  s = escalation_step(s, T::recommended(Modality::pattern), c);
  CHECK(s.recommended == Modality::pattern);
  // The teacher modifies the choice: their modality is assigned.
  s = escalation_step(s, T::approved(Modality::verbal), c);
  CHECK(s.state == S::intervention_assigned);
  CHECK(s.current == Modality::verbal);
  CHECK_FALSE(s.recommended.has_value());
  CHECK(s.modalities_tried == (1u << static_cast<unsigned>(Modality::verbal)));
  CHECK(s.attempts == 1);
  // While an intervention runs, no other may be recommended or approved.
  CHECK(is_invalid(s, T::recommended(Modality::visual), c));
  CHECK(is_invalid(s, T::approved(Modality::visual), c));

  // After a persist the next modality waits for approval again.
  s = escalation_step(s, T::persisted(), c);
  CHECK(escalation_awaits_modality(s));
  s = escalation_step(s, T::recommended(Modality::concrete), c);
  CHECK(s.state == S::modality_switched);
  CHECK_FALSE(s.intervention_active);
  CHECK(is_invalid(s, T::resolved(), c));
  s = escalation_step(s, T::approved(Modality::concrete), c);
  CHECK(s.intervention_active);
  CHECK(s.current == Modality::concrete);
}

TEST_CASE("escalation: auto_approve assigns the engine's recommendation at once") {
  EscalationConfig c;
  c.auto_approve = true;
  Escalation s = escalation_step(escalation_begin(), T::recommended(Modality::pattern), c);
  CHECK(s.state == S::intervention_assigned);
  CHECK(s.current == Modality::pattern);
  CHECK(s.intervention_active);
  CHECK_FALSE(s.recommended.has_value());
  s = run(s, {T::persisted(), T::recommended(Modality::visual)}, c);
  CHECK(s.state == S::modality_switched);
  CHECK(s.attempts == 2);
  CHECK(s.intervention_active);
}

TEST_CASE("escalation: prerequisite remediation re-assesses the current intervention") {
  EscalationConfig c;
  Escalation s = run(escalation_begin(),
                     {T::approved(Modality::visual), T::persisted(),
                      T::approved(Modality::concrete), T::persisted()},
                     c);
  REQUIRE(s.state == S::prerequisite_check);
  s = escalation_step(s, T::prereq_check(0.45), c);
  CHECK(s.state == S::prereq_remediation);
  s = escalation_step(s, T::prereq_update(0.55), c);  // still below 0.60
  CHECK(s.state == S::prereq_remediation);
  s = escalation_step(s, T::prereq_update(0.62), c);
  CHECK(s.state == S::intervention_assigned);
  CHECK(s.intervention_active);
  CHECK(s.current == Modality::concrete);
  CHECK(s.attempts == 2);
  CHECK(escalation_step(s, T::resolved(), c).state == S::resolved);
  // Persisting again: a third modality, then the check again, then a fourth.
  s = run(s, {T::persisted(), T::approved(Modality::pattern), T::persisted()}, c);
  CHECK(s.state == S::prerequisite_check);
  s = run(s, {T::prereq_check(0.7), T::approved(Modality::verbal), T::persisted()}, c);
  CHECK(s.state == S::escalated);
  CHECK(s.persists == 5);
}

TEST_CASE("escalation: a recurrence after resolved restarts the episode at detected") {
  EscalationConfig c;
  Escalation s = run(escalation_begin(),
                     {T::approved(Modality::visual), T::persisted(),
                      T::approved(Modality::concrete), T::resolved()},
                     c);
  REQUIRE(s.state == S::resolved);
  CHECK(s.attempts == 2);
  s = escalation_step(s, T::detected(), c);
  CHECK(s.state == S::detected);
  CHECK(s.recurrences == 1);
  CHECK(s.detections == 1);
  CHECK(s.attempts == 0);
  CHECK(s.persists == 0);
  CHECK(s.modalities_tried == 0);
  CHECK_FALSE(s.current.has_value());
  // A teacher's resolution after a conference recurs the same way.
  s = run(s,
          {T::approved(Modality::visual), T::persisted(), T::approved(Modality::concrete),
           T::persisted(), T::prereq_check(1.0), T::approved(Modality::pattern), T::persisted(),
           T::prereq_check(1.0), T::approved(Modality::verbal), T::persisted(), T::acknowledged(),
           T::conference_failed(), T::teacher_resolved(), T::detected()},
          c);
  CHECK(s.state == S::detected);
  CHECK(s.recurrences == 2);
  CHECK(s.conferences_failed == 0);
}

TEST_CASE("escalation: a trigger invalid in its state is refused with Error(invalid)") {
  EscalationConfig c;
  try {
    escalation_step(escalation_begin(), T::acknowledged(), c);
    FAIL("expected Error(invalid)");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid);
    std::string m = e.what();
    CHECK(m.find("'teacher_acknowledged'") != std::string::npos);
    CHECK(m.find("'detected'") != std::string::npos);
    CHECK(m.find("intervention_approved") != std::string::npos);  // what is valid there
  }
  // Every state against every trigger: a step succeeds exactly when accepted.
  EscalationConfig manual;
  std::vector<Escalation> states = {
      escalation_begin(),   assigned(manual),    switched_due(manual), switched_active(manual),
      prereq_check(manual), remediation(manual), escalated(manual),    conference(manual),
      referral(manual),     resolved(manual)};
  const T triggers[] = {T::detected(),
                        T::recommended(Modality::peer),
                        T::approved(Modality::peer),
                        T::resolved(),
                        T::persisted(),
                        T::prereq_check(0.5),
                        T::prereq_update(0.5),
                        T::acknowledged(),
                        T::teacher_resolved(),
                        T::conference_failed()};
  size_t refused = 0;
  for (const Escalation &s : states) {
    for (const T &t : triggers) {
      if (escalation_accepts(s, t.kind)) {
        CHECK_NOTHROW(escalation_step(s, t, manual));
      } else {
        CHECK(is_invalid(s, t, manual));
        ++refused;
      }
    }
  }
  CHECK(refused > 50);
  // The terminal referral takes nothing but a detection.
  for (const T &t : triggers)
    CHECK(escalation_accepts(referral(manual), t.kind) == (t.kind == K::misconception_detected));

  // Bad trigger values and corrupt states are refused, not undefined.
  CHECK(is_invalid(escalation_begin(), T::approved(static_cast<Modality>(9)), c));
  CHECK(is_invalid(prereq_check(c), T::prereq_check(1.2), c));
  CHECK(is_invalid(prereq_check(c), T::prereq_check(std::nan("")), c));
  Escalation corrupt;
  corrupt.state = static_cast<S>(42);
  CHECK(is_invalid(corrupt, T::detected(), c));
  T bad_kind;
  bad_kind.kind = static_cast<K>(77);
  CHECK(is_invalid(escalation_begin(), bad_kind, c));
}
