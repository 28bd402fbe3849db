// tutorcore irt: calibrates item parameters from a response CSV by marginal
// maximum likelihood.
#include <fmt/format.h>

#include <stdexcept>

#include "cli.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/irt/calibrate.hpp"
#include "tutorcore/tracing/dataset.hpp"

namespace tutorcore {
inline namespace v0 {
namespace cli {

int run_irt(const std::vector<std::string> &args) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    throw std::invalid_argument(
        "usage: tutorcore irt FILE.csv [--patterns] [--model rasch|1pl|2pl] [--user-col C] "
        "[--item-col C] "
        "[--correct-col C] [--json]");
  }
  MmlOptions opts;
  std::string v;
  if (option(args, "--model", &v)) {
    if (v == "rasch")
      opts.model = IrtModel::rasch;
    else if (v == "1pl")
      opts.model = IrtModel::common_slope;
    else if (v == "2pl")
      opts.model = IrtModel::two_pl;
    else
      throw std::invalid_argument("--model " + v + ": use rasch, 1pl (one common slope) or 2pl");
  }
  ResponseMatrix m;
  if (flag(args, "--patterns")) {
    m = load_pattern_csv(args[0]);
  } else {
    // Long rows; an item's first answer by each person counts.
    CsvColumns cols;
    cols.user = "user_id";
    cols.skill = "item_id";
    option(args, "--user-col", &cols.user);
    option(args, "--item-col", &cols.skill);
    option(args, "--correct-col", &cols.correct);
    Dataset d = load_csv(args[0], cols);
    std::vector<ItemResponse> rows;
    for (const auto &s : d.skills) {
      for (size_t q = 0; q < s.sequences(); ++q) {
        rows.push_back({d.students[s.student[q]], s.skill, s.correct[s.starts[q]] != 0});
      }
    }
    m = response_matrix_from_rows(rows);
  }
  MmlResult r = calibrate_mml(m, opts);
  if (flag(args, "--json")) {
    JsonWriter w;
    w.begin_object().field("schema_version", 1).field("persons", static_cast<int64_t>(m.persons()));
    w.field("log_likelihood", r.log_likelihood)
        .field("iterations", r.iterations)
        .field("converged", r.converged);
    w.field("seconds", r.seconds).field("latent_variance", r.latent_variance);
    w.key("items").begin_array();
    for (size_t j = 0; j < r.items.size(); ++j) {
      w.begin_object()
          .field("item", m.item_ids[j])
          .field("a", r.items[j].a)
          .field("b", r.items[j].b);
      w.field("d", r.intercepts[j]).end_object();
    }
    w.end_array().end_object();
    fmt::print("{}\n", w.str());
    return 0;
  }
  double persons = 0;
  for (double w : m.weight)
    persons += w;
  fmt::print(
      "{}: {} rows ({} persons), {} items; {} EM iterations{}, log-likelihood {:.3f}, {:.3f} s\n",
      args[0], m.persons(), persons, m.items(), r.iterations,
      r.converged ? "" : " (iteration limit)", r.log_likelihood, r.seconds);
  if (opts.model == IrtModel::common_slope) {
    fmt::print("common slope {:.4f} (latent variance {:.4f} in the Rasch form)\n", r.items[0].a,
               r.latent_variance);
  }
  fmt::print("  {:<24} {:>9} {:>9} {:>9}\n", "item", "a", "b", "d");
  for (size_t j = 0; j < r.items.size(); ++j) {
    fmt::print("  {:<24.24} {:>9.4f} {:>9.4f} {:>9.4f}\n", m.item_ids[j], r.items[j].a,
               r.items[j].b, r.intercepts[j]);
  }
  return 0;
}

}  // namespace cli
}  // namespace v0
}  // namespace tutorcore
