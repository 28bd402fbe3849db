// Helpers shared by the C++ tests: temporary directories and file edits.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace testutil {
namespace fs = std::filesystem;

// A fresh directory removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    std::random_device rd;
    path = fs::temp_directory_path() / ("tutorcore-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(counter++) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string &name) const { return (path / name).string(); }
};

inline std::string read_file(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path &p, const std::string &text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Replaces the first occurrence of `from` in a file; fails the test when absent.
inline void replace_in_file(const fs::path &p, const std::string &from, const std::string &to) {
  std::string text = read_file(p);
  size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "fixture text not found: " << from);
  text.replace(at, from.size(), to);
  write_file(p, text);
}

inline std::string source_dir() {
  return TUTORCORE_SOURCE_DIR;
}

// The shared real-data folder: $TUTORCORE_DATA, else ../shared/data beside the checkout.
inline std::string data_dir() {
  const char *env = std::getenv("TUTORCORE_DATA");
  return env && *env ? std::string(env) : source_dir() + "/../shared/data";
}

}  // namespace testutil
