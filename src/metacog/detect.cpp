// The bias detector's rules, its model backend, the decision to propose a
// reflective question, the alert and the session summary (rules in
// metacog/metacog.hpp), and the configuration as JSON.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/metacog/metacog.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

[[noreturn]] void bad_config(std::string_view field, const std::string &msg) {
  throw Error(Errc::invalid, fmt::format("metacog config.{}: {}", field, msg));
}

double shrink(double share, int32_t n, double prior) {
  return n > 0 ? share * n / (n + prior) : 0.0;
}

std::string fixed2(double d) {
  return fmt::format("{:.2f}", d);
}

}  // namespace

void check_metacog_config(const MetacogConfig &c) {
  if (c.window_events < 1 || c.window_events > 1000)
    bad_config("window_events", fmt::format("is {}; it must lie in 1..1000", c.window_events));
  if (!(c.max_age_s > 0.0 && c.max_age_s <= 366.0 * 86400.0))
    bad_config("max_age_s", fmt::format("is {}; it must lie in (0, 31622400]", c.max_age_s));
  if (!(c.threshold >= 0.0 && c.threshold <= 1.0))
    bad_config("threshold", fmt::format("is {}; it must lie in [0, 1]", c.threshold));
  if (!(c.fast_submit_ms >= 0.0 && c.fast_submit_ms <= 3.6e6))
    bad_config("fast_submit_ms",
               fmt::format("is {}; it must lie in [0, 3600000]", c.fast_submit_ms));
  if (!(c.anchor_similarity > 0.0 && c.anchor_similarity <= 1.0)) {
    bad_config("anchor_similarity",
               fmt::format("is {}; it must lie in (0, 1]", c.anchor_similarity));
  }
  if (!(c.evidence_prior >= 0.0 && c.evidence_prior <= 1000.0))
    bad_config("evidence_prior", fmt::format("is {}; it must lie in [0, 1000]", c.evidence_prior));
  if (!(c.confidence_gap_full > 0.0 && c.confidence_gap_full <= 1.0)) {
    bad_config("confidence_gap_full",
               fmt::format("is {}; it must lie in (0, 1]", c.confidence_gap_full));
  }
  if (c.backend.empty()) bad_config("backend", "is empty; use \"auto\", \"rules\" or a name");
  if (c.backend != "auto" && c.backend != "rules") check_classifier_name(c.backend);
  check_classifier_name(c.model);
  for (size_t i = 1; i < kBiasCount; ++i) {
    const std::string &p = c.prompts[i];
    std::string field = fmt::format("prompts.{}", bias_name(static_cast<Bias>(i)));
    if (p.empty()) bad_config(field, "is empty");
    if (p.size() > 1000) bad_config(field, fmt::format("is {} bytes; at most 1000", p.size()));
    if (p.find('?') == std::string::npos) {
      bad_config(field,
                 "must ask a reflective question (end a sentence with '?'); prompts never give "
                 "an answer");
    }
  }
}

