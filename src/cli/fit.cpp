// tutorcore fit: fits BKT per skill on a long-format CSV and reports
// parameters, held-out metrics and cross-validation.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "cli.hpp"
#include "tutorcore/tracing/fit.hpp"

namespace tutorcore {
inline namespace v0 {
namespace cli {
namespace {

int int_option(const std::vector<std::string> &args, const std::string &name, int fallback, int lo,
               int hi) {
  std::string v;
  if (!option(args, name, &v)) return fallback;
  size_t used = 0;
  int n = 0;
  try {
    n = std::stoi(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || n < lo || n > hi) {
    throw std::invalid_argument(
        fmt::format("{} {}: expected an integer in {}..{}", name, v, lo, hi));
  }
  return n;
}

// A progress bar on stderr when it is a terminal.
struct ProgressBar {
  bool on = isatty(2) != 0;
  std::string label;
  bool operator()(size_t done, size_t total) {
    if (!on || total == 0) return true;
    int width = 40, fill = static_cast<int>(width * done / total);
    fmt::print(stderr, "\r{} [{}{}] {}/{}", label, std::string(static_cast<size_t>(fill), '#'),
               std::string(static_cast<size_t>(width - fill), ' '), done, total);
    if (done == total) fmt::print(stderr, "\n");
    return true;
  }
};

// Per-item and per-group parameters under a skill's row, the first few.
void print_variant(const BktVariant &v) {
  constexpr size_t kShown = 8;
  for (size_t i = 0; i < v.items.size() && i < kShown; ++i) {
    fmt::print("    item {:<23.23}", v.items[i]);
    if (!v.guess.empty()) fmt::print(" guess {:.4f} slip {:.4f}", v.guess[i], v.slip[i]);
    if (!v.learn.empty()) fmt::print(" learn {:.4f} forget {:.4f}", v.learn[i], v.forget[i]);
    fmt::print("\n");
  }
  if (v.items.size() > kShown)
    fmt::print("    ... {} more items (--json or --model-out has them all)\n",
               v.items.size() - kShown);
  for (size_t g = 0; g < v.groups.size() && g < kShown; ++g)
    fmt::print("    group {:<22.22} prior {:.4f}\n", v.groups[g], v.init[g]);
  if (v.groups.size() > kShown)
    fmt::print("    ... {} more groups (--json or --model-out has them all)\n",
               v.groups.size() - kShown);
}

}  // namespace

int run_fit(const std::vector<std::string> &args) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    throw std::invalid_argument(
        "usage: tutorcore fit TRAIN.csv [--test TEST.csv] [--forgets] [--restarts N] [--seed S] "
        "[--folds K] [--threads N] [--max-iter N] [--max-guess G] [--max-slip S] [--json] "
        "[--model-out FILE] [--user-col C] "
        "[--skill-col C] [--correct-col C] [--order-col C] [--multigs] [--multilearn] "
        "[--multiprior] [--item-col C] [--group-col C] [--pseudo-count N]");
  }
  CsvColumns cols;
  option(args, "--user-col", &cols.user);
  option(args, "--skill-col", &cols.skill);
  option(args, "--correct-col", &cols.correct);
  option(args, "--order-col", &cols.order);
  FitOptions opts;
  opts.forgets = flag(args, "--forgets");
  opts.multigs = flag(args, "--multigs");
  opts.multilearn = flag(args, "--multilearn");
  opts.multiprior = flag(args, "--multiprior");
  // pyBKT's default item column for the per-item variants.
  if (!option(args, "--item-col", &cols.item) && (opts.multigs || opts.multilearn))
    cols.item = "template_id";
  if (!option(args, "--group-col", &cols.group) && opts.multiprior)
    throw std::invalid_argument("--multiprior needs --group-col C: the column naming each group");
  opts.restarts = int_option(args, "--restarts", opts.restarts, 1, 1000);
  opts.max_iterations = int_option(args, "--max-iter", opts.max_iterations, 1, 100000);
  opts.threads = int_option(args, "--threads", 0, 0, 1024);
  std::string v;
  if (option(args, "--seed", &v)) {
    try {
      opts.seed = std::stoull(v);
    } catch (...) {
      throw std::invalid_argument("--seed " + v + ": expected a non-negative integer");
    }
  }
  for (auto [name, slot] : {std::pair<const char *, double *>{"--max-guess", &opts.max_guess},
                            {"--max-slip", &opts.max_slip},
                            {"--pseudo-count", &opts.variant_pseudo_count}}) {
    if (!option(args, name, &v)) continue;
    try {
      *slot = std::stod(v);
    } catch (...) {
      throw std::invalid_argument(std::string(name) + " " + v + ": expected a number");
    }
  }
  int folds = int_option(args, "--folds", 0, 0, 100);
  if (folds == 1) throw std::invalid_argument("--folds 1: cross-validation needs at least 2 folds");
  bool json = flag(args, "--json");
  std::string test_path, model_out;
  bool has_test = option(args, "--test", &test_path);
  bool has_model = option(args, "--model-out", &model_out);

  Dataset train = load_csv(args[0], cols);
  ProgressBar bar;
  bar.on = bar.on && !json;
  bar.label = "fitting skills";
  opts.progress = std::ref(bar);
  FitReport report = fit_bkt(train, opts);
  BktModel model = model_from_fit(report, opts.forgets);
  double ns = report.response_iterations > 0 ? report.seconds * 1e9 * report.threads /
                                                   static_cast<double>(report.response_iterations)
                                             : 0.0;

  Metrics test;
  if (has_test) test = evaluate(model, load_csv(test_path, cols));
  CrossValidation cv;
  if (folds >= 2) {
    bar.label = "cross-validating";
    cv = cross_validate(train, folds, opts);
  }
  if (has_model) {
    std::ofstream out(model_out, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("--model-out " + model_out + ": cannot write the file");
    out << model_to_json(model) << "\n";
  }

  size_t flagged = 0;
  for (const auto &f : report.skills)
    flagged += f.guess_at_bound || f.slip_at_bound;
  if (json) {
    fmt::print("{}\n", fit_report_json(report, model, train, opts, has_test ? &test : nullptr,
                                       folds >= 2 ? &cv : nullptr));
    return 0;
  }

  fmt::print("{}: {} responses, {} students, {} skills\n", args[0], train.responses,
             train.students.size(), model.skills.size());
  fmt::print(
      "fit: {} restarts, {}, {:.3f} s ({:.0f} responses/s, {:.2f} ns per answer per EM iteration "
      "per thread)\n\n",
      opts.restarts, opts.forgets ? "with forgetting" : "no forgetting", report.seconds,
      static_cast<double>(train.responses) / report.seconds, ns);
  fmt::print("  {:<28} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>13} {:>5}\n", "skill", "answers",
             "prior", "learn", "guess", "slip", "forget", "log-lik", "iters");
  for (const auto &f : report.skills) {
    if (f.responses == 0) continue;
    fmt::print("  {:<28.28} {:>7} {:>7.4f} {:>7.4f} {:>7.4f} {:>7.4f} {:>7.4f} {:>13.2f} {:>5}{}\n",
               f.skill, f.responses, f.params.p_init, f.params.p_learn, f.params.p_guess,
               f.params.p_slip, f.params.p_forget, f.log_likelihood, f.iterations,
               f.guess_at_bound || f.slip_at_bound
                   ? fmt::format("  at bound:{}{}", f.guess_at_bound ? " guess" : "",
                                 f.slip_at_bound ? " slip" : "")
                   : "");
    print_variant(f.variant);
  }
  if (flagged)
    fmt::print("\n{} skills reached the guess or slip bound (see the flags above)\n", flagged);
  if (has_test) {
    fmt::print("\nheld-out {}: {} answers, AUC {:.4f}, RMSE {:.4f}, accuracy {:.4f}{}\n", test_path,
               test.responses, test.auc, test.rmse, test.accuracy,
               test.unseen_skills
                   ? fmt::format(" ({} skills unseen in training)", test.unseen_skills)
                   : "");
  }
  if (folds >= 2) {
    fmt::print("{}-fold cross-validation by student: AUC {:.4f}, RMSE {:.4f}, accuracy {:.4f}\n",
               folds, cv.pooled.auc, cv.pooled.rmse, cv.pooled.accuracy);
  }
  if (has_model) fmt::print("model written to {}\n", model_out);
  return 0;
}

}  // namespace cli
}  // namespace v0
}  // namespace tutorcore
