// Wall-clock time in microseconds since the Unix epoch, the unit of event time.
#pragma once

#include <chrono>
#include <cstdint>

namespace tutorcore {
inline namespace v0 {

inline int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace v0
}  // namespace tutorcore
