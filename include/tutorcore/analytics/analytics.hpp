// Class analytics: what the class as a whole says (seed 003, Phase 4; seed
// 001, knowledge-graph drift). Pure functions over the materialized views
// and the domain; no I/O.
//
//  - Misconception co-occurrence over students: C[i][j] = P(j | i) = (students
//    with both i and j) / (students with i), with the counts. A student "has"
//    a misconception when the escalation view holds a row for it (it was
//    detected at least once, resolved or not).
//  - Intervention effectiveness per misconception and modality, with Wilson
//    intervals (the effectiveness view's counts; per classroom, the modality
//    view's per-student counts summed over the classroom, by modality only:
//    the views count outcomes per misconception and modality only tenant-wide).
//  - Cohort comparison across classrooms: mastery means, misconception rates
//    and resolution rates per classroom, with intervals, against the school.
//  - Discovered prerequisites: misconceptions i, j on different concepts with
//    C[i][j] above the threshold and enough students with i propose i's
//    concept as a prerequisite of j's (seed 003: resolving m_i first may
//    resolve m_j), unless the graph already has that path.
//  - Prerequisite drift: for each edge A -> B of the graph, among students who
//    mastered A and practised B, the share that has not mastered B; above the
//    threshold (seed 001: 40%) the edge is flagged (B is missing a prerequisite).
//
// Classroom membership is declared in the event log: an event of type
// `classroom.enrolled` on entity_type "student" (the student's id) with
// payload {"classroom_id": "<id>"}. A student is in one classroom at a time:
// the latest enrollment in log order wins (a move is a new enrollment).
//
// Use: fold a tenant's classroom.enrolled events into a Membership, copy the
// tenant's rows out of the views with class_data() (under the ledger's lock),
// then run the analyses on the copy without any lock.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tutorcore/analytics/interval.hpp"
#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/storage/event.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {

// Thresholds of the analyses; the defaults are the seeds'.
struct AnalyticsConfig {
  double z = 1.96;         // normal quantile of the intervals (95%)
  int32_t min_trials = 5;  // fewer outcomes: reported as insufficient data (seed: n=3)
  int32_t mastery_min_attempts =
      8;  // a concept counts as mastered at its threshold after this many
  // Discovered prerequisites: C[i][j] strictly above this (seed 003: 0.80) ...
  double prerequisite_cooccurrence = 0.80;
  // ... with at least this many students having i (support) ...
  int32_t prerequisite_min_students = 10;
  // ... and P(j | i) / P(j) at least this (j must be commoner with i than
  // without; 0 turns the check off).
  double prerequisite_min_lift = 1.0;
  // Drift: the share of students who mastered A and fail B, strictly above
  // this, flags A -> B (seed 001: 40%) ...
  double drift_fail_rate = 0.40;
  // ... when at least this many students mastered A and practised B ...
  int32_t drift_min_students = 10;
  // ... where "practised B" is at least this many answers on B (the mastery
  // policy's minimum), and failing B is not having mastered it by then.
  int32_t drift_min_attempts = 8;
};

// Throws Error(invalid) naming the field ("analytics config.z") of a bad value.
void check_analytics_config(const AnalyticsConfig &c);

constexpr std::string_view kClassroomEnrolled = "classroom.enrolled";

// Which classroom each student of one tenant is in.
struct Membership {
  std::unordered_map<std::string, std::string> classroom_of;  // student -> classroom
  void enroll(const std::string &student, const std::string &classroom) {
    classroom_of[student] = classroom;
  }
  // Folds one event in log order: a classroom.enrolled event on a student
  // enrolls it; other events are ignored. Throws Error(invalid) naming the
  // event id when the payload has no string classroom_id (the event check
  // refuses such events on append).
  void apply(const Event &e);
};

// One (student, concept) mastery row.
struct MasteryRecord {
  int32_t concept_index = 0;  // into Domain::concepts
  int32_t attempts = 0;
  double level = 0.0;
  bool has_level = false;
};

// One (student, misconception) escalation row.
struct MisconceptionRecord {
  int32_t misconception_index = 0;  // into Domain::misconceptions
  int32_t interventions = 0;        // assigned in the current episode
  EscalationState state = EscalationState::detected;
  bool resolved() const { return state == EscalationState::resolved; }
  // An episode with an outcome to count: an intervention was assigned, or it
  // was resolved (a resolution rate's denominator).
  bool treated() const { return interventions > 0 || resolved(); }
};

struct OutcomeCounts {
  int64_t attempts = 0;
  int64_t resolutions = 0;
};

