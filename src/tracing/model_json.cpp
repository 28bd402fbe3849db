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
}

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
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

BktModel model_from_json(const std::string &json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parse_json_or_throw(parser, json, "BKT model");
  auto bad = [](const std::string &path, const std::string &msg) {
    throw Error(Errc::invalid, fmt::format("BKT model: {}: {}", path, msg));
  };
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
      double v;
      if (s[key].get_double().get(v)) bad(path_key(base, key), "missing or not a number");
      if (!(v >= 0.0 && v <= 1.0))
        bad(path_key(base, key), fmt::format("{} is not a probability", v));
      *slot = v;
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
  }
  return m;
}

}  // namespace v0
}  // namespace tutorcore
