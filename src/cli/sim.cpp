// tutorcore sim: a simulated study from the shell (docs/simulation.md).
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cli.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/sim/study.hpp"

namespace tutorcore {
inline namespace v0 {
namespace cli {

int run_sim(const std::vector<std::string> &args) {
  std::string dir, request = "{}", file, value;
  if (!option(args, "--domain", &dir)) {
    throw std::invalid_argument(
        "usage: tutorcore sim --domain DIR [--request JSON | --request-file FILE] "
        "[--students N] [--seed S] [--json]");
  }
  option(args, "--request", &request);
  if (option(args, "--request-file", &file)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::invalid_argument(fmt::format("cannot read {}", file));
    std::ostringstream text;
    text << in.rdbuf();
    request = text.str();
  }
  Domain d;
  DomainReport report = load_domain(dir, &d);
  if (!report.ok()) {
    fmt::print(stderr, "tutorcore sim: {} is not a valid domain (tutorcore validate {})\n", dir,
               dir);
    return 1;
  }
  StudyOptions o;
  try {
    o = study_options_from_json(request);
    if (option(args, "--students", &value)) o.students = std::stoi(value);
    if (option(args, "--seed", &value)) o.seed = std::stoull(value);
    check_study_options(o);
  } catch (const Error &e) {
    throw std::invalid_argument(e.what());
  } catch (const std::logic_error &) {
    throw std::invalid_argument(fmt::format("'{}' is not a number", value));
  }
  StudyResult r = run_study(d, o);
  if (flag(args, "--json")) {
    fmt::print("{}\n", study_result_json(r, o, d.id));
    return 0;
  }
  fmt::print("{} learners on '{}', {} interactions over {} concepts each, seed {}\n", r.students,
             d.id, r.budget, r.block_size, o.seed);
  fmt::print("  test      pre {:.3f}  post {:.3f}  gain {:.4f} (SE {:.4f})\n", r.pre.mean,
             r.post.mean, r.gain.mean, r.gain.se);
  fmt::print("  misconceptions per learner: {:.2f} at the start, {:.2f} at the end\n",
             r.misconceptions_start, r.misconceptions_end);
  fmt::print("  interventions per learner: {:.2f} ({:.2f} well targeted, {:.2f} mistargeted)\n",
             r.interventions, r.well_targeted, r.mistargeted);
  fmt::print("  answers right {:.1f}%, in the desirable difficulty band {:.1f}%\n",
             100.0 * r.accuracy, 100.0 * r.difficulty_hit_rate);
  fmt::print("  BKT RMSE against true knowledge: {:.3f} before, {:.3f} after\n", r.bkt_rmse.front(),
             r.bkt_rmse.back());
  return 0;
}

}  // namespace cli
}  // namespace v0
}  // namespace tutorcore
