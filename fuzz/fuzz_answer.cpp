// libFuzzer target: answer equivalence. The input is "student\0reference"
// (no NUL: the input against itself); both also go through
// normalize_answer, parse_number and evaluate_expression at every point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "tutorcore/classify/answer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view all(reinterpret_cast<const char *>(data), size);
  size_t nul = all.find('\0');
  std::string_view student = all.substr(0, nul);
  std::string_view reference = nul == std::string_view::npos ? all : all.substr(nul + 1);
  (void)tutorcore::answers_equivalent(student, reference);
  (void)tutorcore::answers_equivalent(student, student);
  for (std::string_view s : {student, reference}) {
    std::string n = tutorcore::normalize_answer(s);
    (void)tutorcore::parse_number(n);
    for (int point = 0; point < 3; ++point)
      (void)tutorcore::evaluate_expression(n, point);
  }
  return 0;
}
