// Shared by the assignment and the cold start: what one student knows and
// has seen, and choosing the unseen item nearest a goal from a concept's
// bank, or from its templates when the bank has none left.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tutorcore/sequencing/sequencing.hpp"
#include "tutorcore/sequencing/template.hpp"

namespace tutorcore {
inline namespace v0 {
namespace seq {

// What an item is chosen for: nearest a P(correct), or most informative.
struct Goal {
  bool max_information = false;
  double p_target = 0.70;
};

class Picker {
 public:
  Picker(const Domain &d, const ViewSet &v, StudentRef who, const SequencingConfig &cfg);

  const Domain &domain() const { return d_; }
  // The view's level, or the concept's prior.
  double mastery(const Concept &c) const;
  double mastery(const std::string &concept_id) const;
  bool has_level(const Concept &c) const;
  size_t concept_index(const std::string &id) const;  // npos when unknown
  const std::vector<const Problem *> &problems_of(size_t concept) const {
    return problems_of_[concept];
  }
  const std::vector<const ProblemTemplate *> &templates_of(size_t concept) const {
    return templates_of_[concept];
  }

  // A practice row for the problem (or its bank twin / instance id).
  bool seen(const Problem &p) const;
  // Seen, or already chosen in this plan.
  bool excluded(const Problem &p) const { return seen(p) || taken_.count(p.id) > 0; }
  void take(const std::string &problem_id) { taken_.insert(problem_id); }

  // The best unexcluded item among `bank`, else among instances of
  // `templates`; each candidate is scored at its own concept's mastery.
  // Nothing when all are excluded. The item is taken.
  std::optional<SequencedItem> pick(const std::vector<const Problem *> &bank,
                                    const std::vector<const ProblemTemplate *> &templates,
                                    const Goal &goal);

  // The student's last practice time per concept (0: never), from the
  // practice view.
  std::vector<int64_t> last_practice() const;

 private:
  double score(const Problem &p, const Goal &goal) const;
  SequencedItem item(const Problem &p, bool generated) const;

  const Domain &d_;
  const ViewSet &v_;
  StudentRef who_;
  const SequencingConfig &cfg_;
  uint64_t instance_seed_;
  std::vector<std::vector<const Problem *>> problems_of_;
  std::vector<std::vector<const ProblemTemplate *>> templates_of_;
  // Bank problems made from a template: instance id -> bank problem, and back.
  std::unordered_map<std::string, const Problem *> bank_instance_;
  std::unordered_map<std::string, std::string> instance_of_bank_;
  std::unordered_set<std::string> taken_;
};

// Picks of a template-generated item say so in their reason.
std::string generated_suffix(const SequencedItem &item);

}  // namespace seq
}  // namespace v0
}  // namespace tutorcore
