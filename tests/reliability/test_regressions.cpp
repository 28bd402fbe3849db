// Regression tests for crashes and bugs found by fuzzing (fuzz/) and by the
// bad-input table (docs/reliability.md): each case holds the minimized input.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tutorcore/common/error.hpp"
#include "tutorcore/tracing/dataset.hpp"

namespace {

std::string temp_csv(const std::string &text) {
  char tmpl[] = "/tmp/tc_regression_XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(tmpl, std::ios::binary) << text;
  return tmpl;
}

}  // namespace

// A NaN or infinite order_id was accepted and then compared in the sort of
// each student's answers (NaN breaks the comparator's strict weak ordering).
TEST_CASE("regression: load_csv refuses a non-finite order_id") {
  for (const char *bad : {"nan", "inf", "-inf", "1e400"}) {
    CAPTURE(bad);
    std::string path = temp_csv(
        std::string("user_id,skill_name,correct,order_id\ns1,k,1,2\ns1,k,0,") + bad + "\n");
    try {
      (void)tutorcore::load_csv(path);
      FAIL("accepted");
    } catch (const tutorcore::Error &e) {
      CHECK(e.code() == tutorcore::Errc::invalid);
      CHECK(std::string(e.what()).find("line 3: column 'order_id'") != std::string::npos);
      CHECK(std::string(e.what()).find("must be a finite number") != std::string::npos);
    }
    std::remove(path.c_str());
  }
}
