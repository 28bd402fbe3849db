// tc_tutor_coaching and friends: the coaching planner's outputs through the C ABI.
#include <string>

#include "capi_internal.hpp"
#include "handles.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_tutor_coaching(tc_tutor *tutor, const char *request_json, size_t len,
                            char **out_json) {
  return capi::tutor_request(tutor, request_json, len, out_json,
                             [](tc_tutor &t, std::string_view req) {
                               std::string kind;
                               CoachingRequest r = coaching_request_from_json(req, &kind);
                               return kind == "pre_class" ? t.tutor->preclass_plan(r)
                                      : kind == "debrief" ? t.tutor->debrief(r)
                                                          : t.tutor->parent_summary(r);
                             });
}

tc_status tc_tutor_acknowledge_plan(tc_tutor *tutor, const char *tenant, int64_t plan_event_id,
                                    const char *teacher_id, const char *modifications_json,
                                    char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(tenant, "tenant");
    capi::require(teacher_id, "teacher_id");
    capi::require(out_json, "out_json");
    *out_json = capi::dup_string(tutor->tutor->acknowledge_plan(
        tenant, plan_event_id, teacher_id, modifications_json ? modifications_json : ""));
  });
}

tc_status tc_tutor_set_text_callback(tc_tutor *tutor, tc_text_callback cb, void *userdata) {
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    if (!cb) {
      tutor->tutor->set_text_generator(nullptr);
      return;
    }
    tutor->tutor->set_text_generator([cb, userdata](const std::string &context, std::string *out) {
      const char *text = nullptr;
      size_t n = 0;
      if (cb(context.data(), context.size(), &text, &n, userdata) != 0 || !text) return false;
      out->assign(text, n);
      return true;
    });
  });
}

}  // extern "C"
