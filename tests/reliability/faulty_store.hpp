// FaultyStore: a storage adapter wrapper for fault-injection tests. It passes
// every call to the wrapped adapter and fails the Nth append, the Nth read
// (read or read_keyed, counted together) or the Nth view checkpoint with
// Error(storage), as a full disk, a busy database or an I/O error would. A
// failed append stores nothing (the adapter contract: one transaction or
// nothing); a failed read may first deliver `read_prefix` events, as a read
// that breaks off mid-stream does.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <string>

#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/event_store.hpp"

namespace testutil {

enum class Fault { disk_full, busy, io };

inline const char *fault_name(Fault f) {
  switch (f) {
    case Fault::disk_full:
      return "disk full";
    case Fault::busy:
      return "busy";
    case Fault::io:
      return "I/O error";
  }
  return "?";
}

// The message a fault throws with; tests look for it in statuses.
inline std::string fault_message(Fault f, const char *op, int n) {
  switch (f) {
    case Fault::disk_full:
      return fmt::format("injected fault: database or disk is full (SQLITE_FULL) on {} #{}", op, n);
    case Fault::busy:
      return fmt::format("injected fault: database is locked (SQLITE_BUSY) on {} #{}", op, n);
    case Fault::io:
      return fmt::format("injected fault: disk I/O error (SQLITE_IOERR) on {} #{}", op, n);
  }
  return "injected fault";
}

class FaultyStore : public tutorcore::EventStore {
 public:
  // The counters and the plan, shared with the test (the ledger owns the store).
  struct Plan {
    Fault fault = Fault::io;
    int fail_append = 0;                    // fail the Nth append from now (1-based); 0: never
    int fail_read = 0;                      // fail the Nth read from now
    int fail_save = 0;                      // fail the Nth save_views from now
    int read_prefix = 0;                    // events a failing read delivers before it fails
    int appends = 0, reads = 0, saves = 0;  // calls since the plan was armed
    int injected = 0;                       // faults thrown so far
    void arm(Fault f, int append_at, int read_at, int save_at = 0, int prefix = 0) {
      fault = f;
      fail_append = append_at;
      fail_read = read_at;
      fail_save = save_at;
      read_prefix = prefix;
      appends = reads = saves = 0;
    }
    void disarm() { arm(fault, 0, 0, 0, 0); }
  };

  FaultyStore(std::unique_ptr<tutorcore::EventStore> inner, std::shared_ptr<Plan> plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}

  void append(const tutorcore::Event *events, size_t n, tutorcore::AppendOutcome *out) override {
    int k = ++plan_->appends;
    if (k == plan_->fail_append) fail("append", k);
    inner_->append(events, n, out);
  }

  void read(const tutorcore::EventQuery &q, const tutorcore::EventSink &sink) override {
    int k = ++plan_->reads;
    if (k != plan_->fail_read) return inner_->read(q, sink);
    int delivered = 0;
    inner_->read(q, [&](const tutorcore::Event &e) {
      if (delivered++ >= plan_->read_prefix) return false;
      return sink(e);
    });
    fail("read", k);
  }

  void read_keyed(const std::string &tenant, const std::string &key,
                  const tutorcore::EventSink &sink) override {
    int k = ++plan_->reads;
    if (k == plan_->fail_read) fail("read", k);
    inner_->read_keyed(tenant, key, sink);
  }

  int64_t last_id() override { return inner_->last_id(); }
  bool external_change() override { return inner_->external_change(); }
  int64_t load_views(tutorcore::ViewSet *views) override { return inner_->load_views(views); }

  void save_views(const tutorcore::ViewSet &views, bool full) override {
    int k = ++plan_->saves;
    if (k == plan_->fail_save) fail("view checkpoint", k);
    inner_->save_views(views, full);
  }

 private:
  [[noreturn]] void fail(const char *op, int k) {
    ++plan_->injected;
    throw tutorcore::Error(tutorcore::Errc::storage, fault_message(plan_->fault, op, k));
  }
  std::unique_ptr<tutorcore::EventStore> inner_;
  std::shared_ptr<Plan> plan_;
};

}  // namespace testutil
