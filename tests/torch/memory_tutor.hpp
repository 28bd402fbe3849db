// A tutor through the C ABI on an in-memory store, released at scope exit:
// what the torch tests' C-ABI cases share.
#pragma once

#include <doctest/doctest.h>

#include "tutorcore/tutorcore.h"

struct MemoryTutor {
  tc_domain *d = nullptr;
  tc_store *st = nullptr;
  tc_tutor *t = nullptr;

  explicit MemoryTutor(const char *domain_dir) {
    tc_store_options so;
    REQUIRE(tc_store_options_init(&so, TC_STORE_OPTIONS_VERSION) == TC_OK);
    so.backend = TC_STORE_MEMORY;
    REQUIRE(tc_domain_load(&d, domain_dir) == TC_OK);
    REQUIRE(tc_store_open(&st, &so) == TC_OK);
    REQUIRE(tc_tutor_open(&t, st, d, nullptr, 0) == TC_OK);
  }
  ~MemoryTutor() {
    tc_tutor_free(t);
    tc_store_free(st);
    tc_domain_free(d);
  }
  MemoryTutor(const MemoryTutor &) = delete;
  MemoryTutor &operator=(const MemoryTutor &) = delete;
};
