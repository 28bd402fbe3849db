// Validity experiment 06 (seed 003): the escalation state machine as an
// absorbing Markov chain. The chain is derived from the engine's transition
// function (chain.hpp), solved with the fundamental matrix N = (I - Q)^-1,
// and checked by a Monte Carlo that drives escalation_step episode by episode.
// Sweeps: the per-assessment resolution probability (0.10 .. 0.90), the
// modality attempts allowed before escalation (2 .. 8) and the probability
// that the prerequisite check finds a prerequisite below the threshold.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "../common.hpp"
#include "chain.hpp"
#include "tutorcore/common/json_writer.hpp"

using exp06::Analysis;
using exp06::ChainParams;
using exp06::McResult;
using exp06::Outcome;
using tutorcore::JsonWriter;

namespace {

constexpr double kPrereqLow = 0.25;   // q: P(a prerequisite is below 0.60 at a check)
constexpr double kRemediated = 0.50;  // r: P(one remediation update reaches 0.60)
constexpr double kConference = 0.50;  // c: P(a teacher conference resolves it), full chain only
constexpr double kZLimit = 3.0;       // agreement: every |z| below 3 standard errors

double prob(const Analysis &a, Outcome o) {
  return a.p_outcome[static_cast<size_t>(o)];
}
double frac(const McResult &m, Outcome o) {
  return static_cast<double>(m.count[static_cast<size_t>(o)]) / static_cast<double>(m.episodes);
}

ChainParams base_params(double p) {
  ChainParams c;
  c.p_resolve = p;
  c.p_prereq_low = kPrereqLow;
  c.p_remediated = kRemediated;
  c.p_conference = kConference;
  return c;
}

// A p value on the 0.05 grid, printed and compared without rounding noise.
double grid(int i) {
  return std::round(i * 5.0) / 100.0;
}

void write_analysis(JsonWriter &w, const Analysis &a) {
  w.begin_object();
  for (int k = 0; k < exp06::kOutcomeCount; ++k)
    w.field(fmt::format("p_{}", exp06::outcome_name(static_cast<Outcome>(k))),
            a.p_outcome[static_cast<size_t>(k)]);
  w.field("e_steps", a.e_steps).field("sd_steps", std::sqrt(a.var_steps));
  w.field("e_assessments", a.e_assessments).field("e_responses", 3.0 * a.e_assessments);
  w.field("e_modalities", a.e_modalities).field("e_attempts", a.e_attempts);
  w.end_object();
}

void write_mc(JsonWriter &w, const McResult &m) {
  w.begin_object();
  w.field("episodes", m.episodes);
  for (int k = 0; k < exp06::kOutcomeCount; ++k)
    w.field(fmt::format("p_{}", exp06::outcome_name(static_cast<Outcome>(k))),
            frac(m, static_cast<Outcome>(k)));
  w.field("mean_steps", m.mean_steps).field("sd_steps", std::sqrt(m.var_steps));
  w.field("mean_assessments", m.mean_assessments);
  w.field("mean_modalities", m.mean_modalities).field("mean_attempts", m.mean_attempts);
  w.end_object();
}

void write_agreement(JsonWriter &w, const exp06::Agreement &g) {
  w.begin_object();
  w.field("max_abs_diff_p", g.max_abs_diff_p).field("max_z_p", g.max_z_p);
  w.field("diff_steps", g.diff_steps).field("z_steps", g.z_steps);
  w.field("diff_modalities", g.diff_modalities).field("z_modalities", g.z_modalities);
  w.field("max_z", g.max_z());
  w.end_object();
}

}  // namespace

