// The metacognitive bias detector through the C ABI: detection, the session
// summary and the detector's configuration on a tutor.
#include <string>

#include "capi_internal.hpp"
#include "handles.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_tutor_detect_bias(tc_tutor *tutor, const char *request_json, size_t len,
                               char **out_json) {
  return capi::tutor_request(tutor, request_json, len, out_json,
                             [](tc_tutor &t, std::string_view req) {
                               return t.tutor->detect_bias(bias_request_from_json(req));
                             });
}

tc_status tc_tutor_bias_summary(tc_tutor *tutor, const char *request_json, size_t len,
                                char **out_json) {
  return capi::tutor_request(tutor, request_json, len, out_json,
                             [](tc_tutor &t, std::string_view req) {
                               return t.tutor->bias_summary(bias_summary_request_from_json(req));
                             });
}

tc_status tc_tutor_set_metacog(tc_tutor *tutor, const char *config_json, size_t len,
                               char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    Tutor &t = *tutor->tutor;
    if (config_json && len > 0) {
      t.set_metacog_config(
          metacog_config_from_json(std::string_view(config_json, len), t.metacog_config()));
    }
    if (out_json) {
      *out_json = capi::dup_string(
          "{\"schema_version\":1,\"metacog\":" + metacog_config_to_json(t.metacog_config()) + "}");
    }
  });
}

}  // extern "C"
