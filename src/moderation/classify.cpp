// Classifying a message for moderation: the built-in lexicon, a registered
// plugin (a model or a host's callback), and the settings document (rules in
// moderation/moderation.hpp).
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/moderation/moderation.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

struct DefaultTerm {
  ModCategory category;
  ModSeverity severity;
  const char *term;
};

// A small illustrative lexicon; deployments load their own
// (examples/moderation/lexicon.json is this one as data). Terms are chosen
// not to fire on ordinary school work ("kill", "sex", "steal" alone are
// left out: word problems and biology use them).
constexpr DefaultTerm kDefaultTerms[] = {
    {ModCategory::inappropriate_language, ModSeverity::low, "damn"},
    {ModCategory::inappropriate_language, ModSeverity::low, "crap"},
    {ModCategory::inappropriate_language, ModSeverity::low, "wtf"},
    {ModCategory::inappropriate_language, ModSeverity::medium, "shit"},
    {ModCategory::inappropriate_language, ModSeverity::medium, "bullshit"},
    {ModCategory::inappropriate_language, ModSeverity::medium, "fuck"},
    {ModCategory::inappropriate_language, ModSeverity::medium, "fucking"},
    {ModCategory::inappropriate_language, ModSeverity::medium, "bitch"},
    {ModCategory::inappropriate_language, ModSeverity::medium, "asshole"},
    {ModCategory::violence, ModSeverity::medium, "punch you"},
    {ModCategory::violence, ModSeverity::high, "beat you up"},
    {ModCategory::violence, ModSeverity::high, "hurt you"},
    {ModCategory::violence, ModSeverity::critical, "kill you"},
    {ModCategory::violence, ModSeverity::critical, "shoot you"},
    {ModCategory::violence, ModSeverity::critical, "stab you"},
    {ModCategory::violence, ModSeverity::critical, "bring a gun"},
    {ModCategory::violence, ModSeverity::critical, "bomb the school"},
    {ModCategory::illegal, ModSeverity::medium, "buy drugs"},
    {ModCategory::illegal, ModSeverity::medium, "sell drugs"},
    {ModCategory::illegal, ModSeverity::medium, "buy weed"},
    {ModCategory::illegal, ModSeverity::medium, "shoplift"},
    {ModCategory::illegal, ModSeverity::medium, "fake id"},
    {ModCategory::illegal, ModSeverity::medium, "hack into"},
    {ModCategory::sexual, ModSeverity::medium, "sexy"},
    {ModCategory::sexual, ModSeverity::medium, "horny"},
    {ModCategory::sexual, ModSeverity::high, "porn"},
    {ModCategory::sexual, ModSeverity::high, "nudes"},
    {ModCategory::sexual, ModSeverity::critical, "send nudes"},
    {ModCategory::off_topic, ModSeverity::low, "fortnite"},
    {ModCategory::off_topic, ModSeverity::low, "minecraft"},
    {ModCategory::off_topic, ModSeverity::low, "tell me a joke"},
    {ModCategory::off_topic, ModSeverity::low, "play a game"},
    {ModCategory::harassment, ModSeverity::low, "idiot"},
    {ModCategory::harassment, ModSeverity::low, "loser"},
    {ModCategory::harassment, ModSeverity::low, "shut up"},
    {ModCategory::harassment, ModSeverity::medium, "you are stupid"},
    {ModCategory::harassment, ModSeverity::medium, "i hate you"},
    {ModCategory::harassment, ModSeverity::medium, "nobody likes you"},
    {ModCategory::harassment, ModSeverity::critical, "kill yourself"},
    {ModCategory::harassment, ModSeverity::critical, "kys"},
    {ModCategory::self_harm, ModSeverity::safety, "kill myself"},
    {ModCategory::self_harm, ModSeverity::safety, "killing myself"},
    {ModCategory::self_harm, ModSeverity::safety, "want to die"},
    {ModCategory::self_harm, ModSeverity::safety, "wanna die"},
    {ModCategory::self_harm, ModSeverity::safety, "end my life"},
    {ModCategory::self_harm, ModSeverity::safety, "hurt myself"},
    {ModCategory::self_harm, ModSeverity::safety, "hurting myself"},
    {ModCategory::self_harm, ModSeverity::safety, "cut myself"},
    {ModCategory::self_harm, ModSeverity::safety, "cutting myself"},
    {ModCategory::self_harm, ModSeverity::safety, "suicide"},
    {ModCategory::self_harm, ModSeverity::safety, "suicidal"},
    {ModCategory::self_harm, ModSeverity::safety, "no reason to live"},
    {ModCategory::self_harm, ModSeverity::safety, "better off dead"},
    {ModCategory::jailbreak_attempt, ModSeverity::medium, "ignore previous instructions"},
    {ModCategory::jailbreak_attempt, ModSeverity::medium, "ignore all previous instructions"},
    {ModCategory::jailbreak_attempt, ModSeverity::medium, "ignore your instructions"},
    {ModCategory::jailbreak_attempt, ModSeverity::medium, "ignore your rules"},
    {ModCategory::jailbreak_attempt, ModSeverity::medium, "system prompt"},
    {ModCategory::jailbreak_attempt, ModSeverity::medium, "developer mode"},
    {ModCategory::jailbreak_attempt, ModSeverity::medium, "jailbreak"},
    {ModCategory::jailbreak_attempt, ModSeverity::medium, "pretend you have no rules"},
};

