// The rule-based backend on labelled examples from the bundled domains'
// problem banks and templates, and template rendering.
#include "domains.hpp"
#include "tutorcore/classify/answer.hpp"
#include "tutorcore/classify/rules.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/pipeline/classify.hpp"

using namespace tutorcore;
using classify_test::algebra;
using classify_test::chemistry;
using classify_test::fixture;

namespace {

const Concept &concept_of(const Domain &d, const Problem &p) {
  const Concept *c = d.find_concept(p.concept_id);
  REQUIRE(c);
  return *c;
}

// The misconceptions whose bank answer for `p` is equivalent to `answer`:
// those with the same normalized text first, then the rest, in bank order.
std::vector<std::string> equivalent_labels(const Problem &p, const std::string &answer) {
  std::vector<std::string> same_text, same_value;
  for (const auto &[mid, wrong] : p.misconception_answers) {
    if (normalize_answer(answer) == normalize_answer(wrong))
      same_text.push_back(mid);
    else if (answers_equivalent(answer, wrong))
      same_value.push_back(mid);
  }
  same_text.insert(same_text.end(), same_value.begin(), same_value.end());
  return same_text;
}

}  // namespace

TEST_CASE(
    "classify: rules label every right answer and every bank wrong answer of the bundled "
    "domains") {
  for (auto dom : {algebra(), chemistry()}) {
    const Domain &d = *dom;
    RuleClassifier rules(dom);
    CHECK(rules.unrendered().empty());
    size_t right = 0, labelled = 0, ambiguous = 0;
    for (const Problem &p : d.problems) {
      const Concept &c = concept_of(d, p);
      Prediction r = rules.predict(p, p.correct_answer, c);
      CHECK_MESSAGE(r.label == "correct", p.id);
      CHECK(r.confidence == 1.0);
      CHECK(r.backend == "rules");
      right += r.correct();
      for (const auto &[mid, wrong] : p.misconception_answers) {
        Prediction w = rules.predict(p, wrong, c);
        std::vector<std::string> same = equivalent_labels(p, wrong);
        // Two misconceptions with the same wrong answer: the bank's first. A
        // wrong answer with the correct answer's value is told apart by its text.
        CHECK_MESSAGE(w.label == same.front(), p.id << " " << mid << ": " << w.label);
        CHECK(w.confidence == 1.0);
        CHECK(w.reason.find("problem bank") != std::string::npos);
        labelled += w.label == mid;
        ambiguous += same.size() > 1;
      }
      Prediction u = rules.predict(p, "I am not sure", c);
      CHECK(u.label == "unknown");
      CHECK(u.confidence == 0.0);
    }
    CHECK(right == d.problems.size());
    MESSAGE(d.id << ": " << right << " right answers, " << labelled
                 << " wrong answers labelled with their own misconception, " << ambiguous
                 << " shared by two misconceptions");
    CHECK(labelled > 100);
  }
  // A wrong answer with the correct answer's value: told apart by its text.
  RuleClassifier rules(algebra());
  const Problem *gcf = algebra()->find_problem("gcf_03");  // factor 8x - 20 completely
  REQUIRE(gcf);
  const Concept &c = concept_of(*algebra(), *gcf);
  CHECK(rules.predict(*gcf, "2(4x - 10)", c).label == "gcf_not_greatest");
  CHECK(rules.predict(*gcf, "4(2x-5)", c).label == "correct");
  CHECK(rules.predict(*gcf, "4(2x - 20)", c).label == "gcf_divide_first_term_only");
}

TEST_CASE("classify: rules recognise template wrong-answer patterns where the bank lists none") {
  // The algebra bank without its per-problem wrong answers: only the
  // templates' formulas can name the misconceptions of templated problems.
  auto stripped = std::make_shared<Domain>(*algebra());
  for (Problem &p : stripped->problems)
    if (!p.template_id.empty()) p.misconception_answers.clear();
  std::shared_ptr<const Domain> dom = stripped;
  RuleClassifier rules(dom);
  size_t checked = 0;
  for (const Problem &p : dom->problems) {
    if (p.template_id.empty()) continue;
    const ProblemTemplate *t = nullptr;
    for (const ProblemTemplate &cand : dom->templates)
      if (cand.id == p.template_id) t = &cand;
    REQUIRE(t);
    for (const auto &[mid, pattern] : t->misconception_answers) {
      auto wrong = render_template_text(pattern, p.template_params);
      REQUIRE(wrong);
      Prediction w = rules.predict(p, *wrong, concept_of(*dom, p));
      // A template may give two misconceptions the same formula: the first.
      std::string first;
      for (const auto &[m2, pat2] : t->misconception_answers) {
        if (answers_equivalent(*render_template_text(pat2, p.template_params), *wrong)) {
          first = m2;
          break;
        }
      }
      CHECK_MESSAGE(w.label == first, p.id << " " << mid << " '" << *wrong << "'");
      CHECK(w.reason.find("template " + t->id) != std::string::npos);
      ++checked;
    }
    // Without the template's patterns the answers would be unknown.
    CHECK(classify_by_rules(p, p.correct_answer).correct);
  }
  CHECK(checked >= 49);
  // The original bank: the same answers, now from the bank's list.
  const Problem *ias = algebra()->find_problem("ias_01");
  REQUIRE(ias);
  CHECK(RuleClassifier(algebra()).predict(*ias, "-10", concept_of(*algebra(), *ias)).reason ==
        "equivalent to the problem bank's wrong answer for ias_add_magnitudes");
}

