// The C ABI of the validity simulator (tc_sim_run).
#include "capi_internal.hpp"
#include "handles.hpp"
#include "tutorcore/sim/study.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_sim_run(const tc_domain *domain, const char *request_json, size_t len,
                     char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(domain, "domain");
    capi::require(request_json, "request_json");
    capi::require(out_json, "out_json");
    StudyOptions o = study_options_from_json(std::string_view(request_json, len));
    StudyResult r = run_study(domain->domain, o);
    *out_json = capi::dup_string(study_result_json(r, o, domain->domain.id));
  });
}

}  // extern "C"