std::string severity_list() {
  return "low, medium, high, critical, safety";
}

// A settings span in hours, as microseconds.
bool read_hours(simdjson::dom::object o, const char *key, double lo, std::string_view where,
                int64_t *out) {
  double h = 0;
  if (!read_number(o, key, lo, 8784.0, where, &h)) return false;
  *out = static_cast<int64_t>(std::llround(h * double(kUsPerHour)));
  return true;
}

class FunctionPlugin : public ClassifierPlugin {
 public:
  FunctionPlugin(std::string name, std::function<ModerationVerdict(std::string_view)> fn)
      : name_(std::move(name)), fn_(std::move(fn)) {}
  const std::string &name() const override { return name_; }
  Prediction predict(const Problem &, std::string_view answer, const Concept &) const override {
    ModerationVerdict v = normalize_verdict(fn_(answer));
    Prediction p;
    p.label = v.category == ModCategory::none ? std::string("none")
                                              : fmt::format("{}:{}", mod_category_name(v.category),
                                                            mod_severity_name(v.severity));
    p.confidence = v.confidence;
    p.backend = name_;
    p.reason = v.reason;
    return p;
  }

 private:
  std::string name_;
  std::function<ModerationVerdict(std::string_view)> fn_;
};

}  // namespace

const Lexicon &default_lexicon() {
  static const Lexicon l = [] {
    Lexicon out;
    for (const DefaultTerm &t : kDefaultTerms)
      out.terms.push_back({t.term, t.category, t.severity});
    return out;
  }();
  return l;
}

std::string normalize_message(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = true;  // no leading space
  for (unsigned char c : text) {
    bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<unsigned char>(c - 'A' + 'a');
      word = true;
    }
    if (c == '\'') continue;  // "you're" as "youre", "don't" as "dont"
    if (word) {
      out.push_back(static_cast<char>(c));
      space = false;
    } else if (!space) {
      out.push_back(' ');
      space = true;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Lexicon lexicon_from_json(std::string_view json) {
  const std::string what = "lexicon";
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parse_json_or_throw(parser, json, what).get_object().get(o))
    throw Error(Errc::invalid, what + ": must be a JSON object");
  reject_unknown_fields(o, {"schema_version", "categories"}, what);
  int64_t version = 1;
  read_int(o, "schema_version", 1, 1, what, &version);
  simdjson::dom::object cats;
  if (o["categories"].get_object().get(cats))
    throw Error(Errc::invalid, what + ".categories: must be a JSON object of term lists");
  Lexicon l;
  for (auto [name, list] : cats) {
    std::string where = path_key(what + ".categories", name);
    ModCategory c;
    if (!parse_mod_category(name, &c) || c == ModCategory::none) {
      throw Error(Errc::invalid,
                  fmt::format("{}: unknown category; expected one of inappropriate_language, "
                              "violence, illegal, sexual, off_topic, harassment, self_harm, "
                              "jailbreak_attempt",
                              where));
    }
    simdjson::dom::array arr;
    if (list.get_array().get(arr)) throw Error(Errc::invalid, where + ": must be an array");
    size_t i = 0;
    for (simdjson::dom::element e : arr) {
      std::string at = path_index(where, i++);
      simdjson::dom::object t;
      if (e.get_object().get(t))
        throw Error(Errc::invalid, at + ": must be an object {\"term\",\"severity\"}");
      reject_unknown_fields(t, {"term", "severity"}, at);
      LexiconTerm term;
      term.category = c;
      std::string raw, sev;
      read_string(t, "term", true, at, &raw);
      term.term = normalize_message(raw);
      if (term.term.empty())
        throw Error(Errc::invalid, at + ".term: has no letters or digits to match");
      if (read_string(t, "severity", false, at, &sev)) {
        if (!parse_mod_severity(sev, &term.severity) || term.severity == ModSeverity::none) {
          throw Error(Errc::invalid,
                      fmt::format("{}.severity: '{}' is not one of {}", at, sev, severity_list()));
        }
      } else {
        term.severity = default_severity(c);
      }
      if (c == ModCategory::self_harm) term.severity = ModSeverity::safety;
      l.terms.push_back(std::move(term));
    }
  }
  return l;
}

std::string lexicon_to_json(const Lexicon &l) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).key("categories").begin_object();
  for (size_t c = 1; c < kModCategoryCount; ++c) {
    bool any = false;
    for (const LexiconTerm &t : l.terms) {
      if (static_cast<size_t>(t.category) != c) continue;
      if (!any) w.key(mod_category_name(static_cast<ModCategory>(c))).begin_array();
      any = true;
      w.begin_object().field("term", t.term).field("severity", mod_severity_name(t.severity));
      w.end_object();
    }
    if (any) w.end_array();
  }
  w.end_object().end_object();
  return w.take();
}

