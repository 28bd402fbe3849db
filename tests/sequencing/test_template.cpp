// The template engine: formulas, ids, determinism, the misconception answers
// of generated instances (hand-computed for bundled templates), and a
// generated item classified through Tutor::submit.
#include <simdjson.h>

#include <set>

#include "../test_util.hpp"
#include "tutorcore/classify/answer.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sequencing/template.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

std::shared_ptr<const Domain> load(const std::string &name) {
  auto dom = std::make_shared<Domain>();
  DomainReport r = load_domain(testutil::source_dir() + name, dom.get());
  REQUIRE(r.ok());
  return dom;
}

std::shared_ptr<const Domain> algebra() {
  static auto d = load("/examples/domains/algebra_fundamentals");
  return d;
}
std::shared_ptr<const Domain> chemistry() {
  static auto d = load("/examples/domains/intro_chemistry");
  return d;
}
std::shared_ptr<const Domain> minimal() {
  static auto d = load("/tests/fixtures/domains/minimal");
  return d;
}

std::string wrong_of(const Problem &p, const std::string &mid) {
  for (const auto &[m, w] : p.misconception_answers)
    if (m == mid) return w;
  FAIL("no misconception answer for " << mid);
  return {};
}

}  // namespace

TEST_CASE("template: formulas are integer arithmetic with checked division and overflow") {
  TemplateValues v{{"a", 7}, {"b", 3}, {"c", 0}};
  CHECK(evaluate_template_formula("a+b*2", v) == 13);
  CHECK(evaluate_template_formula("(a+b)*2", v) == 20);
  CHECK(evaluate_template_formula(" 0 - a ", v) == -7);
  CHECK(evaluate_template_formula("-a - -b", v) == -4);
  CHECK(evaluate_template_formula("(2*a)/7", v) == 2);
  CHECK(evaluate_template_formula("a-b-c", v) == 4);  // left to right
  // Rules that reject a draw: a zero divisor, an inexact division, overflow.
  CHECK_FALSE(evaluate_template_formula("a/c", v));
  CHECK_FALSE(evaluate_template_formula("a/b", v));
  CHECK_FALSE(evaluate_template_formula("9223372036854775807+a", v));
  CHECK_FALSE(evaluate_template_formula("3037000500*3037000500", v));
  // Malformed formulas are errors, not rejections.
  CHECK_THROWS_AS(evaluate_template_formula("a+", v), Error);
  CHECK_THROWS_AS(evaluate_template_formula("(a", v), Error);
  CHECK_THROWS_AS(evaluate_template_formula("a+d", v), Error);
  CHECK_THROWS_AS(evaluate_template_formula("a^2", v), Error);
  CHECK_THROWS_AS(evaluate_template_formula("", v), Error);

  CHECK(fill_template_text("Compute: {0-a} + {b}", v) == "Compute: -7 + 3");
  CHECK(fill_template_text("x^{a+b}, no braces", v) == "x^10, no braces");
  CHECK_FALSE(fill_template_text("{a/c} and {a}", v));
  CHECK_THROWS_AS(fill_template_text("{a", v), Error);
}

