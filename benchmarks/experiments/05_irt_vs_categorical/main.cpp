// exp_05: validity experiment 05 of seed 003, "IRT-based vs categorical
// problem selection" (docs/experiments/05_irt_vs_categorical.md).
//
//   exp_05 [--seed N] [--out DIR] [--quick]
//
// The validity simulator (tutorcore/sim/study.hpp) tutors simulated learners
// over algebra_fundamentals' prerequisite graph with the library's engines
// (BKT picks the concept, the condition picks the item, the policy picks the
// modality of interventions) and scores a held-out post-test. Four item
// selections on the same 500 learners: IRT-targeted (P(correct) = 0.70 at
// theta = logit(BKT estimate)), easiest unseen first (the reference),
// hardest unseen first, random unseen. Axes: the budget (12, the seed's fix,
// and 40, the seed's original; a learning curve over 4 ... 40), the bank
// size (the domain's bank, and 15 ... 100 items per concept filled from the
// templates), the population (initial_logit, weaker to stronger classes),
// and IRT's p_target. --quick: 100 learners, fewer axis points.
//
// Prints the tables and writes DIR/results.json (plot.py draws it).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../common.hpp"
#include "conditions.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/irt/irt.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/tracing/bkt.hpp"

using exp05::Comparison;
using exp05::kConditions;
using exp05::kReference;
using exp05::Results;
using tutorcore::JsonWriter;
using tutorcore::SimWorld;
using tutorcore::StudyOptions;
using tutorcore::StudyResult;

namespace {

constexpr double kZ95 = 1.959963984540054;
constexpr int kThreads = 2;

const char *name(size_t condition) {
  return tutorcore::item_selection_name(kConditions[condition]);
}

// ---- the world ----------------------------------------------------------

struct WorldStats {
  int bank_size = 0;
  double items_mean = 0;
  int items_min = 0, items_max = 0;
  int template_instances = 0;
  double distinct_b_mean = 0;  // distinct difficulties per concept
  int concepts_short = 0;      // concepts with fewer items than bank_size asked
};

WorldStats world_stats(const SimWorld &w, int bank_size) {
  WorldStats s;
  s.bank_size = bank_size;
  s.template_instances = w.template_instances;
  s.items_min = 1 << 30;
  for (const auto &items : w.items) {
    int n = static_cast<int>(items.size());
    s.items_mean += n;
    s.items_min = std::min(s.items_min, n);
    s.items_max = std::max(s.items_max, n);
    std::set<double> bs;
    for (const auto &it : items)
      bs.insert(it.irt.b);
    s.distinct_b_mean += static_cast<double>(bs.size());
    s.concepts_short += bank_size > 0 && n < bank_size;
  }
  s.items_mean /= static_cast<double>(w.items.size());
  s.distinct_b_mean /= static_cast<double>(w.items.size());
  return s;
}

// ---- the two scales: where IRT aims against where the learner learns -----

// Per concept, averaged over concepts: the IRT target difficulty from the
// BKT estimate (a = 1) at the prior and after 1-3 right answers in a row or
// one wrong one; and the difficulty at which the mean simulated learner
// answers right with p = zpd_center (where practice teaches most) and with
// p = 0.70 (the seed's target read on the learner's own scale).
struct Scale {
  double p_init = 0, irt_b_prior = 0, irt_b_wrong = 0;
  std::array<double, 3> irt_b_right{};
  std::array<double, 3> bkt_right{};
  double phi0 = 0, k0 = 0, zpd_b = 0, p70_b = 0;
};

double logit(double p) {
  return std::log(p / (1.0 - p));
}

Scale scale_check(const SimWorld &w, const tutorcore::LearnerConfig &lc, double p_target,
                  uint64_t seed) {
  Scale s;
  const double nc = static_cast<double>(w.concepts.size());
  for (const auto &c : w.concepts) {
    double p = c.bkt.p_init;
    s.p_init += p / nc;
    s.irt_b_prior +=
        tutorcore::difficulty_for_target(tutorcore::theta_from_mastery(p), p_target) / nc;
    double wrong = tutorcore::bkt_update(p, false, c.bkt);
    s.irt_b_wrong +=
        tutorcore::difficulty_for_target(tutorcore::theta_from_mastery(wrong), p_target) / nc;
    for (size_t k = 0; k < 3; ++k) {
      p = tutorcore::bkt_update(p, true, c.bkt);
      s.bkt_right[k] += p / nc;
      s.irt_b_right[k] +=
          tutorcore::difficulty_for_target(tutorcore::theta_from_mastery(p), p_target) / nc;
    }
  }
  // The learner's scale: phi = knowledge_scale (k - 1/2); a plain item of
  // difficulty b (a = 1) is right with guess + (1 - guess - slip) sigmoid(phi - b).
  tutorcore::Rng rng(seed);
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    tutorcore::SimLearner l = tutorcore::draw_learner(w, lc, rng);
    for (double k : l.knowledge) {
      s.k0 += k / (n * nc);
      s.phi0 += lc.knowledge_scale * (k - 0.5) / (n * nc);
    }
  }
  auto b_at = [&](double p) { return s.phi0 - logit((p - lc.guess) / (1.0 - lc.guess - lc.slip)); };
  s.zpd_b = b_at(lc.zpd_center);
  s.p70_b = b_at(0.70);
  return s;
}