ModerationVerdict classify_message_lexicon(const Lexicon &l, std::string_view text) {
  std::string padded = " " + normalize_message(text) + " ";
  const LexiconTerm *best = nullptr;
  std::string needle;
  for (const LexiconTerm &t : l.terms) {
    needle.assign(" ").append(t.term).append(" ");
    if (padded.find(needle) == std::string::npos) continue;
    if (!best || t.severity > best->severity ||
        (t.severity == best->severity && t.category < best->category)) {
      best = &t;
    }
  }
  ModerationVerdict v;
  v.classifier = "lexicon";
  if (!best) {
    v.reason = "lexicon: no term matched";
    return v;
  }
  v.category = best->category;
  v.severity = best->severity;
  v.confidence = 1.0;
  v.reason = fmt::format("lexicon: '{}' ({}, {})", best->term, mod_category_name(best->category),
                         mod_severity_name(best->severity));
  return normalize_verdict(v);
}

ModerationVerdict verdict_from_prediction(const Prediction &p) {
  check_prediction(p, p.backend);
  ModerationVerdict v;
  v.classifier = p.backend;
  v.confidence = p.confidence;
  v.reason = p.reason;
  std::string_view label = p.label;
  std::string_view cat = label, sev;
  size_t colon = label.find(':');
  if (colon != std::string_view::npos) {
    cat = label.substr(0, colon);
    sev = label.substr(colon + 1);
  }
  if (!parse_mod_category(cat, &v.category) ||
      (v.category == ModCategory::none && colon != std::string_view::npos)) {
    throw Error(Errc::invalid,
                fmt::format("moderation classifier '{}': label '{}' is not \"none\", a category "
                            "or \"<category>:<severity>\"",
                            p.backend, p.label));
  }
  if (colon != std::string_view::npos &&
      (!parse_mod_severity(sev, &v.severity) || v.severity == ModSeverity::none)) {
    throw Error(Errc::invalid,
                fmt::format("moderation classifier '{}': severity '{}' of label '{}' is not one "
                            "of {}",
                            p.backend, sev, p.label, severity_list()));
  }
  return normalize_verdict(v);
}

ModerationVerdict classify_message_plugin(const ClassifierPlugin &plugin, std::string_view text) {
  Problem problem;
  problem.id = "moderation.message";
  problem.concept_id = "moderation";
  problem.text = "moderation of a student's message";
  Concept concept_;
  concept_.id = "moderation";
  concept_.name = "moderation";
  Prediction p = plugin.predict(problem, text, concept_);
  if (p.backend.empty()) p.backend = plugin.name();
  return verdict_from_prediction(p);
}

std::shared_ptr<const ClassifierPlugin> moderation_plugin(
    std::string name, std::function<ModerationVerdict(std::string_view text)> fn) {
  check_classifier_name(name);
  if (!fn) throw Error(Errc::invalid, fmt::format("moderation plugin '{}': no function", name));
  return std::make_shared<FunctionPlugin>(std::move(name), std::move(fn));
}

void check_moderation_settings(const ModerationSettings &s) {
  if (s.classifier != "lexicon") check_classifier_name(s.classifier);
  check_moderation_policy(s.policy);
}

