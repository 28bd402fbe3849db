// exp_08: validity experiment 08 of seed 003, "BKT estimation fidelity"
// (docs/experiments/08_bkt_fidelity.md), on the validity simulator
// (tutorcore/sim/study.hpp) and the bundled algebra_fundamentals domain.
//
//   exp_08 [--seed N] [--out DIR] [--quick]
//
// Part A: the tutor's BKT estimate against the learners' true knowledge over
//   time (RMSE per step, budgets 12 and 40) with the domain's BKT priors;
//   how often the concept BKT picks is the one the same rule picks on the
//   true knowledge (agreement, against chance and against random concept
//   selection); and the post-test gain of BKT, random and oracle concept
//   selection. A static baseline (the prior, never updated) tells how much
//   of the RMSE is the prior's.
// Part A2: BKT fitted (EM, pyBKT's defaults) on the answer log of a
//   calibration study (seed + 1, 2,000 learners x 40 answers, concepts and
//   items at random), Part A rerun with the fitted parameters, and both
//   parameter sets scored on held-out learners' answers.
// Part B: each of p_init, p_learn, p_guess, p_slip of the domain's priors
//   scaled by 0.25 ... 3 (clamped; guess + slip <= 0.95). Part C: all four.
//
// 500 learners per condition (--quick: 100, factors 0.25, 1, 3, a 400-learner
// calibration), 2 threads. Conditions with the same seed see the same
// learners, so differences are paired. Prints the tables and writes
// DIR/results.json (plot.py draws it).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../common.hpp"
#include "fidelity.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/knowledge/validate.hpp"

using namespace tutorcore;
using exp08::Paired;