TEST_CASE("template: instance ids name the template and values, and only canonical ones parse") {
  TemplateValues v{{"a", -3}, {"b", 12}};
  CHECK(instance_id("tpl_x", v) == "tpl_x:a=-3,b=12");
  std::string tid;
  TemplateValues back;
  REQUIRE(parse_instance_id("tpl_x:a=-3,b=12", &tid, &back));
  CHECK(tid == "tpl_x");
  CHECK(back == v);
  REQUIRE(parse_instance_id("tpl_y:", &tid, &back));  // a template without parameters
  CHECK(back.empty());
  for (const char *bad : {"tpl_x", ":a=1", "tpl_x:a", "tpl_x:a=", "tpl_x:=1", "tpl_x:a=03",
                          "tpl_x:a=-0", "tpl_x:a=+3", "tpl_x:a=1,", "tpl_x:a=1,,b=2", "tpl_x:a=1x",
                          "tpl_x:a=99999999999999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_instance_id(bad, &tid, &back));
  }
}

TEST_CASE("template: generated misconception answers match hand-computed values (bundled)") {
  const Domain &alg = *algebra();
  // ias_add_mixed: "Compute: {0-a} + {b}", answer {b-a}, ias_add_magnitudes {0-a-b}.
  const ProblemTemplate *t = find_template(alg, "ias_add_mixed");
  REQUIRE(t);
  auto p = instantiate_template(*t, {{"a", 7}, {"b", 3}});
  REQUIRE(p);
  CHECK(p->id == "ias_add_mixed:a=7,b=3");
  CHECK(p->concept_id == "integer_add_sub");
  CHECK(p->text == "Compute: -7 + 3");
  CHECK(p->correct_answer == "-4");
  CHECK(wrong_of(*p, "ias_add_magnitudes") == "-10");
  CHECK(p->irt_b == doctest::Approx(-1.3));
  CHECK(p->diagnostic_for == std::vector<std::string>{"ias_add_magnitudes"});
  CHECK(p->template_id == "ias_add_mixed");

  // tse_basic: "Solve for x: {a}x + {a*m} = {a*c+a*m}", three misconceptions.
  t = find_template(alg, "tse_basic");
  REQUIRE(t);
  p = instantiate_template(*t, {{"a", 3}, {"m", 2}, {"c", 4}});
  REQUIRE(p);
  CHECK(p->text == "Solve for x: 3x + 6 = 18");
  CHECK(p->correct_answer == "4");
  CHECK(wrong_of(*p, "tse_move_without_sign_change") == "8");   // c + 2m
  CHECK(wrong_of(*p, "tse_divide_variable_term_only") == "0");  // c + m - am
  CHECK(wrong_of(*p, "tse_subtract_coefficient") == "9");       // ac - a
  CHECK(p->misconception_answers.size() == 3);

  // dist_neg: answers with text around the formulas.
  t = find_template(alg, "dist_neg");
  REQUIRE(t);
  p = instantiate_template(*t, {{"a", 4}, {"b", 5}});
  REQUIRE(p);
  CHECK(p->text == "Expand: -4(x - 5)");
  CHECK(p->correct_answer == "-4x + 20");
  CHECK(wrong_of(*p, "dist_negative_sign_partial") == "-4x - 20");
  CHECK(wrong_of(*p, "dist_first_term_only") == "-4x - 5");

  // Chemistry: an exact division inside a formula.
  const ProblemTemplate *ct = find_template(*chemistry(), "chem_tpl_ammonia_from_nitrogen");
  REQUIRE(ct);
  p = instantiate_template(*ct, {{"k", 3}});
  REQUIRE(p);
  CHECK(p->text.find("from 6 mol of N2") != std::string::npos);
  CHECK(p->correct_answer == "12 mol");
  CHECK(wrong_of(*p, "chem_one_to_one_ratio") == "6 mol");
  CHECK(wrong_of(*p, "chem_ratio_inverted") == "3 mol");

  // Out of range, wrong names or order: no instance.
  t = find_template(alg, "ias_add_mixed");
  CHECK_FALSE(instantiate_template(*t, {{"a", 5}, {"b", 3}}));  // a in 6..15
  CHECK_FALSE(instantiate_template(*t, {{"b", 3}, {"a", 7}}));  // declared order
  CHECK_FALSE(instantiate_template(*t, {{"a", 7}}));            // missing b
}

TEST_CASE("template: instances are deterministic per (seed, template, instance number)") {
  const Domain &alg = *algebra();
  const ProblemTemplate *t = find_template(alg, "tse_basic");
  REQUIRE(t);
  std::set<std::string> ids;
  for (uint64_t n = 0; n < 40; ++n) {
    auto a = generate_instance(*t, 42, n);
    auto b = generate_instance(*t, 42, n);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->id == b->id);
    CHECK(a->text == b->text);
    CHECK(a->misconception_answers == b->misconception_answers);
    for (size_t i = 0; i < t->params.size(); ++i) {
      CHECK(a->template_params[i].first == t->params[i].name);
      CHECK(a->template_params[i].second >= t->params[i].min);
      CHECK(a->template_params[i].second <= t->params[i].max);
    }
    ids.insert(a->id);
  }
  CHECK(ids.size() > 25);  // 7 * 4 * 9 = 252 possible values: few repeats
  // Another seed gives another sequence.
  int same = 0;
  for (uint64_t n = 0; n < 20; ++n)
    same += generate_instance(*t, 42, n)->id == generate_instance(*t, 43, n)->id ? 1 : 0;
  CHECK(same < 5);
  // Pinned: the generator is portable (xoshiro256**, rejection sampling), so
  // these values hold on every platform.
  const ProblemTemplate *mt = find_template(*minimal(), "tpl_alpha_add");
  REQUIRE(mt);
  CHECK(generate_instance(*mt, 42, 0)->id == "tpl_alpha_add:a=3,b=3");
  CHECK(generate_instance(*mt, 42, 1)->id == "tpl_alpha_add:a=3,b=8");
  CHECK(generate_instance(*mt, 7, 0)->id == "tpl_alpha_add:a=5,b=3");
}

TEST_CASE("template: a draw whose misconception answer is right is redrawn") {
  ProblemTemplate t;
  t.id = "tpl_sq";
  t.concept_id = "unit_alpha";
  t.text = "Square {a}";
  t.answer = "{a*a}";
  t.params = {{"a", 1, 2}};
  t.misconception_answers = {{"mis_alpha_one", "{a}"}};
  // a = 1: the misconception's answer 1 equals the right answer.
  CHECK_FALSE(instantiate_template(t, {{"a", 1}}));
  for (uint64_t n = 0; n < 10; ++n) {
    auto p = generate_instance(t, 42, n);
    REQUIRE(p);
    CHECK(p->id == "tpl_sq:a=2");
  }
  t.params = {{"a", 1, 1}};
  CHECK_FALSE(generate_instance(t, 42, 0, 50));  // every draw rejected
  // Division rules also redraw: only even a divide exactly.
  t.params = {{"a", 1, 9}};
  t.answer = "{a/2}";
  t.misconception_answers.clear();
  for (uint64_t n = 0; n < 20; ++n)
    CHECK(generate_instance(t, 5, n)->template_params[0].second % 2 == 0);
}

