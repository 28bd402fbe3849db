// Version, status texts, the last error and tc_free.
#include <cstdlib>

#include "capi_internal.hpp"

namespace tutorcore {
inline namespace v0 {
namespace capi {
std::string &last_error() {
  thread_local std::string msg;
  return msg;
}
}  // namespace capi
}  // namespace v0
}  // namespace tutorcore

extern "C" {

const char *tc_version(void) {
  return TC_VERSION_STRING;
}

uint32_t tc_version_number(void) {
  return TC_VERSION_NUMBER;
}

const char *tc_status_str(int status) {
  switch (status) {
    case TC_OK:
      return "TC_OK: success";
    case TC_EINVAL:
      return "TC_EINVAL: invalid argument or input";
    case TC_ENOTFOUND:
      return "TC_ENOTFOUND: not found";
    case TC_EEXISTS:
      return "TC_EEXISTS: already exists";
    case TC_ESTORAGE:
      return "TC_ESTORAGE: storage failure";
    case TC_EUNAVAILABLE:
      return "TC_EUNAVAILABLE: component unavailable";
    case TC_EVERSION:
      return "TC_EVERSION: version not supported";
    case TC_EUSER:
      return "TC_EUSER: aborted by a callback";
    case TC_ENOMEM:
      return "TC_ENOMEM: out of memory";
    case TC_EINTERNAL:
      return "TC_EINTERNAL: internal error";
    default:
      return "unknown status";
  }
}

const char *tc_last_error(void) {
  return tutorcore::capi::last_error().c_str();
}

void tc_free(void *ptr) {
  std::free(ptr);
}

}  // extern "C"