ModerationSettings moderation_settings_from_json(std::string_view json,
                                                 const ModerationSettings &base) {
  const std::string what = "moderation settings";
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parse_json_or_throw(parser, json, what).get_object().get(o))
    throw Error(Errc::invalid, what + ": must be a JSON object");
  reject_unknown_fields(o, {"classifier", "policy", "lexicon"}, what);
  ModerationSettings s = base;
  read_string(o, "classifier", false, what, &s.classifier);
  simdjson::dom::element pe;
  if (!o.at_key("policy").get(pe) && !pe.is_null()) {
    const std::string where = what + ".policy";
    simdjson::dom::object po;
    if (pe.get_object().get(po)) throw Error(Errc::invalid, where + ": must be a JSON object");
    reject_unknown_fields(
        po,
        {"strike_window_hours", "strikes_to_quarantine", "strike_quarantine_hours",
         "high_quarantine_hours", "critical_quarantine_hours", "crisis_cooldown_hours",
         "min_confidence", "crisis_min_confidence", "crisis_message", "crisis_resources",
         "hash_salt"},
        where);
    ModerationPolicy &p = s.policy;
    read_hours(po, "strike_window_hours", 1e-3, where, &p.strike_window_us);
    int64_t n = p.strikes_to_quarantine;
    if (read_int(po, "strikes_to_quarantine", 1, 1000, where, &n))
      p.strikes_to_quarantine = static_cast<int32_t>(n);
    read_hours(po, "strike_quarantine_hours", 1e-3, where, &p.strike_quarantine_us);
    read_hours(po, "high_quarantine_hours", 0.0, where, &p.high_quarantine_us);
    read_hours(po, "critical_quarantine_hours", 1e-3, where, &p.critical_quarantine_us);
    read_hours(po, "crisis_cooldown_hours", 1e-3, where, &p.crisis_cooldown_us);
    read_number(po, "min_confidence", 0.0, 1.0, where, &p.min_confidence);
    read_number(po, "crisis_min_confidence", 0.0, 1.0, where, &p.crisis_min_confidence);
    read_string(po, "crisis_message", false, where, &p.crisis_message);
    simdjson::dom::element re;
    if (!po.at_key("crisis_resources").get(re) && !re.is_null()) {
      simdjson::dom::array arr;
      std::string at = where + ".crisis_resources";
      if (re.get_array().get(arr)) throw Error(Errc::invalid, at + ": must be an array of text");
      p.crisis_resources.clear();
      size_t i = 0;
      for (simdjson::dom::element e : arr) {
        std::string_view t;
        if (e.get_string().get(t) || t.empty())
          throw Error(Errc::invalid, path_index(at, i) + ": must be a non-empty string");
        p.crisis_resources.emplace_back(t);
        ++i;
      }
    }
    simdjson::dom::element se;
    if (!po.at_key("hash_salt").get(se) && !se.is_null()) {
      std::string_view t;
      if (se.get_string().get(t))
        throw Error(Errc::invalid, where + ".hash_salt: must be a string");
      p.hash_salt = std::string(t);
    }
  }
  simdjson::dom::element le;
  if (!o.at_key("lexicon").get(le) && !le.is_null()) {
    s.lexicon = lexicon_from_json(simdjson::to_string(le));
  }
  check_moderation_settings(s);
  return s;
}

std::string moderation_settings_to_json(const ModerationSettings &s) {
  const ModerationPolicy &p = s.policy;
  auto hours = [](int64_t us) { return double(us) / double(kUsPerHour); };
  JsonWriter w;
  w.begin_object().field("classifier", s.classifier).key("policy").begin_object();
  w.field("strike_window_hours", hours(p.strike_window_us));
  w.field("strikes_to_quarantine", p.strikes_to_quarantine);
  w.field("strike_quarantine_hours", hours(p.strike_quarantine_us));
  w.field("high_quarantine_hours", hours(p.high_quarantine_us));
  w.field("critical_quarantine_hours", hours(p.critical_quarantine_us));
  w.field("crisis_cooldown_hours", hours(p.crisis_cooldown_us));
  w.field("min_confidence", p.min_confidence);
  w.field("crisis_min_confidence", p.crisis_min_confidence);
  w.field("crisis_message", p.crisis_message).key("crisis_resources").begin_array();
  for (const std::string &r : p.crisis_resources)
    w.value(r);
  w.end_array().field("hash_salt_set", !p.hash_salt.empty()).end_object();
  w.key("lexicon").begin_object().field("terms", static_cast<int64_t>(s.lexicon.terms.size()));
  w.end_object().end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
