// Class analytics over a ledger (pipeline/analytics.hpp).
#include "tutorcore/pipeline/analytics.hpp"

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

Membership read_membership(Ledger &ledger, const std::string &tenant, int64_t *skipped) {
  Membership m;
  EventQuery q;
  q.tenant = tenant;
  q.type = std::string(kClassroomEnrolled);
  int64_t bad = 0;
  ledger.read(q, [&](const Event &e) {
    try {
      m.apply(e);
    } catch (const Error &) {
      ++bad;  // the log is the truth: one unreadable enrollment does not stop the analytics
    }
    return true;
  });
  if (skipped) *skipped = bad;
  return m;
}

ClassData read_class_data(Ledger &ledger, const Domain &domain, const std::string &tenant) {
  int64_t skipped = 0;
  Membership m = read_membership(ledger, tenant, &skipped);
  ClassData d =
      ledger.with_views([&](const ViewSet &v) { return class_data(v, domain, tenant, m); });
  d.skipped_rows += skipped;
  return d;
}

std::string run_analytics(Ledger &ledger, const Domain &domain, const AnalyticsRequest &r) {
  return analytics_report_json(read_class_data(ledger, domain, r.tenant), domain, r);
}

}  // namespace v0
}  // namespace tutorcore
