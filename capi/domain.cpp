// tc_domain_*: loading, validating and describing domain directories.
#include <fmt/format.h>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "tutorcore/knowledge/validate.hpp"

using namespace tutorcore;

namespace {
tc_status report_status(const DomainReport &r) {
  if (r.ok()) return TC_OK;
  const DomainIssue &first = r.issues.front();
  std::string msg = DomainReport::format(first);
  if (r.issues.size() > 1) msg += fmt::format(" (and {} more problems)", r.issues.size() - 1);
  capi::set_error(msg);
  return r.found ? TC_EINVAL : TC_ENOTFOUND;
}
}  // namespace

extern "C" {

tc_status tc_domain_validate_dir(char **out_json, const char *dir) {
  if (out_json) *out_json = nullptr;
  tc_status st = TC_OK;
  tc_status rc = capi::guarded([&] {
    capi::require(dir, "dir");
    Domain d;
    DomainReport r = load_domain(dir, &d);
    if (out_json) *out_json = capi::dup_string(domain_report_json(r, d));
    st = report_status(r);
  });
  return rc != TC_OK ? rc : st;
}

tc_status tc_domain_load(tc_domain **out, const char *dir) {
  if (out) *out = nullptr;
  tc_status st = TC_OK;
  tc_status rc = capi::guarded([&] {
    capi::require(out, "out");
    capi::require(dir, "dir");
    auto h = std::make_unique<tc_domain>();
    DomainReport r = load_domain(dir, &h->domain);
    st = report_status(r);
    if (st == TC_OK) *out = h.release();
  });
  return rc != TC_OK ? rc : st;
}

void tc_domain_free(tc_domain *domain) {
  delete domain;
}

tc_status tc_domain_describe(char **out_json, const tc_domain *domain) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(out_json, "out_json");
    capi::require(domain, "domain");
    *out_json = capi::dup_string(domain_describe_json(domain->domain));
  });
}

}  // extern "C"
