// bench_policy: modality selection policies on a simulated class (seed 003,
// validation experiment 04), and the time per Thompson decision.
//
//   build/benchmarks/bench_policy [--seed S] [--classes C] [--students N] [--interactions T]
//                                 [--class-weight W] [--student-weight W]
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
// only when a classmate has resolved the same misconception.
//
// The policies learn as they go: the class counts per modality come from all
// students' outcomes so far, the student's Laplace-smoothed modality vector
// from their own. Students take turns, so the class data grows during the
// run. Regret is the expected resolutions lost per student against an oracle
// that knows the student's probabilities and picks the best available
// modality in the same context. Every world and policy stream is seeded.
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
Curve simulate(const std::vector<ClassRoom> &world, int kind, const PolicyConfig &cfg,
               uint64_t seed, int interactions) {
  Curve out;
  out.resolved.assign(interactions, 0.0);
  out.regret.assign(interactions, 0.0);
  Rng policy_rng(seed ^ 0x7f4a7c159e3779b9ULL);
  for (size_t ci = 0; ci < world.size(); ++ci) {
    const ClassRoom &c = world[ci];
    const size_t n = c.students.size();
    out.students += static_cast<double>(n);
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
          ctx.arms[m].tried = ep[s].tried[m];
        }
        ctx.resolved_peer_exists = resolvers[mis] - (resolved_by[s][mis] ? 1 : 0) > 0;
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

void print_world(const WorldSpec &w, uint64_t seed, int classes, int students, int interactions,
                 const PolicyConfig &cfg) {
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
  std::vector<int> cps;
  for (int n : kCheckpoints)
    if (n <= interactions) cps.push_back(n);
  fmt::print("  {:<34}", "cumulative resolution rate after");
  for (int n : cps)
    fmt::print(" {:>6}", n);
  fmt::print("\n");
  struct Row {
    const char *name;
    int kind;
  };
  const Row rows[] = {{"oracle", -1},
                      {"thompson", static_cast<int>(PolicyKind::thompson)},
                      {"greedy", static_cast<int>(PolicyKind::greedy)},
                      {"uniform", static_cast<int>(PolicyKind::uniform)}};
  std::vector<Curve> curves;
  for (const Row &r : rows) {
    curves.push_back(simulate(world, r.kind, cfg, seed, interactions));
    fmt::print("  {:<34}", r.name);
    for (int n : cps)
      fmt::print(" {:>6.3f}", curves.back().rate_at(n));
    fmt::print("   (escalations {})\n", curves.back().escalations);
  }
  fmt::print("  {:<34}", "regret per student (expected)");
  for (int n : cps)
    fmt::print(" {:>6}", n);
  fmt::print("\n");
  for (size_t i = 1; i < curves.size(); ++i) {
    fmt::print("  {:<34}", rows[i].name);
    for (int n : cps)
      fmt::print(" {:>6.2f}", curves[i].regret_at(n));
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
  PolicyConfig cfg;  // the seed's defaults unless overridden
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--classes") classes = std::atoi(argv[i + 1]);
    if (a == "--students") students = std::atoi(argv[i + 1]);
    if (a == "--interactions") interactions = std::atoi(argv[i + 1]);
    if (a == "--class-weight") cfg.class_weight = std::atof(argv[i + 1]);
    if (a == "--student-weight") cfg.student_weight = std::atof(argv[i + 1]);
  }
  if (classes < 1 || students < 1 || interactions < 1) {
    fmt::print("bench_policy: --classes, --students and --interactions must be positive\n");
    return 2;
  }
  fmt::print(
      "bench_policy (seed {}): prior Beta({}, {}) + class rate x {} + student vector x {}\n\n",
      seed, cfg.prior_alpha, cfg.prior_beta, cfg.class_weight, cfg.student_weight);
  const WorldSpec main_world{"class profiles (sd 0.6) with individual variation (sd 0.8)", 0.6, 0.8,
                             false};
  print_world(main_world, seed, classes, students, interactions, cfg);

  fmt::print("Sensitivity (same seed and design, other worlds)\n\n");
  print_world({"little individual variation (sd 0.3)", 0.6, 0.3, false}, seed, classes, students,
              interactions, cfg);
  print_world({"strong individual variation (sd 1.5)", 0.6, 1.5, false}, seed, classes, students,
              interactions, cfg);
  print_world({"the seed's world: p ~ Dirichlet(1,1,1,1,1), no class structure", 0, 0, true}, seed,
              classes, students, interactions, cfg);

  // Time per decision on a typical context (five arms, class data, a student vector).
  PolicyContext ctx;
  ctx.resolved_peer_exists = true;
  for (size_t m = 0; m < kModalityCount; ++m) {
    ctx.arms[m].class_attempts = 40;
    ctx.arms[m].class_resolutions = static_cast<int32_t>(12 + 3 * m);
    ctx.arms[m].student_rate = 0.35 + 0.07 * static_cast<double>(m);
  }
  const int n = 200000;
  Rng rng(seed);
  volatile double sink = 0;
  double decide_ns = ns_per_call(
      n, [&](int) { sink = sink + decide(PolicyKind::thompson, ctx, cfg, rng).propensity; });
  double prob_ns = ns_per_call(
      n, [&](int) { sink = sink + choice_probabilities(PolicyKind::thompson, ctx, cfg)[0]; });
  double draw_ns = ns_per_call(n, [&](int) {
    for (size_t m = 0; m < kModalityCount; ++m) {
      BetaParams p = arm_posterior(ctx.arms[m], cfg);
      sink = sink + rng.beta(p.alpha, p.beta);
    }
  });
  double greedy_ns = ns_per_call(
      n, [&](int) { sink = sink + decide(PolicyKind::greedy, ctx, cfg, rng).propensity; });
  ctx.arms[4].tried = ctx.arms[3].tried = true;
  double decide3_ns = ns_per_call(
      n, [&](int) { sink = sink + decide(PolicyKind::thompson, ctx, cfg, rng).propensity; });
  fmt::print("Time per decision ({} calls each)\n", n);
  fmt::print("  thompson decide, 5 modalities:          {:>8.0f} ns\n", decide_ns);
  fmt::print("  thompson propensities alone, 5:         {:>8.0f} ns\n", prob_ns);
  fmt::print("  five Beta draws alone:                  {:>8.0f} ns\n", draw_ns);
  fmt::print("  thompson decide, 3 modalities:          {:>8.0f} ns\n", decide3_ns);
  fmt::print("  greedy decide, 5 modalities:            {:>8.0f} ns\n", greedy_ns);
  return 0;
}
