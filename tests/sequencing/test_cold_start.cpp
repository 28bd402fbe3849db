// The cold-start diagnostic: coverage of the prerequisite graph, the most
// informative items, the priors its answers set (hand-computed Bayes and
// propagation along prerequisites), and Tutor::diagnostic /
// Tutor::apply_diagnostic with their events, replay and errors.
#include <simdjson.h>

#include <cmath>
#include <set>

#include "../test_util.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/irt/irt.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sequencing/sequencing.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;

namespace {

constexpr int64_t kNow = 1768867200000000;  // 2026-01-20

std::shared_ptr<const Domain> load(const std::string &name) {
  auto dom = std::make_shared<Domain>();
  DomainReport r = load_domain(testutil::source_dir() + name, dom.get());
  REQUIRE(r.ok());
  return dom;
}
std::shared_ptr<const Domain> minimal() {
  static auto d = load("/tests/fixtures/domains/minimal");
  return d;
}
std::shared_ptr<const Domain> algebra() {
  static auto d = load("/examples/domains/algebra_fundamentals");
  return d;
}

DiagnosticPlan plan_for_new(const Domain &d, const SequencingConfig &cfg = {}) {
  ViewSet empty;
  return plan_diagnostic(d, empty, {"t1", "new"}, cfg);
}

// Bayes without learning, as the diagnostic applies it.
double posterior(double p, const BktParams &b, bool right) {
  double known = right ? p * (1 - b.p_slip) : p * b.p_slip;
  double unknown = right ? (1 - p) * b.p_guess : (1 - p) * (1 - b.p_guess);
  return known / (known + unknown);
}

const ConceptPrior &prior_of(const std::vector<ConceptPrior> &v, const std::string &id) {
  for (const auto &p : v)
    if (p.concept_id == id) return p;
  FAIL("no prior for " << id);
  return v.front();
}

Errc code_of(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::internal;
}

}  // namespace

TEST_CASE("cold: the fixture diagnostic picks concepts by coverage, items by information") {
  const Domain &d = *minimal();
  DiagnosticPlan p = plan_for_new(d);
  // gamma (requires alpha and beta) covers all three (1 + 0.5 + 0.5); then
  // alpha and beta add 0.5 each (alpha first: domain order); then further
  // items on the picked concepts until the minimum of 5.
  std::vector<std::string> got;
  for (const auto &it : p.items) {
    got.push_back(it.problem.id);
    CHECK(it.kind == ItemKind::cold_start);
    CHECK_FALSE(it.generated);
  }
  CHECK(got == std::vector<std::string>{"unit_gamma_p0", "unit_alpha_p0", "unit_beta_p0",
                                        "unit_gamma_p1", "unit_alpha_p1"});
  // The most informative at the prior: gamma 0.1 -> theta -2.20, nearest b = -1.
  double theta = theta_from_mastery(0.1);
  CHECK(p.items[0].information == doctest::Approx(irt_information(theta, {1.0, -1.0})));
  CHECK(p.items[0].mastery == doctest::Approx(0.1));
  CHECK(p.items[0].reason.find("linked by prerequisites to 2 other concepts and adds 2.00") !=
        std::string::npos);
  CHECK(p.items[3].reason.find("a further item on unit_gamma") != std::string::npos);
  for (double c : p.coverage)
    CHECK(c == doctest::Approx(1.0));
  CHECK(p.notes.empty());

  SequencingConfig cfg;
  cfg.diagnostic_min_items = 2;
  cfg.diagnostic_max_items = 2;
  DiagnosticPlan two = plan_for_new(d, cfg);
  REQUIRE(two.items.size() == 2);
  CHECK(two.items[0].problem.id == "unit_gamma_p0");
  CHECK(two.coverage[d.concept_index.at("unit_beta")] == doctest::Approx(0.5));
}

TEST_CASE("cold: the algebra diagnostic has 5 to 8 items spread over the prerequisite graph") {
  const Domain &d = *algebra();
  DiagnosticPlan p = plan_for_new(d);
  CHECK(p.items.size() >= 5);
  CHECK(p.items.size() <= 8);
  std::set<std::string> concepts;
  std::set<int> levels;
  for (const auto &it : p.items) {
    CAPTURE(it.problem.id);
    CHECK(concepts.insert(it.problem.concept_id).second);  // one item per concept
    const Concept *c = d.find_concept(it.problem.concept_id);
    REQUIRE(c);
    levels.insert(c->level);
    // The most informative of its concept's problems at the concept's prior.
    double theta = theta_from_mastery(c->bkt.p_init);
    for (const Problem &q : d.problems) {
      if (q.concept_id != c->id) continue;
      CHECK(it.information >= irt_information(theta, {q.irt_a, q.irt_b}) - 1e-12);
    }
  }
  CHECK(levels.size() >= 3);  // spread over the levels, not bunched
  // Every concept is within a few prerequisite edges of a picked one.
  size_t covered = 0;
  for (double c : p.coverage)
    covered += c >= 0.25 ? 1 : 0;
  CHECK(covered == d.concepts.size());
  // Deterministic.
  DiagnosticPlan again = plan_for_new(d);
  REQUIRE(again.items.size() == p.items.size());
  for (size_t i = 0; i < p.items.size(); ++i)
    CHECK(again.items[i].problem.id == p.items[i].problem.id);
}

