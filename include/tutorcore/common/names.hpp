// Small fixed vocabularies (modalities, escalation states): the position of
// a name in its table, for parsing enums from JSON text.
#pragma once

#include <cstddef>
#include <string_view>

namespace tutorcore {
inline namespace v0 {

// Sets *index to the position of `name` in names[0..n); false when absent.
inline bool find_name(const char *const *names, size_t n, std::string_view name, size_t *index) {
  for (size_t i = 0; i < n; ++i) {
    if (name == names[i]) {
      *index = i;
      return true;
    }
  }
  return false;
}

}  // namespace v0
}  // namespace tutorcore
