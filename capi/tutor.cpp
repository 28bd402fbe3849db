// tc_tutor_*: the one-call answer pipeline and the teacher's actions.
#include <memory>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "tutorcore/pipeline/tutor.hpp"

using namespace tutorcore;

namespace {
// A read of one student (profile, snapshot) through the guarded shim.
template <class Fn>
tc_status student_call(tc_tutor *tutor, const char *tenant, const char *student, char **out_json,
                       Fn fn) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(tenant, "tenant");
    capi::require(student, "student");
    capi::require(out_json, "out_json");
    *out_json = capi::dup_string(fn(*tutor->tutor, tenant, student));
  });
}
}  // namespace

extern "C" {

tc_status tc_tutor_open(tc_tutor **out, tc_store *store, const tc_domain *domain,
                        const char *config_json, size_t len) {
  if (out) *out = nullptr;
  return capi::guarded([&] {
    capi::require(out, "out");
    capi::require(store, "store");
    capi::require(domain, "domain");
    TutorConfig config =
        config_json ? tutor_config_from_json(std::string_view(config_json, len)) : TutorConfig{};
    auto t = std::make_unique<tc_tutor>();
    t->tutor = std::make_unique<Tutor>(std::make_shared<const Domain>(domain->domain),
                                       *store->ledger, config);
    t->ledger = store->ledger.get();
    *out = t.release();
  });
}

void tc_tutor_free(tc_tutor *tutor) {
  delete tutor;
}

tc_status tc_submit_response(tc_tutor *tutor, const char *request_json, size_t len,
                             char **out_json) {
  return capi::tutor_request(tutor, request_json, len, out_json,
                             [](tc_tutor &t, std::string_view req) {
                               return t.tutor->submit(submit_request_from_json(req)).json;
                             });
}

tc_status tc_tutor_act(tc_tutor *tutor, const char *request_json, size_t len, char **out_json) {
  return capi::tutor_request(tutor, request_json, len, out_json,
                             [](tc_tutor &t, std::string_view req) {
                               return t.tutor->act(teacher_action_from_json(req));
                             });
}

tc_status tc_tutor_profile(tc_tutor *tutor, const char *tenant, const char *student,
                           char **out_json) {
  return student_call(tutor, tenant, student, out_json,
                      [](Tutor &t, const char *te, const char *st) { return t.profile(te, st); });
}

tc_status tc_tutor_snapshot(tc_tutor *tutor, const char *tenant, const char *student,
                            char **out_json) {
  return student_call(tutor, tenant, student, out_json,
                      [](Tutor &t, const char *te, const char *st) { return t.snapshot(te, st); });
}

tc_status tc_tutor_evaluate_policy(tc_tutor *tutor, const char *tenant, const char *target,
                                   char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(tenant, "tenant");
    capi::require(target, "target");
    capi::require(out_json, "out_json");
    PolicyKind kind = parse_policy_kind(target, "policy evaluation.target");
    *out_json = capi::dup_string(tutor->tutor->evaluate_policy(tenant, kind));
  });
}

}  // extern "C"