TEST_CASE("cold: priors by Bayes on answered concepts and bounds along prerequisites") {
  const Domain &d = *minimal();
  const BktParams &ga = d.find_concept("unit_gamma")->bkt;
  const BktParams &al = d.find_concept("unit_alpha")->bkt;
  SequencingConfig cfg;  // prerequisite_weight 0.8

  // A right gamma answer: gamma 0.1*0.95 / (0.095 + 0.9*0.15) = 0.41304; its
  // prerequisites are at least 0.8 of that: alpha (0.2) and beta (0.3) rise.
  auto v = diagnostic_priors(d, {{"unit_gamma", true}}, cfg);
  double g = 0.095 / 0.23;
  CHECK(posterior(0.1, ga, true) == doctest::Approx(g));
  CHECK(prior_of(v, "unit_gamma").level == doctest::Approx(g));
  CHECK(prior_of(v, "unit_gamma").evidence == PriorEvidence::direct);
  CHECK(prior_of(v, "unit_gamma").answered == 1);
  CHECK(prior_of(v, "unit_gamma").right == 1);
  CHECK(prior_of(v, "unit_alpha").level == doctest::Approx(0.8 * g));
  CHECK(prior_of(v, "unit_alpha").evidence == PriorEvidence::from_dependant);
  CHECK(prior_of(v, "unit_alpha").from == "unit_gamma");
  CHECK(prior_of(v, "unit_alpha").distance == 1);
  CHECK(prior_of(v, "unit_beta").level == doctest::Approx(0.8 * g));

  // A wrong alpha answer: alpha 0.2*0.1 / (0.02 + 0.8*0.9) = 0.02703. With
  // weight 0.8, gamma's bound 1 - 0.973*0.8 = 0.222 is above its prior 0.1
  // (no change); with weight 1 gamma falls to alpha's level.
  double a = 0.02 / 0.74;
  v = diagnostic_priors(d, {{"unit_alpha", false}}, cfg);
  CHECK(prior_of(v, "unit_alpha").level == doctest::Approx(a));
  CHECK(posterior(0.2, al, false) == doctest::Approx(a));
  CHECK(prior_of(v, "unit_gamma").level == doctest::Approx(0.1));
  CHECK(prior_of(v, "unit_gamma").evidence == PriorEvidence::prior);
  CHECK(prior_of(v, "unit_beta").level == doctest::Approx(0.3));  // not linked to alpha
  cfg.prerequisite_weight = 1.0;
  v = diagnostic_priors(d, {{"unit_alpha", false}}, cfg);
  CHECK(prior_of(v, "unit_gamma").level == doctest::Approx(a));
  CHECK(prior_of(v, "unit_gamma").evidence == PriorEvidence::from_prerequisite);
  CHECK(prior_of(v, "unit_gamma").from == "unit_alpha");

  // Two answers on one concept: right then wrong (guess = slip = 0.1 brings
  // alpha back to its prior).
  v = diagnostic_priors(d, {{"unit_alpha", true}, {"unit_alpha", false}}, cfg);
  CHECK(prior_of(v, "unit_alpha").level == doctest::Approx(0.2));
  CHECK(prior_of(v, "unit_alpha").answered == 2);
  CHECK(prior_of(v, "unit_alpha").right == 1);

  // Crossed bounds on an algebra chain: exponent_rules requires
  // exponent_notation, which requires integer_mult_div. integer_mult_div
  // wrong and exponent_rules right leave exponent_notation between an upper
  // bound below its lower bound: the midpoint.
  const Domain &alg = *algebra();
  v = diagnostic_priors(alg, {{"integer_mult_div", false}, {"exponent_rules", true}}, cfg);
  double lo = posterior(0.2, alg.find_concept("exponent_rules")->bkt, true);
  double hi = posterior(0.35, alg.find_concept("integer_mult_div")->bkt, false);
  REQUIRE(lo > hi);
  CHECK(prior_of(v, "exponent_notation").evidence == PriorEvidence::conflicting);
  CHECK(prior_of(v, "exponent_notation").level == doctest::Approx((lo + hi) / 2));
  // Farther concepts get the bound discounted per edge (weight 0.8, 2 edges).
  cfg.prerequisite_weight = 0.8;
  v = diagnostic_priors(alg, {{"exponent_rules", true}}, cfg);
  CHECK(prior_of(v, "integer_mult_div").distance == 2);
  CHECK(prior_of(v, "integer_mult_div").level == doctest::Approx(std::max(0.35, lo * 0.64)));

  CHECK(code_of([&] { diagnostic_priors(d, {{"no_such", true}}, cfg); }) == Errc::not_found);
}

