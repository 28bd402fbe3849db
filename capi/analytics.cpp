// tc_tutor_analytics and tc_tutor_research_export: the class analytics and
// the de-identified research export through the C ABI.
#include <string>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "tutorcore/pipeline/analytics.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_tutor_analytics(tc_tutor *tutor, const char *request_json, size_t len,
                             char **out_json) {
  return capi::tutor_request(
      tutor, request_json, len, out_json, [](tc_tutor &t, std::string_view req) {
        return run_analytics(*t.ledger, t.tutor->domain(), analytics_request_from_json(req));
      });
}

tc_status tc_tutor_research_export(tc_tutor *tutor, const char *request_json, size_t len,
                                   char **out_json) {
  return capi::tutor_request(tutor, request_json, len, out_json,
                             [](tc_tutor &t, std::string_view req) {
                               return run_research_export(*t.ledger, t.tutor->domain(),
                                                          research_export_request_from_json(req));
                             });
}

}  // extern "C"
