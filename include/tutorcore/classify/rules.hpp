// The rule-based backend ("rules"): an answer equivalent (answer.hpp) to the
// problem's correct answer is "correct"; one equivalent to a wrong answer the
// problem bank lists for a misconception shows that misconception; so does
// one equivalent to a wrong-answer pattern of the problem's template, the
// template's misconception answer formula evaluated with the problem's
// template_params. Anything else is "unknown". A match has confidence 1.
// Normalized text is compared before equivalence, correct answer first, so
// a wrong answer whose value equals the correct one ("2(4x - 10)" where the
// problem asks to factor 8x - 20 completely) is still recognised by its text.
//
// Reference answers are normalized once, at construction, per problem of the
// domain; a problem from elsewhere is classified against its own answers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tutorcore/classify/classifier.hpp"

namespace tutorcore {
inline namespace v0 {

// A template text with every "{expr}" placeholder replaced by its value:
// integer arithmetic (+ - * /, unary minus, parentheses) over the named
// parameters, exact (a division that leaves a remainder gives a fraction
// "n/d"). Nothing when a placeholder is not closed, names a parameter that
// is not given, divides by zero, overflows 64 bits or does not parse.
std::optional<std::string> render_template_text(
    std::string_view text, const std::vector<std::pair<std::string, int64_t>> &params);

// One wrong answer the rules recognise for a problem.
struct WrongAnswerRule {
  std::string misconception_id;
  std::string normalized;   // the wrong answer, normalized
  std::string template_id;  // empty: from the problem bank; else the template it came from
};

// The rules of one problem: its normalized correct answer, then the bank's
// wrong answers in the bank's order, then its template's patterns (those
// that render). Patterns of a template that do not render are left out.
struct ProblemRules {
  std::string correct;
  std::vector<WrongAnswerRule> wrong;
};
ProblemRules problem_rules(const Problem &p, const ProblemTemplate *t);

// The rule-based classification of one answer against prepared rules.
// `backend` is written into the prediction.
Prediction classify_with_rules(const ProblemRules &rules, std::string_view answer,
                               const std::string &backend);

class RuleClassifier : public ClassifierPlugin {
 public:
  explicit RuleClassifier(std::shared_ptr<const Domain> domain, std::string name = "rules");

  const std::string &name() const override { return name_; }
  Prediction predict(const Problem &problem, std::string_view answer,
                     const Concept &concept_) const override;

  // The prepared rules of problem `index` of the domain.
  const ProblemRules &rules_of(size_t index) const { return rules_[index]; }
  // Template patterns that could not be rendered for their problem (a
  // parameter the problem does not give, a division by zero): each is
  // "<problem_id>: <template_id> pattern for <misconception_id>".
  const std::vector<std::string> &unrendered() const { return unrendered_; }

 private:
  std::shared_ptr<const Domain> domain_;
  std::string name_;
  std::vector<ProblemRules> rules_;  // parallel to domain_->problems
  std::vector<std::string> unrendered_;
};

}  // namespace v0
}  // namespace tutorcore
