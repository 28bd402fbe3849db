// The detector's input: interaction events read from the log, the window,
// and the features counted over it (rules in metacog/metacog.hpp).
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <unordered_map>

#include "tutorcore/classify/answer.hpp"
#include "tutorcore/classify/catalog.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/names.hpp"
#include "tutorcore/metacog/metacog.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr const char *kBiasNames[kBiasCount] = {"no_bias", "confirmation", "anchoring",
                                                "overconfidence"};

[[noreturn]] void bad_payload(const Event &e, std::string_view field, std::string_view msg) {
  throw Error(Errc::invalid, fmt::format("{} event {}: payload.{} {}", e.type, e.id, field, msg));
}

}  // namespace

const char *bias_name(Bias b) {
  return kBiasNames[static_cast<size_t>(b)];
}

bool parse_bias(std::string_view name, Bias *out) {
  size_t i;
  if (!find_name(kBiasNames, kBiasCount, name, &i)) return false;
  *out = static_cast<Bias>(i);
  return true;
}

bool is_interaction_type(std::string_view type) {
  return type == kInteractionProblemStarted || type == kInteractionHintRequested ||
         type == kInteractionAnswerChanged || type == kInteractionSubmitted;
}

bool interaction_from_event(const Event &e, Interaction *out) {
  Interaction in;
  if (e.type == kInteractionProblemStarted) {
    in.kind = InteractionKind::problem_started;
  } else if (e.type == kInteractionHintRequested) {
    in.kind = InteractionKind::hint_requested;
  } else if (e.type == kInteractionAnswerChanged) {
    in.kind = InteractionKind::answer_changed;
  } else if (e.type == kInteractionSubmitted) {
    in.kind = InteractionKind::submitted;
  } else {
    return false;
  }
  in.event_id = e.id;
  in.time_us = e.time_us;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(e.payload).get_object().get(o)) bad_payload(e, "", "is not a JSON object");
  auto text = [&](const char *k, bool required, std::string *dst) {
    std::string_view v;
    simdjson::dom::element el;
    if (o.at_key(k).get(el) || el.is_null()) {
      if (required) bad_payload(e, k, "is required");
      return false;
    }
    if (el.get_string().get(v)) bad_payload(e, k, "must be a string");
    *dst = std::string(v);
    return true;
  };
  auto number = [&](const char *k, double lo, double hi, double *dst) {
    simdjson::dom::element el;
    if (o.at_key(k).get(el) || el.is_null()) return;
    double d;
    if (el.get_double().get(d) || !(d >= lo && d <= hi))
      bad_payload(e, k, fmt::format("must be a number in [{}, {}]", lo, hi));
    *dst = d;
  };
  text("session_id", true, &in.session_id);
  text("problem_id", true, &in.problem_id);
  if (in.kind == InteractionKind::answer_changed || in.kind == InteractionKind::submitted)
    in.has_answer = text("answer", false, &in.answer);
  if (in.kind != InteractionKind::problem_started) number("latency_ms", 0.0, 1e15, &in.latency_ms);
  if (in.kind == InteractionKind::submitted) {
    if (o["correct"].get_bool().get(in.correct)) bad_payload(e, "correct", "must be true or false");
    number("confidence", 0.0, 1.0, &in.confidence);
  }
  *out = std::move(in);
  return true;
}

