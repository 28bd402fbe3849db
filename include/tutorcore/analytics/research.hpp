// The de-identified research export (seed 003, "privacy-first,
// research-enabled"; docs/privacy.md): one tenant's learning analytics as
// aggregates only, with small groups suppressed. Pure functions over the
// copied class data and the tenant's intervention outcomes; no I/O.
//
// What it holds:
//  - cohorts: students per cohort (classrooms relabelled "cohort_1".. in
//    classroom id order, numbered per export, and "unassigned"), with the
//    all-cohorts total;
//  - per concept: per cohort and in total, the students with a mastery
//    level on it, their mean mastery and the share mastered (level at the
//    concept's threshold after at least mastery_min_attempts answers); the
//    prevalence of each of the concept's misconceptions among those students;
//  - per misconception: intervention outcomes per modality and in total
//    (distinct students, attempts, resolved, rate, Wilson 95% interval).
// What it never holds: student, classroom or tenant ids, free text, event
// ids, times finer than a day (only "generated_on", the UTC date).
//
// Suppression, with k = min_group_size (default 10, at least 2):
//  1. A cell aggregating fewer than k distinct students is suppressed: its
//     numbers become null and "suppressed" true.
//  2. A total is suppressed the same way (then every part is too).
//  3. Complementary suppression, per table (a total and the parts whose
//     counts add up to it: the cohorts of the tenant, the cohorts of one
//     concept, the modalities of one misconception): while some part is
//     suppressed, the total is published and the suppressed parts together
//     cover fewer than k distinct students (what subtracting the published
//     parts from the total would reveal), the published part with the fewest
//     students (the first in order on a tie) is suppressed too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/analytics/analytics.hpp"

namespace tutorcore {
inline namespace v0 {

constexpr int32_t kDefaultMinGroupSize = 10;
constexpr int32_t kMinGroupSizeLow = 2;  // a "group" of one student is that student
constexpr int32_t kMinGroupSizeHigh = 1000000;

struct ResearchExportRequest {
  std::string tenant;
  int32_t min_group_size = kDefaultMinGroupSize;
};

// Parses {"tenant", "min_group_size"?}. Throws Error(invalid) naming the
// field ("research export request.min_group_size: 1 is outside 2..1000000").
ResearchExportRequest research_export_request_from_json(std::string_view json);

// One intervention.outcome event of a student.
struct OutcomeRecord {
  std::string student;
  int32_t misconception_index = 0;  // into Domain::misconceptions
  Modality modality = Modality::visual;
  bool resolved = false;
};

// One table of the suppression rule: parts[i] lists the distinct students
// (any order) part i aggregates; the total aggregates `total_students`
// students (at least the union of the parts). Returns, per part and for the
// total, whether it is suppressed (rules 1 to 3 above).
struct Suppression {
  std::vector<uint8_t> part;
  bool total = false;
};
Suppression suppress_table(const std::vector<std::vector<int32_t>> &parts, int64_t total_students,
                           int32_t min_group_size);

// The export document (docs/privacy.md): {"schema_version":1,
// "export":"research","domain","generated_on","min_group_size","z",
// "mastery_min_attempts","cohorts","concepts","effectiveness"}. `now_us`
// gives the date. Throws Error(invalid) for a min_group_size out of range.
std::string research_export_json(const ClassData &data, const Domain &domain,
                                 const std::vector<OutcomeRecord> &outcomes,
                                 const ResearchExportRequest &r, int64_t now_us);

}  // namespace v0
}  // namespace tutorcore
