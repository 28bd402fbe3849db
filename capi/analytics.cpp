// tc_tutor_analytics: the class analytics through the C ABI.
#include <string>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "tutorcore/pipeline/analytics.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_tutor_analytics(tc_tutor *tutor, const char *request_json, size_t len,
                             char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(request_json, "request_json");
    capi::require(out_json, "out_json");
    AnalyticsRequest r = analytics_request_from_json(std::string_view(request_json, len));
    *out_json = capi::dup_string(run_analytics(*tutor->ledger, tutor->tutor->domain(), r));
  });
}

}  // extern "C"