TEST_CASE("cold: Tutor applies the diagnostic's answers, then adaptive selection takes over") {
  Ledger ledger(open_memory_store());
  Tutor tutor(minimal(), ledger);
  simdjson::dom::parser parser;

  simdjson::dom::element diag = parser.parse(tutor.diagnostic("t1", "new")).value();
  auto items = diag["items"].get_array().value();
  CHECK(items.size() == 5);
  CHECK(items.at(0)["problem_id"].get_string().value() == "unit_gamma_p0");
  CHECK(items.at(0)["kind"].get_string().value() == "cold_start");
  CHECK(diag["coverage"].get_array().size() == 3);

  DiagnosticRequest r = diagnostic_request_from_json(
      R"({"tenant":"t1","student":"new","idempotency_key":"cold-1","time_us":1768867200000000,)"
      R"("answers":[{"problem_id":"unit_gamma_p0","answer":"0","latency_ms":20000},)"
      R"({"problem_id":"unit_alpha_p0","answer":"1"}]})");
  std::string out = tutor.apply_diagnostic(r);
  simdjson::dom::element doc = parser.parse(out).value();
  CHECK(doc["event_ids"].get_array().size() == 7);  // completed, 2 responses, 1 detection, 3 priors
  simdjson::dom::element dg = doc["diagnostic"];
  CHECK(dg["answered"].get_int64().value() == 2);
  CHECK(dg["correct"].get_int64().value() == 1);
  CHECK(dg["misconceptions"].get_array().at(0).get_string().value() == "mis_alpha_one");
  double g = 0.095 / 0.23, a = 0.02 / 0.74;
  ledger.with_views([&](const ViewSet &v) {
    const MasteryRow *ra = v.mastery.find({"t1", "new", "unit_alpha"});
    const MasteryRow *rb = v.mastery.find({"t1", "new", "unit_beta"});
    const MasteryRow *rg = v.mastery.find({"t1", "new", "unit_gamma"});
    REQUIRE(ra);
    REQUIRE(rb);
    REQUIRE(rg);
    CHECK(ra->level == doctest::Approx(a));
    CHECK(ra->attempts == 1);
    CHECK(ra->correct == 0);
    CHECK(rb->level == doctest::Approx(0.8 * g));  // raised through gamma
    CHECK(rb->attempts == 0);
    CHECK(rg->level == doctest::Approx(g));
    CHECK(rg->correct == 1);
    CHECK(v.practice.find({"t1", "new", "unit_gamma_p0"}) != nullptr);
    const EscalationRow *e = v.escalation.find({"t1", "new", "mis_alpha_one"});
    REQUIRE(e);
    CHECK(e->state() == EscalationState::detected);
    return 0;
  });
  // The response events are marked as the diagnostic's.
  EventQuery q;
  q.tenant = "t1";
  q.type = "response.submitted";
  int responses = 0;
  ledger.read(q, [&](const Event &e) {
    ++responses;
    CHECK(e.payload.find("\"diagnostic\":true") != std::string::npos);
    return true;
  });
  CHECK(responses == 2);

  // A retry returns the first result; a second diagnostic is refused.
  CHECK(tutor.apply_diagnostic(r) == out);
  CHECK(ledger.last_id() == 7);
  DiagnosticRequest again = r;
  again.idempotency_key = "cold-2";
  CHECK(code_of([&] { tutor.apply_diagnostic(again); }) == Errc::exists);
  CHECK(code_of([&] { tutor.diagnostic("t1", "new"); }) == Errc::exists);

  // Adaptive selection starts from the priors: both prerequisites of gamma
  // are below 0.60, and the open misconception gets a diagnostic item.
  AssignRequest ar;
  ar.tenant = "t1";
  ar.student = "new";
  ar.concepts = {"unit_gamma"};
  ar.time_us = kNow;
  simdjson::dom::element as = parser.parse(tutor.assign(ar)).value();
  std::vector<std::string> kinds, problems;
  simdjson::dom::array listed = as["assignment"]["problems"].get_array().value();
  for (simdjson::dom::element e : listed) {
    kinds.emplace_back(e["kind"].get_string().value());
    problems.emplace_back(e["problem_id"].get_string().value());
  }
  CHECK(kinds ==
        std::vector<std::string>{"remediation", "remediation", "diagnostic", "target", "target"});
  CHECK(std::find(problems.begin(), problems.end(), "unit_alpha_p0") == problems.end());
  CHECK(std::find(problems.begin(), problems.end(), "unit_gamma_p0") == problems.end());
  SubmitRequest sr;
  sr.tenant = "t1";
  sr.student = "new";
  sr.problem_id = "unit_gamma_p1";
  sr.answer = "1";
  sr.idempotency_key = "after-1";
  sr.time_us = kNow + 1;
  simdjson::dom::element sub = parser.parse(tutor.submit(sr).json).value();
  CHECK(sub["mastery"]["old_level"].get_double().value() == doctest::Approx(g));

  // A generated instance is a valid diagnostic answer.
  DiagnosticRequest gen;
  gen.tenant = "t1";
  gen.student = "new2";
  gen.idempotency_key = "cold-3";
  gen.answers = {{"tpl_alpha_add:a=3,b=4", "12", -1.0}};
  simdjson::dom::element gd = parser.parse(tutor.apply_diagnostic(gen)).value();
  CHECK(gd["diagnostic"]["misconceptions"].get_array().at(0).get_string().value() ==
        "mis_alpha_one");
}

