// The tutorcore command-line tool: subcommands share this small interface.
#pragma once

#include <string>
#include <vector>

namespace tutorcore {
inline namespace v0 {
namespace cli {

// Each returns the process exit code: 0 success, 1 failure, 2 usage error.
int run_validate(const std::vector<std::string> &args);
int run_demo(const std::vector<std::string> &args);
int run_fit(const std::vector<std::string> &args);
int run_irt(const std::vector<std::string> &args);
int run_sim(const std::vector<std::string> &args);

// Finds "--name value" in args; returns false when absent. Throws
// std::invalid_argument when the value is missing.
bool option(const std::vector<std::string> &args, const std::string &name, std::string *value);
bool flag(const std::vector<std::string> &args, const std::string &name);

}  // namespace cli
}  // namespace v0
}  // namespace tutorcore
