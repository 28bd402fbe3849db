// bench_policy: modality selection policies on a simulated class (seed 003,
// validation experiment 04), and the time per Thompson decision.
//
//   build/benchmarks/bench_policy [--seed S] [--classes C] [--students N] [--interactions T]
//                                 [--class-weight W] [--student-weight W]
//                                 [--student-evidence-weight W] [--class-evidence-weight W]
//
// The world: C classes of N students. Each class has a profile, a logit
// per modality drawn around logit(0.45) with standard deviation 0.6 (some
// modalities work better for the class); each student's latent resolution
// probability is logistic(class logit + 0.8 z), z ~ N(0, 1) per modality (some
// students differ from their class). A student meets misconceptions one after
// another, one of 6 at random; each interaction assigns one modality not yet
// tried for the current misconception, which resolves it with the student's
// latent probability. A resolved misconception ends the episode; so does
// running out of modalities (the teacher takes over). Peer tutoring is offered
// only when a classmate has resolved the same misconception. Other worlds
// vary the individual spread, or draw p ~ Dirichlet(1, ..., 1) as the seed's
// experiment does; the last one is the seed's Experiment 04 exactly, with no
// episodes: every interaction may assign any of the five modalities.
//
// The policies learn as they go: the class counts per modality come from all
// students' outcomes so far, the student's Laplace-smoothed modality vector
// and own counts from their own. Students take turns, so the class data grows
// during the run. Regret is the expected resolutions lost per student against
// an oracle that knows the student's probabilities and picks the best
// available modality in the same context. Every world and policy stream is
// seeded; every policy meets the same worlds and outcome streams.
//
// Thompson and greedy run under both posteriors (policy.hpp): seed_rates,
// the seed's formula, and counts, the same prior plus the outcomes as
// counts. Greedy ranks by the same posterior's mean. "thompson - greedy" is
// the difference in cumulative resolution rate with two standard errors
// from the spread over classes (classes are independent, students of one
// class share its counts). A last table varies the counts posterior's
// settings in two worlds.
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "tutorcore/intervention/policy.hpp"

using namespace tutorcore;

