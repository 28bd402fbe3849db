// libFuzzer target: the CLI's CSV loader (load_csv) on a temporary file. The
// first byte picks whether the item and group columns are read too.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tutorcore/common/error.hpp"
#include "tutorcore/tracing/dataset.hpp"

namespace {
std::string path;  // the temporary CSV file, removed at exit
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (path.empty()) {
    char tmpl[] = "/tmp/tc_fuzz_csv_XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) std::abort();
    close(fd);
    path = tmpl;
    std::atexit([] { std::remove(path.c_str()); });
  }
  if (size < 1) return 0;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  tutorcore::CsvColumns cols;
  if (data[0] & 1) cols.item = "template_id";
  if (data[0] & 2) cols.group = "class_id";
  try {
    (void)tutorcore::load_csv(path, cols);
  } catch (const tutorcore::Error &) {
  }
  return 0;
}