// ---- output helpers ------------------------------------------------------

// Distinct block concepts practised per learner, and the largest share of
// the budget spent on one concept, from the answer log (NaN without one).
struct Spread {
  double concepts = std::nan(""), top_share = std::nan("");
};

Spread spread(const StudyResult &r) {
  Spread s;
  if (r.log.empty() || r.students == 0) return s;
  std::map<int32_t, std::map<int32_t, int>> per;
  for (const auto &row : r.log)
    ++per[row.learner][row.concept];
  s.concepts = s.top_share = 0.0;
  for (const auto &[learner, counts] : per) {
    int top = 0;
    for (const auto &[concept, n] : counts)
      top = std::max(top, n);
    s.concepts += static_cast<double>(counts.size()) / r.students;
    s.top_share += static_cast<double>(top) / r.budget / r.students;
  }
  return s;
}

void put_condition(JsonWriter &w, const StudyResult &r) {
  w.begin_object();
  w.key("gain").begin_object().field("mean", r.gain.mean).field("sd", r.gain.sd);
  w.field("se", r.gain.se).end_object();
  w.field("pre", r.pre.mean).field("post", r.post.mean);
  w.field("difficulty_hit_rate", r.difficulty_hit_rate).field("accuracy", r.accuracy);
  w.field("concepts_mastered", r.concepts_mastered);
  w.field("efficiency", r.gain_per_interaction);
  w.field("interventions", r.interventions).field("resolved", r.resolved);
  w.field("misconception_answers", r.misconception_answers);
  w.field("misconceptions_end", r.misconceptions_end);
  w.field("bkt_rmse_end", r.bkt_rmse.empty() ? 0.0 : r.bkt_rmse.back());
  Spread sp = spread(r);
  w.field("concepts_practised", sp.concepts).field("top_concept_share", sp.top_share);
  w.end_object();
}

void put_comparison(JsonWriter &w, const Comparison &c) {
  w.begin_object().field("diff", c.diff).field("diff_se", c.diff_se);
  w.key("ci95").begin_array().value(c.diff - kZ95 * c.diff_se).value(c.diff + kZ95 * c.diff_se);
  w.end_array();
  w.field("d_pooled", c.d_pooled).field("d_paired", c.d_paired).field("t", c.t).end_object();
}

std::array<Comparison, kConditions.size()> versus_reference(const Results &r) {
  std::array<Comparison, kConditions.size()> out{};
  for (size_t i = 0; i < kConditions.size(); ++i) {
    if (i != kReference) out[i] = exp05::compare(r[i].gains, r[kReference].gains);
  }
  return out;
}

// {"conditions":{name:{...}}, "vs_easiest":{name:{...}}} into an open object.
void put_results(JsonWriter &w, const Results &r) {
  w.key("conditions").begin_object();
  for (size_t i = 0; i < kConditions.size(); ++i) {
    w.key(name(i));
    put_condition(w, r[i]);
  }
  w.end_object();
  auto cmp = versus_reference(r);
  w.key("vs_easiest").begin_object();
  for (size_t i = 0; i < kConditions.size(); ++i) {
    if (i == kReference) continue;
    w.key(name(i));
    put_comparison(w, cmp[i]);
  }
  w.end_object();
}

