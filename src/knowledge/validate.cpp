// Cross-file rules of a domain: unique ids, references that resolve, a
// prerequisite DAG, five modalities per misconception, enough problems.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "tutorcore/knowledge/validate.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

struct Ctx {
  std::vector<DomainIssue> *issues;
  void add(const char *code, const char *file, std::string path, std::string msg, std::string fix) {
    issues->push_back({code, file, std::move(path), std::move(msg), std::move(fix)});
  }
};

// Builds an index and reports duplicates; the first occurrence wins.
template <class V, class IdOf, class PathOf>
void index_ids(Ctx &cx, const char *file, const char *kind, const V &items, IdOf id_of,
               PathOf path_of, std::unordered_map<std::string, size_t> *index) {
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string &id = id_of(items[i]);
    if (id.empty()) continue;  // already reported as missing
    auto [it, inserted] = index->emplace(id, i);
    if (!inserted) {
      cx.add("duplicate_id", file, path_of(i),
             fmt::format("{} id '{}' is used twice (first at {})", kind, id, path_of(it->second)),
             "give each a unique id");
    }
  }
}

// Finds every prerequisite cycle by depth-first search and reports each once,
// printed as a -> b -> c -> a.
void check_cycles(Ctx &cx, const Domain &d) {
  size_t n = d.concepts.size();
  std::vector<int> color(n, 0);  // 0 new, 1 on stack, 2 done
  std::vector<size_t> stack;
  std::unordered_set<std::string> reported;

  struct Frame {
    size_t node;
    size_t next;
  };
  for (size_t start = 0; start < n; ++start) {
    if (color[start]) continue;
    std::vector<Frame> frames{{start, 0}};
    color[start] = 1;
    stack.push_back(start);
    while (!frames.empty()) {
      Frame &f = frames.back();
      const auto &pre = d.concepts[f.node].prerequisites;
      if (f.next == pre.size()) {
        color[f.node] = 2;
        stack.pop_back();
        frames.pop_back();
        continue;
      }
      auto it = d.concept_index.find(pre[f.next++]);
      if (it == d.concept_index.end()) continue;  // reported as unknown
      size_t next = it->second;
      if (color[next] == 0) {
        color[next] = 1;
        stack.push_back(next);
        frames.push_back({next, 0});
      } else if (color[next] == 1) {
        auto pos = std::find(stack.begin(), stack.end(), next);
        std::vector<std::string> ids;
        for (auto p = pos; p != stack.end(); ++p)
          ids.push_back(d.concepts[*p].id);
        // Report a cycle once, whatever node the search entered it from.
        std::vector<std::string> key = ids;
        std::sort(key.begin(), key.end());
        if (!reported.insert(fmt::format("{}", fmt::join(key, ","))).second) continue;
        ids.push_back(d.concepts[next].id);
        size_t from = *(stack.end() - 1);
        cx.add("prerequisite_cycle", kKnowledgeGraphFile,
               fmt::format("concepts[{}].prerequisites", from),
               fmt::format("prerequisite cycle: {}", fmt::join(ids, " -> ")),
               "remove one prerequisite edge of the cycle so the graph is a DAG");
      }
    }
  }
}

}  // namespace

