// bench_irt: joint IRT calibration (marginal maximum likelihood by EM) of
// the ASSISTments 2009 problem-level response matrix.
//
//   build-test/benchmarks/bench_irt [--data DIR] [--model rasch|2pl] [--max-iterations N]
//                                   [--plain]
//
// --model runs one model only, --max-iterations caps the EM iterations (for
// profiling a fixed amount of work, e.g. under callgrind), --plain turns the
// EM acceleration off.
// Reads the five AKT folds of assist2009_pid (4-line format: user, problems,
// skills, correctness), keeps each student's first answer to a problem (the
// folds repeat a multi-skill problem once per skill), and calibrates Rasch
// and 2PL. Target (issue 3): under 5 s. LSAT7's 2PL calibration, small and
// with mirt's published estimates, is the in-run baseline.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "akt_folds.hpp"
#include "tutorcore/irt/calibrate.hpp"

using namespace tutorcore;

int main(int argc, char **argv) {
  const char *env = std::getenv("TUTORCORE_DATA");
  std::string root = env && *env ? env : TUTORCORE_SOURCE_DIR "/../shared/data";
  std::string only;
  int max_iterations = 0;
  bool plain = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool value = i + 1 < argc;
    if (arg == "--plain") {
      plain = true;
    } else if (arg == "--data" && value) {
      root = argv[++i];
    } else if (arg == "--model" && value) {
      only = argv[++i];
    } else if (arg == "--max-iterations" && value) {
      max_iterations = std::atoi(argv[++i]);
    }
  }
  std::string dir = root + "/assist2009_pid";
  if (!std::filesystem::exists(dir + "/fold1.csv")) {
    fmt::print("bench_irt: skipped, {} has no fold1.csv\n", dir);
    return 0;
  }
  std::vector<ItemResponse> rows;
  std::vector<bench::AktRow> answers = bench::load_akt_folds(dir, {1, 2, 3, 4, 5});
  size_t raw = answers.size();
  for (const auto &a : answers)
    rows.push_back({a.user, a.problem, a.correct});
  ResponseMatrix m = response_matrix_from_rows(rows);
  fmt::print("bench_irt: {} rows read, {} first answers kept; {} students x {} problems\n\n", raw,
             m.entries.size(), m.persons(), m.items());

  if (std::filesystem::exists(root + "/irt_lsat/LSAT7.csv")) {
    MmlResult base = calibrate_mml(load_pattern_csv(root + "/irt_lsat/LSAT7.csv"));
    fmt::print(
        "  baseline LSAT7 2PL (1000 persons, 5 items): {:.4f} s, {} iterations, item 3 slope "
        "{:.3f} "
        "(mirt 1.706)\n",
        base.seconds, base.iterations, base.items[2].a);
  }
  for (IrtModel model : {IrtModel::rasch, IrtModel::two_pl}) {
    if (!only.empty() && only != (model == IrtModel::rasch ? "rasch" : "2pl")) continue;
    MmlOptions o;
    if (max_iterations > 0) o.max_iterations = max_iterations;
    if (plain) o.acceleration = EmAcceleration::none;
    o.model = model;
    o.tolerance = 1e-3;  // on a log-likelihood of about -2e5
    o.ridge = 0.1;       // problems everyone got right (or wrong) need a finite intercept
    MmlResult r = calibrate_mml(m, o);
    double b_min = 1e9, b_max = -1e9, penalised = r.log_likelihood;
    for (const auto &it : r.items) {
      b_min = std::min(b_min, it.b);
      b_max = std::max(b_max, it.b);
    }
    for (double d : r.intercepts)
      penalised -= 0.5 * o.ridge * d * d;  // what EM maximises
    fmt::print(
        "  {:<5} {:>8.3f} s  {:>4} EM iterations ({})  log-likelihood {:.3f} (with the ridge "
        "{:.3f})  b in [{:.2f}, {:.2f}]  target < 5 s: {}\n",
        model == IrtModel::rasch ? "Rasch" : "2PL", r.seconds, r.iterations,
        r.converged ? "converged" : "iteration limit", r.log_likelihood, penalised, b_min, b_max,
        r.seconds < 5 ? "met" : "MISSED");
  }
  return 0;
}
