// libFuzzer target: simulation requests (tc_sim_run). A request the parser
// refuses goes through the C ABI (its error path); one it accepts runs with
// the work bounded (3 learners, 30 interactions, banks of 30) so that a
// request for a million learners does not stall the fuzzer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/sim/study.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static tc_domain *domain = [] {
    tc_domain *d = nullptr;
    if (tc_domain_load(&d, TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal") != TC_OK) {
      std::abort();
    }
    return d;
  }();
  static tutorcore::Domain world = [] {
    tutorcore::Domain d;
    if (!tutorcore::load_domain(TUTORCORE_SOURCE_DIR "/tests/fixtures/domains/minimal", &d).ok()) {
      std::abort();
    }
    return d;
  }();
  std::string_view request(reinterpret_cast<const char *>(data), size);
  tutorcore::StudyOptions o;
  try {
    o = tutorcore::study_options_from_json(request);
  } catch (const tutorcore::Error &) {
    char *out = nullptr;
    tc_status st = tc_sim_run(domain, request.data(), request.size(), &out);
    if (st == TC_OK) std::abort();  // the C ABI accepted what the parser refused
    fuzz::check_call(st, out);
    return 0;
  }
  o.students = std::min(o.students, 3);
  o.budget = std::min(o.budget, 30);
  o.bank_size = std::min(o.bank_size, 30);
  o.threads = 1;
  tutorcore::StudyResult r = tutorcore::run_study(world, o);
  std::string json = tutorcore::study_result_json(r, o, world.id);
  if (json.empty()) std::abort();
  return 0;
}