std::string pm(double mean, double se, int digits = 4) {
  return fmt::format("{:.{}f} ± {:.{}f}", mean, digits, kZ95 * se, digits);
}

void print_table(const Results &r) {
  auto cmp = versus_reference(r);
  fmt::print("  {:<8} {:>17} {:>7} {:>20} {:>6} {:>6} {:>6} {:>9} {:>7} {:>6} {:>6} {:>9}\n",
             "select", "gain (95% CI)", "d", "paired diff (95% CI)", "d_z", "hit", "acc",
             "mastered", "gain/it", "interv", "resolv", "practised");
  for (size_t i = 0; i < kConditions.size(); ++i) {
    const StudyResult &s = r[i];
    std::string d = "-", diff = "(reference)", dz = "-";
    if (i != kReference) {
      d = fmt::format("{:+.3f}", cmp[i].d_pooled);
      diff = fmt::format("{:+.4f} ± {:.4f}", cmp[i].diff, kZ95 * cmp[i].diff_se);
      dz = fmt::format("{:+.2f}", cmp[i].d_paired);
    }
    fmt::print(
        "  {:<8} {:>17} {:>7} {:>20} {:>6} {:>6.3f} {:>6.3f} {:>9.3f} {:>7.5f} {:>6.2f} {:>6.2f} "
        "{:>9.2f}\n",
        name(i), pm(s.gain.mean, s.gain.se), d, diff, dz, s.difficulty_hit_rate, s.accuracy,
        s.concepts_mastered, s.gain_per_interaction, s.interventions, s.resolved,
        spread(s).concepts);
  }
}

}  // namespace

