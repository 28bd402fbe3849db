// tutorcore validate DIR: every problem of a domain directory, or "valid".
#include <fmt/format.h>

#include <stdexcept>

#include "cli.hpp"
#include "tutorcore/knowledge/validate.hpp"

namespace tutorcore {
inline namespace v0 {
namespace cli {

int run_validate(const std::vector<std::string> &args) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    throw std::invalid_argument("usage: tutorcore validate DIR [--json]");
  }
  const std::string &dir = args[0];
  Domain d;
  DomainReport r = load_domain(dir, &d);
  if (flag(args, "--json")) {
    fmt::print("{}\n", domain_report_json(r, d));
    return r.ok() ? 0 : 1;
  }
  if (r.ok()) {
    fmt::print(
        "{}: valid domain '{}' ({} concepts, {} prerequisite edges, {} misconceptions, "
        "{} problems, {} templates)\n",
        dir, d.id, d.concepts.size(), d.prerequisite_edges(), d.misconceptions.size(),
        d.problems.size(), d.templates.size());
    return 0;
  }
  fmt::print("{}: {} problem{} found\n", dir, r.issues.size(), r.issues.size() == 1 ? "" : "s");
  for (const auto &i : r.issues) {
    std::string where = i.file.empty() ? dir : i.file;
    if (!i.path.empty()) where += ": " + i.path;
    fmt::print("  [{}] {}: {}\n      fix: {}\n", i.code, where, i.message, i.fix);
  }
  return 1;
}

}  // namespace cli
}  // namespace v0
}  // namespace tutorcore
