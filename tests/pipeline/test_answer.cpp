// Answer equivalence and the rule-based classifier.
#include "../test_util.hpp"
#include "tutorcore/pipeline/answer.hpp"
#include "tutorcore/pipeline/classify.hpp"

using namespace tutorcore;

TEST_CASE("answers: numbers, fractions, percent and decimals compare by value") {
  CHECK(answers_equivalent("2.50", "2.5"));
  CHECK(answers_equivalent(" -4 ", "-4"));
  CHECK(answers_equivalent("1/8", "0.125"));
  CHECK(answers_equivalent("-2/3", "-4/6"));
  CHECK(answers_equivalent("20 %", "20%"));
  CHECK(answers_equivalent("20", "20%"));
  CHECK(answers_equivalent("x = 4", "4"));  // the variable's stated value
  CHECK_FALSE(answers_equivalent("-4", "4"));
  CHECK_FALSE(answers_equivalent("1/8", "1/9"));
  CHECK_FALSE(answers_equivalent("", "0"));
  CHECK(parse_number("1e3") == 1000.0);
  CHECK_FALSE(parse_number("1/0").has_value());
  CHECK_FALSE(parse_number("abc").has_value());
}

TEST_CASE("answers: expressions, points, equations and inequalities") {
  CHECK(answers_equivalent("-x + 2", "2 - x"));
  CHECK(answers_equivalent("(x + 2)(x + 3)", "(x+3)(x+2)"));
  CHECK(answers_equivalent("x^2 + 6x + 9", "(x+3)^2"));
  CHECK(answers_equivalent("3(x + 3)(x - 3)", "3x^2 - 27"));
  CHECK(answers_equivalent("5*m - 3", "5m-3"));
  CHECK_FALSE(answers_equivalent("x^2 + 6x + 9", "x^2 + 6x + 8"));
  CHECK_FALSE(answers_equivalent("(x + 2)(x + 3)", "(x + 2)(x - 3)"));
  CHECK(answers_equivalent("(3, 5)", "(3,5)"));
  CHECK(answers_equivalent("(0.5, -6)", "(1/2, -6)"));
  CHECK_FALSE(answers_equivalent("(3, 5)", "(5, 3)"));
  CHECK(answers_equivalent("y = 2x - 1", "y=-1+2x"));
  CHECK_FALSE(answers_equivalent("y = 2x - 1", "y = 2x + 1"));
  CHECK(answers_equivalent("x ≤ 2", "x<=2"));
  CHECK_FALSE(answers_equivalent("x ≤ 2", "x>=2"));
  CHECK(answers_equivalent("All real numbers", "all real numbers."));
  // Words are not products of letters.
  CHECK_FALSE(answers_equivalent("all real numbers", "numbers real all"));
  CHECK(normalize_answer(" X  ≥ −2 ") == "x>=-2");
  CHECK(evaluate_expression("2x", 0).has_value());
  CHECK_FALSE(evaluate_expression("2x+", 0).has_value());
  CHECK_FALSE(evaluate_expression("(x", 0).has_value());
}

TEST_CASE("answers: the rule classifier finds right answers and misconception patterns") {
  Problem p;
  p.id = "p";
  p.correct_answer = "-4";
  p.misconception_answers = {{"add_magnitudes", "-10"}, {"sign", "4"}};
  Classification c = classify_by_rules(p, " -4.0 ");
  CHECK(c.correct);
  CHECK(c.misconception_id.empty());
  CHECK(c.backend == "rules");
  c = classify_by_rules(p, "-10");
  CHECK_FALSE(c.correct);
  CHECK(c.misconception_id == "add_magnitudes");
  CHECK(c.confidence == 1.0);
  c = classify_by_rules(p, "7");
  CHECK_FALSE(c.correct);
  CHECK(c.misconception_id.empty());
  CHECK(c.confidence == 0.0);
}
