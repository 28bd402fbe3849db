// Choosing unseen items for one student (picker.hpp).
#include "picker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tutorcore/common/error.hpp"
#include "tutorcore/irt/irt.hpp"

namespace tutorcore {
inline namespace v0 {
namespace seq {

namespace {
uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ULL;
  return (h ^ 0xff) * 0x100000001b3ULL;
}
}  // namespace

Picker::Picker(const Domain &d, const ViewSet &v, StudentRef who, const SequencingConfig &cfg)
    : d_(d), v_(v), who_(who), cfg_(cfg) {
  instance_seed_ = fnv1a(fnv1a(0xcbf29ce484222325ULL ^ cfg.template_seed, who.tenant), who.student);
  problems_of_.resize(d.concepts.size());
  templates_of_.resize(d.concepts.size());
  for (const Problem &p : d.problems) {
    size_t c = concept_index(p.concept_id);
    if (c != std::string::npos) problems_of_[c].push_back(&p);
    if (!p.template_id.empty() && !p.template_params.empty()) {
      std::string inst = instance_id(p.template_id, p.template_params);
      bank_instance_.emplace(inst, &p);
      instance_of_bank_.emplace(p.id, std::move(inst));
    }
  }
  for (const ProblemTemplate &t : d.templates) {
    size_t c = concept_index(t.concept_id);
    if (c != std::string::npos) templates_of_[c].push_back(&t);
  }
}

size_t Picker::concept_index(const std::string &id) const {
  auto it = d_.concept_index.find(id);
  return it == d_.concept_index.end() ? std::string::npos : it->second;
}

bool Picker::has_level(const Concept &c) const {
  const MasteryRow *r =
      v_.mastery.find({std::string(who_.tenant), std::string(who_.student), c.id});
  return r && r->has_level;
}

double Picker::mastery(const Concept &c) const {
  const MasteryRow *r =
      v_.mastery.find({std::string(who_.tenant), std::string(who_.student), c.id});
  return r && r->has_level ? r->level : c.bkt.p_init;
}

double Picker::mastery(const std::string &concept_id) const {
  const Concept *c = d_.find_concept(concept_id);
  return c ? mastery(*c) : 0.5;
}

bool Picker::seen(const Problem &p) const {
  auto practised = [&](const std::string &id) {
    return v_.practice.find({std::string(who_.tenant), std::string(who_.student), id}) != nullptr;
  };
  if (practised(p.id)) return true;
  auto it = instance_of_bank_.find(p.id);
  return it != instance_of_bank_.end() && practised(it->second);
}

double Picker::score(const Problem &p, const Goal &goal) const {
  IrtItem it{p.irt_a, p.irt_b};
  double theta = theta_from_mastery(mastery(p.concept_id));
  return goal.max_information ? -irt_information(theta, it)
                              : std::fabs(irt_probability(theta, it) - goal.p_target);
}

SequencedItem Picker::item(const Problem &p, bool generated) const {
  SequencedItem out;
  out.problem = p;
  out.generated = generated;
  out.mastery = mastery(p.concept_id);
  double theta = theta_from_mastery(out.mastery);
  IrtItem it{p.irt_a, p.irt_b};
  out.p_correct = irt_probability(theta, it);
  out.information = irt_information(theta, it);
  return out;
}

std::optional<SequencedItem> Picker::pick(const std::vector<const Problem *> &bank,
                                          const std::vector<const ProblemTemplate *> &templates,
                                          const Goal &goal) {
  const Problem *best = nullptr;
  double best_score = 0;
  for (const Problem *p : bank) {
    if (excluded(*p)) continue;
    double s = score(*p, goal);
    if (!best || s < best_score) {
      best = p;
      best_score = s;
    }
  }
  if (best) {
    take(best->id);
    return item(*best, false);
  }
  // The bank ran dry: templates by their score (every instance of a
  // template shares its IRT parameters), then instances 0, 1, ...
  std::vector<std::pair<double, const ProblemTemplate *>> order;
  for (const ProblemTemplate *t : templates) {
    Problem probe;
    probe.concept_id = t->concept_id;
    probe.irt_a = t->irt_a;
    probe.irt_b = t->irt_b;
    order.emplace_back(score(probe, goal), t);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  for (const auto &[s, t] : order) {
    (void)s;
    for (int32_t n = 0; n < cfg_.instances_per_template; ++n) {
      std::optional<Problem> inst;
      try {
        inst = generate_instance(*t, instance_seed_, static_cast<uint64_t>(n), cfg_.max_draws);
      } catch (const Error &e) {
        throw Error(e.code(), fmt::format("template '{}': {}", t->id, e.what()));
      }
      if (!inst) break;  // every draw rejected: the template gives nothing
      if (bank_instance_.count(inst->id) || excluded(*inst)) continue;
      take(inst->id);
      return item(*inst, true);
    }
  }
  return std::nullopt;
}

std::vector<int64_t> Picker::last_practice() const {
  std::vector<int64_t> last(d_.concepts.size(), 0);
  std::string tid;
  TemplateValues values;
  for (const auto &[k, row] : v_.practice.rows) {
    if (k.b != who_.student || k.a != who_.tenant) continue;
    const std::string *concept_id = nullptr;
    if (const Problem *p = d_.find_problem(k.c)) {
      concept_id = &p->concept_id;
    } else if (parse_instance_id(k.c, &tid, &values)) {
      if (const ProblemTemplate *t = find_template(d_, tid)) concept_id = &t->concept_id;
    }
    if (!concept_id) continue;
    size_t c = concept_index(*concept_id);
    if (c != std::string::npos && row.updated_us > last[c]) last[c] = row.updated_us;
  }
  return last;
}

std::string generated_suffix(const SequencedItem &item) {
  if (!item.generated) return {};
  return fmt::format(" (generated from template {}: no unseen problem left in the bank)",
                     item.problem.template_id);
}

}  // namespace seq
}  // namespace v0
}  // namespace tutorcore
