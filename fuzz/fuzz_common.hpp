// Shared helpers of the libFuzzer targets (fuzz/CMakeLists.txt).
#pragma once

#include <tutorcore/tutorcore.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace fuzz {

// Aborts (a libFuzzer crash) when a C ABI call breaks its contract: an
// internal error (an unexpected exception escaped), a failure without a
// message or that still handed out a result, a success without one.
inline void check_call(tc_status st, char *out, bool out_expected = true) {
  if (st == TC_EINTERNAL) {
    std::fprintf(stderr, "TC_EINTERNAL: %s\n", tc_last_error());
    std::abort();
  }
  if (st != TC_OK) {
    if (out != nullptr || tc_last_error() == nullptr || tc_last_error()[0] == '\0') {
      std::fprintf(stderr, "failure %d with a result or without a message\n", st);
      std::abort();
    }
    return;
  }
  if (out_expected && out == nullptr) {
    std::fprintf(stderr, "TC_OK without a result\n");
    std::abort();
  }
  tc_free(out);
}

// One tutor over an in-memory store and the fixture domain, reopened every
// `reset_every` inputs so that the log stays small; a few answers are
// submitted first so that analytics, coaching and teacher actions find data.
class Tutor {
 public:
  explicit Tutor(int reset_every = 500) : reset_every_(reset_every) {}
  ~Tutor() { close(); }

  tc_tutor *get() {
    if (tutor_ != nullptr && ++uses_ < reset_every_) return tutor_;
    close();
    uses_ = 0;
    open();
    return tutor_;
  }
  tc_store *store() { return store_; }

 private:
  void open() {
    if (domain_ == nullptr &&
        tc_domain_load(&domain_, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") != TC_OK) {
      std::fprintf(stderr, "fixture domain: %s\n", tc_last_error());
      std::abort();
    }
    tc_store_options so;
    tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION);
    so.backend = TC_STORE_MEMORY;
    if (tc_store_open(&store_, &so) != TC_OK ||
        tc_tutor_open(&tutor_, store_, domain_, nullptr, 0) != TC_OK) {
      std::fprintf(stderr, "open: %s\n", tc_last_error());
      std::abort();
    }
    static const char *const seed[] = {
        R"({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p2","answer":"3","idempotency_key":"k1"})",
        R"({"tenant":"t1","student":"s1","problem_id":"unit_alpha_p3","answer":"4","idempotency_key":"k2"})",
        R"({"tenant":"t1","student":"s2","problem_id":"unit_alpha_p2","answer":"2","idempotency_key":"k3"})",
        R"({"tenant":"t1","entity_type":"student","entity_id":"s1","type":"classroom.enrolled","payload":{"classroom_id":"c1"}})",
    };
    for (int i = 0; i < 3; ++i) {
      char *out = nullptr;
      if (tc_submit_response(tutor_, seed[i], std::strlen(seed[i]), &out) == TC_OK) tc_free(out);
    }
    char *out = nullptr;
    if (tc_store_append_json(&out, store_, seed[3], std::strlen(seed[3])) == TC_OK) tc_free(out);
  }
  void close() {
    tc_tutor_free(tutor_);
    tc_store_free(store_);
    tutor_ = nullptr;
    store_ = nullptr;
  }

  int reset_every_;
  int uses_ = 0;
  tc_domain *domain_ = nullptr;
  tc_store *store_ = nullptr;
  tc_tutor *tutor_ = nullptr;
};

}  // namespace fuzz
