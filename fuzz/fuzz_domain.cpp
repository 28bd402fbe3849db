// libFuzzer target: domain configuration files. The first byte picks which of
// the four files the rest replaces; the other three come from the fixture
// domain tests/fixtures/domains/minimal. load_domain must report, never crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"

namespace {
std::string dir;  // the temporary domain directory, removed at exit
const char *const kFiles[4] = {"knowledge_graph.json", "taxonomy.json", "interventions.json",
                               "problem_bank.json"};

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string &path, const char *data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data, static_cast<std::streamsize>(size));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static std::string originals[4];
  if (dir.empty()) {
    char tmpl[] = "/tmp/tc_fuzz_domain_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    dir = tmpl;
    std::atexit([] { std::filesystem::remove_all(dir); });
    for (int i = 0; i < 4; ++i) {
      originals[i] = read_file(
          std::string(TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal/") + kFiles[i]);
    }
  }
  if (size < 1) return 0;
  int which = data[0] % 4;
  for (int i = 0; i < 4; ++i) {
    std::string path = dir + "/" + kFiles[i];
    if (i == which) {
      write_file(path, reinterpret_cast<const char *>(data + 1), size - 1);
    } else {
      write_file(path, originals[i].data(), originals[i].size());
    }
  }
  tutorcore::Domain d;
  try {
    tutorcore::DomainReport r = tutorcore::load_domain(dir, &d);
    for (const auto &issue : r.issues)
      (void)tutorcore::DomainReport::format(issue);
    if (r.ok()) (void)tutorcore::domain_describe_json(d);
  } catch (const tutorcore::Error &) {
  }
  return 0;
}
