// The metacognitive bias detector (seed 000): from a student's recent
// interaction events to one of no_bias, confirmation, anchoring or
// overconfidence with a confidence, a reflective question proposed only at
// or above the threshold (0.65), the tutor's live alert, and the session
// summary. Pure functions over value types; time is always passed in.
//
// The interaction events a host appends (entity "student"; payload rules in
// storage/event_check.cpp):
//   interaction.problem_started {session_id, problem_id}
//   interaction.hint_requested  {session_id, problem_id, latency_ms?}
//   interaction.answer_changed  {session_id, problem_id, answer?, latency_ms?}
//   interaction.submitted       {session_id, problem_id, correct, answer?,
//                                latency_ms?, confidence?}
// latency_ms is the time since the problem was shown; a submit without it
// takes the time since the problem's interaction.problem_started in the
// window. confidence is the student's self-reported confidence in [0, 1].
//
// The window: the student's last `window_events` (20, the seed's context)
// interaction events no older than `max_age_s` (3600 s, the seed's session
// expiry) at the detection time, in log order.
//
// The features (BiasFeatures, all counted over the window):
//  - challenged submits: submits on a problem after evidence against the
//    student's answer there (an earlier wrong submit on it, or a hint since
//    the last submit); repeated_wrong: those that give again (equivalent
//    answer, classify/answer.hpp) an answer already submitted wrong there.
//  - revisions: answers (changes and wrong submits) that differ from the
//    first answer given on their problem, on problems not solved in the
//    window; anchored: those whose normalized edit similarity to that first
//    answer is at least anchor_similarity (0.6): adjusted, but not far from
//    the anchor.
//  - fast_unverified_wrong: submits faster than fast_submit_ms (7500 ms:
//    the mastery policy's fast fraction 0.25 of a typical 30 s answer),
//    wrong, with neither a hint nor an answer change on the problem before
//    them; confidence gap: mean self-reported confidence minus accuracy
//    over the submits that report one.
//
// The rules (the seed's definitions; shares shrunk toward 0 by evidence,
// confidence = share x n / (n + evidence_prior), evidence_prior 1):
//  - confirmation (seeking what confirms the current answer): share =
//    repeated_wrong / challenged submits, n = challenged submits;
//  - anchoring (over-relying on the first information): share = anchored /
//    revisions, n = revisions;
//  - overconfidence (submitting too quickly without verification): the
//    stronger of fast_unverified_wrong / submits (n = submits) and
//    confidence gap / confidence_gap_full (0.5; n = confidence reports);
//  - no_bias: (1 - the largest bias confidence) x events / (events +
//    evidence_prior), so an empty window is no_bias with confidence 0 (the
//    seed's cold start: never flag a student prematurely).
// The label is the largest; ties go to no_bias, then confirmation,
// anchoring, overconfidence (the seed's label order).
//
// A model backend replaces the rules: a ClassifierPlugin registered on the
// tutor under `model` ("bias"), asked with the feature document
// (bias_model_input_json) as its answer; its label must be one of the four.
// A plugin that is also a BiasFeatureModel (the TorchScript bias model,
// metacog/model.hpp) is handed the feature vector itself instead.
//
// The decision (the seed's intervention_needed): propose the bias's
// reflective question when the label is not no_bias and confidence >=
// threshold. The prompts are the seed's questions (configurable; each must
// be a question). They never contain an answer.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/classify/classifier.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/storage/event.hpp"