// One tenant's view rows, copied and indexed for the analyses. Students are
// those with at least one mastery, escalation or modality row, sorted by id;
// the rows of each student are contiguous (CSR).
struct ClassData {
  std::string tenant;
  std::vector<std::string> students;
  std::vector<int32_t> classroom;       // per student: index into classrooms, -1 none declared
  std::vector<std::string> classrooms;  // every classroom of the membership, sorted
  std::vector<int32_t> enrolled;        // per classroom: students enrolled (with answers or not)
  std::vector<size_t> mastery_start;    // students.size() + 1 offsets into mastery
  std::vector<MasteryRecord> mastery;
  std::vector<size_t> misconception_start;  // offsets into misconceptions
  std::vector<MisconceptionRecord> misconceptions;
  std::vector<std::array<OutcomeCounts, kModalityCount>> modality;  // per student (modality view)
  // Tenant-wide outcomes per domain misconception and modality (effectiveness view).
  std::vector<std::array<OutcomeCounts, kModalityCount>> effectiveness;
  // View rows naming a concept or misconception the domain lacks, and (from
  // read_class_data) enrollment events whose classroom_id cannot be read.
  int64_t skipped_rows = 0;

  // -1 when `id` is not a classroom of the membership.
  int32_t classroom_index(std::string_view id) const;
};

// Copies one tenant's rows out of the views. Call it under the ledger's lock
// (Ledger::with_views); nothing afterwards refers to the views.
ClassData class_data(const ViewSet &views, const Domain &domain, std::string_view tenant,
                     const Membership &membership);

// The students an analysis covers: the tenant's, or one classroom's.
// Throws Error(not_found) for a classroom the membership does not name.
std::vector<uint8_t> scope_mask(const ClassData &data, std::string_view classroom);

// ---- co-occurrence -----------------------------------------------------------

struct Cooccurrence {
  int64_t students = 0;  // students in scope (with any row)
  Eigen::VectorXi with;  // per domain misconception: students with it
  Eigen::MatrixXi both;  // students with both i and j (with(i) on the diagonal)
  // C[i][j] = P(j | i); 0 where no student has i (the seed's convention).
  double rate(Eigen::Index i, Eigen::Index j) const {
    return with(i) ? static_cast<double>(both(i, j)) / with(i) : 0.0;
  }
  Eigen::MatrixXd conditional() const;  // every C[i][j]
};

// Over the tenant's students, or one classroom's (empty: all).
Cooccurrence misconception_cooccurrence(const ClassData &data, const Domain &domain,
                                        std::string_view classroom = {});

// ---- effectiveness -------------------------------------------------------------

struct RateEstimate {
  int64_t trials = 0, successes = 0;
  double rate = 0.0;         // successes / trials; NaN when trials is 0
  Interval ci;               // Wilson
  bool insufficient = true;  // trials < AnalyticsConfig::min_trials
};
RateEstimate rate_estimate(int64_t successes, int64_t trials, const AnalyticsConfig &c);

struct ModalityEffect {
  Modality modality = Modality::visual;
  RateEstimate resolution;
};

struct MisconceptionEffect {
  int32_t misconception_index = 0;
  RateEstimate overall;                    // all modalities together
  std::vector<ModalityEffect> modalities;  // those with outcomes, in modality order
  // The modality with the highest lower bound among those with enough data;
  // -1 when none has. `clear` when its lower bound is above every other
  // modality's upper bound (a difference the data supports).
  int32_t best = -1;
  bool clear = false;
};

struct Effectiveness {
  bool tenant_wide = true;                            // false: one classroom (by modality only)
  std::vector<ModalityEffect> by_modality;            // all five, in modality order
  std::vector<MisconceptionEffect> by_misconception;  // tenant-wide only; those with outcomes
};

// `misconception` (empty: all) keeps one misconception (tenant-wide: also in
// by_modality; a classroom's by_modality counts every misconception).
Effectiveness intervention_effectiveness(const ClassData &data, const Domain &domain,
                                         const AnalyticsConfig &c, std::string_view classroom = {},
                                         std::string_view misconception = {});

// ---- cohorts ---------------------------------------------------------------------

enum class Versus : uint8_t { similar, higher, lower };  // the interval against the school's value
const char *versus_name(Versus v);

struct MeanEstimate {
  int64_t n = 0;
  double mean = 0.0;  // NaN when n is 0
  Interval ci;        // normal approximation, within [0, 1]; [0, 1] when n < 2
};

struct CohortConcept {
  int32_t concept_index = 0;
  MeanEstimate level;     // mean mastery of the students with a level
  RateEstimate mastered;  // of the students with a row: mastered
};

struct CohortMisconception {
  int32_t misconception_index = 0;
  RateEstimate prevalence;  // students with it / students in the group
  RateEstimate resolution;  // treated episodes that are resolved
  Versus prevalence_vs = Versus::similar, resolution_vs = Versus::similar;
};

struct Cohort {
  std::string classroom;    // empty for the school (every student of the tenant)
  int32_t enrolled = 0;     // declared members (with answers or not)
  int64_t students = 0;     // members with answers (rows in the views)
  MeanEstimate mastery;     // per student: mean level over its concepts; then the mean
  RateEstimate resolution;  // all treated episodes
  Versus mastery_vs = Versus::similar, resolution_vs = Versus::similar;
  std::vector<CohortConcept> concepts;                  // concepts with rows, domain order
  std::vector<CohortMisconception> misconceptions;      // seen in the school, domain order
  std::array<RateEstimate, kModalityCount> modalities;  // outcomes per modality (modality view)
};

