// Domain: the per-subject configuration the engines read (knowledge graph,
// misconception taxonomy, intervention catalog, problem bank and templates).
// Loaded once, immutable afterwards; lookups by id go through the indexes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tutorcore/tracing/bkt.hpp"

namespace tutorcore {
inline namespace v0 {

enum class Modality : uint8_t { visual = 0, concrete, pattern, verbal, peer };
constexpr size_t kModalityCount = 5;
const char *modality_name(Modality m);
// Returns false when `name` is not one of the five modalities.
bool parse_modality(std::string_view name, Modality *out);

struct Concept {
  std::string id;
  std::string name;
  int level = 1;
  std::vector<std::string> prerequisites;
  bool low_stakes = false;
  BktParams bkt;
};

struct MisconceptionExample {
  std::string problem, wrong, correct;
};

struct Misconception {
  std::string id;
  std::string concept_id;
  std::string label;
  std::string description;
  std::vector<MisconceptionExample> examples;
};

struct Intervention {
  std::string text;
  std::vector<std::string> materials;
  int estimated_minutes = 0;
  bool requires_resolved_peer = false;
};

// The five modalities of one misconception, indexed by Modality.
struct InterventionSet {
  std::string misconception_id;
  std::array<Intervention, kModalityCount> by_modality;
};

struct Problem {
  std::string id;
  std::string concept_id;
  std::string text;
  std::string correct_answer;
  std::string difficulty;  // easy / medium / hard, or empty
  double irt_b = 0.0;
  double irt_a = 1.0;
  std::vector<std::string> diagnostic_for;
  std::vector<std::pair<std::string, std::string>> misconception_answers;
  std::string template_id;
  std::vector<std::pair<std::string, int64_t>> template_params;
};

struct TemplateParam {
  std::string name;
  int64_t min = 0, max = 0;
};

struct ProblemTemplate {
  std::string id;
  std::string concept_id;
  std::string text;
  std::string answer;
  std::vector<TemplateParam> params;
  std::vector<std::pair<std::string, std::string>> misconception_answers;
  double irt_b = 0.0;
  double irt_a = 1.0;
  std::vector<std::string> diagnostic_for;
};

struct Domain {
  std::string id;
  std::string name;
  std::string subject;
  std::string version;
  double mastery_threshold = 0.95;
  double low_stakes_threshold = 0.85;

  std::vector<Concept> concepts;
  std::vector<Misconception> misconceptions;
  std::vector<InterventionSet> interventions;  // parallel to misconceptions after load
  std::vector<Problem> problems;
  std::vector<ProblemTemplate> templates;

  // id -> index into the vectors above.
  std::unordered_map<std::string, size_t> concept_index;
  std::unordered_map<std::string, size_t> misconception_index;
  std::unordered_map<std::string, size_t> problem_index;

  const Concept *find_concept(std::string_view id) const;
  const Misconception *find_misconception(std::string_view id) const;
  const Problem *find_problem(std::string_view id) const;
  size_t prerequisite_edges() const;
  double threshold_for(const Concept &c) const {
    return c.low_stakes ? low_stakes_threshold : mastery_threshold;
  }
};

}  // namespace v0
}  // namespace tutorcore
