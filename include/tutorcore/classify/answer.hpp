// Answer equivalence for the rule-based and catalog classifiers: two answers
// are the same when their normalized text is equal, when they are the same
// number (decimals, fractions, percent), the same point or tuple, or the same
// simple algebraic expression (evaluated at fixed points). Pure functions;
// no allocation beyond the normalized strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tutorcore {
inline namespace v0 {

// Lower case, no white space, unicode comparison signs as ASCII (<=, >=),
// a trailing period dropped, "*" dropped before a letter or "(".
std::string normalize_answer(std::string_view text);

// The number an answer states: "2.50", "-3", "1/8", "-2/3", "20%" (20),
// "1e3". Nothing for anything else.
std::optional<double> parse_number(std::string_view normalized);

// The value of a simple expression (numbers, single-letter variables, + - * /
// ^, parentheses, implicit products such as 2x or 3(x+1)) with the variables
// set to the point `point` (0, 1 or 2) of fixed values. Nothing when it does
// not parse.
std::optional<double> evaluate_expression(std::string_view normalized, int point);

// Whether a student's answer states the same as a reference answer.
bool answers_equivalent(std::string_view student, std::string_view reference);

// answers_equivalent for two answers already passed through
// normalize_answer: the classifiers normalize their reference answers once.
bool normalized_answers_equivalent(std::string_view student, std::string_view reference);

}  // namespace v0
}  // namespace tutorcore