TEST_CASE("template: every bundled template generates instances the rules classify") {
  for (const auto &dom : {algebra(), chemistry(), minimal()}) {
    for (const ProblemTemplate &t : dom->templates) {
      CAPTURE(t.id);
      int made = 0;
      for (uint64_t n = 0; n < 10; ++n) {
        auto p = generate_instance(t, 42, n);
        if (!p) continue;
        ++made;
        // The id alone re-derives the instance.
        Problem storage;
        const Problem *back = find_problem_or_instance(*dom, p->id, &storage);
        REQUIRE(back);
        CHECK(back->text == p->text);
        CHECK(back->correct_answer == p->correct_answer);
        CHECK(classify_by_rules(*p, p->correct_answer).correct);
        for (const auto &[mid, wrong] : p->misconception_answers) {
          Classification c = classify_by_rules(*p, wrong);
          CHECK_FALSE(c.correct);
          // The first misconception with an equivalent answer (two may coincide).
          REQUIRE_FALSE(c.misconception_id.empty());
          CHECK(answers_equivalent(wrong_of(*p, c.misconception_id), wrong));
        }
      }
      CHECK(made == 10);
    }
  }
}

TEST_CASE("template: ids that do not name a valid instance are not problems") {
  const Domain &d = *minimal();
  Problem storage;
  const Problem *p = find_problem_or_instance(d, "unit_alpha_p0", &storage);
  REQUIRE(p);
  CHECK(p != &storage);  // the bank's own
  p = find_problem_or_instance(d, "tpl_alpha_add:a=3,b=4", &storage);
  REQUIRE(p);
  CHECK(p == &storage);
  CHECK(p->correct_answer == "7");
  CHECK(wrong_of(*p, "mis_alpha_one") == "12");
  for (const char *bad : {"tpl_alpha_add:a=0,b=4", "tpl_alpha_add:a=3,b=10",
                          "tpl_alpha_add:b=4,a=3", "tpl_alpha_add:a=3", "tpl_alpha_add:a=3,b=4,c=1",
                          "tpl_alpha_add:a=03,b=4", "tpl_none:a=3,b=4", "unit_alpha_p9"}) {
    CAPTURE(bad);
    CHECK(find_problem_or_instance(d, bad, &storage) == nullptr);
  }
  // a = b = 2: the misconception (a*b) gives the right answer: no such instance.
  CHECK(find_problem_or_instance(d, "tpl_alpha_add:a=2,b=2", &storage) == nullptr);
}

TEST_CASE("template: a generated item's misconception answer is classified through Tutor::submit") {
  Ledger ledger(open_memory_store());
  Tutor tutor(algebra(), ledger);
  const ProblemTemplate *t = find_template(*algebra(), "ias_sub_neg");
  REQUIRE(t);
  auto inst = generate_instance(*t, 9, 0);
  REQUIRE(inst);
  REQUIRE(algebra()->find_problem(inst->id) == nullptr);
  SubmitRequest r;
  r.tenant = "t1";
  r.student = "s1";
  r.problem_id = inst->id;
  r.answer = wrong_of(*inst, "ias_subtract_negative");
  r.idempotency_key = "g1";
  r.time_us = 1767225600000000;
  SubmitResult res = tutor.submit(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(res.json).value();
  CHECK(doc["correct"].get_bool().value() == false);
  CHECK(doc["misconception"]["id"].get_string().value() == "ias_subtract_negative");
  CHECK(doc["response"]["problem_id"].get_string().value() == inst->id);
  CHECK(doc["response"]["concept_id"].get_string().value() == "integer_add_sub");
  CHECK(doc["detected"]["misconception_id"].get_string().value() == "ias_subtract_negative");
  // The practice view knows the generated item by its id.
  ledger.with_views([&](const ViewSet &v) {
    CHECK(v.practice.find({"t1", "s1", inst->id}) != nullptr);
    return 0;
  });
  // The right answer to another instance is right.
  auto other = generate_instance(*t, 9, 1);
  REQUIRE(other);
  r.problem_id = other->id;
  r.answer = other->correct_answer;
  r.idempotency_key = "g2";
  res = tutor.submit(r);
  CHECK(parser.parse(res.json).value()["correct"].get_bool().value() == true);
  // An id outside the template's ranges is not a problem.
  r.problem_id = "ias_sub_neg:a=1,b=1";  // b in 2..9
  r.idempotency_key = "g3";
  try {
    tutor.submit(r);
    FAIL("expected not_found");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::not_found);
  }
}