int main(int argc, char **argv) {
  const experiments::Args args = experiments::parse_args(argc, argv);
  const auto t0 = std::chrono::steady_clock::now();

  tutorcore::Domain domain;
  const std::string dir =
      std::string(TUTORCORE_SOURCE_DIR) + "/examples/domains/algebra_fundamentals";
  tutorcore::DomainReport report = tutorcore::load_domain(dir, &domain);
  if (!report.ok()) {
    fmt::print(stderr, "cannot load {}\n", dir);
    for (const auto &issue : report.issues)
      fmt::print(stderr, "  {}\n", tutorcore::DomainReport::format(issue));
    return 1;
  }

  const int students = args.quick ? 100 : 500;
  const std::vector<int> main_budgets = {12, 40};
  const std::vector<int> curve_budgets =
      args.quick ? std::vector<int>{4, 12, 40} : std::vector<int>{4, 8, 12, 20, 30, 40};
  const std::vector<int> bank_sizes =
      args.quick ? std::vector<int>{0, 15, 50} : std::vector<int>{0, 15, 25, 50, 100};
  const std::vector<double> logits = args.quick
                                         ? std::vector<double>{-1.2, 2.0}
                                         : std::vector<double>{-1.2, -0.6, 0.0, 0.6, 1.2, 2.0};
  const std::vector<double> p_targets =
      args.quick ? std::vector<double>{0.5, 0.7, 0.9}
                 : std::vector<double>{0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95};

  StudyOptions base;
  base.seed = args.seed;
  base.students = students;
  base.threads = kThreads;
  base.per_student = true;
  const int default_budget = base.budget;  // 12

  // The worlds, one per bank size (the learners do not depend on the bank).
  std::map<int, SimWorld> worlds;
  std::vector<WorldStats> stats;
  for (int n : bank_sizes) {
    worlds.emplace(n, tutorcore::build_sim_world(domain, n, args.seed));
    stats.push_back(world_stats(worlds.at(n), n));
  }
  const SimWorld &bank0 = worlds.at(0);

  JsonWriter w;
  w.begin_object()
      .field("experiment", "05_irt_vs_categorical")
      .field("seed", args.seed)
      .field("quick", args.quick);
  w.key("design").begin_object();
  w.field("domain", domain.id).field("students", students).field("threads", kThreads);
  w.field("block_size", base.block_size).field("default_budget", default_budget);
  w.field("p_target", base.p_target).field("concept_selection", "bkt");
  w.field("interventions", base.interventions);
  w.key("hit_band").begin_array().value(0.55).value(0.85).end_array();
  w.key("conditions").begin_array();
  for (size_t i = 0; i < kConditions.size(); ++i)
    w.value(name(i));
  w.end_array();
  w.field("reference", name(kReference));
  w.key("learner").begin_object();
  w.field("initial_logit", base.learner.initial_logit)
      .field("knowledge_scale", base.learner.knowledge_scale)
      .field("practice_rate", base.learner.practice_rate)
      .field("zpd_center", base.learner.zpd_center)
      .field("zpd_width", base.learner.zpd_width)
      .field("guess", base.learner.guess)
      .field("slip", base.learner.slip);
  w.end_object();
  w.end_object();

  // ---- the worlds -----------------------------------------------------
  fmt::print("exp_05: {} learners per condition, seed {}, domain {} ({} concepts)\n\n", students,
             args.seed, domain.id, bank0.concepts.size());
  fmt::print("item banks (per concept; template instances take their template's difficulty)\n");
  fmt::print("  {:>9} {:>10} {:>9} {:>19} {:>14} {:>15}\n", "bank_size", "items", "min-max",
             "template instances", "distinct b", "concepts short");
  w.key("worlds").begin_array();
  for (const WorldStats &s : stats) {
    fmt::print("  {:>9} {:>10.1f} {:>9} {:>19} {:>14.1f} {:>15}\n",
               s.bank_size == 0 ? std::string("domain") : std::to_string(s.bank_size), s.items_mean,
               fmt::format("{}-{}", s.items_min, s.items_max), s.template_instances,
               s.distinct_b_mean, s.concepts_short);
    w.begin_object()
        .field("bank_size", s.bank_size)
        .field("items_per_concept", s.items_mean)
        .field("items_min", s.items_min)
        .field("items_max", s.items_max)
        .field("template_instances", s.template_instances)
        .field("distinct_difficulties_per_concept", s.distinct_b_mean)
        .field("concepts_short", s.concepts_short)
        .end_object();
  }
  w.end_array();

  // ---- the scales -----------------------------------------------------
  Scale sc = scale_check(bank0, base.learner, base.p_target, args.seed);
  fmt::print(
      "\nwhere IRT aims (theta = logit(BKT), b = theta - logit({:.2f})) against where the "
      "learner learns\n",
      base.p_target);
  fmt::print(
      "  BKT prior {:.3f}: IRT target b {:+.2f}; after 1/2/3 right: BKT {:.2f}/{:.2f}/{:.2f}, "
      "b {:+.2f}/{:+.2f}/{:+.2f}; after 1 wrong: b {:+.2f}\n",
      sc.p_init, sc.irt_b_prior, sc.bkt_right[0], sc.bkt_right[1], sc.bkt_right[2],
      sc.irt_b_right[0], sc.irt_b_right[1], sc.irt_b_right[2], sc.irt_b_wrong);
  fmt::print(
      "  mean learner: k0 {:.3f}, phi0 {:+.2f}; b where P(right) = zpd_center {:.2f}: "
      "{:+.2f}; where P(right) = 0.70: {:+.2f}\n",
      sc.k0, sc.phi0, base.learner.zpd_center, sc.zpd_b, sc.p70_b);
  w.key("scale").begin_object();
  w.field("bkt_prior_mean", sc.p_init).field("irt_target_b_prior", sc.irt_b_prior);
  w.field("irt_target_b_after_wrong", sc.irt_b_wrong);
  w.key("bkt_after_right").begin_array();
  for (double x : sc.bkt_right)
    w.value(x);
  w.end_array().key("irt_target_b_after_right").begin_array();
  for (double x : sc.irt_b_right)
    w.value(x);
  w.end_array();
  w.field("learner_k0_mean", sc.k0).field("learner_phi0_mean", sc.phi0);
  w.field("learner_b_at_zpd_center", sc.zpd_b).field("learner_b_at_p70", sc.p70_b);
  w.end_object();

  // ---- main: the four conditions at budgets 12 and 40 ------------------
  std::map<int, Results> by_budget;  // bank 0, default population
  auto at_budget = [&](int budget) -> const Results & {
    auto found = by_budget.find(budget);
    if (found != by_budget.end()) return found->second;
    StudyOptions o = base;
    o.budget = budget;
    o.keep_log = true;  // for the concepts practised
    return by_budget.emplace(budget, exp05::run_conditions(bank0, o)).first->second;
  };
  w.key("main").begin_array();
  for (int budget : main_budgets) {
    const Results &r = at_budget(budget);
    fmt::print(
        "\nbudget {} interactions over a {}-concept block, domain bank (d: pooled-SD Cohen's "
        "d vs easiest; paired: same learners)\n",
        budget, base.block_size);
    print_table(r);
    w.begin_object().field("budget", budget).field("bank_size", 0);
    put_results(w, r);
    w.end_object();
  }
  w.end_array();

  // ---- learning curves: gain against the budget -----------------------
  fmt::print("\nlearning curves: post-test gain (and IRT - easiest, paired) against the budget\n");
  fmt::print("  {:>6}", "budget");
  for (size_t i = 0; i < kConditions.size(); ++i)
    fmt::print(" {:>10}", name(i));
  fmt::print(" {:>22} {:>7}\n", "irt - easiest", "d");
  w.key("learning_curves").begin_object();
  w.key("budgets").begin_array();
  for (int b : curve_budgets)
    w.value(b);
  w.end_array();
  w.key("points").begin_array();
  for (int budget : curve_budgets) {
    const Results &r = at_budget(budget);
    auto cmp = versus_reference(r);
    fmt::print("  {:>6}", budget);
    for (size_t i = 0; i < kConditions.size(); ++i)
      fmt::print(" {:>10.4f}", r[i].gain.mean);
    fmt::print(" {:>22} {:>+7.3f}\n",
               fmt::format("{:+.4f} ± {:.4f}", cmp[0].diff, kZ95 * cmp[0].diff_se),
               cmp[0].d_pooled);
    w.begin_object().field("budget", budget);
    put_results(w, r);
    w.end_object();
  }
  w.end_array().end_object();

  // ---- bank size ------------------------------------------------------
  w.key("bank_size").begin_array();
  for (int budget : main_budgets) {
    fmt::print("\nbank size at budget {}: gain per condition and IRT - easiest (paired)\n", budget);
    fmt::print("  {:>9} {:>9}", "bank_size", "instances");
    for (size_t i = 0; i < kConditions.size(); ++i)
      fmt::print(" {:>8}", name(i));
    fmt::print(" {:>22} {:>7} {:>15} {:>15} {:>15}\n", "irt - easiest", "d", "hit irt/eas",
               "interv irt/eas", "master irt/eas");
    w.begin_object().field("budget", budget).key("points").begin_array();
    for (size_t k = 0; k < bank_sizes.size(); ++k) {
      const int n = bank_sizes[k];
      StudyOptions o = base;
      o.budget = budget;
      o.bank_size = n;
      const Results r = n == 0 ? at_budget(budget) : exp05::run_conditions(worlds.at(n), o);
      auto cmp = versus_reference(r);
      fmt::print("  {:>9} {:>9}", n == 0 ? std::string("domain") : std::to_string(n),
                 r[0].template_instances);
      for (size_t i = 0; i < kConditions.size(); ++i)
        fmt::print(" {:>8.4f}", r[i].gain.mean);
      const StudyResult &ei = r[0], &ee = r[kReference];
      fmt::print(" {:>22} {:>+7.3f} {:>15} {:>15} {:>15}\n",
                 fmt::format("{:+.4f} ± {:.4f}", cmp[0].diff, kZ95 * cmp[0].diff_se),
                 cmp[0].d_pooled,
                 fmt::format("{:.3f}/{:.3f}", ei.difficulty_hit_rate, ee.difficulty_hit_rate),
                 fmt::format("{:.2f}/{:.2f}", ei.interventions, ee.interventions),
                 fmt::format("{:.3f}/{:.3f}", ei.concepts_mastered, ee.concepts_mastered));
      w.begin_object().field("bank_size", n).field("template_instances", r[0].template_instances);
      w.field("items_per_concept", stats[k].items_mean);
      w.field("distinct_difficulties_per_concept", stats[k].distinct_b_mean);
      put_results(w, r);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();

  // ---- population -----------------------------------------------------
  // (budget, bank size) pairs: the domain bank at both budgets, and a
  // template-filled bank of 50 at budget 40 where the bank matters.
  const std::vector<std::pair<int, int>> population_designs = {{12, 0}, {40, 0}, {40, 50}};
  w.key("population").begin_array();
  for (const auto &[budget, bank] : population_designs) {
    if (!worlds.count(bank)) continue;
    fmt::print(
        "\npopulation (learner.initial_logit) at budget {}, {}: gain per condition and IRT - "
        "easiest (paired)\n",
        budget, bank == 0 ? std::string("domain bank") : fmt::format("bank_size {}", bank));
    fmt::print("  {:>7} {:>6}", "logit", "pre");
    for (size_t i = 0; i < kConditions.size(); ++i)
      fmt::print(" {:>8}", name(i));
    fmt::print(" {:>22} {:>7} {:>15}\n", "irt - easiest", "d", "hit irt/eas");
    w.begin_object().field("budget", budget).field("bank_size", bank);
    w.key("points").begin_array();
    for (double lg : logits) {
      StudyOptions o = base;
      o.budget = budget;
      o.bank_size = bank;
      o.learner.initial_logit = lg;
      const Results r = lg == base.learner.initial_logit && bank == 0
                            ? at_budget(budget)
                            : exp05::run_conditions(worlds.at(bank), o);
      auto cmp = versus_reference(r);
      fmt::print("  {:>+7.1f} {:>6.3f}", lg, r[0].pre.mean);
      for (size_t i = 0; i < kConditions.size(); ++i)
        fmt::print(" {:>8.4f}", r[i].gain.mean);
      fmt::print(" {:>22} {:>+7.3f} {:>15}\n",
                 fmt::format("{:+.4f} ± {:.4f}", cmp[0].diff, kZ95 * cmp[0].diff_se),
                 cmp[0].d_pooled,
                 fmt::format("{:.3f}/{:.3f}", r[0].difficulty_hit_rate,
                             r[kReference].difficulty_hit_rate));
      w.begin_object().field("initial_logit", lg).field("pre", r[0].pre.mean);
      put_results(w, r);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();

  // ---- IRT's target ---------------------------------------------------
  w.key("p_target").begin_array();
  for (int budget : main_budgets) {
    const Results &ref = at_budget(budget);
    fmt::print("\nIRT's p_target at budget {} (easiest: gain {:.4f}, hit {:.3f})\n", budget,
               ref[kReference].gain.mean, ref[kReference].difficulty_hit_rate);
    fmt::print("  {:>8} {:>17} {:>6} {:>6} {:>22} {:>7}\n", "p_target", "gain (95% CI)", "hit",
               "acc", "irt - easiest", "d");
    w.begin_object().field("budget", budget).key("points").begin_array();
    for (double pt : p_targets) {
      StudyOptions o = base;
      o.budget = budget;
      o.p_target = pt;
      o.item_selection = tutorcore::ItemSelection::irt;
      const StudyResult r = tutorcore::run_study(bank0, o);
      Comparison c = exp05::compare(r.gains, ref[kReference].gains);
      fmt::print("  {:>8.2f} {:>17} {:>6.3f} {:>6.3f} {:>22} {:>+7.3f}\n", pt,
                 pm(r.gain.mean, r.gain.se), r.difficulty_hit_rate, r.accuracy,
                 fmt::format("{:+.4f} ± {:.4f}", c.diff, kZ95 * c.diff_se), c.d_pooled);
      w.begin_object().field("p_target", pt).key("irt");
      put_condition(w, r);
      w.key("vs_easiest");
      put_comparison(w, c);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  w.field("seconds", secs);
  w.end_object();
  fmt::print("\n{:.2f} s\n", secs);
  experiments::write_results(args, w.take());
  return 0;
}
