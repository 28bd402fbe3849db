// The template engine: a problem template (docs/domain-format.md) with
// integer parameter ranges produces novel instances: the text with its
// placeholders filled, the correct answer, and the wrong answer each listed
// misconception gives, all by evaluating the template's `{expr}` formulas.
//
// Rules:
//  - `{expr}` is integer arithmetic: + - * / (and unary minus), parentheses,
//    integer literals and the template's parameter names. Division must be
//    exact and the divisor non-zero, and no step may overflow int64.
//  - A draw of parameter values is kept only when every formula of the
//    template evaluates under those rules and no misconception's answer is
//    equivalent to the correct answer (pipeline/answer.hpp), since such an
//    instance could not tell the misconception from a right answer.
//    Otherwise the instance redraws, up to `max_draws` times.
//  - Instance n of template t under a seed is a pure function of (seed,
//    t.id, n): the draws come from xoshiro256** seeded by a hash of the three
//    (intervention/policy.hpp's Rng; integers by rejection sampling, no
//    std:: distributions), so every platform generates the same instances.
//  - An instance's id is its template id and parameter values in the
//    template's declared order: "<template_id>:<name>=<value>,..."
//    (e.g. "tpl_add:a=3,b=-4"). The id alone re-derives the instance, so the
//    practice view, the classifier and Tutor::submit recognise generated
//    problems without storing them (find_problem_or_instance).
// Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/knowledge/domain.hpp"

namespace tutorcore {
inline namespace v0 {

// Parameter values by name, in the template's declared order.
using TemplateValues = std::vector<std::pair<std::string, int64_t>>;

// The value of one `{expr}` formula. Nothing when the values break a rule
// (zero divisor, inexact division, overflow); throws Error(invalid) when the
// formula does not parse or names a parameter without a value.
std::optional<int64_t> evaluate_template_formula(std::string_view expr,
                                                 const TemplateValues &values);

// `text` with every `{expr}` replaced by its value in decimal. Nothing when a
// formula breaks a rule; throws Error(invalid) for a malformed placeholder.
std::optional<std::string> fill_template_text(std::string_view text, const TemplateValues &values);

// "<template_id>:<name>=<value>,...".
std::string instance_id(std::string_view template_id, const TemplateValues &values);

// Splits an instance id into its template id and values. False when `id` is
// not of that form (no ':', a pair without '=', a value that is not a
// canonical integer).
bool parse_instance_id(std::string_view id, std::string *template_id, TemplateValues *values);

// The instance of `t` for these values: a Problem with the instance id, the
// template's concept, IRT parameters and diagnostic tags, and
// template_id/template_params set. Nothing when the values are outside the
// declared ranges, do not name exactly the declared parameters in order, or
// break a rule above. Throws Error(invalid) for a malformed template formula.
std::optional<Problem> instantiate_template(const ProblemTemplate &t, const TemplateValues &values);

// Instance `n` of `t` under `seed` (rules above). Nothing when `max_draws`
// draws in a row were rejected.
std::optional<Problem> generate_instance(const ProblemTemplate &t, uint64_t seed, uint64_t n,
                                         int32_t max_draws = 100);

// The template with this id, or nullptr.
const ProblemTemplate *find_template(const Domain &d, std::string_view id);

// The problem `id` names: a bank problem, else an instance re-derived from
// its template and values into *storage (and a pointer to it). nullptr when
// it names neither, including values out of range or rejected by the rules.
const Problem *find_problem_or_instance(const Domain &d, std::string_view id, Problem *storage);

// A problem as a problem_bank.json entry (plus "generated": true for an
// instance that is not in the bank): problem_id, concept, problem_text,
// correct_answer, difficulty?, irt_b, irt_discrimination, diagnostic_for,
// misconception_answers, template_id?, template_params?.
void write_problem_json(JsonWriter &w, const Problem &p, bool generated);

}  // namespace v0
}  // namespace tutorcore