TEST_CASE("cold: bad diagnostic requests are refused and store nothing") {
  Ledger ledger(open_memory_store());
  Tutor tutor(minimal(), ledger);
  DiagnosticRequest r;
  r.tenant = "t1";
  r.student = "s1";
  r.idempotency_key = "k";
  CHECK(code_of([&] { tutor.apply_diagnostic(r); }) == Errc::invalid);  // no answers
  r.answers = {{"unit_alpha_p0", "0", -1.0}, {"no_such_problem", "1", -1.0}};
  CHECK(code_of([&] { tutor.apply_diagnostic(r); }) == Errc::not_found);
  try {
    tutor.apply_diagnostic(r);
  } catch (const Error &e) {
    CHECK(std::string(e.what()).find("answers[1].problem_id: 'no_such_problem'") !=
          std::string::npos);
  }
  r.answers = {{"unit_alpha_p0", "0", -1.0}, {"unit_alpha_p0", "1", -1.0}};
  CHECK(code_of([&] { tutor.apply_diagnostic(r); }) == Errc::invalid);  // answered twice
  r.answers = {{"unit_alpha_p0", "", -1.0}};
  CHECK(code_of([&] { tutor.apply_diagnostic(r); }) == Errc::invalid);  // empty answer
  r.answers = {{"unit_alpha_p0", "0", -1.0}};
  r.idempotency_key.clear();
  CHECK(code_of([&] { tutor.apply_diagnostic(r); }) == Errc::invalid);
  r.idempotency_key = "k";
  r.student.clear();
  CHECK(code_of([&] { tutor.apply_diagnostic(r); }) == Errc::invalid);
  CHECK(code_of([&] { tutor.diagnostic("t1", ""); }) == Errc::invalid);
  CHECK(ledger.last_id() == 0);
  for (
      const char *json :
      {R"({"tenant":"t1","student":"s","idempotency_key":"k"})",
       R"({"tenant":"t1","student":"s","idempotency_key":"k","answers":{}})",
       R"({"tenant":"t1","student":"s","idempotency_key":"k","answers":[1]})",
       R"({"tenant":"t1","student":"s","idempotency_key":"k","answers":[{"problem_id":"p"}]})",
       R"({"tenant":"t1","student":"s","idempotency_key":"k","answers":[{"problem_id":"p","answer":"1","x":1}]})",
       R"({"tenant":"t1","student":"s","answers":[]})",
       R"({"tenant":"t1","student":"s","idempotency_key":"k","answers":[],"more":1})"}) {
    CAPTURE(json);
    CHECK(code_of([&] { diagnostic_request_from_json(json); }) == Errc::invalid);
  }
  // A student with history is not new.
  SubmitRequest sr;
  sr.tenant = "t1";
  sr.student = "old";
  sr.problem_id = "unit_alpha_p0";
  sr.answer = "0";
  sr.idempotency_key = "s1";
  tutor.submit(sr);
  CHECK(code_of([&] { tutor.diagnostic("t1", "old"); }) == Errc::exists);
}
