// The simulated study's request and result documents (see study.hpp).
#include <fmt/format.h>
#include <simdjson.h>

#include <utility>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/sim/study.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

constexpr std::string_view kWhat = "simulation";

// Every number of LearnerConfig, by its JSON name.
std::vector<std::pair<const char *, double *>> learner_numbers(LearnerConfig &c) {
  return {{"ability_sd", &c.ability_sd},
          {"concept_sd", &c.concept_sd},
          {"initial_logit", &c.initial_logit},
          {"level_step", &c.level_step},
          {"hold_rate", &c.hold_rate},
          {"min_strength", &c.min_strength},
          {"max_strength", &c.max_strength},
          {"guess", &c.guess},
          {"slip", &c.slip},
          {"knowledge_scale", &c.knowledge_scale},
          {"practice_rate", &c.practice_rate},
          {"zpd_center", &c.zpd_center},
          {"zpd_width", &c.zpd_width},
          {"prereq_needed", &c.prereq_needed},
          {"prereq_floor", &c.prereq_floor},
          {"block_strength", &c.block_strength},
          {"feedback_rate", &c.feedback_rate},
          {"resolve_base", &c.resolve_base},
          {"max_resolve", &c.max_resolve},
          {"resolve_gain", &c.resolve_gain},
          {"confusion", &c.confusion},
          {"negative_transfer", &c.negative_transfer},
          {"strengthen", &c.strengthen},
          {"implant", &c.implant},
          {"implant_strength", &c.implant_strength},
          {"max_strength_cap", &c.max_strength_cap},
          {"gaming_alpha", &c.gaming_alpha},
          {"gaming_beta", &c.gaming_beta},
          {"latency_median_s", &c.latency_median_s},
          {"latency_student_sd", &c.latency_student_sd},
          {"latency_item_sd", &c.latency_item_sd},
          {"gaming_latency_s", &c.gaming_latency_s},
          {"probe_difficulty", &c.probe_difficulty},
          {"probe_weight", &c.probe_weight}};
}

simdjson::dom::object section(simdjson::dom::object o, const char *key, bool *present) {
  simdjson::dom::element e;
  simdjson::dom::object s;
  *present = false;
  if (o.at_key(key).get(e) || e.type() == simdjson::dom::element_type::NULL_VALUE) return s;
  if (e.get_object().get(s)) {
    throw Error(Errc::invalid, fmt::format("{}.{}: must be an object, found {}", kWhat, key,
                                           json_type_name(e.type())));
  }
  *present = true;
  return s;
}

template <class T>
void read_int_into(simdjson::dom::object o, const char *key, int64_t lo, int64_t hi, T *out) {
  int64_t v;
  if (read_int(o, key, lo, hi, kWhat, &v)) *out = static_cast<T>(v);
}

template <class E>
void read_enum(simdjson::dom::object o, const char *key,
               std::initializer_list<std::pair<const char *, E>> names, E *out) {
  std::string s;
  if (!read_string(o, key, false, kWhat, &s)) return;
  std::string expected;
  for (const auto &[name, value] : names) {
    if (s == name) {
      *out = value;
      return;
    }
    expected += expected.empty() ? name : fmt::format(", {}", name);
  }
  throw Error(Errc::invalid, fmt::format("{}.{}: '{}' is not one of {}", kWhat, key, s, expected));
}

void write_mean_se(JsonWriter &w, std::string_view key, const MeanSe &m) {
  w.key(key).begin_object().field("mean", m.mean).field("sd", m.sd).field("se", m.se).end_object();
}

}  // namespace

