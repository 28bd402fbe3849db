// The sequencing configuration, its JSON form, and items as JSON.
#include <fmt/format.h>
#include <simdjson.h>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/sequencing/sequencing.hpp"

namespace tutorcore {
inline namespace v0 {

void check_sequencing_config(const SequencingConfig &c) {
  auto bad = [](const char *field, const std::string &msg) {
    throw Error(Errc::invalid, fmt::format("sequencing config.{}: {}", field, msg));
  };
  auto open_unit = [&](const char *field, double v) {
    if (!(v > 0 && v < 1)) bad(field, fmt::format("{} is outside (0, 1)", v));
  };
  open_unit("target_p_correct", c.target_p_correct);
  open_unit("remediation_p_correct", c.remediation_p_correct);
  open_unit("review_p_correct", c.review_p_correct);
  if (!(c.prereq_threshold >= 0 && c.prereq_threshold <= 1))
    bad("prereq_threshold", fmt::format("{} is outside [0, 1]", c.prereq_threshold));
  if (!(c.review_after_days >= 0 && c.review_after_days <= 3650))
    bad("review_after_days", fmt::format("{} is outside 0..3650", c.review_after_days));
  if (c.items_per_concept < 0 || c.items_per_concept > 50)
    bad("items_per_concept", fmt::format("{} is outside 0..50", c.items_per_concept));
  if (c.max_items < 1 || c.max_items > 200)
    bad("max_items", fmt::format("{} is outside 1..200", c.max_items));
  if (c.diagnostic_min_items < 1 || c.diagnostic_min_items > 50)
    bad("diagnostic_min_items", fmt::format("{} is outside 1..50", c.diagnostic_min_items));
  if (c.diagnostic_max_items < c.diagnostic_min_items || c.diagnostic_max_items > 50) {
    bad("diagnostic_max_items", fmt::format("{} is outside diagnostic_min_items ({})..50",
                                            c.diagnostic_max_items, c.diagnostic_min_items));
  }
  open_unit("diagnostic_decay", c.diagnostic_decay);
  if (!(c.diagnostic_min_gain >= 0 && c.diagnostic_min_gain <= 1e6))
    bad("diagnostic_min_gain", "must be >= 0");
  if (!(c.prerequisite_weight >= 0 && c.prerequisite_weight <= 1))
    bad("prerequisite_weight", fmt::format("{} is outside [0, 1]", c.prerequisite_weight));
  if (c.instances_per_template < 0 || c.instances_per_template > 100000)
    bad("instances_per_template", fmt::format("{} is outside 0..100000", c.instances_per_template));
  if (c.max_draws < 1 || c.max_draws > 100000)
    bad("max_draws", fmt::format("{} is outside 1..100000", c.max_draws));
}

SequencingConfig sequencing_config_from_json(std::string_view json, const SequencingConfig &base,
                                             std::string_view where) {
  SequencingConfig c = base;
  if (json.empty()) return c;
  simdjson::dom::parser p;
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, where).get_object().get(o))
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object", where));
  reject_unknown_fields(
      o,
      {"prereq_threshold", "target_p_correct", "remediation_p_correct", "review_p_correct",
       "review_after_days", "items_per_concept", "max_items", "diagnostic_min_items",
       "diagnostic_max_items", "diagnostic_decay", "diagnostic_min_gain", "prerequisite_weight",
       "template_seed", "instances_per_template", "max_draws"},
      std::string(where));
  auto int_field = [&](const char *key, int64_t lo, int64_t hi, int32_t *out) {
    int64_t v;
    if (read_int(o, key, lo, hi, where, &v)) *out = static_cast<int32_t>(v);
  };
  read_number(o, "prereq_threshold", 0, 1, where, &c.prereq_threshold);
  read_number(o, "target_p_correct", 0, 1, where, &c.target_p_correct);
  read_number(o, "remediation_p_correct", 0, 1, where, &c.remediation_p_correct);
  read_number(o, "review_p_correct", 0, 1, where, &c.review_p_correct);
  read_number(o, "review_after_days", 0, 3650, where, &c.review_after_days);
  int_field("items_per_concept", 0, 50, &c.items_per_concept);
  int_field("max_items", 1, 200, &c.max_items);
  int_field("diagnostic_min_items", 1, 50, &c.diagnostic_min_items);
  int_field("diagnostic_max_items", 1, 50, &c.diagnostic_max_items);
  read_number(o, "diagnostic_decay", 0, 1, where, &c.diagnostic_decay);
  read_number(o, "diagnostic_min_gain", 0, 1e6, where, &c.diagnostic_min_gain);
  read_number(o, "prerequisite_weight", 0, 1, where, &c.prerequisite_weight);
  int64_t seed;
  if (read_int(o, "template_seed", 0, INT64_MAX, where, &seed))
    c.template_seed = static_cast<uint64_t>(seed);
  int_field("instances_per_template", 0, 100000, &c.instances_per_template);
  int_field("max_draws", 1, 100000, &c.max_draws);
  check_sequencing_config(c);
  return c;
}

const char *item_kind_name(ItemKind k) {
  switch (k) {
    case ItemKind::remediation:
      return "remediation";
    case ItemKind::diagnostic:
      return "diagnostic";
    case ItemKind::target:
      return "target";
    case ItemKind::review:
      return "review";
    case ItemKind::cold_start:
      return "cold_start";
  }
  return "unknown";
}

const char *prior_evidence_name(PriorEvidence e) {
  switch (e) {
    case PriorEvidence::prior:
      return "prior";
    case PriorEvidence::direct:
      return "direct";
    case PriorEvidence::from_dependant:
      return "from_dependant";
    case PriorEvidence::from_prerequisite:
      return "from_prerequisite";
    case PriorEvidence::conflicting:
      return "conflicting";
  }
  return "unknown";
}

void write_item_json(JsonWriter &w, const SequencedItem &it) {
  w.begin_object().field("problem_id", it.problem.id).field("concept_id", it.problem.concept_id);
  w.field("kind", item_kind_name(it.kind)).field("text", it.problem.text);
  w.field("p_correct", it.p_correct).field("mastery", it.mastery);
  w.field("generated", it.generated);
  switch (it.kind) {
    case ItemKind::remediation:
      w.field("prerequisite_of", it.for_concept);
      break;
    case ItemKind::diagnostic:
      w.field("misconception_id", it.misconception_id);
      break;
    case ItemKind::review:
      w.field("days_since_practice", it.days_since_practice);
      break;
    case ItemKind::cold_start:
      w.field("information", it.information);
      break;
    case ItemKind::target:
      break;
  }
  w.field("reason", it.reason).end_object();
}

}  // namespace v0
}  // namespace tutorcore
