// A fitted BKT model as a portable JSON document (schema_version 1). The same
// numbers serve as a domain's BKT priors.
#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/tracing/fit.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
constexpr int64_t kModelSchema = 1;

// Per-item and per-group parameters, only the fields of the variants in use.
void write_variant(JsonWriter &w, const BktVariant &v) {
  if (!v.items.empty()) {
    w.key("items").begin_array();
    for (size_t i = 0; i < v.items.size(); ++i) {
      w.begin_object().field("item", v.items[i]);
      if (!v.guess.empty()) w.field("p_guess", v.guess[i]).field("p_slip", v.slip[i]);
      if (!v.learn.empty()) w.field("p_learn", v.learn[i]).field("p_forget", v.forget[i]);
      w.end_object();
    }
    w.end_array();
  }
  if (!v.groups.empty()) {
    w.key("groups").begin_array();
    for (size_t g = 0; g < v.groups.size(); ++g)
      w.begin_object().field("group", v.groups[g]).field("p_init", v.init[g]).end_object();
    w.end_array();
  }
}

[[noreturn]] void bad(const std::string &path, const std::string &msg) {
  throw Error(Errc::invalid, fmt::format("BKT model: {}: {}", path, msg));
}

double probability(simdjson::dom::object o, const std::string &base, const char *key) {
  double v;
  if (o[key].get_double().get(v)) bad(path_key(base, key), "missing or not a number");
  if (!(v >= 0.0 && v <= 1.0)) bad(path_key(base, key), fmt::format("{} is not a probability", v));
  return v;
}

// Reads "items" and "groups" of one skill; all entries of a list carry the
// same fields, and guess + slip stays below 1 for every item.
BktVariant read_variant(simdjson::dom::object s, const std::string &base) {
  BktVariant v;
  simdjson::dom::array items;
  if (s["items"].get_array().get(items) == simdjson::SUCCESS) {
    size_t i = 0;
    for (simdjson::dom::element e : items) {
      std::string p = path_index(base + ".items", i);
      simdjson::dom::object it;
      if (e.get_object().get(it)) bad(p, "must be an object");
      std::string_view name;
      if (it["item"].get_string().get(name) || name.empty())
        bad(p + ".item", "missing or not a non-empty string");
      for (auto field : it) {
        std::string_view k = field.key;
        if (k != "item" && k != "p_guess" && k != "p_slip" && k != "p_learn" && k != "p_forget")
          bad(path_key(p, k), "unknown field");
      }
      bool gs = it["p_guess"].error() != simdjson::NO_SUCH_FIELD;
      bool lf = it["p_learn"].error() != simdjson::NO_SUCH_FIELD;
      if (i == 0 && !gs && !lf) bad(p, "has neither p_guess/p_slip nor p_learn/p_forget");
      if (i > 0 && (gs != !v.guess.empty() || lf != !v.learn.empty()))
        bad(p, "has other fields than the first item");
      v.items.emplace_back(name);
      if (gs) {
        v.guess.push_back(probability(it, p, "p_guess"));
        v.slip.push_back(probability(it, p, "p_slip"));
        if (v.guess.back() + v.slip.back() >= 1.0)
          bad(p, "p_guess + p_slip is not below 1 (a wrong answer would raise mastery)");
      }
      if (lf) {
        v.learn.push_back(probability(it, p, "p_learn"));
        v.forget.push_back(probability(it, p, "p_forget"));
      }
      ++i;
    }
  }
  simdjson::dom::array groups;
  if (s["groups"].get_array().get(groups) == simdjson::SUCCESS) {
    size_t g = 0;
    for (simdjson::dom::element e : groups) {
      std::string p = path_index(base + ".groups", g++);
      simdjson::dom::object go;
      if (e.get_object().get(go)) bad(p, "must be an object");
      std::string_view name;
      if (go["group"].get_string().get(name) || name.empty())
        bad(p + ".group", "missing or not a non-empty string");
      v.groups.emplace_back(name);
      v.init.push_back(probability(go, p, "p_init"));
    }
  }
  return v;
}

}  // namespace

std::string model_to_json(const BktModel &m) {
  JsonWriter w;
  w.begin_object();
  w.field("schema_version", kModelSchema).field("kind", "bkt").field("forgets", m.forgets);
  w.key("skills").begin_array();
  for (size_t i = 0; i < m.skills.size(); ++i) {
    const BktParams &b = m.params[i];
    w.begin_object();
    w.field("skill", m.skills[i]);
    w.field("p_init", b.p_init).field("p_learn", b.p_learn).field("p_guess", b.p_guess);
    w.field("p_slip", b.p_slip).field("p_forget", b.p_forget);
    if (i < m.fits.size() && m.fits[i].skill == m.skills[i]) {
      const SkillFit &f = m.fits[i];
      w.key("fit").begin_object();
      w.field("log_likelihood", f.log_likelihood).field("iterations", f.iterations);
      w.field("responses", static_cast<int64_t>(f.responses));
      w.field("sequences", static_cast<int64_t>(f.sequences));
      w.field("guess_at_bound", f.guess_at_bound).field("slip_at_bound", f.slip_at_bound);
      w.end_object();
    }
    if (i < m.variants.size()) write_variant(w, m.variants[i]);
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

BktModel model_from_json(const std::string &json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parse_json_or_throw(parser, json, "BKT model");
  simdjson::dom::object o;
  if (root.get_object().get(o)) bad("(top)", "must be a JSON object");
  int64_t version = 0;
  if (o["schema_version"].get_int64().get(version))
    bad("schema_version", "missing or not an integer");
  if (version > kModelSchema) {
    throw Error(Errc::version,
                fmt::format("BKT model: schema_version {} is newer than this library reads ({}); "
                            "upgrade tutorcore",
                            version, kModelSchema));
  }
  if (version < 1) bad("schema_version", fmt::format("{} is not a schema version", version));
  std::string_view kind;
  if (o["kind"].get_string().get(kind) || kind != "bkt") bad("kind", "must be \"bkt\"");
  BktModel m;
  if (o["forgets"].get_bool().get(m.forgets)) bad("forgets", "missing or not a boolean");
  simdjson::dom::array skills;
  if (o["skills"].get_array().get(skills)) bad("skills", "missing or not an array");
  std::vector<BktVariant> variants;
  bool any_variant = false;
  size_t i = 0;
  for (simdjson::dom::element e : skills) {
    std::string base = path_index("skills", i++);
    simdjson::dom::object s;
    if (e.get_object().get(s)) bad(base, "must be an object");
    std::string_view name;
    if (s["skill"].get_string().get(name) || name.empty())
      bad(base + ".skill", "missing or not a non-empty string");
    BktParams b;
    for (auto [key, slot] : {std::pair<const char *, double *>{"p_init", &b.p_init},
                             {"p_learn", &b.p_learn},
                             {"p_guess", &b.p_guess},
                             {"p_slip", &b.p_slip},
                             {"p_forget", &b.p_forget}}) {
      *slot = probability(s, base, key);
    }
    if (b.p_guess + b.p_slip >= 1.0) {
      bad(base,
          fmt::format("p_guess + p_slip = {} is not below 1 (a wrong answer would raise mastery)",
                      b.p_guess + b.p_slip));
    }
    if (m.find(std::string(name)) >= 0)
      bad(base + ".skill", fmt::format("skill '{}' appears twice", name));
    m.skills.emplace_back(name);
    m.params.push_back(b);
    variants.push_back(read_variant(s, base));
    any_variant |= !variants.back().empty();
  }
  if (any_variant) m.variants = std::move(variants);
  return m;
}

}  // namespace v0
}  // namespace tutorcore