MetacogConfig metacog_config_from_json(std::string_view json, const MetacogConfig &base) {
  const std::string what = "metacog config";
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parse_json_or_throw(parser, json, what).get_object().get(o))
    throw Error(Errc::invalid, what + ": must be a JSON object");
  reject_unknown_fields(
      o,
      {"window_events", "max_age_s", "threshold", "fast_submit_ms", "anchor_similarity",
       "evidence_prior", "confidence_gap_full", "backend", "model", "prompts"},
      what);
  MetacogConfig c = base;
  int64_t n = c.window_events;
  if (read_int(o, "window_events", 1, 1000, what, &n)) c.window_events = static_cast<int32_t>(n);
  read_number(o, "max_age_s", 1e-6, 366.0 * 86400.0, what, &c.max_age_s);
  read_number(o, "threshold", 0.0, 1.0, what, &c.threshold);
  read_number(o, "fast_submit_ms", 0.0, 3.6e6, what, &c.fast_submit_ms);
  read_number(o, "anchor_similarity", 1e-9, 1.0, what, &c.anchor_similarity);
  read_number(o, "evidence_prior", 0.0, 1000.0, what, &c.evidence_prior);
  read_number(o, "confidence_gap_full", 1e-9, 1.0, what, &c.confidence_gap_full);
  read_string(o, "backend", false, what, &c.backend);
  read_string(o, "model", false, what, &c.model);
  simdjson::dom::element pe;
  if (!o.at_key("prompts").get(pe) && !pe.is_null()) {
    simdjson::dom::object po;
    const std::string where = what + ".prompts";
    if (pe.get_object().get(po)) throw Error(Errc::invalid, where + ": must be a JSON object");
    reject_unknown_fields(po, {"confirmation", "anchoring", "overconfidence"}, where);
    for (size_t i = 1; i < kBiasCount; ++i)
      read_string(po, bias_name(static_cast<Bias>(i)), false, where, &c.prompts[i]);
  }
  check_metacog_config(c);
  return c;
}

std::string metacog_config_to_json(const MetacogConfig &c) {
  JsonWriter w;
  w.begin_object().field("window_events", c.window_events).field("max_age_s", c.max_age_s);
  w.field("threshold", c.threshold).field("fast_submit_ms", c.fast_submit_ms);
  w.field("anchor_similarity", c.anchor_similarity).field("evidence_prior", c.evidence_prior);
  w.field("confidence_gap_full", c.confidence_gap_full).field("backend", c.backend);
  w.field("model", c.model).key("prompts").begin_object();
  for (size_t i = 1; i < kBiasCount; ++i)
    w.field(bias_name(static_cast<Bias>(i)), c.prompts[i]);
  w.end_object().end_object();
  return w.take();
}

BiasDetection detect_bias_rules(const BiasFeatures &f, const MetacogConfig &c) {
  const double prior = c.evidence_prior;
  BiasDetection d;
  d.backend = "rules";
  std::array<std::string, kBiasCount> why;

  double share_c = f.challenged_submits ? double(f.repeated_wrong) / f.challenged_submits : 0.0;
  d.scores[1] = shrink(share_c, f.challenged_submits, prior);
  why[1] = fmt::format("{} of {} challenged submits repeat an answer already wrong",
                       f.repeated_wrong, f.challenged_submits);

  double share_a = f.revisions ? double(f.anchored_revisions) / f.revisions : 0.0;
  d.scores[2] = shrink(share_a, f.revisions, prior);
  why[2] = fmt::format(
      "{} of {} revisions on unsolved problems stay within similarity {} of "
      "the first answer",
      f.anchored_revisions, f.revisions, fixed2(c.anchor_similarity));

  double share_fast = f.submits ? double(f.fast_unverified_wrong) / f.submits : 0.0;
  double by_speed = shrink(share_fast, f.submits, prior);
  double share_gap = std::clamp(f.confidence_gap / c.confidence_gap_full, 0.0, 1.0);
  double by_gap = shrink(share_gap, f.confidence_reports, prior);
  d.scores[3] = std::max(by_speed, by_gap);
  why[3] = by_gap > by_speed
               ? fmt::format(
                     "self-reported confidence {} against accuracy {} over {} submits "
                     "(gap {})",
                     fixed2(f.mean_confidence), fixed2(f.mean_confidence - f.confidence_gap),
                     f.confidence_reports, fixed2(f.confidence_gap))
               : fmt::format("{} of {} submits fast (< {} ms), wrong and unverified",
                             f.fast_unverified_wrong, f.submits, c.fast_submit_ms);

  double top = std::max({d.scores[1], d.scores[2], d.scores[3]});
  d.scores[0] = (1.0 - top) * shrink(1.0, f.events, prior);
  size_t best = 0;
  for (size_t i = 1; i < kBiasCount; ++i)
    if (d.scores[i] > d.scores[best]) best = i;
  d.bias = static_cast<Bias>(best);
  d.confidence = d.scores[best];
  if (f.events == 0) {
    d.reason = "no interaction events in the window: no_bias until there is evidence";
  } else if (best == 0) {
    d.reason =
        fmt::format("no bias: the strongest signal is {} ({}) over {} events",
                    bias_name(static_cast<Bias>(
                        std::max_element(d.scores.begin() + 1, d.scores.end()) - d.scores.begin())),
                    fixed2(top), f.events);
  } else {
    d.reason = fmt::format("{}: {}", bias_name(d.bias), why[best]);
  }
  return d;
}