int main(int argc, char **argv) {
  const experiments::Args args = experiments::parse_args(argc, argv);
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t episodes = args.quick ? 2000 : 10000;
  const int p_step = args.quick ? 2 : 1;  // in units of 0.05

  JsonWriter w;
  w.begin_object();
  w.field("experiment", "06_escalation_convergence");
  w.field("seed", args.seed).field("quick", args.quick).field("episodes", episodes);

  const tutorcore::EscalationConfig engine;
  w.key("assumptions").begin_object();
  w.field("max_modality_attempts", engine.max_modality_attempts);
  w.field("prereq_threshold", engine.prereq_threshold);
  w.field("conferences_before_referral", engine.conferences_before_referral);
  w.field("auto_approve", engine.auto_approve);
  w.field("teacher_approves_every_recommendation", true);
  w.field("teacher_acknowledges_every_escalation", true);
  w.field("p_prereq_low", kPrereqLow).field("p_remediated", kRemediated);
  w.field("p_conference_full_chain", kConference);
  w.field("modality_order", "visual, concrete, pattern, verbal, peer (first untried)");
  w.field("step", "one trigger applied by escalation_step");
  w.field("assessment_responses", 3);
  w.end_object();

  // --- the chain at p = 0.50, state by state ---------------------------------
  const ChainParams main_params = base_params(0.5);
  const exp06::Chain chain = exp06::build_chain(main_params);
  const Analysis main_a = exp06::analyse(chain);
  const Eigen::Index nt = chain.Q.rows();
  double row_sum_err = 0.0, stochastic_err = 0.0;
  for (Eigen::Index i = 0; i < nt; ++i) {
    row_sum_err = std::max(row_sum_err, std::fabs(main_a.B.row(i).sum() - 1.0));
    stochastic_err =
        std::max(stochastic_err, std::fabs(chain.Q.row(i).sum() + chain.R.row(i).sum() - 1.0));
  }
  fmt::print("experiment 06: escalation state machine as an absorbing Markov chain (seed {}{})\n",
             args.seed, args.quick ? ", quick" : "");
  fmt::print(
      "chain from the engine at p = 0.50, q = {:.2f}, r = {:.2f}, max attempts {}: "
      "{} transient, {} absorbing states\n",
      kPrereqLow, kRemediated, engine.max_modality_attempts, nt, chain.absorbing.size());
  fmt::print("  max |row of B sums to 1| error {:.2e}; max |row of [Q R] sums to 1| error {:.2e}\n",
             row_sum_err, stochastic_err);
  fmt::print("  {:<46} {:>10} {:>10} {:>8}\n", "start state", "P(res)", "P(conf)", "E[steps]");
  w.key("chain").begin_object();
  w.field("p_resolve", main_params.p_resolve);
  w.field("transient_states", static_cast<int64_t>(nt));
  w.field("absorbing_states", static_cast<int64_t>(chain.absorbing.size()));
  w.field("max_row_sum_error_B", row_sum_err);
  w.field("max_row_sum_error_QR", stochastic_err);
  w.key("transient").begin_array();
  for (Eigen::Index i = 0; i < nt; ++i) {
    const exp06::Node &n = chain.transient[static_cast<size_t>(i)];
    const double pr = main_a.outcome(i, static_cast<int>(Outcome::resolved));
    const double pc = main_a.outcome(i, static_cast<int>(Outcome::teacher_conference));
    fmt::print("  {:<46} {:>10.4f} {:>10.4f} {:>8.3f}\n", exp06::node_label(n), pr, pc,
               main_a.t(i));
    w.begin_object();
    w.field("state", exp06::node_label(n));
    w.field("p_resolved", pr).field("p_teacher_conference", pc);
    w.field("row_sum", main_a.B.row(i).sum());
    w.field("e_steps", main_a.t(i)).field("e_visits_from_start", main_a.N(0, i));
    w.end_object();
  }
  w.end_array();
  w.key("absorbing").begin_array();
  for (size_t j = 0; j < chain.absorbing.size(); ++j) {
    const exp06::Node &n = chain.absorbing[j];
    w.begin_object();
    w.field("state", exp06::node_label(n));
    w.field("outcome", exp06::outcome_name(exp06::outcome_of(n)));
    w.field("modalities", exp06::distinct_modalities(n.esc));
    w.field("p_from_start", main_a.B(0, static_cast<Eigen::Index>(j)));
    w.end_object();
  }
  w.end_array();
  w.key("from_start");
  write_analysis(w, main_a);
  w.end_object();

  // --- the resolution-probability sweep: analysis, Monte Carlo, closed form ----
  fmt::print("\nsweep over p ({} Monte Carlo episodes per point through escalation_step)\n",
             episodes);
  fmt::print("{:>5} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>8} {:>8} {:>6}\n", "p", "P(res)", "MC",
             "P(conf)", "MC", "E[st]", "MC", "E[mod]", "|diff|", "max z");
  double worst_diff = 0.0, worst_z = 0.0, worst_closed = 0.0;
  int points = 0;
  w.key("sweep").begin_array();
  for (int i = 2; i <= 18; i += p_step) {
    const double p = grid(i);
    const ChainParams cp = base_params(p);
    const Analysis a = exp06::analyse(exp06::build_chain(cp));
    tutorcore::Rng rng(args.seed + static_cast<uint64_t>(i));
    const McResult m = exp06::simulate(cp, episodes, rng);
    const exp06::Agreement g = exp06::compare(a, m);
    ChainParams no_prereq = cp;
    no_prereq.p_prereq_low = 0.0;
    const Analysis a0 = exp06::analyse(exp06::build_chain(no_prereq));
    ChainParams full = cp;
    full.model_conferences = true;
    const Analysis af = exp06::analyse(exp06::build_chain(full));
    const double closed = 1.0 - exp06::closed_form_p_escalated(cp);
    worst_closed = std::max(worst_closed, std::fabs(closed - prob(a, Outcome::resolved)));
    worst_closed =
        std::max(worst_closed, std::fabs(1.0 - std::pow(1.0 - p, 4) - prob(a0, Outcome::resolved)));
    worst_diff = std::max(worst_diff, g.max_abs_diff_p);
    worst_z = std::max(worst_z, g.max_z());
    ++points;
    fmt::print(
        "{:>5.2f} {:>8.4f} {:>8.4f} {:>8.4f} {:>8.4f} {:>7.2f} {:>7.2f} {:>8.3f} {:>8.4f} "
        "{:>6.2f}\n",
        p, prob(a, Outcome::resolved), frac(m, Outcome::resolved),
        prob(a, Outcome::teacher_conference), frac(m, Outcome::teacher_conference), a.e_steps,
        m.mean_steps, a.e_modalities, g.max_abs_diff_p, g.max_z());
    w.begin_object();
    w.field("p_resolve", p);
    w.key("analytic");
    write_analysis(w, a);
    w.key("monte_carlo");
    write_mc(w, m);
    w.key("agreement");
    write_agreement(w, g);
    w.field("closed_form_p_resolved", closed);
    w.field("p_resolved_no_prereq", prob(a0, Outcome::resolved));
    w.field("closed_form_no_prereq", 1.0 - std::pow(1.0 - p, 4));
    w.field("e_steps_no_prereq", a0.e_steps);
    w.key("with_conferences").begin_object();
    w.field("p_resolved_by_system", prob(af, Outcome::resolved));
    w.field("p_resolved_by_teacher", prob(af, Outcome::teacher_resolved));
    w.field("p_iep_referral", prob(af, Outcome::iep_referral));
    w.field("e_steps", af.e_steps);
    w.end_object();
    w.end_object();
  }
  w.end_array();
  const bool agree = worst_z < kZLimit;
  fmt::print(
      "agreement over {} points: max |MC - analytic| of a fraction {:.4f}, max |z| {:.2f} "
      "({} {:.0f} SE); max |closed form - analytic| {:.1e}\n",
      points, worst_diff, worst_z, agree ? "within" : "NOT within", kZLimit, worst_closed);
  w.key("agreement").begin_object();
  w.field("points", points).field("max_abs_diff_p", worst_diff).field("max_z", worst_z);
  w.field("z_limit", kZLimit).field("within_limit", agree);
  w.field("max_abs_closed_form_error", worst_closed);
  w.end_object();

  // --- the design axis: attempts allowed before escalation ----------------------
  const double axis_p[] = {0.20, 0.35, 0.50, 0.65, 0.80};
  fmt::print("\nP(resolved) by modality attempts allowed (q = {:.2f}; q = 0 in brackets)\n",
             kPrereqLow);
  fmt::print("{:>8}", "attempts");
  for (double p : axis_p)
    fmt::print(" {:>16}", fmt::format("p={:.2f}", p));
  fmt::print("\n");
  w.key("attempts_axis").begin_array();
  for (int m = 2; m <= 8; ++m) {
    fmt::print("{:>8}", m);
    for (double p : axis_p) {
      ChainParams cp = base_params(p);
      cp.config.max_modality_attempts = m;
      const Analysis a = exp06::analyse(exp06::build_chain(cp));
      cp.p_prereq_low = 0.0;
      const Analysis a0 = exp06::analyse(exp06::build_chain(cp));
      fmt::print(" {:>7.4f} ({:.4f})", prob(a, Outcome::resolved), prob(a0, Outcome::resolved));
      w.begin_object();
      w.field("max_modality_attempts", m).field("p_resolve", p);
      w.field("p_resolved", prob(a, Outcome::resolved));
      w.field("p_resolved_no_prereq", prob(a0, Outcome::resolved));
      w.field("e_steps", a.e_steps).field("e_modalities", a.e_modalities);
      w.end_object();
    }
    fmt::print("\n");
  }
  w.end_array();

  // --- how much the prerequisite check moves the result ------------------------
  fmt::print("\nthe prerequisite check: P(a prerequisite below 0.60) q\n");
  fmt::print("{:>5} {:>5} {:>8} {:>8} {:>8}\n", "p", "q", "P(res)", "E[st]", "E[assess]");
  w.key("prereq_axis").begin_array();
  for (double p : {0.20, 0.50}) {
    for (double q : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      ChainParams cp = base_params(p);
      cp.p_prereq_low = q;
      const Analysis a = exp06::analyse(exp06::build_chain(cp));
      fmt::print("{:>5.2f} {:>5.2f} {:>8.4f} {:>8.2f} {:>8.3f}\n", p, q, prob(a, Outcome::resolved),
                 a.e_steps, a.e_assessments);
      w.begin_object();
      w.field("p_resolve", p).field("p_prereq_low", q);
      w.field("p_resolved", prob(a, Outcome::resolved));
      w.field("closed_form_p_resolved", 1.0 - exp06::closed_form_p_escalated(cp));
      w.field("e_steps", a.e_steps).field("e_assessments", a.e_assessments);
      w.end_object();
    }
  }
  w.end_array();

  // --- the seed's expectation ------------------------------------------------
  const Analysis at50 = exp06::analyse(exp06::build_chain(base_params(0.50)));
  const Analysis at20 = exp06::analyse(exp06::build_chain(base_params(0.20)));
  const double r50 = prob(at50, Outcome::resolved), r20 = prob(at20, Outcome::resolved);
  fmt::print(
      "\nseed: at p = 0.50 more than 90% resolve before escalation: P(resolved) = {:.4f} "
      "(1 - 0.5^4 = {:.4f} without remediation) -> {}\n",
      r50, 1.0 - std::pow(0.5, 4), r50 > 0.9 ? "holds" : "does not hold");
  fmt::print(
      "seed: at p = 0.20 the system escalates frequently: P(teacher_conference) = {:.4f} "
      "(0.8^4 = {:.4f} without remediation)\n",
      1.0 - r20, std::pow(0.8, 4));
  w.key("seed_expectation").begin_object();
  w.field("p_resolved_at_0_50", r50).field("closed_form_q0_at_0_50", 1.0 - std::pow(0.5, 4));
  w.field("holds_at_0_50", r50 > 0.9);
  w.field("p_teacher_conference_at_0_20", 1.0 - r20);
  w.field("closed_form_q0_at_0_20", std::pow(0.8, 4));
  w.end_object();

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  w.field("runtime_s", seconds);
  w.end_object();
  fmt::print("ran in {:.2f} s\n", seconds);
  experiments::write_results(args, w.str());
  // The seed is fixed, so the figures above are what they are; only a gross
  // disagreement (a bug in the chain or the simulation, not chance) fails.
  return worst_z < 5.0 ? 0 : 1;
}
