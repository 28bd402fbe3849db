// libFuzzer target: the store's JSON entry points on an in-memory store. The
// first byte picks append (0), read (1) or view (2); the rest is the JSON.
#include <cstddef>
#include <cstdint>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::Tutor tutor(2000);
  if (size < 1) return 0;
  tutor.get();
  tc_store *store = tutor.store();
  const char *json = reinterpret_cast<const char *>(data + 1);
  char *out = nullptr;
  tc_status st = TC_OK;
  switch (data[0] % 3) {
    case 0:
      st = tc_store_append_json(&out, store, json, size - 1);
      break;
    case 1:
      st = tc_store_read_json(&out, store, json, size - 1);
      break;
    default:
      st = tc_store_view_json(&out, store, json, size - 1);
      break;
  }
  fuzz::check_call(st, out);
  return 0;
}