std::string bias_model_input_json(const BiasFeatures &f) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("task", "metacog.bias");
  w.key("labels").begin_array();
  for (size_t i = 0; i < kBiasCount; ++i)
    w.value(bias_name(static_cast<Bias>(i)));
  w.end_array().key("feature_names").begin_array();
  for (const std::string &n : bias_feature_names())
    w.value(n);
  w.end_array().key("features").begin_array();
  for (double v : bias_feature_vector(f))
    w.value(v);
  w.end_array().key("counts").begin_object();
  w.field("events", f.events).field("problems", f.problems).field("submits", f.submits);
  w.field("correct_submits", f.correct_submits).field("hints", f.hints);
  w.field("changes", f.changes).field("timed_submits", f.timed_submits);
  w.field("fast_submits", f.fast_submits).field("fast_unverified_wrong", f.fast_unverified_wrong);
  w.field("confidence_reports", f.confidence_reports);
  w.field("challenged_submits", f.challenged_submits).field("repeated_wrong", f.repeated_wrong);
  w.field("revisions", f.revisions).field("anchored_revisions", f.anchored_revisions);
  w.end_object().end_object();
  return w.take();
}

BiasDetection detection_from_prediction(const Prediction &p) {
  check_prediction(p, p.backend);
  BiasDetection d;
  if (!parse_bias(p.label, &d.bias)) {
    throw Error(Errc::invalid,
                fmt::format("bias model '{}': label '{}' is not one of no_bias, confirmation, "
                            "anchoring, overconfidence",
                            p.backend, p.label));
  }
  d.confidence = p.confidence;
  d.scores[static_cast<size_t>(d.bias)] = p.confidence;
  d.backend = p.backend;
  d.reason = p.reason.empty() ? fmt::format("model '{}'", p.backend) : p.reason;
  return d;
}

BiasDetection detect_bias_model(const ClassifierPlugin &model, const BiasFeatures &f) {
  if (const auto *direct = dynamic_cast<const BiasFeatureModel *>(&model)) {
    std::vector<BiasDetection> d = direct->detect_features({bias_feature_vector(f)});
    if (d.size() != 1) {
      throw Error(Errc::internal, fmt::format("bias model '{}': {} detections for one window",
                                              model.name(), d.size()));
    }
    return d.front();
  }
  Problem problem;
  problem.id = "metacog.bias";
  problem.concept_id = "metacog";
  problem.text = "metacognitive bias detection over a student's interaction events";
  Concept concept_;
  concept_.id = "metacog";
  concept_.name = "metacognition";
  Prediction p = model.predict(problem, bias_model_input_json(f), concept_);
  if (p.backend.empty()) p.backend = model.name();
  return detection_from_prediction(p);
}

BiasDecision decide_bias(const BiasDetection &d, const MetacogConfig &c) {
  BiasDecision out;
  out.detection = d;
  out.threshold = c.threshold;
  out.propose = d.bias != Bias::no_bias && d.confidence >= c.threshold;
  if (out.propose) out.prompt = c.prompts[static_cast<size_t>(d.bias)];
  return out;
}

