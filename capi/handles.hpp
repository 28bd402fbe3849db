// The C ABI's opaque handles, for the entry points that take several kinds.
#pragma once

#include <memory>

#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/storage/ledger.hpp"

struct tc_domain {
  tutorcore::Domain domain;
};

struct tc_store {
  std::unique_ptr<tutorcore::Ledger> ledger;
};