std::vector<Interaction> bias_window(const std::vector<Interaction> &events, int64_t now_us,
                                     const MetacogConfig &c) {
  const double max_age_us = c.max_age_s * 1e6;
  std::vector<Interaction> out;
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (static_cast<int32_t>(out.size()) >= c.window_events) break;
    if (it->time_us > now_us) continue;  // after the detection time
    if (static_cast<double>(now_us - it->time_us) >= max_age_us) continue;
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

namespace {

// What the features remember of one problem while walking the window.
struct ProblemTrack {
  bool started = false;
  int64_t start_us = 0;
  bool solved = false;
  bool verified = false;           // a hint or an answer change before the submit
  bool hint_since_submit = false;  // evidence: a hint after the last submit
  bool wrong_seen = false;         // evidence: a wrong submit
  bool has_first = false;
  std::string first;                // the first answer given (normalized)
  std::vector<std::string> wrongs;  // answers submitted wrong (normalized)
  int32_t revisions = 0, anchored = 0;
};

}  // namespace

BiasFeatures bias_features(const std::vector<Interaction> &window, const MetacogConfig &c) {
  BiasFeatures f;
  std::unordered_map<std::string, ProblemTrack> problems;
  std::vector<std::string> order;  // problems in first-seen order
  double latency_sum = 0.0, confidence_sum = 0.0;
  int32_t confident_correct = 0;

  // A changed or submitted answer: the first on its problem is the anchor;
  // a later one that differs is a revision, anchored when still similar.
  auto revise = [&](ProblemTrack &p, const std::string &norm) {
    if (!p.has_first) {
      p.has_first = true;
      p.first = norm;
      return;
    }
    if (normalized_answers_equivalent(norm, p.first)) return;
    ++p.revisions;
    if (answer_similarity(norm, p.first) >= c.anchor_similarity) ++p.anchored;
  };

  for (const Interaction &in : window) {
    ++f.events;
    auto [it, fresh] = problems.try_emplace(in.problem_id);
    if (fresh) order.push_back(in.problem_id);
    ProblemTrack &p = it->second;
    switch (in.kind) {
      case InteractionKind::problem_started:
        p.started = true;
        p.start_us = in.time_us;
        break;
      case InteractionKind::hint_requested:
        ++f.hints;
        p.verified = true;
        p.hint_since_submit = true;
        break;
      case InteractionKind::answer_changed:
        ++f.changes;
        p.verified = true;
        if (in.has_answer && !p.solved) revise(p, normalize_answer(in.answer));
        break;
      case InteractionKind::submitted: {
        ++f.submits;
        if (in.correct) ++f.correct_submits;
        double latency = in.latency_ms;
        if (latency < 0 && p.started) latency = static_cast<double>(in.time_us - p.start_us) / 1e3;
        bool fast = false;
        if (latency >= 0) {
          ++f.timed_submits;
          latency_sum += latency;
          fast = latency < c.fast_submit_ms;
          if (fast) ++f.fast_submits;
        }
        if (fast && !in.correct && !p.verified) ++f.fast_unverified_wrong;
        if (in.confidence >= 0) {
          ++f.confidence_reports;
          confidence_sum += in.confidence;
          if (in.correct) ++confident_correct;
        }
        std::string norm = in.has_answer ? normalize_answer(in.answer) : std::string();
        if (p.wrong_seen || p.hint_since_submit) {
          ++f.challenged_submits;
          if (in.has_answer &&
              std::any_of(p.wrongs.begin(), p.wrongs.end(), [&](const std::string &w) {
                return normalized_answers_equivalent(norm, w);
              })) {
            ++f.repeated_wrong;
          }
        }
        if (in.has_answer && !p.solved && !in.correct) revise(p, norm);
        if (in.correct) {
          p.solved = true;
        } else {
          p.wrong_seen = true;
          if (in.has_answer) p.wrongs.push_back(std::move(norm));
        }
        p.hint_since_submit = false;
        break;
      }
    }
  }
  f.problems = static_cast<int32_t>(order.size());
  for (const std::string &id : order) {
    const ProblemTrack &p = problems[id];
    if (p.solved) continue;  // revisions that reached the answer are not anchored
    f.revisions += p.revisions;
    f.anchored_revisions += p.anchored;
  }
  if (f.timed_submits) f.mean_submit_latency_ms = latency_sum / f.timed_submits;
  if (f.confidence_reports) {
    f.mean_confidence = confidence_sum / f.confidence_reports;
    f.confidence_gap = f.mean_confidence - double(confident_correct) / f.confidence_reports;
  }
  return f;
}

const std::vector<std::string> &bias_feature_names() {
  static const std::vector<std::string> names = {"events",
                                                 "problems",
                                                 "submits",
                                                 "accuracy",
                                                 "hints_per_problem",
                                                 "changes_per_submit",
                                                 "fast_share",
                                                 "fast_unverified_wrong_share",
                                                 "mean_submit_latency_s",
                                                 "confidence_reports",
                                                 "confidence_gap",
                                                 "challenged_submits",
                                                 "repeated_wrong_share",
                                                 "revisions",
                                                 "anchored_share"};
  return names;
}

std::vector<double> bias_feature_vector(const BiasFeatures &f) {
  auto share = [](int32_t a, int32_t b) { return b ? double(a) / b : 0.0; };
  return {double(f.events),
          double(f.problems),
          double(f.submits),
          f.accuracy(),
          share(f.hints, f.problems),
          share(f.changes, f.submits),
          share(f.fast_submits, f.timed_submits),
          share(f.fast_unverified_wrong, f.submits),
          f.mean_submit_latency_ms / 1e3,
          double(f.confidence_reports),
          f.confidence_gap,
          double(f.challenged_submits),
          share(f.repeated_wrong, f.challenged_submits),
          double(f.revisions),
          share(f.anchored_revisions, f.revisions)};
}

}  // namespace v0
}  // namespace tutorcore
