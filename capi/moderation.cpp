// Moderation through the C ABI: a message's decision, a student's state and
// the settings on a tutor. Host classifiers register with
// tc_tutor_register_classifier and are named in the settings.
#include <string>

#include "capi_internal.hpp"
#include "handles.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_tutor_moderate(tc_tutor *tutor, const char *request_json, size_t len,
                            char **out_json) {
  return capi::tutor_request(tutor, request_json, len, out_json,
                             [](tc_tutor &t, std::string_view req) {
                               return t.tutor->moderate(moderation_request_from_json(req));
                             });
}

tc_status tc_tutor_moderation_status(tc_tutor *tutor, const char *tenant, const char *student,
                                     int64_t time_us, char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(tenant, "tenant");
    capi::require(student, "student");
    capi::require(out_json, "out_json");
    *out_json = capi::dup_string(tutor->tutor->moderation_status(tenant, student, time_us));
  });
}

tc_status tc_tutor_set_moderation(tc_tutor *tutor, const char *settings_json, size_t len,
                                  char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    Tutor &t = *tutor->tutor;
    if (settings_json && len > 0) {
      t.set_moderation_settings(moderation_settings_from_json(std::string_view(settings_json, len),
                                                              t.moderation_settings()));
    }
    if (out_json) {
      *out_json = capi::dup_string("{\"schema_version\":1,\"moderation\":" +
                                   moderation_settings_to_json(t.moderation_settings()) + "}");
    }
  });
}

}  // extern "C"
