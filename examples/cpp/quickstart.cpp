// tutorcore from C++: the C ABI with RAII handles and exceptions, in a few
// lines. The library exports only the C ABI (stable across compilers and
// standard libraries); this is how a C++ host wraps it.
//
// Build: c++ -std=c++17 quickstart.cpp $(pkg-config --cflags --libs tutorcore)
#include <tutorcore/tutorcore.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

// Every status other than TC_OK becomes an exception with the library's message.
void check(tc_status s, const char *what) {
  if (s != TC_OK)
    throw std::runtime_error(std::string(what) + ": " + tc_status_str(s) + ": " + tc_last_error());
}

// Handles own their object; strings the library returns are freed with tc_free.
using Store = std::unique_ptr<tc_store, decltype(&tc_store_free)>;
using DomainHandle = std::unique_ptr<tc_domain, decltype(&tc_domain_free)>;
using TutorHandle = std::unique_ptr<tc_tutor, decltype(&tc_tutor_free)>;

std::string take(char *s) {
  std::unique_ptr<char, decltype(&tc_free)> owned(s, &tc_free);
  return owned ? std::string(owned.get()) : std::string();
}

std::string submit(tc_tutor *t, const std::string &request) {
  char *out = nullptr;
  check(tc_submit_response(t, request.data(), request.size(), &out), "submit");
  return take(out);
}

}  // namespace

int main(int argc, char **argv) {
  try {
    const char *domain_dir = argc > 1 ? argv[1] : "examples/domains/algebra_fundamentals";
    tc_store_options opts = TC_STORE_OPTIONS_INIT;
    opts.backend = TC_STORE_MEMORY;  // a file path and TC_STORE_SQLITE for a real deployment
    tc_store *s = nullptr;
    check(tc_store_open(&s, &opts), "open store");
    Store store(s, &tc_store_free);
    tc_domain *d = nullptr;
    check(tc_domain_load(&d, domain_dir), "load domain");
    DomainHandle domain(d, &tc_domain_free);
    tc_tutor *t = nullptr;
    check(tc_tutor_open(&t, store.get(), domain.get(), nullptr, 0), "open tutor");
    TutorHandle tutor(t, &tc_tutor_free);  // declared last: freed before the store

    std::string result = submit(tutor.get(), R"({"tenant":"district-7","student":"s-0192",
      "problem_id":"ias_01","answer":"-10","idempotency_key":"s-0192/answer/1"})");
    std::printf("%s\n", result.c_str());
    // Errors carry the status and a message naming the field.
    try {
      submit(tutor.get(), R"({"tenant":"district-7","student":"s-0192","problem_id":"nope",
        "answer":"1","idempotency_key":"k"})");
    } catch (const std::exception &e) {
      std::printf("refused: %s\n", e.what());
    }
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
