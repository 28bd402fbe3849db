// The rule-based classifier (rules in classify.hpp).
#include "tutorcore/pipeline/classify.hpp"

#include "tutorcore/pipeline/answer.hpp"

namespace tutorcore {
inline namespace v0 {

Classification classify_by_rules(const Problem &p, std::string_view answer) {
  Classification c;
  c.backend = "rules";
  if (answers_equivalent(answer, p.correct_answer)) {
    c.correct = true;
    c.confidence = 1.0;
    return c;
  }
  for (const auto &[misconception, wrong] : p.misconception_answers) {
    if (answers_equivalent(answer, wrong)) {
      c.misconception_id = misconception;
      c.confidence = 1.0;
      return c;
    }
  }
  return c;
}

Classifier rule_classifier() {
  return {"rules", [](const Problem &p, std::string_view answer, const Concept &) {
            return classify_by_rules(p, answer);
          }};
}

}  // namespace v0
}  // namespace tutorcore