void validate_domain(Domain *dp, std::vector<DomainIssue> *issues) {
  Domain &d = *dp;
  Ctx cx{issues};
  d.concept_index.clear();
  d.misconception_index.clear();
  d.problem_index.clear();

  // Misconception paths need the position inside their concept's list.
  std::vector<std::string> mis_paths(d.misconceptions.size());
  {
    std::unordered_map<std::string, size_t> pos;
    for (size_t i = 0; i < d.misconceptions.size(); ++i) {
      const auto &m = d.misconceptions[i];
      mis_paths[i] = fmt::format("misconceptions.{}[{}]", m.concept_id, pos[m.concept_id]++);
    }
  }

  index_ids(
      cx, kKnowledgeGraphFile, "concept", d.concepts,
      [](const Concept &c) -> const std::string & { return c.id; },
      [](size_t i) { return fmt::format("concepts[{}].id", i); }, &d.concept_index);
  index_ids(
      cx, kTaxonomyFile, "misconception", d.misconceptions,
      [](const Misconception &m) -> const std::string & { return m.id; },
      [&](size_t i) { return mis_paths[i] + ".id"; }, &d.misconception_index);
  index_ids(
      cx, kProblemBankFile, "problem", d.problems,
      [](const Problem &p) -> const std::string & { return p.id; },
      [](size_t i) { return fmt::format("problems[{}].problem_id", i); }, &d.problem_index);
  {
    std::unordered_map<std::string, size_t> tindex;
    index_ids(
        cx, kProblemBankFile, "template", d.templates,
        [](const ProblemTemplate &t) -> const std::string & { return t.id; },
        [](size_t i) { return fmt::format("templates[{}].template_id", i); }, &tindex);
  }

  // Knowledge graph: known prerequisites, no self-loops, levels above prerequisites.
  for (size_t i = 0; i < d.concepts.size(); ++i) {
    const Concept &c = d.concepts[i];
    for (size_t j = 0; j < c.prerequisites.size(); ++j) {
      const std::string &p = c.prerequisites[j];
      std::string path = fmt::format("concepts[{}].prerequisites[{}]", i, j);
      const Concept *pc = d.find_concept(p);
      if (!pc) {
        cx.add("unknown_reference", kKnowledgeGraphFile, path,
               fmt::format("concept '{}' lists unknown prerequisite '{}'", c.id, p),
               "use the id of a concept defined in concepts[]");
      } else if (pc->level >= c.level && p != c.id) {
        cx.add("level_order", kKnowledgeGraphFile, fmt::format("concepts[{}].level", i),
               fmt::format("concept '{}' has level {} but its prerequisite '{}' has level {}", c.id,
                           c.level, p, pc->level),
               "give a concept a level above each of its prerequisites");
      }
    }
  }
  check_cycles(cx, d);

  // Taxonomy: misconceptions belong to known concepts; every concept has some.
  std::unordered_set<std::string> concepts_with_misconceptions;
  for (size_t i = 0; i < d.misconceptions.size(); ++i) {
    const auto &m = d.misconceptions[i];
    if (!d.find_concept(m.concept_id)) {
      cx.add("unknown_reference", kTaxonomyFile, fmt::format("misconceptions.{}", m.concept_id),
             fmt::format("misconceptions are listed under unknown concept '{}'", m.concept_id),
             "use a concept id from knowledge_graph.json as the key");
    } else {
      concepts_with_misconceptions.insert(m.concept_id);
    }
  }
  for (size_t i = 0; i < d.concepts.size(); ++i) {
    const auto &c = d.concepts[i];
    if (!c.id.empty() && !concepts_with_misconceptions.count(c.id)) {
      cx.add("concept_without_misconceptions", kTaxonomyFile,
             fmt::format("misconceptions.{}", c.id),
             fmt::format("concept '{}' has no misconceptions", c.id),
             fmt::format("add a list of misconceptions under \"{}\"", c.id));
    }
  }

  // Intervention catalog: one set per known misconception, all five modalities.
  std::vector<InterventionSet> ordered(d.misconceptions.size());
  std::vector<bool> has_set(d.misconceptions.size(), false);
  for (auto &set : d.interventions) {
    auto it = d.misconception_index.find(set.misconception_id);
    if (it == d.misconception_index.end()) {
      cx.add("unknown_reference", kInterventionsFile,
             fmt::format("interventions.{}", set.misconception_id),
             fmt::format("interventions are given for unknown misconception '{}'",
                         set.misconception_id),
             "use a misconception id from taxonomy.json as the key");
      continue;
    }
    for (size_t k = 0; k < kModalityCount; ++k) {
      if (set.by_modality[k].text.empty() && set.by_modality[k].estimated_minutes == 0) {
        const char *mod = modality_name(static_cast<Modality>(k));
        cx.add(
            "missing_modality", kInterventionsFile,
            fmt::format("interventions.{}.{}", set.misconception_id, mod),
            fmt::format("misconception '{}' has no '{}' intervention", set.misconception_id, mod),
            fmt::format("add a \"{}\" entry with text, materials and estimated_minutes", mod));
      }
    }
    has_set[it->second] = true;
    ordered[it->second] = set;
  }
  for (size_t i = 0; i < d.misconceptions.size(); ++i) {
    if (!has_set[i] && !d.misconceptions[i].id.empty()) {
      const auto &id = d.misconceptions[i].id;
      cx.add("missing_interventions", kInterventionsFile, fmt::format("interventions.{}", id),
             fmt::format("misconception '{}' has no interventions", id),
             "add all five modalities (visual, concrete, pattern, verbal, peer) for it");
      ordered[i].misconception_id = id;
    }
  }
  d.interventions = std::move(ordered);

  // Problem bank: known concepts and misconceptions, enough problems per concept.
  std::unordered_map<std::string, size_t> per_concept;
  auto check_refs = [&](const std::string &base, const std::string &concept_id,
                        const std::vector<std::string> &diag,
                        const std::vector<std::pair<std::string, std::string>> &answers) {
    if (!concept_id.empty() && !d.find_concept(concept_id)) {
      cx.add("unknown_reference", kProblemBankFile, base + ".concept",
             fmt::format("unknown concept '{}'", concept_id),
             "use a concept id from knowledge_graph.json");
    }
    for (size_t j = 0; j < diag.size(); ++j) {
      if (!d.find_misconception(diag[j])) {
        cx.add("unknown_reference", kProblemBankFile, fmt::format("{}.diagnostic_for[{}]", base, j),
               fmt::format("unknown misconception '{}'", diag[j]),
               "use a misconception id from taxonomy.json");
      }
    }
    for (const auto &[mid, ans] : answers) {
      if (!d.find_misconception(mid)) {
        cx.add("unknown_reference", kProblemBankFile,
               fmt::format("{}.misconception_answers.{}", base, mid),
               fmt::format("unknown misconception '{}'", mid),
               "use a misconception id from taxonomy.json");
      }
    }
  };
  for (size_t i = 0; i < d.problems.size(); ++i) {
    const Problem &p = d.problems[i];
    check_refs(fmt::format("problems[{}]", i), p.concept_id, p.diagnostic_for,
               p.misconception_answers);
    ++per_concept[p.concept_id];
  }
  for (size_t i = 0; i < d.templates.size(); ++i) {
    const ProblemTemplate &t = d.templates[i];
    std::string base = fmt::format("templates[{}]", i);
    check_refs(base, t.concept_id, t.diagnostic_for, t.misconception_answers);
    // Placeholders may only name declared parameters.
    auto check_text = [&](const std::string &text, const std::string &path) {
      for (size_t k = 0; k < text.size(); ++k) {
        if (text[k] != '{') continue;
        size_t end = text.find('}', k);
        if (end == std::string::npos) {
          cx.add("bad_template", kProblemBankFile, path, "a '{' placeholder is not closed",
                 "close it with '}'");
          return;
        }
        for (size_t q = k + 1; q < end;) {
          if (std::isalpha(static_cast<unsigned char>(text[q])) || text[q] == '_') {
            size_t s = q;
            while (q < end && (std::isalnum(static_cast<unsigned char>(text[q])) || text[q] == '_'))
              ++q;
            std::string name = text.substr(s, q - s);
            bool known = std::any_of(t.params.begin(), t.params.end(),
                                     [&](const TemplateParam &tp) { return tp.name == name; });
            if (!known) {
              cx.add("unknown_reference", kProblemBankFile, path,
                     fmt::format("placeholder uses undeclared parameter '{}'", name),
                     fmt::format("declare \"{}\" in {}.params", name, base));
            }
          } else {
            ++q;
          }
        }
        k = end;
      }
    };
    check_text(t.text, base + ".text");
    check_text(t.answer, base + ".answer");
    for (const auto &[mid, ans] : t.misconception_answers) {
      check_text(ans, fmt::format("{}.misconception_answers.{}", base, mid));
    }
  }
  for (size_t i = 0; i < d.problems.size(); ++i) {
    const Problem &p = d.problems[i];
    if (p.template_id.empty()) continue;
    bool known = std::any_of(d.templates.begin(), d.templates.end(),
                             [&](const ProblemTemplate &t) { return t.id == p.template_id; });
    if (!known) {
      cx.add("unknown_reference", kProblemBankFile, fmt::format("problems[{}].template_id", i),
             fmt::format("unknown template '{}'", p.template_id),
             "use a template_id from templates[]");
    }
  }
  for (size_t i = 0; i < d.concepts.size(); ++i) {
    const Concept &c = d.concepts[i];
    size_t count = per_concept.count(c.id) ? per_concept[c.id] : 0;
    if (!c.id.empty() && count < kMinProblemsPerConcept) {
      cx.add("too_few_problems", kProblemBankFile, "problems",
             fmt::format("concept '{}' has {} problems; at least {} are needed", c.id, count,
                         kMinProblemsPerConcept),
             fmt::format("add {} more problems with \"concept\": \"{}\"",
                         kMinProblemsPerConcept - count, c.id));
    }
  }
}

}  // namespace v0
}  // namespace tutorcore
