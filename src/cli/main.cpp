// tutorcore: validate domains and run the demo class from the shell.
#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

#include "cli.hpp"
#include "tutorcore/tutorcore.h"

namespace tutorcore {
inline namespace v0 {
namespace cli {

bool option(const std::vector<std::string> &args, const std::string &name, std::string *value) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      if (i + 1 >= args.size()) throw std::invalid_argument(fmt::format("{} needs a value", name));
      *value = args[i + 1];
      return true;
    }
  }
  return false;
}

bool flag(const std::vector<std::string> &args, const std::string &name) {
  for (const auto &a : args) {
    if (a == name) return true;
  }
  return false;
}

}  // namespace cli
}  // namespace v0
}  // namespace tutorcore

namespace {
const char *const kUsage =
    "usage: tutorcore <command> [options]\n"
    "\n"
    "commands:\n"
    "  validate DIR [--json]      check a domain directory; list every problem\n"
    "  demo --domain DIR [--data DIR] [--students N] [--seed S]\n"
    "                             drive a simulated class through the event store\n"
    "  fit TRAIN.csv [--test TEST.csv] [--forgets] [--restarts N] [--seed S] [--folds K]\n"
    "      [--threads N] [--max-iter N] [--max-guess G] [--max-slip S] [--json]\n"
    "      [--model-out FILE] [--user-col C]\n"
    "      [--skill-col C] [--correct-col C] [--order-col C]\n"
    "                             fit BKT per skill; held-out and cross-validated metrics\n"
    "  irt FILE.csv [--patterns] [--model rasch|1pl|2pl] [--user-col C] [--item-col C]\n"
    "      [--correct-col C] [--json]\n"
    "                             calibrate items by marginal maximum likelihood\n"
    "  sim --domain DIR [--request JSON | --request-file FILE] [--students N] [--seed S]\n"
    "      [--json]               run a simulated study (docs/simulation.md)\n"
    "  version                    print the library version\n";
}

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (cmd == "validate") return tutorcore::cli::run_validate(args);
    if (cmd == "demo") return tutorcore::cli::run_demo(args);
    if (cmd == "fit") return tutorcore::cli::run_fit(args);
    if (cmd == "irt") return tutorcore::cli::run_irt(args);
    if (cmd == "sim") return tutorcore::cli::run_sim(args);
    if (cmd == "version" || cmd == "--version") {
      fmt::print("tutorcore {}\n", TC_VERSION_STRING);
      return 0;
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    fmt::print(stderr, "tutorcore: unknown command '{}'\n\n{}", cmd, kUsage);
    return 2;
  } catch (const std::invalid_argument &e) {
    fmt::print(stderr, "tutorcore {}: {}\n", cmd, e.what());
    return 2;
  } catch (const std::exception &e) {
    fmt::print(stderr, "tutorcore {}: {}\n", cmd, e.what());
    return 1;
  }
}
