// Validity experiment 07 (seed 003, redone on the fixed simulator): inject
// four kinds of classifier error at nine rates each and measure what reaches
// the learner: post-test gain, misconceptions resolved, wasted
// interventions. The seed's simulator lost 9% of its gain at 50%
// misidentification and gained 35% from false positives; a valid simulator
// must lose gain as any error rises. The ablations switch the fixes off one
// at a time (budget 40 instead of 12, no confusion, no negative transfer,
// no misconception blocking) to show which of them make the difference.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "../common.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/sim/study.hpp"

using namespace tutorcore;

namespace {

struct Kind {
  const char *name;
  double ClassifierErrors::*rate;
};
constexpr Kind kKinds[] = {{"misidentification", &ClassifierErrors::misidentification},
                           {"false_negative", &ClassifierErrors::false_negative},
                           {"false_positive", &ClassifierErrors::false_positive},
                           {"misroute", &ClassifierErrors::misroute}};

void write_point(JsonWriter &w, double rate, const StudyResult &r, const StudyResult &base) {
  MeanSe drop = paired_difference(base.gains, r.gains);
  double start = r.misconceptions_start;
  w.begin_object()
      .field("rate", rate)
      .field("gain", r.gain.mean)
      .field("gain_se", r.gain.se)
      .field("relative_gain", base.gain.mean != 0.0 ? r.gain.mean / base.gain.mean : 0.0)
      .field("drop_vs_perfect", drop.mean)
      .field("drop_se", drop.se)
      .field("resolution_share", start > 0 ? r.resolved / start : 0.0)
      .field("misconceptions_end", r.misconceptions_end)
      .field("interventions", r.interventions)
      .field("wasted_interventions", r.mistargeted)
      .field("strengthened", r.strengthened)
      .field("implanted", r.implanted)
      .field("final_bkt_rmse", r.bkt_rmse.back())
      .end_object();
}

// One sweep: every kind at every rate from `base` options; prints a table.
void sweep(JsonWriter &w, const Domain &d, const StudyOptions &base_opts,
           const std::vector<double> &rates, bool print) {
  StudyResult base = run_study(d, base_opts);
  w.key("perfect");
  write_point(w, 0.0, base, base);
  w.key("kinds").begin_object();
  for (const Kind &k : kKinds) {
    if (print) fmt::print("  {:<18}", k.name);
    w.key(k.name).begin_array();
    for (double rate : rates) {
      StudyOptions o = base_opts;
      o.errors.*k.rate = rate;
      StudyResult r = rate == 0.0 ? base : run_study(d, o);
      write_point(w, rate, r, base);
      if (print) fmt::print(" {:6.1f}%", 100.0 * (r.gain.mean / base.gain.mean - 1.0));
    }
    w.end_array();
    if (print) fmt::print("\n");
  }
  w.end_object();
}

}  // namespace

int main(int argc, char **argv) {
  experiments::Args args = experiments::parse_args(argc, argv);
  auto started = std::chrono::steady_clock::now();
  Domain d;
  DomainReport rep =
      load_domain(std::string(TUTORCORE_SOURCE_DIR) + "/examples/domains/algebra_fundamentals", &d);
  if (!rep.ok()) {
    fmt::print(stderr, "cannot load the bundled domain\n");
    return 1;
  }
  const std::vector<double> rates =
      args.quick ? std::vector<double>{0.0, 0.25, 0.5}
                 : std::vector<double>{0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50};
  StudyOptions base;
  base.seed = args.seed;
  base.students = args.quick ? 150 : 1000;
  base.threads = 2;
  base.per_student = true;

  JsonWriter w;
  w.begin_object().field("experiment", "07_classifier_error_propagation").field("seed", args.seed);
  w.field("domain", d.id).field("students", base.students).field("budget", base.budget);
  w.key("rates").begin_array();
  for (double r : rates)
    w.value(r);
  w.end_array();

  fmt::print("gain change against perfect classification, {} learners, budget {}, seed {}\n",
             base.students, base.budget, args.seed);
  fmt::print("  {:<18}", "rate");
  for (double r : rates)
    fmt::print(" {:6.0f}%", 100 * r);
  fmt::print("\n");
  w.key("main").begin_object();
  sweep(w, d, base, rates, true);
  w.end_object();

  // The validity check: perfect against 50% misidentification, paired.
  {
    StudyOptions half = base;
    half.errors.misidentification = 0.5;
    StudyResult p = run_study(d, base), h = run_study(d, half);
    MeanSe d = paired_difference(p.gains, h.gains);
    const double diff = d.mean, se = d.se;
    fmt::print(
        "validity: perfect {:.4f} vs 50% misidentification {:.4f}: {:.1f}% of the gain, "
        "{:.1f} SE\n",
        p.gain.mean, h.gain.mean, 100.0 * diff / p.gain.mean, diff / se);
    w.key("validity")
        .begin_object()
        .field("perfect_gain", p.gain.mean)
        .field("half_misidentified_gain", h.gain.mean)
        .field("difference", diff)
        .field("difference_se", se)
        .field("share_of_gain", diff / p.gain.mean)
        .end_object();
  }

  // Ablations: the seed's invalid simulator had a budget of 40 and
  // unconditional learning; switch our fixes off to see which matter.
  struct Ablation {
    const char *name;
    void (*apply)(StudyOptions &);
  };
  const Ablation ablations[] = {
      {"budget_40", [](StudyOptions &o) { o.budget = 40; }},
      {"no_confusion", [](StudyOptions &o) { o.learner.confusion = 0.0; }},
      {"no_negative_transfer", [](StudyOptions &o) { o.learner.negative_transfer = 0.0; }},
      {"no_misconception_block", [](StudyOptions &o) { o.learner.block_strength = 0.0; }},
      {"unconditional_learning", [](StudyOptions &o) { o.learner.conditional_learning = false; }},
      {"knowledge_only_test", [](StudyOptions &o) { o.learner.probe_weight = 0.0; }},
      {"seed_like",
       [](StudyOptions &o) {
         // All fixes off: 40 interactions, every intervention teaches, no
         // blocking, a test of knowledge alone.
         o.budget = 40;
         o.learner.conditional_learning = false;
         o.learner.block_strength = 0.0;
         o.learner.probe_weight = 0.0;
       }},
  };
  const std::vector<double> ablation_rates = {0.0, 0.25, 0.5};
  w.key("ablations").begin_object();
  fmt::print("ablations (gain change at 25% / 50% error):\n");
  for (const Ablation &a : ablations) {
    StudyOptions o = base;
    a.apply(o);
    if (args.quick) o.students = 100;
    fmt::print("  {}\n", a.name);
    w.key(a.name).begin_object();
    sweep(w, d, o, ablation_rates, true);
    w.end_object();
  }
  w.end_object();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print("ran in {:.1f} s\n", secs);
  w.end_object();
  experiments::write_results(args, w.take());
  return 0;
}