TEST_CASE("classify: template formulas render exactly or not at all") {
  std::vector<std::pair<std::string, int64_t>> v = {{"a", 7}, {"b", 3}, {"k", 3}};
  CHECK(render_template_text("{0-a-b}", v) == "-10");
  CHECK(render_template_text("Compute: {0-a} + {b}", v) == "Compute: -7 + 3");
  CHECK(render_template_text("{(2*k)/2} mol", v) == "3 mol");
  CHECK(render_template_text("{ a + b * 2 }", v) == "13");
  CHECK(render_template_text("{-(-a)}", v) == "7");
  CHECK(render_template_text("{6/4}", v) == "3/2");  // exact: a fraction
  CHECK(render_template_text("{b/a}", v) == "3/7");
  CHECK(render_template_text("{0-b/a}", v) == "-3/7");
  CHECK(render_template_text("1/{a}", v) == "1/7");
  CHECK(render_template_text("no placeholders", v) == "no placeholders");
  CHECK_FALSE(render_template_text("{a/0}", v));
  CHECK_FALSE(render_template_text("{c}", v));  // no such parameter
  CHECK_FALSE(render_template_text("{a", v));   // not closed
  CHECK_FALSE(render_template_text("{}", v));
  CHECK_FALSE(render_template_text("{a+}", v));
  CHECK_FALSE(render_template_text("{(a}", v));
  CHECK_FALSE(render_template_text("{9223372036854775807*2}", v));  // overflow
  CHECK_FALSE(render_template_text("{99999999999999999999}", v));   // literal overflow
  CHECK_FALSE(render_template_text("{" + std::string(200, '(') + "a" + std::string(200, ')') + "}",
                                   v));  // nesting limit
}

TEST_CASE("classify: rules on the fixture domain, on problems from elsewhere, and in batches") {
  auto dom = fixture();
  RuleClassifier rules(dom);
  const Problem *p = dom->find_problem("unit_alpha_p2");
  REQUIRE(p);
  const Concept &c = concept_of(*dom, *p);
  CHECK(rules.predict(*p, "2", c).label == "correct");
  CHECK(rules.predict(*p, " 2.0 ", c).label == "correct");
  CHECK(rules.predict(*p, "3", c).label == "mis_alpha_one");
  CHECK(rules.predict(*p, "99", c).label == "unknown");
  CHECK(rules.supports_concept("anything"));

  // A problem that is not one of the domain's: classified against its own answers.
  Problem other = *p;
  other.correct_answer = "-4";
  other.misconception_answers = {{"mis_alpha_one", "-10"}};
  CHECK(rules.predict(other, "-4", c).label == "correct");
  CHECK(rules.predict(other, "-10", c).label == "mis_alpha_one");
  CHECK(rules.predict(other, "2", c).label == "unknown");

  // The pipeline's original function gives the same answers.
  Classification old = classify_by_rules(*p, "3");
  CHECK(old.misconception_id == "mis_alpha_one");
  CHECK(old.backend == "rules");
  CHECK(to_prediction(old).label == "mis_alpha_one");
  CHECK(to_classification(rules.predict(*p, "2", c)).correct);

  // The default batch: one prediction per input, in order.
  std::vector<PredictInput> in = {{p, "2", &c}, {p, "3", &c}, {&other, "-10", &c}, {p, "x", &c}};
  std::vector<Prediction> out = rules.predict_batch(in);
  REQUIRE(out.size() == 4);
  CHECK(out[0].label == "correct");
  CHECK(out[1].label == "mis_alpha_one");
  CHECK(out[2].label == "mis_alpha_one");
  CHECK(out[3].label == "unknown");
  in.push_back({nullptr, "1", &c});
  CHECK_THROWS_AS(rules.predict_batch(in), Error);
}