namespace {

constexpr int kMisconceptions = 6;
constexpr int kCheckpoints[] = {5, 10, 15, 20, 30, 40, 50};

struct Student {
  std::array<double, kModalityCount> p{};  // latent resolution probability per modality
};

struct ClassRoom {
  std::vector<Student> students;
};

struct WorldSpec {
  const char *name;
  double class_spread;    // sd of the class logits around the base
  double student_spread;  // sd of a student's logits around the class's
  bool dirichlet;         // the seed's world instead: p ~ Dirichlet(1, ..., 1), no class structure
  // The seed's Experiment 04 design instead of episodes: every interaction
  // is a fresh choice among all five modalities (none excluded after a
  // failure, peer always offered), as in a plain five-armed bandit.
  bool fresh_choice = false;
};

double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

std::vector<ClassRoom> make_world(const WorldSpec &w, uint64_t seed, int classes, int students) {
  Rng rng(seed);
  const double base = std::log(0.45 / 0.55);
  std::vector<ClassRoom> world(classes);
  for (ClassRoom &c : world) {
    std::array<double, kModalityCount> logit;
    for (double &l : logit)
      l = base + w.class_spread * rng.normal();
    c.students.resize(students);
    for (Student &s : c.students) {
      if (w.dirichlet) {
        double sum = 0;
        for (double &p : s.p)
          sum += (p = rng.gamma(1.0));
        for (double &p : s.p)
          p /= sum;
      } else {
        for (size_t m = 0; m < kModalityCount; ++m)
          s.p[m] = logistic(logit[m] + w.student_spread * rng.normal());
      }
    }
  }
  return world;
}

// Results summed over all students, per interaction index.
struct Curve {
  std::vector<double> resolved;  // realised resolutions at interaction t
  std::vector<double> regret;    // expected resolutions lost at interaction t
  // The same per class, [class][t]: classes are independent, students of
  // one class are not (they share its counts), so standard errors of a
  // difference between policies come from the class totals.
  std::vector<std::vector<double>> class_resolved, class_regret;
  std::vector<double> class_students;
  int64_t decisions = 0;
  int64_t escalations = 0;
  double students = 0;
  double rate_at(int n) const {
    double s = 0;
    for (int t = 0; t < n; ++t)
      s += resolved[t];
    return s / (students * n);
  }
  double regret_at(int n) const {
    double s = 0;
    for (int t = 0; t < n; ++t)
      s += regret[t];
    return s / students;
  }
};

struct Episode {
  bool open = false;
  int misconception = 0;
  std::array<bool, kModalityCount> tried{};
};

// kind < 0: the oracle.
Curve simulate(const std::vector<ClassRoom> &world, const WorldSpec &w, int kind,
               const PolicyConfig &cfg, uint64_t seed, int interactions) {
  Curve out;
  out.resolved.assign(interactions, 0.0);
  out.regret.assign(interactions, 0.0);
  Rng policy_rng(seed ^ 0x7f4a7c159e3779b9ULL);
  for (size_t ci = 0; ci < world.size(); ++ci) {
    const ClassRoom &c = world[ci];
    const size_t n = c.students.size();
    out.students += static_cast<double>(n);
    out.class_students.push_back(static_cast<double>(n));
    out.class_resolved.emplace_back(interactions, 0.0);
    out.class_regret.emplace_back(interactions, 0.0);
    std::array<int32_t, kModalityCount> class_att{}, class_res{};
    std::vector<std::array<int32_t, kModalityCount>> own_att(n), own_res(n);
    std::vector<std::array<bool, kMisconceptions>> resolved_by(n);
    std::array<int, kMisconceptions> resolvers{};
    std::vector<Episode> ep(n);
    std::vector<Rng> student_rng;  // episodes and outcomes: the same streams for every policy
    for (size_t s = 0; s < n; ++s)
      student_rng.emplace_back(seed + 1000003 * (ci + 1) + s);

    for (int t = 0; t < interactions; ++t) {
      for (size_t s = 0; s < n; ++s) {
        const Student &st = c.students[s];
        Rng &r = student_rng[s];
        if (!ep[s].open) {
          ep[s] = Episode{};
          ep[s].open = true;
          ep[s].misconception = static_cast<int>(r.uniform() * kMisconceptions);
        }
        const int mis = ep[s].misconception;
        PolicyContext ctx;
        for (size_t m = 0; m < kModalityCount; ++m) {
          ctx.arms[m].class_attempts = class_att[m];
          ctx.arms[m].class_resolutions = class_res[m];
          ctx.arms[m].student_rate = modality_vector_entry(own_res[s][m], own_att[s][m], cfg);
          ctx.arms[m].student_attempts = own_att[s][m];
          ctx.arms[m].student_resolutions = own_res[s][m];
          ctx.arms[m].tried = ep[s].tried[m];
        }
        ctx.resolved_peer_exists =
            w.fresh_choice || resolvers[mis] - (resolved_by[s][mis] ? 1 : 0) > 0;
        ModalityFlags avail = available_modalities(ctx);
        double best_p = 0;
        size_t best = 0;
        for (size_t m = 0; m < kModalityCount; ++m)
          if (avail[m] && st.p[m] > best_p) {
            best_p = st.p[m];
            best = m;
          }
        size_t chosen = best;
        if (kind >= 0) {
          Decision d = decide(static_cast<PolicyKind>(kind), ctx, cfg, policy_rng);
          chosen = static_cast<size_t>(d.chosen);  // a fresh episode always has 4 or 5 modalities
          ++out.decisions;
        }
        bool ok = r.uniform() < st.p[chosen];
        out.resolved[t] += ok;
        out.regret[t] += best_p - st.p[chosen];
        out.class_resolved[ci][t] += ok;
        out.class_regret[ci][t] += best_p - st.p[chosen];
        ++class_att[chosen];
        ++own_att[s][chosen];
        if (ok) {
          ++class_res[chosen];
          ++own_res[s][chosen];
          if (!resolved_by[s][mis]) {
            resolved_by[s][mis] = true;
            ++resolvers[mis];
          }
          ep[s].open = false;
          continue;
        }
        if (w.fresh_choice) {
          ep[s].open = false;  // a failure ends the interaction, not the modality
          continue;
        }
        ep[s].tried[chosen] = true;
        ctx.arms[chosen].tried = true;
        bool any = false;
        for (bool a : available_modalities(ctx))
          any = any || a;
        if (!any) {
          ep[s].open = false;  // every modality tried: the teacher takes over
          ++out.escalations;
        }
      }
    }
  }
  return out;
}

// The difference a - b in the cumulative resolution rate after n
// interactions, and its standard error from the spread of the per-class
// differences (both policies meet the same world and the same outcome streams).
struct Diff {
  double mean = 0, se = 0;
};

Diff rate_diff(const Curve &a, const Curve &b, int n) {
  const size_t nc = a.class_students.size();
  std::vector<double> d(nc);
  double mean = 0;
  for (size_t c = 0; c < nc; ++c) {
    double sa = 0, sb = 0;
    for (int t = 0; t < n; ++t) {
      sa += a.class_resolved[c][t];
      sb += b.class_resolved[c][t];
    }
    mean += (d[c] = (sa - sb) / (a.class_students[c] * n));
  }
  mean /= static_cast<double>(nc);
  double ss = 0;
  for (double x : d)
    ss += (x - mean) * (x - mean);
  Diff out;
  out.mean = a.rate_at(n) - b.rate_at(n);
  out.se = nc > 1 ? std::sqrt(ss / static_cast<double>(nc - 1) / static_cast<double>(nc)) : 0.0;
  return out;
}

std::vector<int> checkpoints(int interactions) {
  std::vector<int> cps;
  for (int n : kCheckpoints)
    if (n <= interactions) cps.push_back(n);
  if (cps.empty() || cps.back() != interactions) cps.push_back(interactions);
  return cps;
}

void print_world(const WorldSpec &w, uint64_t seed, int classes, int students, int interactions,
                 const PolicyConfig &seed_cfg, const PolicyConfig &counts_cfg) {
  std::vector<ClassRoom> world = make_world(w, seed, classes, students);
  double mean_p = 0, mean_best = 0;
  for (const ClassRoom &c : world)
    for (const Student &s : c.students) {
      double best = 0;
      for (double p : s.p) {
        mean_p += p;
        best = std::max(best, p);
      }
      mean_best += best;
    }
  double total = static_cast<double>(classes) * students;
  fmt::print(
      "{}: {} classes x {} students, {} interactions each; mean latent p {:.3f}, mean best "
      "{:.3f}\n",
      w.name, classes, students, interactions, mean_p / (total * kModalityCount),
      mean_best / total);
  const std::vector<int> cps = checkpoints(interactions);
  auto header = [&](const char *title) {
    fmt::print("  {:<34}", title);
    for (int n : cps)
      fmt::print(" {:>6}", n);
    fmt::print("\n");
  };
  struct Row {
    std::string name;
    int kind;
    const PolicyConfig *cfg;
  };
  const int ts = static_cast<int>(PolicyKind::thompson), gr = static_cast<int>(PolicyKind::greedy);
  // Uniform ignores the posterior: one row serves both variants.
  const std::vector<Row> rows = {{"oracle", -1, &counts_cfg},
                                 {"uniform", static_cast<int>(PolicyKind::uniform), &counts_cfg},
                                 {"thompson, seed_rates", ts, &seed_cfg},
                                 {"greedy, seed_rates", gr, &seed_cfg},
                                 {"thompson, counts", ts, &counts_cfg},
                                 {"greedy, counts", gr, &counts_cfg}};
  header("cumulative resolution rate after");
  std::vector<Curve> curves;
  for (const Row &r : rows) {
    curves.push_back(simulate(world, w, r.kind, *r.cfg, seed, interactions));
    fmt::print("  {:<34}", r.name);
    for (int n : cps)
      fmt::print(" {:>6.3f}", curves.back().rate_at(n));
    fmt::print("   (escalations {})\n", curves.back().escalations);
  }
  for (size_t i : {size_t{2}, size_t{4}}) {
    fmt::print("  {:<34}",
               fmt::format("thompson - greedy, {}", evidence_name(rows[i].cfg->evidence)));
    for (int n : cps)
      fmt::print(" {:>+6.3f}", rate_diff(curves[i], curves[i + 1], n).mean);
    fmt::print("\n  {:<34}", "  2 standard errors (over classes)");
    for (int n : cps)
      fmt::print(" {:>6.3f}", 2 * rate_diff(curves[i], curves[i + 1], n).se);
    fmt::print("\n");
  }
  header("regret per student (expected)");
  for (size_t i = 1; i < curves.size(); ++i) {
    fmt::print("  {:<34}", rows[i].name);
    for (int n : cps)
      fmt::print(" {:>6.2f}", curves[i].regret_at(n));
    fmt::print("\n");
  }
  fmt::print("\n");
}

// Thompson against greedy under variants of the counts posterior, in one world.
void print_variants(const WorldSpec &w, uint64_t seed, int classes, int students, int interactions,
                    const PolicyConfig &base) {
  std::vector<ClassRoom> world = make_world(w, seed, classes, students);
  const int at[] = {15, interactions};
  fmt::print("{}, {} interactions: PolicyEvidence::counts variants\n", w.name, interactions);
  fmt::print("  {:<46} {:>13} {:>13} {:>22}\n", "", "thompson", "greedy",
             "thompson - greedy +- 2se");
  fmt::print("  {:<46} {:>6} {:>6} {:>6} {:>6} {:>10} {:>11}\n", "variant", at[0], at[1], at[0],
             at[1], at[0], at[1]);
  struct Variant {
    const char *name;
    PolicyConfig cfg;
  };
  std::vector<Variant> vs;
  vs.push_back({"defaults", base});
  for (double d : {0.02, 0.1}) {
    PolicyConfig c = base;
    c.class_evidence_weight = d;
    vs.push_back({d == 0.02 ? "class_evidence_weight 0.02" : "class_evidence_weight 0.1", c});
  }
  {
    PolicyConfig c = base;
    c.student_weight = 0;
    vs.push_back({"student_weight 0 (no double counting)", c});
  }
  {
    PolicyConfig c = base;
    c.class_weight = 4;
    c.student_weight = 0;
    vs.push_back({"class_weight 4, student_weight 0 (weak prior)", c});
  }
  for (const Variant &v : vs) {
    Curve t = simulate(world, w, static_cast<int>(PolicyKind::thompson), v.cfg, seed, interactions);
    Curve g = simulate(world, w, static_cast<int>(PolicyKind::greedy), v.cfg, seed, interactions);
    fmt::print("  {:<46}", v.name);
    for (const Curve *c : {&t, &g})
      for (int n : at)
        fmt::print(" {:>6.3f}", c->rate_at(n));
    for (int n : at) {
      Diff d = rate_diff(t, g, n);
      fmt::print(" {:>+6.3f}+-{:.3f}", d.mean, 2 * d.se);
    }
    fmt::print("\n");
  }
  fmt::print("\n");
}

template <class F>
double ns_per_call(int n, F &&f) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    f(i);
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
         n;
}

}  // namespace

