// The teacher's review of classifications, and the labelled data set it
// produces (the seed's data flywheel: every classification a teacher
// confirms or corrects becomes a training example for the next model).
//
// A review appends classification.reviewed {response_event_id, problem_id,
// concept_id, original_label, original_classifier, corrected_label, verdict
// ("confirmed" | "corrected"), teacher_id} on the response's student, author
// "teacher:<id>". It changes no view: mastery and escalation stay as the
// answer left them (a teacher who wants an intervention for the corrected
// misconception acts on it). A later review of the same response supersedes
// an earlier one.
//
// The export reads the tenant's responses and reviews from the log and
// writes one JSON object per line: {"response_event_id","problem_id",
// "problem" (its text),"answer","concept_id","label","source","classifier"}
// with source "corrected", "confirmed" or "unreviewed" (the classifier's
// label, unverified).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tutorcore {
inline namespace v0 {

struct ClassificationReview {
  std::string tenant;
  int64_t response_event_id = 0;  // a response.submitted event of the tenant
  std::string teacher_id;         // pseudonymous; the event's author is "teacher:<id>"
  // The teacher's label: "correct", "unknown" or a misconception id of the
  // domain; empty confirms the classifier's label.
  std::string label;
  std::string idempotency_key;  // optional: a retry returns the first review
  int64_t time_us = 0;          // 0: now
};

// Parses {"tenant","response_event_id","teacher_id","label"?,
// "idempotency_key"?,"time_us"?}; Error(invalid) names the field.
ClassificationReview classification_review_from_json(std::string_view json);

struct LabelExport {
  std::string tenant;
  bool include_unreviewed = true;  // false: only what a teacher confirmed or corrected
  int64_t after_id = 0;            // only responses with a larger event id
  std::string concept_id;          // empty: every concept
};

// Parses {"tenant","include_unreviewed"?,"after_id"?,"concept_id"?}.
LabelExport label_export_from_json(std::string_view json);

}  // namespace v0
}  // namespace tutorcore
