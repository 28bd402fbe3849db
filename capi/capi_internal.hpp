// Shared plumbing of the C entry points: the thread-local last error and the
// try/catch shim that turns every C++ failure into a tc_status.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "tutorcore/common/error.hpp"
#include "tutorcore/tutorcore.h"

namespace tutorcore {
inline namespace v0 {
namespace capi {

std::string &last_error();
inline void set_error(const std::string &msg) {
  last_error() = msg;
}

inline tc_status fail(tc_status s, const std::string &msg) {
  set_error(msg);
  return s;
}

// Runs `fn`, mapping what it throws. Every entry point starts here, which
// also clears the previous error.
template <class Fn>
tc_status guarded(Fn &&fn) noexcept {
  last_error().clear();
  try {
    fn();
    return TC_OK;
  } catch (const Error &e) {
    set_error(e.what());
    return static_cast<tc_status>(e.code());
  } catch (const std::bad_alloc &) {
    set_error("out of memory");
    return TC_ENOMEM;
  } catch (const std::exception &e) {
    set_error(std::string("internal error: ") + e.what());
    return TC_EINTERNAL;
  } catch (...) {
    set_error("internal error: unknown exception");
    return TC_EINTERNAL;
  }
}

// A copy of `s` in memory the caller releases with tc_free.
inline char *dup_string(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

inline void require(const void *p, const char *what) {
  if (!p) throw Error(Errc::invalid, std::string(what) + " is NULL");
}

}  // namespace capi
}  // namespace v0
}  // namespace tutorcore
