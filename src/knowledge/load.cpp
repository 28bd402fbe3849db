// Reading the four domain files into a Domain. Shape errors (missing fields,
// wrong types, out-of-range numbers) are collected here, per file; rules that
// span files live in validate.cpp.
#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "tutorcore/common/json_read.hpp"
#include "tutorcore/knowledge/validate.hpp"

namespace tutorcore {
inline namespace v0 {
namespace fs = std::filesystem;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

const char *const kKnowledgeGraphFile = "knowledge_graph.json";
const char *const kTaxonomyFile = "taxonomy.json";
const char *const kInterventionsFile = "interventions.json";
const char *const kProblemBankFile = "problem_bank.json";

namespace {

constexpr int64_t kSchemaVersion = 1;

// Reads typed fields of one file and records what is wrong with them.
class FileReader {
 public:
  FileReader(const char *file, std::vector<DomainIssue> *issues) : file_(file), issues_(issues) {}

  void add(std::string code, std::string path, std::string message, std::string fix) {
    issues_->push_back(
        {std::move(code), file_, std::move(path), std::move(message), std::move(fix)});
  }

  std::optional<element> field(object o, std::string_view key, const std::string &base,
                               bool required) {
    element e;
    if (o.at_key(key).get(e)) {
      if (required) {
        add("missing_field", path_key(base, key),
            fmt::format("required field '{}' is missing", key),
            fmt::format("add \"{}\" to the object at {}", key, base.empty() ? "the top" : base));
      }
      return std::nullopt;
    }
    return e;
  }

  bool expect(element e, element_type want, const std::string &path, const char *want_name) {
    element_type t = e.type();
    bool ok = t == want || (want == element_type::DOUBLE &&
                            (t == element_type::INT64 || t == element_type::UINT64));
    if (!ok) {
      add("wrong_type", path, fmt::format("expected {}, found {}", want_name, json_type_name(t)),
          fmt::format("make {} a JSON {}", path, want_name));
    }
    return ok;
  }

  std::optional<std::string> str(object o, std::string_view key, const std::string &base,
                                 bool required) {
    auto e = field(o, key, base, required);
    if (!e) return std::nullopt;
    std::string p = path_key(base, key);
    if (!expect(*e, element_type::STRING, p, "string")) return std::nullopt;
    std::string_view s = e->get_string().value_unsafe();
    if (required && s.empty()) {
      add("empty_field", p, fmt::format("'{}' is empty", key), "give it a non-empty value");
      return std::nullopt;
    }
    return std::string(s);
  }

  std::optional<double> num(object o, std::string_view key, const std::string &base, bool required,
                            const char *missing_code = "missing_field") {
    element e;
    if (o.at_key(key).get(e)) {
      if (required) {
        add(missing_code, path_key(base, key), fmt::format("required number '{}' is missing", key),
            fmt::format("add \"{}\": <number> to the object at {}", key, base));
      }
      return std::nullopt;
    }
    std::string p = path_key(base, key);
    if (!expect(e, element_type::DOUBLE, p, "number")) return std::nullopt;
    double d = 0;
    auto conv = e.get_double().get(d);
    (void)conv;
    if (!std::isfinite(d)) {
      add("out_of_range", p, "number is not finite", "use a finite number");
      return std::nullopt;
    }
    return d;
  }

  std::optional<bool> boolean(object o, std::string_view key, const std::string &base) {
    auto e = field(o, key, base, false);
    if (!e) return std::nullopt;
    if (!expect(*e, element_type::BOOL, path_key(base, key), "boolean")) return std::nullopt;
    return e->get_bool().value_unsafe();
  }

  std::optional<object> obj(object o, std::string_view key, const std::string &base,
                            bool required) {
    auto e = field(o, key, base, required);
    if (!e) return std::nullopt;
    if (!expect(*e, element_type::OBJECT, path_key(base, key), "object")) return std::nullopt;
    return e->get_object().value_unsafe();
  }

  std::optional<array> arr(object o, std::string_view key, const std::string &base, bool required) {
    auto e = field(o, key, base, required);
    if (!e) return std::nullopt;
    if (!expect(*e, element_type::ARRAY, path_key(base, key), "array")) return std::nullopt;
    return e->get_array().value_unsafe();
  }

  std::vector<std::string> str_list(object o, std::string_view key, const std::string &base,
                                    bool required) {
    std::vector<std::string> out;
    auto a = arr(o, key, base, required);
    if (!a) return out;
    size_t i = 0;
    for (element e : *a) {
      std::string p = path_index(path_key(base, key), i++);
      if (expect(e, element_type::STRING, p, "string")) {
        out.emplace_back(e.get_string().value_unsafe());
      }
    }
    return out;
  }

  // A probability strictly inside (0, 1).
  void probability(object o, std::string_view key, const std::string &base, double *out) {
    auto v = num(o, key, base, true);
    if (!v) return;
    if (!(*v > 0.0 && *v < 1.0)) {
      add("out_of_range", path_key(base, key), fmt::format("{} = {} is not in (0, 1)", key, *v),
          "use a probability strictly between 0 and 1");
      return;
    }
    *out = *v;
  }

  // The common header of every domain file.
  void header(object root, std::string *domain_id) {
    auto sv = num(root, "schema_version", "", true);
    if (sv && *sv != static_cast<double>(kSchemaVersion)) {
      add(*sv > kSchemaVersion ? "schema_too_new" : "schema_version", "schema_version",
          fmt::format("schema_version {} is not supported (this library reads {})", *sv,
                      kSchemaVersion),
          fmt::format("write the file in schema version {}", kSchemaVersion));
    }
    auto d = str(root, "domain", "", true);
    if (!d) return;
    if (domain_id->empty()) {
      *domain_id = *d;
    } else if (*d != *domain_id) {
      add("domain_mismatch", "domain",
          fmt::format("domain '{}' differs from '{}' in {}", *d, *domain_id, kKnowledgeGraphFile),
          "use the same domain id in all four files");
    }
  }

 private:
  const char *file_;
  std::vector<DomainIssue> *issues_;
};

// Reads a whole file; records missing or malformed files.
std::optional<element> read_file(const fs::path &dir, const char *file,
                                 simdjson::dom::parser &parser, std::vector<DomainIssue> *issues) {
  fs::path p = dir / file;
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    issues->push_back({"missing_file", file, "", fmt::format("cannot read {}", p.string()),
                       fmt::format("create {} in the domain directory", file)});
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  element root;
  auto err = parser.parse(text).get(root);
  if (err) {
    issues->push_back({"malformed_json", file, "", json_syntax_message(err, text),
                       "fix the JSON syntax at that line and column"});
    return std::nullopt;
  }
  if (root.type() != element_type::OBJECT) {
    issues->push_back({"wrong_type", file, "", "the top level is not a JSON object",
                       "wrap the file's content in { ... }"});
    return std::nullopt;
  }
  return root;
}

void read_knowledge_graph(object root, FileReader &r, Domain *d) {
  r.header(root, &d->id);
  if (auto meta = r.obj(root, "metadata", "", false)) {
    if (auto v = r.str(*meta, "name", "metadata", false)) d->name = *v;
    if (auto v = r.str(*meta, "subject", "metadata", false)) d->subject = *v;
    if (auto v = r.str(*meta, "version", "metadata", false)) d->version = *v;
    for (auto [key, slot] :
         {std::pair<const char *, double *>{"mastery_threshold", &d->mastery_threshold},
          {"low_stakes_mastery_threshold", &d->low_stakes_threshold}}) {
      if (auto v = r.num(*meta, key, "metadata", false)) {
        if (*v > 0.0 && *v < 1.0) {
          *slot = *v;
        } else {
          r.add("out_of_range", path_key("metadata", key),
                fmt::format("{} = {} is not in (0, 1)", key, *v), "use a probability such as 0.95");
        }
      }
    }
  }
  auto concepts = r.arr(root, "concepts", "", true);
  if (!concepts) return;
  size_t i = 0;
  for (element e : *concepts) {
    std::string base = path_index("concepts", i++);
    if (!r.expect(e, element_type::OBJECT, base, "object")) continue;
    object o = e.get_object().value_unsafe();
    Concept c;
    if (auto v = r.str(o, "id", base, true)) c.id = *v;
    if (auto v = r.str(o, "name", base, false)) c.name = *v;
    if (auto v = r.num(o, "level", base, false)) {
      if (*v < 1 || *v != std::floor(*v)) {
        r.add("out_of_range", path_key(base, "level"),
              fmt::format("level {} is not an integer >= 1", *v),
              "use 1 for concepts without prerequisites, higher above them");
      } else {
        c.level = static_cast<int>(*v);
      }
    }
    c.prerequisites = r.str_list(o, "prerequisites", base, false);
    if (auto v = r.boolean(o, "low_stakes", base)) c.low_stakes = *v;
    if (auto bkt = r.obj(o, "bkt_params", base, true)) {
      std::string b = path_key(base, "bkt_params");
      r.probability(*bkt, "p_init", b, &c.bkt.p_init);
      r.probability(*bkt, "p_learn", b, &c.bkt.p_learn);
      r.probability(*bkt, "p_guess", b, &c.bkt.p_guess);
      r.probability(*bkt, "p_slip", b, &c.bkt.p_slip);
      if (c.bkt.p_guess > 0 && c.bkt.p_slip > 0 && c.bkt.p_guess + c.bkt.p_slip >= 1.0) {
        // Mastery would then rise after wrong answers (the degenerate BKT fit).
        r.add("degenerate_bkt", b,
              fmt::format("p_guess + p_slip = {} is not below 1", c.bkt.p_guess + c.bkt.p_slip),
              "lower p_guess or p_slip so that their sum is below 1");
      }
    }
    d->concepts.push_back(std::move(c));
  }
}

void read_taxonomy(object root, FileReader &r, Domain *d) {
  r.header(root, &d->id);
  auto by_concept = r.obj(root, "misconceptions", "", true);
  if (!by_concept) return;
  for (auto [concept_id, list] : *by_concept) {
    std::string cbase = path_key("misconceptions", concept_id);
    if (!r.expect(list, element_type::ARRAY, cbase, "array")) continue;
    size_t i = 0;
    array items = list.get_array().value_unsafe();
    for (element e : items) {
      std::string base = path_index(cbase, i++);
      if (!r.expect(e, element_type::OBJECT, base, "object")) continue;
      object o = e.get_object().value_unsafe();
      Misconception m;
      m.concept_id = std::string(concept_id);
      if (auto v = r.str(o, "id", base, true)) m.id = *v;
      if (auto v = r.str(o, "label", base, true)) m.label = *v;
      if (auto v = r.str(o, "description", base, false)) m.description = *v;
      if (auto ex = r.arr(o, "examples", base, false)) {
        size_t j = 0;
        for (element x : *ex) {
          std::string xb = path_index(path_key(base, "examples"), j++);
          if (!r.expect(x, element_type::OBJECT, xb, "object")) continue;
          object xo = x.get_object().value_unsafe();
          MisconceptionExample me;
          if (auto v = r.str(xo, "problem", xb, true)) me.problem = *v;
          if (auto v = r.str(xo, "wrong", xb, true)) me.wrong = *v;
          if (auto v = r.str(xo, "correct", xb, true)) me.correct = *v;
          m.examples.push_back(std::move(me));
        }
      }
      d->misconceptions.push_back(std::move(m));
    }
  }
}

void read_interventions(object root, FileReader &r, Domain *d) {
  r.header(root, &d->id);
  auto all = r.obj(root, "interventions", "", true);
  if (!all) return;
  for (auto [mid, modalities] : *all) {
    std::string mbase = path_key("interventions", mid);
    if (!r.expect(modalities, element_type::OBJECT, mbase, "object")) continue;
    InterventionSet set;
    set.misconception_id = std::string(mid);
    object by_modality = modalities.get_object().value_unsafe();
    for (auto [mod_name, body] : by_modality) {
      std::string base = path_key(mbase, mod_name);
      Modality m;
      if (!parse_modality(mod_name, &m)) {
        r.add("unknown_modality", base, fmt::format("'{}' is not a modality", mod_name),
              "use visual, concrete, pattern, verbal or peer");
        continue;
      }
      if (!r.expect(body, element_type::OBJECT, base, "object")) continue;
      object o = body.get_object().value_unsafe();
      Intervention &iv = set.by_modality[static_cast<size_t>(m)];
      if (auto v = r.str(o, "text", base, true)) iv.text = *v;
      iv.materials = r.str_list(o, "materials", base, false);
      if (auto v = r.num(o, "estimated_minutes", base, true)) {
        if (*v <= 0 || *v != std::floor(*v)) {
          r.add("out_of_range", path_key(base, "estimated_minutes"),
                fmt::format("estimated_minutes {} is not a positive integer", *v),
                "give the minutes a teacher needs, e.g. 5");
        } else {
          iv.estimated_minutes = static_cast<int>(*v);
        }
      }
      if (auto v = r.boolean(o, "requires_resolved_peer", base)) iv.requires_resolved_peer = *v;
    }
    d->interventions.push_back(std::move(set));
  }
}

void read_answers(object o, FileReader &r, const std::string &base,
                  std::vector<std::pair<std::string, std::string>> *out) {
  auto answers = r.obj(o, "misconception_answers", base, false);
  if (!answers) return;
  for (auto [mid, v] : *answers) {
    if (r.expect(v, element_type::STRING, path_key(path_key(base, "misconception_answers"), mid),
                 "string")) {
      out->emplace_back(std::string(mid), std::string(v.get_string().value_unsafe()));
    }
  }
}

void read_irt(object o, FileReader &r, const std::string &base, double *b, double *a) {
  if (auto v = r.num(o, "irt_b", base, true, "missing_irt_difficulty")) *b = *v;
  if (auto v = r.num(o, "irt_discrimination", base, false)) {
    if (*v <= 0) {
      r.add("out_of_range", path_key(base, "irt_discrimination"),
            fmt::format("irt_discrimination {} is not positive", *v), "use a value such as 1.0");
    } else {
      *a = *v;
    }
  }
}

void read_problem_bank(object root, FileReader &r, Domain *d) {
  r.header(root, &d->id);
  if (auto problems = r.arr(root, "problems", "", true)) {
    size_t i = 0;
    for (element e : *problems) {
      std::string base = path_index("problems", i++);
      if (!r.expect(e, element_type::OBJECT, base, "object")) continue;
      object o = e.get_object().value_unsafe();
      Problem p;
      if (auto v = r.str(o, "problem_id", base, true)) p.id = *v;
      if (auto v = r.str(o, "concept", base, true)) p.concept_id = *v;
      if (auto v = r.str(o, "problem_text", base, true)) p.text = *v;
      if (auto v = r.str(o, "correct_answer", base, true)) p.correct_answer = *v;
      if (auto v = r.str(o, "difficulty", base, false)) {
        if (*v != "easy" && *v != "medium" && *v != "hard") {
          r.add("out_of_range", path_key(base, "difficulty"),
                fmt::format("difficulty '{}' is not easy, medium or hard", *v),
                "use easy, medium or hard (or leave it out)");
        }
        p.difficulty = *v;
      }
      read_irt(o, r, base, &p.irt_b, &p.irt_a);
      p.diagnostic_for = r.str_list(o, "diagnostic_for", base, true);
      read_answers(o, r, base, &p.misconception_answers);
      if (auto v = r.str(o, "template_id", base, false)) p.template_id = *v;
      if (auto params = r.obj(o, "template_params", base, false)) {
        for (auto [name, v] : *params) {
          std::string pp = path_key(path_key(base, "template_params"), name);
          if (v.type() != element_type::INT64) {
            r.add("wrong_type", pp, "template parameter values are integers",
                  "give an integer value");
            continue;
          }
          p.template_params.emplace_back(std::string(name), v.get_int64().value_unsafe());
        }
      }
      d->problems.push_back(std::move(p));
    }
  }
  if (auto templates = r.arr(root, "templates", "", false)) {
    size_t i = 0;
    for (element e : *templates) {
      std::string base = path_index("templates", i++);
      if (!r.expect(e, element_type::OBJECT, base, "object")) continue;
      object o = e.get_object().value_unsafe();
      ProblemTemplate t;
      if (auto v = r.str(o, "template_id", base, true)) t.id = *v;
      if (auto v = r.str(o, "concept", base, true)) t.concept_id = *v;
      if (auto v = r.str(o, "text", base, true)) t.text = *v;
      if (auto v = r.str(o, "answer", base, true)) t.answer = *v;
      if (auto params = r.obj(o, "params", base, true)) {
        for (auto [name, range] : *params) {
          std::string pp = path_key(path_key(base, "params"), name);
          if (!r.expect(range, element_type::OBJECT, pp, "object")) continue;
          object ro = range.get_object().value_unsafe();
          TemplateParam tp;
          tp.name = std::string(name);
          auto lo = r.num(ro, "min", pp, true);
          auto hi = r.num(ro, "max", pp, true);
          if (!lo || !hi) continue;
          if (*lo != std::floor(*lo) || *hi != std::floor(*hi) || *lo > *hi) {
            r.add("bad_template_range", pp,
                  fmt::format("range [{}, {}] is not integer min <= max", *lo, *hi),
                  "use integers with min <= max");
            continue;
          }
          tp.min = static_cast<int64_t>(*lo);
          tp.max = static_cast<int64_t>(*hi);
          t.params.push_back(std::move(tp));
        }
      }
      read_answers(o, r, base, &t.misconception_answers);
      read_irt(o, r, base, &t.irt_b, &t.irt_a);
      t.diagnostic_for = r.str_list(o, "diagnostic_for", base, false);
      d->templates.push_back(std::move(t));
    }
  }
}

}  // namespace

DomainReport load_domain(const std::string &dir, Domain *out) {
  DomainReport report;
  *out = Domain{};
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    report.found = false;
    report.issues.push_back({"missing_directory", "", "", fmt::format("{} is not a directory", dir),
                             "pass the path of a domain directory"});
    return report;
  }
  simdjson::dom::parser parser;
  using ReadFn = void (*)(object, FileReader &, Domain *);
  const std::pair<const char *, ReadFn> files[] = {
      {kKnowledgeGraphFile, read_knowledge_graph},
      {kTaxonomyFile, read_taxonomy},
      {kInterventionsFile, read_interventions},
      {kProblemBankFile, read_problem_bank},
  };
  bool all_read = true;
  for (auto [file, fn] : files) {
    auto root = read_file(dir, file, parser, &report.issues);
    if (!root) {
      all_read = false;
      continue;
    }
    FileReader reader(file, &report.issues);
    fn(root->get_object().value_unsafe(), reader, out);
  }
  // Cross-file rules need all four files; without one they would only add noise.
  if (all_read) validate_domain(out, &report.issues);
  return report;
}

std::string DomainReport::format(const DomainIssue &i) {
  std::string where = i.file;
  if (!i.path.empty()) where += ": " + i.path;
  if (where.empty()) return fmt::format("{} (fix: {})", i.message, i.fix);
  return fmt::format("{}: {} (fix: {})", where, i.message, i.fix);
}

}  // namespace v0
}  // namespace tutorcore
