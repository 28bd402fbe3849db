// Reading AKT's assist2009_pid folds (4-line format: user, problems,
// skills, correctness) for the benchmarks.
#pragma once

#include <fmt/format.h>

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace tutorcore::bench {

struct AktRow {
  std::string user, problem, skill;
  bool correct = false;
};

inline std::vector<std::string> akt_fields(const std::string &line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) {
    if (!f.empty() && f.back() == '\r') f.pop_back();
    if (!f.empty()) out.push_back(f);
  }
  return out;
}

// Every answer of the given folds (dir/fold<k>.csv), in file order.
inline std::vector<AktRow> load_akt_folds(const std::string &dir,
                                          std::initializer_list<int> folds) {
  std::vector<AktRow> rows;
  for (int f : folds) {
    std::ifstream in(fmt::format("{}/fold{}.csv", dir, f));
    std::string user, problems, skills, correct;
    while (std::getline(in, user) && std::getline(in, problems) && std::getline(in, skills) &&
           std::getline(in, correct)) {
      std::string u = akt_fields(user).at(0);
      auto p = akt_fields(problems), k = akt_fields(skills), c = akt_fields(correct);
      for (size_t i = 0; i < p.size() && i < k.size() && i < c.size(); ++i)
        rows.push_back({u, p[i], k[i], c[i] == "1"});
    }
  }
  return rows;
}

}  // namespace tutorcore::bench
