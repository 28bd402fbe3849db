// Error: the one exception type inside the library. capi/ maps its code to a
// tc_status and its message to tc_last_error().
#pragma once

#include <stdexcept>
#include <string>

namespace tutorcore {
inline namespace v0 {

// Values equal the tc_status codes in tutorcore.h.
enum class Errc : int {
  invalid = -1,
  not_found = -2,
  exists = -3,
  storage = -4,
  unavailable = -5,
  version = -6,
  user = -7,
  nomem = -8,
  internal = -9,
};

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string &message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

}  // namespace v0
}  // namespace tutorcore