std::string bias_alert_payload(const BiasDecision &d, const BiasFeatures &f,
                               const std::vector<Interaction> &window) {
  JsonWriter w;
  w.begin_object();
  if (!window.empty()) {
    w.field("session_id", window.back().session_id);
    w.field("problem_id", window.back().problem_id);
  }
  w.field("bias", bias_name(d.detection.bias)).field("confidence", d.detection.confidence);
  w.key("scores").begin_object();
  for (size_t i = 0; i < kBiasCount; ++i)
    w.field(bias_name(static_cast<Bias>(i)), d.detection.scores[i]);
  w.end_object().field("threshold", d.threshold).field("backend", d.detection.backend);
  w.field("reason", d.detection.reason).field("prompt", d.prompt);
  w.key("features").begin_object();
  const std::vector<std::string> &names = bias_feature_names();
  std::vector<double> v = bias_feature_vector(f);
  for (size_t i = 0; i < names.size(); ++i)
    w.field(names[i], v[i]);
  w.end_object();
  w.field("window_events", static_cast<int64_t>(window.size()));
  w.field("last_event_id", window.empty() ? int64_t(0) : window.back().event_id);
  w.end_object();
  return w.take();
}

BiasAlert bias_alert_from_event(const Event &e) {
  BiasAlert a;
  a.event_id = e.id;
  a.time_us = e.time_us;
  a.student = e.entity_id;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object o;
  auto bad = [&](const char *field, const char *msg) {
    throw Error(Errc::invalid,
                fmt::format("{} event {}: payload.{} {}", kBiasDetected, e.id, field, msg));
  };
  if (parser.parse(e.payload).get_object().get(o)) bad("", "is not a JSON object");
  std::string_view s;
  if (o["session_id"].get_string().get(s) == simdjson::SUCCESS) a.session_id = std::string(s);
  if (o["problem_id"].get_string().get(s) == simdjson::SUCCESS) a.problem_id = std::string(s);
  if (o["prompt"].get_string().get(s) == simdjson::SUCCESS) a.prompt = std::string(s);
  if (o["bias"].get_string().get(s) || !parse_bias(s, &a.bias)) bad("bias", "is not a bias label");
  if (o["confidence"].get_double().get(a.confidence) || !(a.confidence >= 0 && a.confidence <= 1))
    bad("confidence", "must be a number in [0, 1]");
  return a;
}

BiasSummary summarize_bias(const std::vector<BiasAlert> &alerts) {
  BiasSummary s;
  s.alerts = alerts;
  std::array<size_t, kBiasCount> first{};
  first.fill(SIZE_MAX);
  for (size_t i = 0; i < alerts.size(); ++i) {
    size_t b = static_cast<size_t>(alerts[i].bias);
    ++s.breakdown[b];
    ++s.total;
    if (first[b] == SIZE_MAX) first[b] = i;
  }
  for (size_t b = 0; b < kBiasCount; ++b) {
    if (!s.breakdown[b]) continue;
    size_t cur = static_cast<size_t>(s.most_common);
    if (!s.has_most_common || s.breakdown[b] > s.breakdown[cur] ||
        (s.breakdown[b] == s.breakdown[cur] && first[b] < first[cur])) {
      s.most_common = static_cast<Bias>(b);
      s.has_most_common = true;
    }
  }
  return s;
}

void write_bias_summary(JsonWriter &w, const BiasSummary &s) {
  w.field("total", s.total).key("bias_breakdown").begin_object();
  for (size_t b = 0; b < kBiasCount; ++b)
    if (s.breakdown[b]) w.field(bias_name(static_cast<Bias>(b)), s.breakdown[b]);
  w.end_object().key("most_common_bias");
  if (s.has_most_common) {
    w.value(bias_name(s.most_common));
  } else {
    w.null();
  }
  w.key("interventions").begin_array();
  for (const BiasAlert &a : s.alerts) {
    w.begin_object().field("event_id", a.event_id).field("time_us", a.time_us);
    w.field("student", a.student).field("session_id", a.session_id);
    w.field("problem_id", a.problem_id).field("bias", bias_name(a.bias));
    w.field("confidence", a.confidence).field("prompt", a.prompt).end_object();
  }
  w.end_array();
}

}  // namespace v0
}  // namespace tutorcore
