// Shared between the pipeline's files: the result documents, built from the
// events a request appended (so a replay returns the same document).
#pragma once

#include <string>
#include <vector>

#include "tutorcore/storage/event.hpp"

namespace tutorcore {
inline namespace v0 {

// The result of a submit, from its events (the response first).
std::string submit_result_json(const std::vector<Event> &events);

// The result of a teacher action, from its events.
std::string teacher_result_json(const std::vector<Event> &events);

}  // namespace v0
}  // namespace tutorcore