struct CohortComparison {
  Cohort school;
  std::vector<Cohort> classrooms;  // sorted by id
  int64_t unassigned = 0;          // students with answers and no classroom
};

// Every classroom against the school. `misconception` (empty: all) keeps one.
CohortComparison compare_cohorts(const ClassData &data, const Domain &domain,
                                 const AnalyticsConfig &c, std::string_view misconception = {});

// ---- discovered prerequisites ------------------------------------------------------

struct PrerequisiteEvidence {
  int32_t from_misconception = 0, to_misconception = 0;  // i (on A) and j (on B)
  int32_t students_with = 0;                             // students with i
  int32_t students_both = 0;                             // with i and j
  double cooccurrence = 0.0;                             // C[i][j]
  double lift = 0.0;                                     // C[i][j] / P(j)
};

struct PrerequisiteProposal {
  int32_t prerequisite = 0, concept_index = 0;  // propose prerequisite -> concept (A -> B)
  double strength = 0.0;                        // the highest C[i][j] of the evidence
  bool mutual = false;  // B -> A qualified too; kept A -> B by level, then strength
  std::vector<PrerequisiteEvidence> evidence;  // strongest first
};

struct PrerequisiteDiscovery {
  std::vector<PrerequisiteProposal> proposals;  // strongest first
  // Pairs above the thresholds whose path A -> B the graph already has
  // (direct or through other concepts): the data agrees with the graph.
  std::vector<PrerequisiteProposal> confirmed;
  int64_t pairs_considered = 0;  // misconception pairs on different concepts above the thresholds
  int64_t would_cycle = 0;       // of those, pairs whose B is already a prerequisite of A
};

PrerequisiteDiscovery discover_prerequisites(const Cooccurrence &co, const Domain &domain,
                                             const AnalyticsConfig &c);

// ---- drift ----------------------------------------------------------------------------

struct DriftEdge {
  int32_t prerequisite = 0, concept_index = 0;  // A -> B, an edge of the graph
  RateEstimate failing;  // of the students who mastered A and practised B: not mastered B
  bool flagged = false;  // enough students and a failing share above the threshold
};

// Every edge of the graph, in the domain's order (concepts, then their prerequisites).
std::vector<DriftEdge> prerequisite_drift(const ClassData &data, const Domain &domain,
                                          const AnalyticsConfig &c,
                                          std::string_view classroom = {});

// ---- requests and JSON ----------------------------------------------------------------

enum AnalysisFlags : uint32_t {
  kAnalysisCooccurrence = 1u << 0,
  kAnalysisEffectiveness = 1u << 1,
  kAnalysisCohorts = 1u << 2,
  kAnalysisPrerequisites = 1u << 3,
  kAnalysisDrift = 1u << 4,
  kAnalysisAll = (1u << 5) - 1,
};

struct AnalyticsRequest {
  uint32_t analyses = kAnalysisAll;
  std::string tenant;
  std::string classroom;      // empty: the whole tenant (cohorts always compare every classroom)
  std::string misconception;  // empty: all (effectiveness and cohorts)
  AnalyticsConfig config;
};

// Parses {"analysis": "cooccurrence" | "effectiveness" | "cohorts" |
// "prerequisites" | "drift" | "all", "tenant", "classroom"?,
// "misconception_id"?, "config"?: {"z", "min_trials", "mastery_min_attempts",
// "prerequisite_cooccurrence", "prerequisite_min_students",
// "prerequisite_min_lift", "drift_fail_rate", "drift_min_students",
// "drift_min_attempts"}}. Throws Error(invalid) naming the field
// ("analytics request.analysis: ...").
AnalyticsRequest analytics_request_from_json(std::string_view json);

// Checks the request against the data: Error(not_found) naming
// "analytics request.classroom" or ".misconception_id" when unknown.
void check_analytics_request(const AnalyticsRequest &r, const ClassData &data,
                             const Domain &domain);

// The report: {"schema_version":1,"tenant","classroom"|null,"students",
// "config":{...}} plus one member per requested analysis: "cooccurrence",
// "effectiveness", "cohorts", "prerequisites", "drift" (docs/analytics.md).
std::string analytics_report_json(const ClassData &data, const Domain &domain,
                                  const AnalyticsRequest &r);

// One analysis as its own document {"schema_version":1,"analysis":name,...}.
std::string cooccurrence_json(const Cooccurrence &co, const Domain &domain);
std::string effectiveness_json(const Effectiveness &e, const Domain &domain);
std::string cohorts_json(const CohortComparison &c, const Domain &domain);
std::string prerequisites_json(const PrerequisiteDiscovery &p, const Domain &domain);
std::string drift_json(const std::vector<DriftEdge> &edges, const Domain &domain,
                       const PrerequisiteDiscovery *candidates = nullptr);

}  // namespace v0
}  // namespace tutorcore