namespace tutorcore {
inline namespace v0 {

enum class Bias : uint8_t { no_bias = 0, confirmation, anchoring, overconfidence };
constexpr size_t kBiasCount = 4;
const char *bias_name(Bias b);
// False when `name` is not one of the four labels.
bool parse_bias(std::string_view name, Bias *out);

inline constexpr std::string_view kInteractionProblemStarted = "interaction.problem_started";
inline constexpr std::string_view kInteractionHintRequested = "interaction.hint_requested";
inline constexpr std::string_view kInteractionAnswerChanged = "interaction.answer_changed";
inline constexpr std::string_view kInteractionSubmitted = "interaction.submitted";
inline constexpr std::string_view kBiasDetected = "metacog.bias_detected";

enum class InteractionKind : uint8_t { problem_started, hint_requested, answer_changed, submitted };

// One interaction event as the detector reads it.
struct Interaction {
  InteractionKind kind = InteractionKind::problem_started;
  int64_t event_id = 0;
  int64_t time_us = 0;
  std::string session_id, problem_id;
  bool has_answer = false;
  std::string answer;        // answer_changed, submitted
  bool correct = false;      // submitted
  double latency_ms = -1.0;  // < 0: not reported
  double confidence = -1.0;  // submitted, self-reported; < 0: not reported
};

// Whether `type` is one of the four interaction.* types.
bool is_interaction_type(std::string_view type);
// Reads an interaction.* event; false for any other type. Throws
// Error(invalid) naming the event id for a payload that breaks the rules.
bool interaction_from_event(const Event &e, Interaction *out);

struct MetacogConfig {
  int32_t window_events = 20;        // the seed's last 20 events
  double max_age_s = 3600.0;         // the seed's session expiry
  double threshold = 0.65;           // propose at or above (the seed's >=)
  double fast_submit_ms = 7500.0;    // a submit faster than this is fast
  double anchor_similarity = 0.6;    // a revision this similar to the first answer is anchored
  double evidence_prior = 1.0;       // confidence = share x n / (n + prior)
  double confidence_gap_full = 0.5;  // a gap this large reads as share 1
  std::string backend = "auto";      // "auto" (model when registered, else rules), "rules", a name
  std::string model = "bias";        // the registered model "auto" looks for
  std::array<std::string, kBiasCount> prompts = {
      "",
      "You seem to be focusing on information that supports your current answer. Can you think "
      "of a reason why your answer might be incorrect?",
      "You might be relying too heavily on your first impression. What would happen if you "
      "started from a completely different approach?",
      "You submitted that answer quite quickly. Before finalizing, can you identify one "
      "potential flaw in your reasoning?"};
};

// Throws Error(invalid) naming the field ("metacog config.threshold").
void check_metacog_config(const MetacogConfig &c);
// {"window_events","max_age_s","threshold","fast_submit_ms",
// "anchor_similarity","evidence_prior","confidence_gap_full","backend",
// "model","prompts":{"confirmation","anchoring","overconfidence"}}; fields
// left out keep `base`'s values. Error(invalid) names the field.
MetacogConfig metacog_config_from_json(std::string_view json, const MetacogConfig &base);
std::string metacog_config_to_json(const MetacogConfig &c);

// The interactions the detector looks at: the last window_events of
// `events` (log order) with time in (now - max_age, now].
std::vector<Interaction> bias_window(const std::vector<Interaction> &events, int64_t now_us,
                                     const MetacogConfig &c);

struct BiasFeatures {
  int32_t events = 0, problems = 0, submits = 0, correct_submits = 0, hints = 0, changes = 0;
  int32_t timed_submits = 0, fast_submits = 0, fast_unverified_wrong = 0;
  double mean_submit_latency_ms = 0.0;  // over timed submits; 0 when none
  int32_t confidence_reports = 0;
  double mean_confidence = 0.0;  // over the reports; 0 when none
  double confidence_gap = 0.0;   // mean confidence - accuracy of those submits
  int32_t challenged_submits = 0, repeated_wrong = 0;
  int32_t revisions = 0, anchored_revisions = 0;

  double accuracy() const { return submits ? double(correct_submits) / submits : 0.0; }
};

BiasFeatures bias_features(const std::vector<Interaction> &window, const MetacogConfig &c);

// The feature vector a model reads, in the order of bias_feature_names():
// events, problems, submits, accuracy, hints_per_problem, changes_per_submit,
// fast_share, fast_unverified_wrong_share, mean_submit_latency_s,
// confidence_reports, confidence_gap, challenged_submits,
// repeated_wrong_share, revisions, anchored_share.
const std::vector<std::string> &bias_feature_names();
std::vector<double> bias_feature_vector(const BiasFeatures &f);

struct BiasDetection {
  Bias bias = Bias::no_bias;
  double confidence = 0.0;
  std::array<double, kBiasCount>
      scores{};  // the rules' confidence per label (model: its label only)
  std::string backend = "rules";
  std::string reason;
};

// The rule-based detector (rules above).
BiasDetection detect_bias_rules(const BiasFeatures &f, const MetacogConfig &c);

// The model's input, sent as the plugin's answer text: {"schema_version":1,
// "task":"metacog.bias","labels":["no_bias","confirmation","anchoring",
// "overconfidence"],"feature_names":[...],"features":[...],
// "counts":{named features}}. The plugin is called with a problem whose id
// is "metacog.bias" and concept "metacog" (no domain problem).
std::string bias_model_input_json(const BiasFeatures &f);
// The model's prediction as a detection. Throws Error(invalid) naming the
// backend for a label outside the four or a confidence outside [0, 1].
BiasDetection detection_from_prediction(const Prediction &p);

// A model that reads the feature vector directly (no document to parse):
// the TorchScript bias model (metacog/model.hpp). A ClassifierPlugin that
// also implements this is asked through it by detect_bias_model.
class BiasFeatureModel {
 public:
  virtual ~BiasFeatureModel() = default;
  // One detection per row; each row holds bias_feature_vector() values, in
  // bias_feature_names() order. Safe for concurrent calls.
  virtual std::vector<BiasDetection> detect_features(
      const std::vector<std::vector<double>> &rows) const = 0;
};

// Asks `model` (a registered plugin) with the features: the vector when it
// is a BiasFeatureModel, else the feature document as its answer.
BiasDetection detect_bias_model(const ClassifierPlugin &model, const BiasFeatures &f);

struct BiasDecision {
  BiasDetection detection;
  bool propose = false;  // the seed's intervention_needed
  std::string prompt;    // the reflective question when proposed, else ""
  double threshold = 0.65;
};
BiasDecision decide_bias(const BiasDetection &d, const MetacogConfig &c);

// One tutor alert (a metacog.bias_detected event) as the summary reads it.
struct BiasAlert {
  int64_t event_id = 0;
  int64_t time_us = 0;
  std::string student, session_id, problem_id;
  Bias bias = Bias::no_bias;
  double confidence = 0.0;
  std::string prompt;
};
// The alert event's payload (also the detection document of a result):
// {session_id, problem_id, bias, confidence, scores:{label: confidence},
// threshold, backend, reason, prompt ("" when nothing is proposed),
// features:{name: value}, window_events, last_event_id}.
std::string bias_alert_payload(const BiasDecision &d, const BiasFeatures &f,
                               const std::vector<Interaction> &window);
// Reads a metacog.bias_detected event. Throws Error(invalid) naming the
// event id for a payload that breaks the rules.
BiasAlert bias_alert_from_event(const Event &e);

// The seed's session summary: alerts counted per bias; the most common bias
// (ties: the one alerted first), none when there are no alerts.
struct BiasSummary {
  int32_t total = 0;
  std::array<int32_t, kBiasCount> breakdown{};
  bool has_most_common = false;
  Bias most_common = Bias::no_bias;
  std::vector<BiasAlert> alerts;
};
BiasSummary summarize_bias(const std::vector<BiasAlert> &alerts);
// {"total","bias_breakdown":{"confirmation":n,...},"most_common_bias":name|null,
// "interventions":[{"event_id","time_us","student","session_id","problem_id",
// "bias","confidence","prompt"}]}, members of an enclosing object.
void write_bias_summary(JsonWriter &w, const BiasSummary &s);

}  // namespace v0
}  // namespace tutorcore
