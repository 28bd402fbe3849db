// The teacher coaching planner (seed 003, Phase 5): a deterministic planning
// layer that turns the class's state into scored action items with evidence
// (a structured plan), and a rendering layer that writes it as text from
// templates. The plan holds pseudonymous ids only; display names come from a
// roster the host passes at render time and never enter the event log.
//
// Candidate action items:
//  - pull_out_group: a misconception open for at least min_group students;
//    the recommendation is the modality with the best evidence in the class
//    (highest Wilson lower bound), with its resolution counts as evidence.
//  - whole_class_warmup: students within near_mastery_band below a concept's
//    threshold; the recommendation is the concept's problems nearest
//    P(correct) 0.70 for the group.
//  - monitor: a student whose mastery fell at least regression_drop below
//    its peak within the window.
//  - one_on_one_conference: an escalated student (escalated,
//    teacher_conference).
// Each is scored w_s S + w_r e^(-lambda days) + w_i (fraction of the class)
// + w_t (1 - effort) with the seed's weights, and the best max_items kept.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {

struct CoachingConfig {
  double w_severity = 0.4, w_recency = 0.2, w_impact = 0.2, w_effort = 0.2;
  double recency_lambda = 0.1;  // per day
  double severity_escalated = 1.0;
  double severity_shared_misconception = 0.7;
  double severity_regression = 0.5;
  double severity_near_mastery = 0.3;
  double effort_conference = 0.8;
  double effort_pull_out = 0.5;
  double effort_warmup = 0.2;
  double effort_monitor = 0.1;
  int32_t min_group = 2;            // students sharing a misconception for a pull-out group
  int32_t min_warmup = 2;           // students near a threshold for a warm-up
  double near_mastery_band = 0.10;  // how far below the threshold counts as near
  double regression_drop = 0.10;    // mastery below its recent peak
  double regression_window_days = 14;
  int32_t max_items = 5;
  int32_t warmup_problems = 2;
  double target_p_correct = 0.70;
};

// Throws Error(invalid) naming the field.
void check_coaching_config(const CoachingConfig &c);

// The seed's priority score, rounded to 3 decimals as the seed does.
double priority_score(double severity, double days_since_event, double fraction_affected,
                      double teacher_effort, const CoachingConfig &c);

struct PlanStudent {
  std::string id;
  std::string concept_id, misconception_id;
  double mastery = -1.0;  // < 0: not applicable
  double before = -1.0;   // monitor: the peak it fell from
  std::string state;      // escalation state, when about a misconception
};

struct ActionItem {
  int32_t priority = 0;
  double score = 0.0;
  std::string action_type;
  std::vector<PlanStudent> students;
  std::string concept_id, misconception_id;
  std::string modality;               // pull-out, conference: the recommended modality
  std::vector<std::string> problems;  // warm-up: the problems to assign
  std::string recommendation;         // with ids, never names
  std::string evidence;
  int32_t estimated_minutes = 0;
  double severity = 0, recency = 0, impact = 0, effort = 0;  // the score's inputs
};

struct CoachingPlan {
  std::string plan_type = "pre_class";
  std::string classroom;  // may be empty: the tenant's whole class
  int64_t generated_us = 0;
  int32_t class_size = 0;
  std::vector<ActionItem> items;
};

// What the planner reads besides the views: the class and, for regressions,
// each (student, concept)'s highest mastery within the window.
struct ClassInput {
  std::string tenant;
  std::string classroom;
  std::vector<std::string> students;
  int64_t now_us = 0;
  std::map<std::pair<std::string, std::string>, std::pair<double, int64_t>>
      peaks;  // -> (level, time)
};

CoachingPlan plan_preclass(const Domain &d, const ViewSet &v, const ClassInput &in,
                           const CoachingConfig &c);

// The plan as JSON (ids only: the form stored in coaching.plan_generated).
std::string coaching_plan_json(const CoachingPlan &p);

// Display names for rendering (id -> name); ids without a name print as ids.
using Roster = std::map<std::string, std::string>;

// "Today's plan": one paragraph per action item, names from the roster.
std::string render_preclass(const CoachingPlan &p, const Domain &d, const Roster &roster);

// A post-assignment debrief: what happened to a set of students since a time.
struct DebriefFinding {
  std::string kind;  // new_misconception, persisting, crossed_threshold
  std::string student, concept_id, misconception_id;
  double level = -1.0;
};
struct Debrief {
  std::string title;
  int64_t since_us = 0;
  int32_t students = 0;
  std::vector<DebriefFinding> findings;
  // For new misconceptions: the modality with the best class evidence.
  std::map<std::string, std::pair<std::string, std::string>>
      remedies;  // misconception -> (modality, evidence)
};
std::string debrief_json(const Debrief &b);
std::string render_debrief(const Debrief &b, const Domain &d, const Roster &roster);

// The parent-conference summary's structured context (ids only) and its
// template rendering; a host's text generator may render the context instead.
std::string parent_summary_template(const std::string &context_json, const Domain &d,
                                    const Roster &roster);

}  // namespace v0
}  // namespace tutorcore
