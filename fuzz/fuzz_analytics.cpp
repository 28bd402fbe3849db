// libFuzzer target: analytics requests (tc_tutor_analytics) and research
// export requests (tc_tutor_research_export) through the C ABI on the
// fixture domain.
#include <cstddef>
#include <cstdint>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::Tutor tutor;
  char *out = nullptr;
  tc_status st = tc_tutor_analytics(tutor.get(), reinterpret_cast<const char *>(data), size, &out);
  fuzz::check_call(st, out);
  out = nullptr;
  st = tc_tutor_research_export(tutor.get(), reinterpret_cast<const char *>(data), size, &out);
  fuzz::check_call(st, out);
  return 0;
}
