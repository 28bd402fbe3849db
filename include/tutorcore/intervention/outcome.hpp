// Outcome assessment of one assigned intervention (seed 003, "Outcome
// tracking"): the student's next responses on the misconception's concept
// decide it. Reading of the seed's rule: take the first `window` (3)
// responses on that concept after the assignment; the outcome is "persisted"
// when the misconception was diagnosed in any of them and "resolved" when it
// was absent from all of them. Absent means not diagnosed, not "answered
// correctly": a wrong answer showing another misconception, or none, still
// counts as absent. Before `window` responses there is no outcome, even when
// the misconception already came back (the seed returns not_assessed), and
// responses after the window do not change it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tutorcore/intervention/escalation.hpp"

namespace tutorcore {
inline namespace v0 {

struct OutcomeConfig {
  int32_t window = 3;  // responses on the concept that decide the outcome
};

enum class OutcomeStatus : uint8_t { pending = 0, resolved, persisted };
const char *outcome_status_name(OutcomeStatus s);

// What has been seen since one intervention was assigned.
struct OutcomeAccumulator {
  std::string concept_id;
  std::string misconception_id;
  int32_t counted = 0;  // responses on the concept inside the window
  int32_t present = 0;  // of those, the ones that showed the misconception
};

// Starts assessing `misconception_id` on `concept_id`; both must be non-empty
// (Error(invalid) otherwise).
OutcomeAccumulator outcome_begin(std::string concept_id, std::string misconception_id);

// Feeds one response (its concept and its diagnosed misconception, empty for
// none) and returns the status after it. Responses on other concepts are not
// counted. Throws Error(invalid) for a window below 1.
OutcomeStatus outcome_add(OutcomeAccumulator &acc, std::string_view concept_id,
                          std::string_view misconception_id, const OutcomeConfig &config);

OutcomeStatus outcome_status(const OutcomeAccumulator &acc, const OutcomeConfig &config);

// The escalation trigger of a decided outcome; Error(invalid) for pending.
EscalationTrigger outcome_trigger(OutcomeStatus s);

}  // namespace v0
}  // namespace tutorcore
