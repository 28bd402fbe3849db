// Class analytics over a ledger: reads the tenant's classroom enrollments
// from the log and its rows from the views, then runs the pure analyses of
// analytics/analytics.hpp outside the ledger's lock.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/analytics/analytics.hpp"
#include "tutorcore/analytics/research.hpp"
#include "tutorcore/storage/ledger.hpp"

namespace tutorcore {
inline namespace v0 {

// The tenant's classroom membership: its classroom.enrolled events in log
// order. An event whose classroom_id cannot be read (stored before the event
// check knew the type) is skipped and counted in *skipped.
Membership read_membership(Ledger &ledger, const std::string &tenant, int64_t *skipped = nullptr);

// The tenant's view rows with its membership, copied under the ledger's lock.
ClassData read_class_data(Ledger &ledger, const Domain &domain, const std::string &tenant);

// One analytics request (analytics_request_from_json) as its report
// document. Error(invalid) names the request field; Error(not_found) an
// unknown classroom or misconception.
std::string run_analytics(Ledger &ledger, const Domain &domain, const AnalyticsRequest &r);

// The tenant's intervention.outcome events on students (log order) whose
// misconception the domain has; unreadable or foreign ones are counted in
// *skipped.
std::vector<OutcomeRecord> read_outcomes(Ledger &ledger, const Domain &domain,
                                         const std::string &tenant, int64_t *skipped = nullptr);

// The de-identified research export (analytics/research.hpp,
// docs/privacy.md) of one request (research_export_request_from_json).
// Error(invalid) naming "research export request.tenant" when the tenant
// has no data at all (no view rows, enrollments or outcomes).
std::string run_research_export(Ledger &ledger, const Domain &domain,
                                const ResearchExportRequest &r);

}  // namespace v0
}  // namespace tutorcore
