// The C ABI's opaque handles, for the entry points that take several kinds.
#pragma once

#include <memory>

#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/ledger.hpp"

struct tc_domain {
  tutorcore::Domain domain;
};

struct tc_store {
  std::unique_ptr<tutorcore::Ledger> ledger;
};

struct tc_tutor {
  std::unique_ptr<tutorcore::Tutor> tutor;
  tutorcore::Ledger *ledger = nullptr;  // the store's, which outlives the tutor
};
