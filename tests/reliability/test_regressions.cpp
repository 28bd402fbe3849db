// Regression tests for crashes and bugs found by fuzzing (fuzz/) and by the
// bad-input table (docs/reliability.md): each case holds the minimized input.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <tutorcore/tutorcore.h>
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

// fuzz_coaching: a request of 4,851 '[' overflowed the stack (ASan
// stack-overflow in json_read.cpp walk_value): the DOM parser refused it as
// too deep, and locating the error walked the document recursively without
// a depth limit. Now the walk stops at simdjson's maximum depth (1024).
TEST_CASE("regression: deeply nested JSON requests are refused, not a stack overflow") {
  for (size_t depth : {4851, 200000}) {
    CAPTURE(depth);
    std::string deep(depth, '[');
    char *out = nullptr;
    CHECK(tc_bkt_fit(&out, deep.data(), deep.size(), nullptr, nullptr) == TC_EINVAL);
    CHECK(out == nullptr);
    CHECK(std::string(tc_last_error()).find("fit request: malformed JSON") == 0);

    tc_domain *d = nullptr;
    tc_store *st = nullptr;
    tc_tutor *t = nullptr;
    tc_store_options so;
    REQUIRE(tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") == TC_OK);
    REQUIRE(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
    so.backend = TC_STORE_MEMORY;
    REQUIRE(tc_store_open(&st, &so) == TC_OK);
    REQUIRE(tc_tutor_open(&t, st, d, nullptr, 0) == TC_OK);
    CHECK(tc_tutor_coaching(t, deep.data(), deep.size(), &out) == TC_EINVAL);
    CHECK(std::string(tc_last_error()).find("coaching request: malformed JSON") == 0);
    std::string in_object = "{\"plan\":" + deep;
    CHECK(tc_submit_response(t, in_object.data(), in_object.size(), &out) == TC_EINVAL);
    CHECK(std::string(tc_last_error()).find("submit request: malformed JSON") == 0);
    tc_tutor_free(t);
    tc_store_free(st);
    tc_domain_free(d);
  }
}
