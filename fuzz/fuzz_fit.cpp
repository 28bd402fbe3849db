// libFuzzer target: BKT fit requests (tc_bkt_fit), typically with "rows".
#include <cstddef>
#include <cstdint>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *out = nullptr;
  tc_status st = tc_bkt_fit(&out, reinterpret_cast<const char *>(data), size, nullptr, nullptr);
  fuzz::check_call(st, out);
  return 0;
}
