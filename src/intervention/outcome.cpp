// Outcome assessment over the next responses (rule in outcome.hpp).
#include "tutorcore/intervention/outcome.hpp"

#include <fmt/format.h>

#include <utility>

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
void check_config(const OutcomeConfig &c) {
  if (c.window < 1)
    throw Error(Errc::invalid,
                fmt::format("outcome config: window is {}; it must be at least 1", c.window));
}
}  // namespace

const char *outcome_status_name(OutcomeStatus s) {
  switch (s) {
    case OutcomeStatus::pending:
      return "pending";
    case OutcomeStatus::resolved:
      return "resolved";
    case OutcomeStatus::persisted:
      return "persisted";
  }
  return "invalid";
}

OutcomeAccumulator outcome_begin(std::string concept_id, std::string misconception_id) {
  if (concept_id.empty() || misconception_id.empty())
    throw Error(Errc::invalid, fmt::format("outcome: concept_id ('{}') and misconception_id ('{}') "
                                           "must both be set to assess an intervention",
                                           concept_id, misconception_id));
  OutcomeAccumulator a;
  a.concept_id = std::move(concept_id);
  a.misconception_id = std::move(misconception_id);
  return a;
}

OutcomeStatus outcome_status(const OutcomeAccumulator &acc, const OutcomeConfig &config) {
  check_config(config);
  if (acc.counted < config.window) return OutcomeStatus::pending;
  return acc.present > 0 ? OutcomeStatus::persisted : OutcomeStatus::resolved;
}

OutcomeStatus outcome_add(OutcomeAccumulator &acc, std::string_view concept_id,
                          std::string_view misconception_id, const OutcomeConfig &config) {
  check_config(config);
  // Only the first `window` responses on the concept decide.
  if (concept_id == acc.concept_id && acc.counted < config.window) {
    acc.counted += 1;
    if (misconception_id == acc.misconception_id) acc.present += 1;
  }
  return outcome_status(acc, config);
}

EscalationTrigger outcome_trigger(OutcomeStatus s) {
  switch (s) {
    case OutcomeStatus::resolved:
      return EscalationTrigger::resolved();
    case OutcomeStatus::persisted:
      return EscalationTrigger::persisted();
    case OutcomeStatus::pending:
      break;
  }
  throw Error(Errc::invalid, fmt::format("outcome: status '{}' has no escalation trigger; wait "
                                         "until the window of responses is complete",
                                         outcome_status_name(s)));
}

}  // namespace v0
}  // namespace tutorcore
