// The domains the classifier tests label answers from: the two bundled
// domains and the minimal fixture, loaded once.
#pragma once

#include <memory>
#include <string>

#include "../test_util.hpp"
#include "tutorcore/knowledge/validate.hpp"

namespace classify_test {

inline std::shared_ptr<const tutorcore::Domain> load(const std::string &relative) {
  auto d = std::make_shared<tutorcore::Domain>();
  tutorcore::DomainReport r =
      tutorcore::load_domain(testutil::source_dir() + "/" + relative, d.get());
  REQUIRE(r.ok());
  return d;
}

inline std::shared_ptr<const tutorcore::Domain> algebra() {
  static auto d = load("examples/domains/algebra_fundamentals");
  return d;
}
inline std::shared_ptr<const tutorcore::Domain> chemistry() {
  static auto d = load("examples/domains/intro_chemistry");
  return d;
}
inline std::shared_ptr<const tutorcore::Domain> fixture() {
  static auto d = load("tests/fixtures/domains/minimal");
  return d;
}

}  // namespace classify_test
