#include "tutorcore/knowledge/domain.hpp"

#include "tutorcore/common/names.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
constexpr const char *kModalityNames[kModalityCount] = {"visual", "concrete", "pattern", "verbal",
                                                        "peer"};

template <class V>
const typename V::value_type *lookup(const std::unordered_map<std::string, size_t> &index,
                                     const V &items, std::string_view id) {
  auto it = index.find(std::string(id));
  return it == index.end() ? nullptr : &items[it->second];
}
}  // namespace

const char *modality_name(Modality m) {
  return kModalityNames[static_cast<size_t>(m)];
}

bool parse_modality(std::string_view name, Modality *out) {
  size_t i;
  if (!find_name(kModalityNames, kModalityCount, name, &i)) return false;
  *out = static_cast<Modality>(i);
  return true;
}

size_t Domain::prerequisite_edges() const {
  size_t n = 0;
  for (const auto &c : concepts)
    n += c.prerequisites.size();
  return n;
}

const Concept *Domain::find_concept(std::string_view id) const {
  return lookup(concept_index, concepts, id);
}
const Misconception *Domain::find_misconception(std::string_view id) const {
  return lookup(misconception_index, misconceptions, id);
}
const Problem *Domain::find_problem(std::string_view id) const {
  return lookup(problem_index, problems, id);
}

}  // namespace v0
}  // namespace tutorcore
