// What every experiment executable shares: its command line (--seed, --out,
// --quick) and writing results.json. Experiments print a short table to
// stdout; the JSON is the record their plot.py and docs page read.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace experiments {

struct Args {
  uint64_t seed = 42;
  std::string out = ".";  // folder for results.json
  bool quick = false;     // fewer episodes: a smoke run for tests
};

inline Args parse_args(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (std::strcmp(arg, "--seed") == 0 && i + 1 < argc) {
      a.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(arg, "--out") == 0 && i + 1 < argc) {
      a.out = argv[++i];
    } else if (std::strcmp(arg, "--quick") == 0) {
      a.quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--out DIR] [--quick]\n", argv[0]);
      std::exit(2);
    }
  }
  return a;
}

// Writes `json` to DIR/results.json, creating DIR.
inline void write_results(const Args &a, const std::string &json) {
  std::filesystem::create_directories(a.out);
  std::string path = (std::filesystem::path(a.out) / "results.json").string();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << json << '\n';
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
  std::printf("wrote %s\n", path.c_str());
}

}  // namespace experiments
