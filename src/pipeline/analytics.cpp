// Class analytics over a ledger (pipeline/analytics.hpp).
#include "tutorcore/pipeline/analytics.hpp"

#include <fmt/format.h>

#include "tutorcore/common/clock.hpp"
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

std::vector<OutcomeRecord> read_outcomes(Ledger &ledger, const Domain &domain,
                                         const std::string &tenant, int64_t *skipped) {
  std::vector<OutcomeRecord> out;
  EventQuery q;
  q.tenant = tenant;
  q.type = "intervention.outcome";
  int64_t bad = 0;
  ledger.read(q, [&](const Event &e) {
    if (e.entity_type != "student") return true;
    try {
      const ViewInput in = read_view_input(e);
      auto it = domain.misconception_index.find(in.key);
      if (it == domain.misconception_index.end()) {
        ++bad;
        return true;
      }
      OutcomeRecord o;
      o.student = e.entity_id;
      o.misconception_index = static_cast<int32_t>(it->second);
      o.modality = in.modality;
      o.resolved = in.flag;
      out.push_back(std::move(o));
    } catch (const Error &) {
      ++bad;  // the log is the truth: one unreadable outcome does not stop the export
    }
    return true;
  });
  if (skipped) *skipped = bad;
  return out;
}

std::string run_research_export(Ledger &ledger, const Domain &domain,
                                const ResearchExportRequest &r) {
  ClassData data = read_class_data(ledger, domain, r.tenant);
  std::vector<OutcomeRecord> outcomes = read_outcomes(ledger, domain, r.tenant);
  if (data.students.empty() && data.classrooms.empty() && outcomes.empty()) {
    throw Error(Errc::invalid,
                fmt::format("research export request.tenant: tenant '{}' has no learning data "
                            "(no answers, enrollments or intervention outcomes)",
                            r.tenant));
  }
  return research_export_json(data, domain, outcomes, r, now_us());
}

}  // namespace v0
}  // namespace tutorcore