namespace {

constexpr int32_t kThreads = 2;
constexpr double kZ95 = 1.959963984540054;

struct Run {
  StudyResult r;
  Paired vs_random;  // gain minus the gain of random concept selection (same params, budget)
  Paired vs_base;    // Part B/C: gain minus the gain at factor 1
};

StudyOptions options(const experiments::Args &a, int32_t students, int32_t budget,
                     ConceptSelection sel, const std::vector<BktParams> &bkt) {
  StudyOptions o;
  o.seed = a.seed;
  o.students = students;
  o.threads = kThreads;
  o.budget = budget;
  o.concept_selection = sel;
  o.per_student = true;
  o.bkt = bkt;
  return o;
}

// The selection conditions of Part A; "static" is random selection with the
// estimate frozen at p_init.
const std::vector<std::string> kConditions = {"bkt", "random", "oracle", "static"};

struct PartA {
  int32_t budget = 0;
  std::string params;  // "priors" or "fitted"
  std::map<std::string, Run> runs;
};

PartA run_part_a(const Domain &d, const experiments::Args &a, int32_t students, int32_t budget,
                 const std::string &name, const std::vector<BktParams> &bkt) {
  PartA p;
  p.budget = budget;
  p.params = name;
  p.runs["bkt"].r = run_study(d, options(a, students, budget, ConceptSelection::bkt, bkt));
  p.runs["random"].r = run_study(d, options(a, students, budget, ConceptSelection::random, bkt));
  p.runs["oracle"].r = run_study(d, options(a, students, budget, ConceptSelection::oracle, bkt));
  std::vector<BktParams> still;
  for (const BktParams &b : bkt)
    still.push_back(exp08::frozen(b));
  p.runs["static"].r = run_study(d, options(a, students, budget, ConceptSelection::random, still));
  for (auto &[k, run] : p.runs) {
    run.vs_random = exp08::paired_difference(run.r.gains, p.runs["random"].r.gains);
  }
  return p;
}

struct Point {
  double factor = 1.0;
  bool clamped = false;
  Run run;
};
struct Series {
  std::string param;  // p_init ... p_slip, or "all"
  std::vector<Point> points;
};
// The ways a BKT estimate reaches the learner: "both" (the tutor as built:
// BKT picks the concept, and the item through IRT at theta = logit of the
// estimate), "concept" (items at random), "item" (concepts at random).
struct Perturbation {
  int32_t budget = 0;
  std::string channel;
  std::vector<Series> series;  // Part B: one per parameter; Part C: "all"
};

StudyOptions channel_options(const experiments::Args &a, int32_t students, int32_t budget,
                             const std::string &channel, const std::vector<BktParams> &bkt) {
  StudyOptions o =
      options(a, students, budget,
              channel == "item" ? ConceptSelection::random : ConceptSelection::bkt, bkt);
  if (channel == "concept") o.item_selection = ItemSelection::random;
  return o;
}

// Parts B and C at one budget: the domain's priors scaled, through
// `channel`; factor 1 is the baseline of the paired differences, `random`
// (random concepts, IRT items, the domain's priors) the other reference.
Perturbation run_perturbation(const Domain &d, const experiments::Args &a, int32_t students,
                              int32_t budget, const std::vector<double> &factors, bool all,
                              const std::string &channel, const Run &random) {
  const std::vector<BktParams> priors = exp08::domain_params(d);
  Perturbation p;
  p.budget = budget;
  p.channel = channel;
  Run base;
  base.r = run_study(d, channel_options(a, students, budget, channel, priors));
  std::vector<std::string> names;
  if (all) {
    names.push_back("all");
  } else {
    for (exp08::Param q : exp08::kParams)
      names.push_back(exp08::param_name(q));
  }
  for (size_t s = 0; s < names.size(); ++s) {
    Series series;
    series.param = names[s];
    for (double f : factors) {
      Point pt;
      pt.factor = f;
      if (f == 1.0) {
        pt.run = base;
      } else {
        std::vector<BktParams> bkt;
        for (const BktParams &b : priors) {
          bkt.push_back(all ? exp08::scale_all(b, f, &pt.clamped)
                            : exp08::scale_param(b, exp08::kParams[s], f, &pt.clamped));
        }
        pt.run.r = run_study(d, channel_options(a, students, budget, channel, bkt));
      }
      pt.run.vs_base = exp08::paired_difference(pt.run.r.gains, base.r.gains);
      pt.run.vs_random = exp08::paired_difference(pt.run.r.gains, random.r.gains);
      series.points.push_back(std::move(pt));
    }
    p.series.push_back(std::move(series));
  }
  return p;
}

// ---- JSON ----

void put_params(JsonWriter &w, const char *key, const BktParams &b) {
  w.key(key).begin_object();
  w.field("p_init", b.p_init)
      .field("p_learn", b.p_learn)
      .field("p_guess", b.p_guess)
      .field("p_slip", b.p_slip)
      .end_object();
}

void put_paired(JsonWriter &w, const char *key, const Paired &p) {
  w.key(key).begin_object().field("mean", p.mean).field("se", p.se).end_object();
}

void put_mean_se(JsonWriter &w, const char *key, const MeanSe &m) {
  w.key(key).begin_object().field("mean", m.mean).field("sd", m.sd).field("se", m.se).end_object();
}

void put_run(JsonWriter &w, const Run &run, bool curve) {
  const StudyResult &r = run.r;
  w.begin_object();
  put_mean_se(w, "gain", r.gain);
  put_mean_se(w, "pre", r.pre);
  put_mean_se(w, "post", r.post);
  put_paired(w, "gain_vs_random", run.vs_random);
  w.field("agreement", r.selection_agreement)
      .field("chance", r.selection_chance)
      .field("rmse_start", r.bkt_rmse.front())
      .field("rmse_end", r.bkt_rmse.back())
      .field("rmse_min", *std::min_element(r.bkt_rmse.begin(), r.bkt_rmse.end()))
      .field("accuracy", r.accuracy)
      .field("difficulty_hit_rate", r.difficulty_hit_rate)
      .field("concepts_mastered", r.concepts_mastered)
      .field("interventions", r.interventions);
  if (curve) {
    w.key("rmse").begin_array();
    for (double x : r.bkt_rmse)
      w.value(x);
    w.end_array();
  }
  w.end_object();
}

void put_part_a(JsonWriter &w, const PartA &p) {
  w.begin_object().field("budget", p.budget).field("params", p.params);
  w.key("conditions").begin_object();
  for (const std::string &c : kConditions) {
    w.key(c);
    put_run(w, p.runs.at(c), true);
  }
  w.end_object().end_object();
}

void put_perturbation(JsonWriter &w, const Perturbation &p) {
  w.begin_object().field("budget", p.budget).field("channel", p.channel);
  w.key("series").begin_array();
  for (const Series &s : p.series) {
    w.begin_object().field("param", s.param);
    w.key("points").begin_array();
    for (const Point &pt : s.points) {
      w.begin_object().field("factor", pt.factor).field("clamped", pt.clamped);
      w.key("result");
      put_run(w, pt.run, false);
      put_paired(w, "gain_vs_base", pt.run.vs_base);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
}

void put_metrics(JsonWriter &w, const char *key, const Metrics &m) {
  w.key(key).begin_object();
  w.field("responses", static_cast<uint64_t>(m.responses))
      .field("auc", m.auc)
      .field("rmse", m.rmse)
      .field("accuracy", m.accuracy)
      .field("log_likelihood", m.log_likelihood)
      .field("log_likelihood_per_answer",
             m.responses > 0 ? m.log_likelihood / static_cast<double>(m.responses) : 0.0)
      .end_object();
}

// ---- tables ----

std::string pm(const MeanSe &m) {
  return fmt::format("{:+.4f} ± {:.4f}", m.mean, kZ95 * m.se);
}

void print_part_a(const PartA &p) {
  for (const std::string &c : kConditions) {
    const Run &run = p.runs.at(c);
    const StudyResult &r = run.r;
    fmt::print("{:>6} {:>11} {:>7}  {:>18}  {:>18}  {:>6.3f} {:>6.3f}  {:.3f} -> {:.3f}\n",
               p.budget, p.params, c, pm(r.gain),
               c == "random" ? std::string("-") : pm(run.vs_random), r.selection_agreement,
               r.selection_chance, r.bkt_rmse.front(), r.bkt_rmse.back());
  }
}

void print_perturbation(const Perturbation &p) {
  for (const Series &s : p.series) {
    for (const Point &pt : s.points) {
      const StudyResult &r = pt.run.r;
      fmt::print("{:>6} {:>7} {:>8} {:>5.2f}{}  {:>18}  {:>18}  {:>18}  {:>6.3f}  {:.3f}\n",
                 p.budget, p.channel, s.param, pt.factor, pt.clamped ? "*" : " ", pm(r.gain),
                 pm(pt.run.vs_base), pm(pt.run.vs_random), r.selection_agreement,
                 r.bkt_rmse.back());
    }
  }
}

// One parameter set fitted on the calibration log, and how well it and the
// domain's priors predict answers (one step ahead).
struct Fitted {
  std::string name;  // "fitted" (the library's bounds), "fitted_wide"
  exp08::Calibration cal;
  Metrics held_out, train;
};

void put_calibration(JsonWriter &w, const Fitted &f, const FitOptions &fo, const Domain &domain,
                     const std::vector<BktParams> &priors) {
  const exp08::Calibration &cal = f.cal;
  w.begin_object()
      .field("name", f.name)
      .field("skills_fitted", static_cast<uint64_t>(cal.model.skills.size()))
      .field("fit_seconds", cal.report.seconds)
      .field("restarts", fo.restarts)
      .field("max_iterations", fo.max_iterations)
      .field("tolerance", fo.tolerance)
      .field("max_guess", fo.max_guess)
      .field("max_slip", fo.max_slip);
  BktParams mean_prior, mean_fit;
  int fitted = 0, guess_bound = 0, slip_bound = 0;
  w.key("concepts").begin_array();
  for (size_t i = 0; i < domain.concepts.size(); ++i) {
    w.begin_object().field("concept", domain.concepts[i].id).field("fitted", cal.fitted[i] != 0);
    put_params(w, "domain", priors[i]);
    put_params(w, "params", cal.params[i]);
    int64_t k = cal.data.find_skill(domain.concepts[i].id);
    if (k >= 0) {
      const SkillFit &s = cal.report.skills[static_cast<size_t>(k)];
      w.field("responses", static_cast<uint64_t>(s.responses))
          .field("sequences", static_cast<uint64_t>(s.sequences))
          .field("guess_at_bound", s.guess_at_bound)
          .field("slip_at_bound", s.slip_at_bound)
          .field("iterations", s.iterations);
      guess_bound += s.guess_at_bound;
      slip_bound += s.slip_at_bound;
    }
    w.end_object();
    if (!cal.fitted[i]) continue;
    ++fitted;
    mean_prior.p_init += priors[i].p_init;
    mean_prior.p_learn += priors[i].p_learn;
    mean_prior.p_guess += priors[i].p_guess;
    mean_prior.p_slip += priors[i].p_slip;
    mean_fit.p_init += cal.params[i].p_init;
    mean_fit.p_learn += cal.params[i].p_learn;
    mean_fit.p_guess += cal.params[i].p_guess;
    mean_fit.p_slip += cal.params[i].p_slip;
  }
  w.end_array();
  for (BktParams *m : {&mean_prior, &mean_fit}) {
    double n = fitted > 0 ? fitted : 1;
    m->p_init /= n;
    m->p_learn /= n;
    m->p_guess /= n;
    m->p_slip /= n;
  }
  put_params(w, "mean_domain", mean_prior);
  put_params(w, "mean_fitted", mean_fit);
  w.field("guess_at_bound", guess_bound).field("slip_at_bound", slip_bound);
  put_metrics(w, "held_out", f.held_out);
  put_metrics(w, "train", f.train);
  w.end_object();
}

}  // namespace

int main(int argc, char **argv) {
  const experiments::Args args = experiments::parse_args(argc, argv);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string dir = TUTORCORE_SOURCE_DIR "/examples/domains/algebra_fundamentals";
  Domain domain;
  DomainReport report = load_domain(dir, &domain);
  if (!report.ok()) {
    fmt::print(stderr, "exp_08: {} is not a valid domain\n", dir);
    return 1;
  }
  const int32_t students = args.quick ? 100 : 500;
  const std::vector<int32_t> budgets = {12, 40};
  const std::vector<double> factors = args.quick
                                          ? std::vector<double>{0.25, 1.0, 3.0}
                                          : std::vector<double>{0.25, 0.5, 1.0, 1.5, 2.0, 3.0};
  const std::vector<BktParams> priors = exp08::domain_params(domain);

  // Part A2's calibration: its own learners (seed + 1), a log that no BKT
  // parameter shaped, fitted with the library's defaults (pyBKT's restarts,
  // iterations and tolerance; guess and slip at most 0.3), and again with
  // guess and slip up to 0.45 (closer to pyBKT's unbounded fit, guess + slip < 1).
  exp08::CalibrationOptions co;
  co.seed = args.seed + 1;
  co.students = args.quick ? 400 : 2000;
  co.budget = 40;
  co.threads = kThreads;
  co.fit.threads = kThreads;
  co.fit.seed = args.seed;
  FitOptions wide = co.fit;
  wide.max_guess = 0.45;
  wide.max_slip = 0.45;
  std::vector<Fitted> fits(2);
  fits[0].name = "fitted";
  fits[0].cal = exp08::calibrate(domain, co);
  fits[1].name = "fitted_wide";
  fits[1].cal = fits[0].cal;
  exp08::refit(domain, wide, &fits[1].cal);
  const exp08::Calibration &cal = fits[0].cal;

  // Held-out answers: the evaluation's learners (seed) under the calibration's design.
  StudyOptions ho = options(args, students, 40, ConceptSelection::random, {});
  ho.item_selection = ItemSelection::random;
  ho.per_student = false;
  ho.keep_log = true;
  const StudyResult held_out_study = run_study(domain, ho);
  const Dataset held_out = dataset_from_rows(exp08::log_rows(held_out_study.log, domain));
  // The RMSE of a constant prediction at the held-out share of right answers.
  const double base_rate = held_out_study.accuracy;
  const double constant_rmse = std::sqrt(base_rate * (1.0 - base_rate));
  const Metrics pred_priors = evaluate(exp08::model_of(priors, domain), held_out);
  const Metrics train_priors = evaluate(exp08::model_of(priors, domain), cal.data);
  for (Fitted &f : fits) {
    f.held_out = evaluate(exp08::model_of(f.cal.params, domain), held_out);
    f.train = evaluate(exp08::model_of(f.cal.params, domain), f.cal.data);
  }

  std::vector<PartA> part_a;
  for (int32_t b : budgets) {
    part_a.push_back(run_part_a(domain, args, students, b, "priors", priors));
    for (const Fitted &f : fits) {
      part_a.push_back(run_part_a(domain, args, students, b, f.name, f.cal.params));
    }
  }
  std::vector<Perturbation> part_b, part_c;
  for (const PartA &p : part_a) {
    if (p.params != "priors") continue;
    const Run &random = p.runs.at("random");
    part_b.push_back(
        run_perturbation(domain, args, students, p.budget, factors, false, "both", random));
    for (const char *channel : {"both", "concept", "item"}) {
      part_c.push_back(
          run_perturbation(domain, args, students, p.budget, factors, true, channel, random));
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // ---- tables ----
  fmt::print("exp_08: BKT estimation fidelity (seed {}{}), {} learners per condition, block {}\n\n",
             args.seed, args.quick ? ", quick" : "", students, StudyOptions{}.block_size);
  fmt::print(
      "Part A / A2: gain (95% CI), paired difference to random concept selection, "
      "agreement with the oracle rule, RMSE(BKT, k) first -> last step\n");
  fmt::print("{:>6} {:>11} {:>7}  {:>18}  {:>18}  {:>6} {:>6}  {}\n", "budget", "params", "select",
             "gain", "gain - random", "agree", "chance", "RMSE");
  for (const PartA &p : part_a)
    print_part_a(p);

  fmt::print(
      "\nA2 calibration: {} learners (seed {}) x {} answers, concepts and items at random: "
      "{} answers on {} concepts\n",
      co.students, co.seed, co.budget, cal.data.responses, cal.model.skills.size());
  fmt::print("{:<26} {:>6}  {:>19}  {:>19}  {:>19}\n", "concept", "answers", "domain i/l/g/s",
             "fitted (0.3)", "fitted_wide (0.45)");
  for (size_t i = 0; i < domain.concepts.size(); ++i) {
    const BktParams &p = priors[i];
    int64_t k = cal.data.find_skill(domain.concepts[i].id);
    size_t n = k >= 0 ? cal.data.skills[static_cast<size_t>(k)].responses() : 0;
    fmt::print("{:<26} {:>6}  {:.2f} {:.2f} {:.2f} {:.2f}", domain.concepts[i].id, n, p.p_init,
               p.p_learn, p.p_guess, p.p_slip);
    for (const Fitted &f : fits) {
      const BktParams &q = f.cal.params[i];
      if (f.cal.fitted[i]) {
        fmt::print("  {:.2f} {:.2f} {:.2f} {:.2f}", q.p_init, q.p_learn, q.p_guess, q.p_slip);
      } else {
        fmt::print("  {:>19}", "(domain's)");
      }
    }
    fmt::print("\n");
  }
  auto per_answer = [](const Metrics &m) {
    return m.responses > 0 ? m.log_likelihood / static_cast<double>(m.responses) : 0.0;
  };
  fmt::print("one-step-ahead prediction of held-out learners' answers (seed {}, {} x 40):\n",
             args.seed, students);
  fmt::print("  {:<11} share right {:.3f}: a constant prediction has RMSE {:.4f}\n", "base rate",
             base_rate, constant_rmse);
  fmt::print("  {:<11} AUC {:.3f}  RMSE {:.4f}  LL/answer {:.4f}\n", "priors", pred_priors.auc,
             pred_priors.rmse, per_answer(pred_priors));
  for (const Fitted &f : fits) {
    fmt::print("  {:<11} AUC {:.3f}  RMSE {:.4f}  LL/answer {:.4f}\n", f.name, f.held_out.auc,
               f.held_out.rmse, per_answer(f.held_out));
  }

  fmt::print(
      "\nParts B (one parameter) and C (all four) on the domain's priors (* = clamped); "
      "channel both: BKT picks concepts and items, concept: items at random, item: concepts at "
      "random\n");
  fmt::print("{:>6} {:>7} {:>8} {:>6}  {:>18}  {:>18}  {:>18}  {:>6}  {}\n", "budget", "channel",
             "param", "factor", "gain", "gain - x1", "gain - random", "agree", "RMSE end");
  for (const Perturbation &p : part_b)
    print_perturbation(p);
  for (const Perturbation &p : part_c)
    print_perturbation(p);
  fmt::print("\n{:.1f} s on {} threads\n", seconds, kThreads);

  // ---- JSON ----
  JsonWriter w;
  w.begin_object();
  w.field("experiment", "08_bkt_fidelity")
      .field("seed", args.seed)
      .field("quick", args.quick)
      .field("domain", domain.id)
      .field("seconds", seconds)
      .field("threads", kThreads);
  const StudyOptions def;
  w.key("design").begin_object();
  w.field("students", students)
      .field("block_size", def.block_size)
      .field("item_selection", item_selection_name(def.item_selection))
      .field("p_target", def.p_target)
      .field("mastery_threshold", def.mastery_threshold)
      .field("prereq_threshold", def.prereq_threshold)
      .field("interventions", def.interventions)
      .field("rmse", "sqrt(mean over learners and block concepts of (P(L) - k)^2), per step")
      .field("agreement", "share of steps whose concept equals the rule's choice on true k")
      .field("static",
             "random concept selection, estimate frozen at p_init (p_learn 0, guess = slip = 0.5)")
      .field("channels",
             "both: BKT concept and IRT item selection; concept: items at random; item: "
             "concepts at random")
      .field("clamp", fmt::format("each parameter in [{}, {}], guess + slip <= {}", exp08::kMinP,
                                  exp08::kMaxP, exp08::kMaxGuessSlip));
  w.key("budgets").begin_array();
  for (int32_t b : budgets)
    w.value(b);
  w.end_array();
  w.key("factors").begin_array();
  for (double f : factors)
    w.value(f);
  w.end_array();
  w.key("conditions").begin_array();
  for (const std::string &c : kConditions)
    w.value(c);
  w.end_array();
  w.key("params").begin_array().value("priors");
  for (const Fitted &f : fits)
    w.value(f.name);
  w.end_array();
  w.end_object();

  w.key("calibration").begin_object();
  w.field("seed", co.seed)
      .field("students", co.students)
      .field("budget", co.budget)
      .field("concept_selection", "random")
      .field("item_selection", "random")
      .field("responses", static_cast<uint64_t>(cal.data.responses))
      .field("held_out", fmt::format("seed {} learners, {} x 40 answers, concepts and items at "
                                     "random",
                                     args.seed, students));
  w.field("held_out_share_right", base_rate).field("held_out_constant_rmse", constant_rmse);
  put_metrics(w, "priors_held_out", pred_priors);
  put_metrics(w, "priors_train", train_priors);
  w.key("fits").begin_array();
  put_calibration(w, fits[0], co.fit, domain, priors);
  put_calibration(w, fits[1], wide, domain, priors);
  w.end_array();
  w.end_object();

  w.key("part_a").begin_array();
  for (const PartA &p : part_a)
    put_part_a(w, p);
  w.end_array();
  w.key("part_b").begin_array();
  for (const Perturbation &p : part_b)
    put_perturbation(w, p);
  w.end_array();
  w.key("part_c").begin_array();
  for (const Perturbation &p : part_c)
    put_perturbation(w, p);
  w.end_array();
  w.end_object();
  experiments::write_results(args, w.take());
  return 0;
}
