// What an event must look like before the log accepts it: bounded fields, a
// JSON-object payload that follows its type's schema, and no personal data.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/storage/event.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {
using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxTypeBytes = 64;
constexpr size_t kMaxKeyBytes = 256;
constexpr size_t kMaxPayloadBytes = 1 << 20;

// Where an event sits in its batch; formatted only when something is wrong.
struct Where {
  size_t index;
  std::string str() const { return fmt::format("event[{}]", index); }
};

[[noreturn]] void reject(const Where &where, std::string_view field, const std::string &msg) {
  throw Error(Errc::invalid, fmt::format("{}.{}: {}", where.str(), field, msg));
}

void check_text(const Where &where, std::string_view field, const std::string &s, size_t max,
                bool required) {
  if (required && s.empty()) reject(where, field, "is required and empty");
  if (s.size() > max)
    reject(where, field, fmt::format("is {} bytes; at most {} are allowed", s.size(), max));
  for (unsigned char c : s) {
    if (c < 0x20) reject(where, field, "contains a control character");
  }
}

bool is_lower_word(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// An e-mail address: something@something.something with no spaces.
bool looks_like_email(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  size_t dot = s.find('.', at);
  if (dot == std::string_view::npos || dot == at + 1 || dot + 1 >= s.size()) return false;
  return s.find(' ') == std::string_view::npos;
}

// Keys that carry a person's name or contact details. Compared after
// lower-casing and dropping '-' and '_'.
bool is_pii_key(std::string_view key) {
  // Normalised into a small buffer: no denied key is longer than it.
  char buf[24];
  size_t n = 0;
  for (char c : key) {
    if (c == '_' || c == '-') continue;
    if (n == sizeof buf) return false;
    buf[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::string_view k(buf, n);
  static constexpr std::string_view kDenied[] = {
      "name",          "firstname",   "lastname",    "fullname",    "surname", "givenname",
      "studentname",   "teachername", "parentname",  "displayname", "email",   "emailaddress",
      "mail",          "phone",       "phonenumber", "mobile",      "address", "homeaddress",
      "streetaddress", "ssn",         "dateofbirth", "birthdate",   "dob"};
  return std::any_of(std::begin(kDenied), std::end(kDenied),
                     [&](std::string_view d) { return k == d; });
}

// The JSON path of a value, built only for the message when one is found.
struct PathLink {
  const PathLink *parent;
  std::string_view key;  // empty for an array element
  size_t index;
  std::string str() const {
    std::string base = parent ? parent->str() : std::string("payload");
    return key.empty() ? path_index(base, index) : path_key(base, key);
  }
};

void check_no_pii(element e, const PathLink *path, const Where &where) {
  switch (e.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object obj = e.get_object().value_unsafe();
      for (auto [k, v] : obj) {
        PathLink here{path, k, 0};
        if (is_pii_key(k)) {
          throw Error(Errc::invalid,
                      fmt::format("{}.{}: field '{}' would put personal data (a name or contact) "
                                  "in the event log; send pseudonymous ids only and keep names in "
                                  "the host's roster",
                                  where.str(), here.str(), k));
        }
        check_no_pii(v, &here, where);
      }
      break;
    }
    case element_type::ARRAY: {
      size_t i = 0;
      simdjson::dom::array arr = e.get_array().value_unsafe();
      for (element v : arr) {
        PathLink here{path, {}, i++};
        check_no_pii(v, &here, where);
      }
      break;
    }
    case element_type::STRING:
      if (looks_like_email(e.get_string().value_unsafe())) {
        throw Error(Errc::invalid,
                    fmt::format("{}.{}: the value looks like an e-mail address; personal data "
                                "does not enter the event log, use a pseudonymous id",
                                where.str(), path ? path->str() : std::string("payload")));
      }
      break;
    default:
      break;
  }
}

enum class Kind {
  string,
  boolean,
  number,
  probability,
  nonneg,
  count,
  modality,
  outcome,
  state,
  trigger
};

struct FieldRule {
  const char *name;
  Kind kind;
  bool required;
};

struct TypeRule {
  std::string_view type;
  std::vector<FieldRule> fields;
};

// Payload schemas of the event types the engines and views read.
const std::vector<TypeRule> &type_rules() {
  static const std::vector<TypeRule> rules = {
      {"response.submitted",
       {{"problem_id", Kind::string, true},
        {"concept_id", Kind::string, true},
        {"correct", Kind::boolean, true},
        {"misconception_id", Kind::string, false},
        {"latency_ms", Kind::nonneg, false},
        {"confidence", Kind::probability, false}}},
      {"mastery.updated",
       {{"concept_id", Kind::string, true},
        {"new_level", Kind::probability, true},
        {"old_level", Kind::probability, false},
        {"streak", Kind::count, false}}},
      {"misconception.detected",
       {{"misconception_id", Kind::string, true}, {"concept_id", Kind::string, false}}},
      {"intervention.recommended",
       {{"misconception_id", Kind::string, true}, {"modality", Kind::modality, true}}},
      {"intervention.approved",
       {{"misconception_id", Kind::string, true}, {"modality", Kind::modality, true}}},
      {"intervention.assigned",
       {{"misconception_id", Kind::string, true}, {"modality", Kind::modality, true}}},
      {"intervention.outcome",
       {{"misconception_id", Kind::string, true},
        {"modality", Kind::modality, true},
        {"outcome", Kind::outcome, true}}},
      {"escalation.triggered",
       {{"misconception_id", Kind::string, true},
        {"trigger", Kind::trigger, true},
        {"prereq_mastery", Kind::probability, false}}},
      {"escalation.transitioned",
       {{"misconception_id", Kind::string, true}, {"to", Kind::state, true}}},
      {"alert.created", {{"alert_type", Kind::string, true}, {"severity", Kind::string, true}}},
      // A student's classroom (class analytics); the latest enrollment wins.
      {"classroom.enrolled", {{"classroom_id", Kind::string, true}}},
      // Interaction events the bias detector reads (metacog/metacog.hpp).
      {"interaction.problem_started",
       {{"session_id", Kind::string, true}, {"problem_id", Kind::string, true}}},
      {"interaction.hint_requested",
       {{"session_id", Kind::string, true},
        {"problem_id", Kind::string, true},
        {"latency_ms", Kind::nonneg, false}}},
      {"interaction.answer_changed",
       {{"session_id", Kind::string, true},
        {"problem_id", Kind::string, true},
        {"answer", Kind::string, false},
        {"latency_ms", Kind::nonneg, false}}},
      {"interaction.submitted",
       {{"session_id", Kind::string, true},
        {"problem_id", Kind::string, true},
        {"correct", Kind::boolean, true},
        {"answer", Kind::string, false},
        {"latency_ms", Kind::nonneg, false},
        {"confidence", Kind::probability, false}}},
      {"metacog.bias_detected",
       {{"bias", Kind::string, true},
        {"confidence", Kind::probability, true},
        {"threshold", Kind::probability, false},
        {"window_events", Kind::count, false},
        {"last_event_id", Kind::nonneg, false}}},
      // Moderation decisions (moderation/moderation.hpp): never the message text.
      {"moderation.flagged",
       {{"category", Kind::string, true},
        {"severity", Kind::string, true},
        {"message_hash", Kind::string, true},
        {"strike", Kind::boolean, true},
        {"action", Kind::string, true},
        {"strikes", Kind::count, false},
        {"confidence", Kind::probability, false}}},
      {"moderation.quarantined",
       {{"category", Kind::string, true},
        {"severity", Kind::string, true},
        {"reason", Kind::string, true},
        {"until_us", Kind::nonneg, true},
        {"strikes", Kind::count, false}}},
      {"moderation.crisis",
       {{"category", Kind::string, true},
        {"severity", Kind::string, true},
        {"message_hash", Kind::string, true},
        {"cooldown_until_us", Kind::nonneg, true},
        {"confidence", Kind::probability, false}}},
  };
  return rules;
}

// Returns the reason a payload field breaks its rule, or nullptr when it is
// fine; the message is built only on failure.
std::string field_problem(element v, const FieldRule &f) {
  auto want = [&](const char *what) {
    return fmt::format("must be {}, found {}", what, json_type_name(v.type()));
  };
  switch (f.kind) {
    case Kind::string:
      if (v.type() != element_type::STRING) return want("a string");
      if (v.get_string().value_unsafe().empty()) return "is empty";
      break;
    case Kind::boolean:
      if (v.type() != element_type::BOOL) return want("true or false");
      break;
    case Kind::number:
    case Kind::probability:
    case Kind::nonneg: {
      double d;
      if (v.get_double().get(d)) return want("a number");
      if (f.kind == Kind::probability && !(d >= 0.0 && d <= 1.0)) {
        return fmt::format("is {}; it must lie in [0, 1]", d);
      }
      if (f.kind == Kind::nonneg && !(d >= 0.0)) return fmt::format("is {}; it must be >= 0", d);
      break;
    }
    case Kind::modality: {
      std::string_view s;
      Modality m;
      if (v.get_string().get(s) || !parse_modality(s, &m)) {
        return "must be one of visual, concrete, pattern, verbal, peer";
      }
      break;
    }
    case Kind::outcome: {
      std::string_view s;
      if (v.get_string().get(s) || (s != "resolved" && s != "persisted")) {
        return "must be \"resolved\" or \"persisted\"";
      }
      break;
    }
    case Kind::count: {
      int64_t n;
      if (v.get_int64().get(n)) return want("an integer");
      if (n < 0 || n > INT32_MAX) return fmt::format("is {}; it must lie in 0..{}", n, INT32_MAX);
      break;
    }
    case Kind::trigger: {
      std::string_view s;
      EscalationTriggerKind t;
      if (v.get_string().get(s) || !parse_escalation_trigger(s, &t)) {
        return "must be an escalation trigger (prereq_checked, teacher_acknowledged, ...)";
      }
      break;
    }
    case Kind::state: {
      std::string_view s;
      EscalationState st;
      if (v.get_string().get(s) || !parse_escalation_state(s, &st)) {
        return "must be an escalation state (detected, intervention_assigned, ...)";
      }
      break;
    }
  }
  return {};
}

}  // namespace

namespace {
// Copies the checked fields the views read.
void fill_view_input(const Event &e, simdjson::dom::object o, ViewInput *in) {
  in->kind = view_input_kind(e.type);
  auto str = [&](const char *k) { return std::string(o[k].get_string().value_unsafe()); };
  auto opt_str = [&](const char *k) {
    std::string_view v;
    return o[k].get_string().get(v) ? std::string() : std::string(v);
  };
  auto modality = [&] { parse_modality(o["modality"].get_string().value_unsafe(), &in->modality); };
  switch (in->kind) {
    case ViewInput::response:
      in->key = str("concept_id");
      in->flag = o["correct"].get_bool().value_unsafe();
      in->key2 = str("problem_id");
      in->key3 = opt_str("misconception_id");
      break;
    case ViewInput::mastery: {
      in->key = str("concept_id");
      double d = 0;
      if (o["new_level"].get_double().get(d) == simdjson::SUCCESS) in->level = d;
      int64_t streak = 0;
      if (o["streak"].get_int64().get(streak) == simdjson::SUCCESS)
        in->count = static_cast<int32_t>(streak);
      break;
    }
    case ViewInput::detected:
      in->key = str("misconception_id");
      in->key2 = opt_str("concept_id");
      break;
    case ViewInput::recommended:
    case ViewInput::assigned:
      in->key = str("misconception_id");
      modality();
      break;
    case ViewInput::outcome:
      in->key = str("misconception_id");
      modality();
      in->flag = o["outcome"].get_string().value_unsafe() == "resolved";
      break;
    case ViewInput::triggered: {
      in->key = str("misconception_id");
      parse_escalation_trigger(o["trigger"].get_string().value_unsafe(), &in->trigger);
      double m = 1.0;
      in->level = o["prereq_mastery"].get_double().get(m) == simdjson::SUCCESS ? m : 1.0;
      break;
    }
    case ViewInput::transition:
      in->key = str("misconception_id");
      parse_escalation_state(o["to"].get_string().value_unsafe(), &in->state);
      break;
    case ViewInput::none:
      break;
  }
}
}  // namespace

void check_event(const Event &e, size_t index, ViewInput *view, const EventCheckOptions &opts) {
  const Where where{index};
  check_text(where, "tenant", e.tenant, kMaxIdBytes, true);
  check_text(where, "entity_type", e.entity_type, kMaxTypeBytes, true);
  if (!is_lower_word(e.entity_type)) {
    reject(where, "entity_type",
           fmt::format("'{}' must be lower-case letters, digits and '_'", e.entity_type));
  }
  check_text(where, "entity_id", e.entity_id, kMaxIdBytes, true);
  if (looks_like_email(e.entity_id)) {
    reject(where, "entity_id", "looks like an e-mail address; use a pseudonymous id");
  }
  check_text(where, "type", e.type, kMaxTypeBytes, true);
  size_t dot = e.type.find('.');
  if (dot == std::string::npos || !is_lower_word(std::string_view(e.type).substr(0, dot)) ||
      !is_lower_word(std::string_view(e.type).substr(dot + 1))) {
    reject(where, "type",
           fmt::format("'{}' must look like 'noun.verb' (e.g. response.submitted)", e.type));
  }
  check_text(where, "author", e.author, kMaxIdBytes, false);
  check_text(where, "idempotency_key", e.idempotency_key, kMaxKeyBytes, false);
  if (e.time_us < 0) reject(where, "time_us", "is negative");
  if (e.payload.size() > kMaxPayloadBytes) {
    reject(where, "payload",
           fmt::format("is {} bytes; at most {} are allowed", e.payload.size(), kMaxPayloadBytes));
  }

  thread_local simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(e.payload).get(root)) {
    reject(where, "payload", json_syntax_message(err, e.payload));
  }
  if (root.type() != element_type::OBJECT) reject(where, "payload", "must be a JSON object");
  if (!opts.allow_personal_data) check_no_pii(root, nullptr, where);

  if (e.type == "classroom.enrolled" && e.entity_type != "student") {
    reject(where, "entity_type",
           fmt::format("is '{}'; classroom.enrolled events are on the student", e.entity_type));
  }
  for (const TypeRule &rule : type_rules()) {
    if (e.type != rule.type) continue;
    simdjson::dom::object o = root.get_object().value_unsafe();
    for (const FieldRule &f : rule.fields) {
      element v;
      if (o.at_key(f.name).get(v)) {
        if (f.required) {
          reject(where, fmt::format("payload.{}", f.name),
                 fmt::format("is required for {} events", rule.type));
        }
        continue;
      }
      if (!f.required && v.type() == element_type::NULL_VALUE) continue;  // null = absent
      std::string problem = field_problem(v, f);
      if (!problem.empty()) reject(where, fmt::format("payload.{}", f.name), problem);
    }
    break;
  }
  if (view) fill_view_input(e, root.get_object().value_unsafe(), view);
}

}  // namespace v0
}  // namespace tutorcore
