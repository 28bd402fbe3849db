// Outcome assessment: the next three responses on the concept decide.
#include <string>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/intervention/outcome.hpp"

using namespace tutorcore;

TEST_CASE("outcome: three responses without the misconception resolve it") {
  OutcomeConfig c;
  OutcomeAccumulator a = outcome_begin("c1", "m1");
  CHECK(outcome_add(a, "c1", "", c) == OutcomeStatus::pending);
  // A wrong answer showing another misconception is still "absent".
  CHECK(outcome_add(a, "c1", "m2", c) == OutcomeStatus::pending);
  CHECK(outcome_add(a, "c1", "", c) == OutcomeStatus::resolved);
  CHECK(a.counted == 3);
  CHECK(a.present == 0);
}

TEST_CASE("outcome: the misconception in any of the three persists, decided at the third") {
  OutcomeConfig c;
  for (int at = 0; at < 3; ++at) {
    OutcomeAccumulator a = outcome_begin("c1", "m1");
    OutcomeStatus last = OutcomeStatus::pending;
    for (int i = 0; i < 3; ++i) {
      last = outcome_add(a, "c1", i == at ? "m1" : "", c);
      if (i < 2) CHECK(last == OutcomeStatus::pending);  // not assessed before three
    }
    CHECK(last == OutcomeStatus::persisted);
  }
}

TEST_CASE("outcome: only responses on the concept count, and only the first three") {
  OutcomeConfig c;
  OutcomeAccumulator a = outcome_begin("c1", "m1");
  CHECK(outcome_add(a, "c2", "m1", c) == OutcomeStatus::pending);  // another concept
  CHECK(outcome_add(a, "c1", "", c) == OutcomeStatus::pending);
  CHECK(outcome_add(a, "c3", "", c) == OutcomeStatus::pending);
  CHECK(outcome_add(a, "c1", "", c) == OutcomeStatus::pending);
  CHECK(a.counted == 2);
  CHECK(outcome_add(a, "c1", "", c) == OutcomeStatus::resolved);
  // After the window the outcome stands.
  CHECK(outcome_add(a, "c1", "m1", c) == OutcomeStatus::resolved);
  CHECK(a.counted == 3);
  CHECK(outcome_status(a, c) == OutcomeStatus::resolved);
}

TEST_CASE("outcome: the window is configuration") {
  OutcomeConfig c;
  c.window = 5;
  OutcomeAccumulator a = outcome_begin("c1", "m1");
  for (int i = 0; i < 4; ++i)
    CHECK(outcome_add(a, "c1", "", c) == OutcomeStatus::pending);
  CHECK(outcome_add(a, "c1", "m1", c) == OutcomeStatus::persisted);
  c.window = 0;
  CHECK_THROWS_AS(outcome_add(a, "c1", "", c), Error);
  CHECK_THROWS_AS(outcome_begin("", "m1"), Error);
}

TEST_CASE("outcome: a decided outcome becomes the escalation's assessment trigger") {
  CHECK(outcome_trigger(OutcomeStatus::resolved).kind == EscalationTriggerKind::assessed_resolved);
  CHECK(outcome_trigger(OutcomeStatus::persisted).kind ==
        EscalationTriggerKind::assessed_persisted);
  CHECK_THROWS_AS(outcome_trigger(OutcomeStatus::pending), Error);
  CHECK(std::string(outcome_status_name(OutcomeStatus::persisted)) == "persisted");

  EscalationConfig ec;
  OutcomeConfig oc;
  Escalation s =
      escalation_step(escalation_begin(), EscalationTrigger::approved(Modality::visual), ec);
  OutcomeAccumulator a = outcome_begin("c1", "m1");
  OutcomeStatus st = OutcomeStatus::pending;
  for (const char *m : {"", "m1", ""})
    st = outcome_add(a, "c1", m, oc);
  s = escalation_step(s, outcome_trigger(st), ec);
  CHECK(s.state == EscalationState::modality_switched);
}