StudyOptions study_options_from_json(std::string_view json) {
  simdjson::dom::parser p;
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, kWhat).get_object().get(o)) {
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object", kWhat));
  }
  reject_unknown_fields(
      o,
      {"seed", "students", "threads", "budget", "block_size", "bank_size", "item_selection",
       "p_target", "concept_selection", "mastery_threshold", "prereq_threshold", "interventions",
       "modality_policy", "oracle_modality", "errors", "learner", "per_student"},
      std::string(kWhat));
  StudyOptions s;
  int64_t seed;
  if (read_int(o, "seed", 0, INT64_MAX, kWhat, &seed)) s.seed = static_cast<uint64_t>(seed);
  read_int_into(o, "students", 1, 1000000, &s.students);
  read_int_into(o, "threads", 0, 256, &s.threads);
  read_int_into(o, "budget", 1, 10000, &s.budget);
  read_int_into(o, "block_size", 1, 100, &s.block_size);
  read_int_into(o, "bank_size", 0, 10000, &s.bank_size);
  read_enum<ItemSelection>(o, "item_selection",
                           {{"irt", ItemSelection::irt},
                            {"easiest", ItemSelection::easiest},
                            {"hardest", ItemSelection::hardest},
                            {"random", ItemSelection::random}},
                           &s.item_selection);
  read_number(o, "p_target", 1e-6, 1 - 1e-6, kWhat, &s.p_target);
  read_enum<ConceptSelection>(o, "concept_selection",
                              {{"bkt", ConceptSelection::bkt},
                               {"random", ConceptSelection::random},
                               {"oracle", ConceptSelection::oracle}},
                              &s.concept_selection);
  read_number(o, "mastery_threshold", 0, 1, kWhat, &s.mastery_threshold);
  read_number(o, "prereq_threshold", 0, 1, kWhat, &s.prereq_threshold);
  read_bool(o, "interventions", kWhat, &s.interventions);
  read_bool(o, "oracle_modality", kWhat, &s.oracle_modality);
  read_bool(o, "per_student", kWhat, &s.per_student);
  std::string kind;
  if (read_string(o, "modality_policy", false, kWhat, &kind)) {
    s.modality_policy = parse_policy_kind(kind, "simulation.modality_policy");
  }
  bool present = false;
  simdjson::dom::object e = section(o, "errors", &present);
  if (present) {
    const std::string where = "simulation.errors";
    reject_unknown_fields(e, {"misidentification", "false_negative", "false_positive", "misroute"},
                          where);
    read_number(e, "misidentification", 0, 1, where, &s.errors.misidentification);
    read_number(e, "false_negative", 0, 1, where, &s.errors.false_negative);
    read_number(e, "false_positive", 0, 1, where, &s.errors.false_positive);
    read_number(e, "misroute", 0, 1, where, &s.errors.misroute);
  }
  simdjson::dom::object l = section(o, "learner", &present);
  if (present) {
    const std::string where = "simulation.learner";
    auto numbers = learner_numbers(s.learner);
    for (auto [k, v] : l) {
      bool known = k == "test_difficulties" || k == "conditional_learning";
      for (const auto &n : numbers)
        known = known || k == n.first;
      if (!known) {
        throw Error(Errc::invalid, fmt::format("{}.{}: unknown field", where, k));
      }
    }
    for (const auto &[name, ptr] : numbers)
      read_number(l, name, -1e6, 1e6, where, ptr);
    read_bool(l, "conditional_learning", where, &s.learner.conditional_learning);
    simdjson::dom::element td;
    if (!l.at_key("test_difficulties").get(td)) {
      simdjson::dom::array arr;
      if (td.get_array().get(arr)) {
        throw Error(Errc::invalid,
                    fmt::format("{}.test_difficulties: must be an array of numbers", where));
      }
      s.learner.test_difficulties.clear();
      size_t i = 0;
      for (simdjson::dom::element x : arr) {
        double b;
        if (x.get_double().get(b)) {
          throw Error(Errc::invalid, fmt::format("{}.test_difficulties[{}]: must be a number, "
                                                 "found {}",
                                                 where, i, json_type_name(x.type())));
        }
        s.learner.test_difficulties.push_back(b);
        ++i;
      }
    }
  }
  check_study_options(s);
  return s;
}

std::string study_result_json(const StudyResult &r, const StudyOptions &o,
                              std::string_view domain_id) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("domain", domain_id);
  w.key("options").begin_object();
  w.field("seed", o.seed)
      .field("students", o.students)
      .field("budget", o.budget)
      .field("block_size", o.block_size)
      .field("bank_size", o.bank_size)
      .field("item_selection", item_selection_name(o.item_selection))
      .field("p_target", o.p_target)
      .field("concept_selection", concept_selection_name(o.concept_selection))
      .field("mastery_threshold", o.mastery_threshold)
      .field("prereq_threshold", o.prereq_threshold)
      .field("interventions", o.interventions)
      .field("modality_policy", o.oracle_modality ? "oracle" : policy_name(o.modality_policy));
  w.key("errors")
      .begin_object()
      .field("misidentification", o.errors.misidentification)
      .field("false_negative", o.errors.false_negative)
      .field("false_positive", o.errors.false_positive)
      .field("misroute", o.errors.misroute)
      .end_object();
  w.key("learner").begin_object();
  LearnerConfig lc = o.learner;
  for (const auto &[name, ptr] : learner_numbers(lc))
    w.field(name, *ptr);
  w.field("conditional_learning", lc.conditional_learning);
  w.key("test_difficulties").begin_array();
  for (double b : lc.test_difficulties)
    w.value(b);
  w.end_array().end_object();
  w.end_object();
  w.field("students", r.students).field("template_instances", r.template_instances);
  write_mean_se(w, "pre_test", r.pre);
  write_mean_se(w, "post_test", r.post);
  write_mean_se(w, "gain", r.gain);
  w.field("gain_per_interaction", r.gain_per_interaction)
      .field("concepts_mastered", r.concepts_mastered)
      .field("accuracy", r.accuracy)
      .field("difficulty_hit_rate", r.difficulty_hit_rate)
      .field("mean_latency_s", r.mean_latency_s)
      .field("gamed_answers", r.gamed_answers)
      .field("misconception_answers", r.misconception_answers);
  w.key("misconceptions")
      .begin_object()
      .field("start", r.misconceptions_start)
      .field("end", r.misconceptions_end)
      .field("resolved", r.resolved)
      .field("strengthened", r.strengthened)
      .field("implanted", r.implanted)
      .end_object();
  w.key("interventions")
      .begin_object()
      .field("per_student", r.interventions)
      .field("well_targeted", r.well_targeted)
      .field("mistargeted", r.mistargeted)
      .field("confused", r.confused)
      .field("resolution_rate", r.intervention_resolution_rate)
      .end_object();
  w.key("concept_selection")
      .begin_object()
      .field("agreement_with_oracle", r.selection_agreement)
      .field("chance", r.selection_chance)
      .end_object();
  w.key("bkt_rmse").begin_array();
  for (double x : r.bkt_rmse)
    w.value(x);
  w.end_array();
  if (o.per_student) {
    w.key("gains").begin_array();
    for (double g : r.gains)
      w.value(g);
    w.end_array();
  }
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
