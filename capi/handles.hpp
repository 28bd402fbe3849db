// The C ABI's opaque handles, for the entry points that take several kinds.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "capi_internal.hpp"

#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/ledger.hpp"

struct tc_domain {
  tutorcore::Domain domain;
};

struct tc_store {
  std::unique_ptr<tutorcore::Ledger> ledger;
  int32_t backend = 0;     // TC_STORE_* it was opened with (tc_store_describe)
  int32_t durability = 0;  // TC_DURABILITY_*
};

struct tc_tutor {
  std::unique_ptr<tutorcore::Tutor> tutor;
  tutorcore::Ledger *ledger = nullptr;  // the store's, which outlives the tutor
};

namespace tutorcore::capi {

// The shape of a tutor entry point that takes a JSON request and returns a
// JSON document: the NULL checks, the guarded shim, the copied result.
// fn(tc_tutor &, std::string_view request) returns the document.
template <class Fn>
tc_status tutor_request(tc_tutor *tutor, const char *request_json, size_t len, char **out_json,
                        Fn fn) {
  if (out_json) *out_json = nullptr;
  return guarded([&] {
    require(tutor, "tutor");
    require(request_json, "request_json");
    require(out_json, "out_json");
    *out_json = dup_string(fn(*tutor, std::string_view(request_json, len)));
  });
}

}  // namespace tutorcore::capi