int main(int argc, char **argv) {
  uint64_t seed = 42;
  int classes = 40, students = 25, interactions = 50;
  PolicyConfig cfg;  // the library's defaults unless overridden
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--classes") classes = std::atoi(argv[i + 1]);
    if (a == "--students") students = std::atoi(argv[i + 1]);
    if (a == "--interactions") interactions = std::atoi(argv[i + 1]);
    if (a == "--class-weight") cfg.class_weight = std::atof(argv[i + 1]);
    if (a == "--student-weight") cfg.student_weight = std::atof(argv[i + 1]);
    if (a == "--student-evidence-weight") cfg.student_evidence_weight = std::atof(argv[i + 1]);
    if (a == "--class-evidence-weight") cfg.class_evidence_weight = std::atof(argv[i + 1]);
  }
  if (classes < 1 || students < 1 || interactions < 1) {
    fmt::print("bench_policy: --classes, --students and --interactions must be positive\n");
    return 2;
  }
  check_policy_config(cfg);
  PolicyConfig seed_cfg = cfg, counts_cfg = cfg;
  seed_cfg.evidence = PolicyEvidence::seed_rates;
  counts_cfg.evidence = PolicyEvidence::counts;
  fmt::print("bench_policy (seed {}): prior Beta({}, {}) + class rate x {} + student vector x {}\n",
             seed, cfg.prior_alpha, cfg.prior_beta, cfg.class_weight, cfg.student_weight);
  fmt::print("  seed_rates: that prior alone (the seed's select_intervention)\n");
  fmt::print(
      "  counts:     that prior + {} x the student's resolutions and failures + {} x the "
      "class's\n\n",
      cfg.student_evidence_weight, cfg.class_evidence_weight);
  const WorldSpec main_world{"class profiles (sd 0.6) with individual variation (sd 0.8)", 0.6, 0.8,
                             false};
  print_world(main_world, seed, classes, students, interactions, seed_cfg, counts_cfg);

  fmt::print("Sensitivity (same seed and design, other worlds)\n\n");
  const WorldSpec others[] = {
      {"little individual variation (sd 0.3)", 0.6, 0.3, false},
      {"strong individual variation (sd 1.5)", 0.6, 1.5, false},
      {"the seed's world: p ~ Dirichlet(1,1,1,1,1), no class structure", 0, 0, true},
      {"the seed's Experiment 04: Dirichlet p, no episodes (any modality, every interaction)", 0, 0,
       true, true}};
  for (const WorldSpec &w : others)
    print_world(w, seed, classes, students, interactions, seed_cfg, counts_cfg);

  fmt::print("Sensitivity (the counts posterior's settings; same seed and worlds)\n\n");
  print_variants(main_world, seed, classes, students, interactions, counts_cfg);
  print_variants(others[2], seed, classes, students, interactions, counts_cfg);
  print_variants(others[3], seed, classes, students, interactions, counts_cfg);

  // Time per decision on a typical context (five arms, class data, a student vector).
  PolicyContext ctx;
  ctx.resolved_peer_exists = true;
  for (size_t m = 0; m < kModalityCount; ++m) {
    ctx.arms[m].class_attempts = 40;
    ctx.arms[m].class_resolutions = static_cast<int32_t>(12 + 3 * m);
    ctx.arms[m].student_attempts = static_cast<int32_t>(2 + m);
    ctx.arms[m].student_resolutions = static_cast<int32_t>(1 + m / 2);
    ctx.arms[m].student_rate =
        modality_vector_entry(ctx.arms[m].student_resolutions, ctx.arms[m].student_attempts, cfg);
  }
  const int n = 200000;
  Rng rng(seed);
  volatile double sink = 0;
  fmt::print("Time per decision ({} calls each)\n", n);
  for (const PolicyConfig *c : {&counts_cfg, &seed_cfg}) {
    PolicyContext x = ctx;
    double decide_ns = ns_per_call(
        n, [&](int) { sink = sink + decide(PolicyKind::thompson, x, *c, rng).propensity; });
    double prob_ns = ns_per_call(
        n, [&](int) { sink = sink + choice_probabilities(PolicyKind::thompson, x, *c)[0]; });
    double draw_ns = ns_per_call(n, [&](int) {
      for (size_t m = 0; m < kModalityCount; ++m) {
        BetaParams p = arm_posterior(x.arms[m], *c);
        sink = sink + rng.beta(p.alpha, p.beta);
      }
    });
    double greedy_ns = ns_per_call(
        n, [&](int) { sink = sink + decide(PolicyKind::greedy, x, *c, rng).propensity; });
    x.arms[4].tried = x.arms[3].tried = true;
    double decide3_ns = ns_per_call(
        n, [&](int) { sink = sink + decide(PolicyKind::thompson, x, *c, rng).propensity; });
    const char *e = evidence_name(c->evidence);
    fmt::print("  {:<10} thompson decide, 5 modalities:     {:>8.0f} ns\n", e, decide_ns);
    fmt::print("  {:<10} thompson propensities alone, 5:    {:>8.0f} ns\n", e, prob_ns);
    fmt::print("  {:<10} five Beta draws alone:             {:>8.0f} ns\n", e, draw_ns);
    fmt::print("  {:<10} thompson decide, 3 modalities:     {:>8.0f} ns\n", e, decide3_ns);
    fmt::print("  {:<10} greedy decide, 5 modalities:       {:>8.0f} ns\n", e, greedy_ns);
  }
  return 0;
}
