// Ledger: an event store with its materialized views and subscribers. It
// checks events, appends them through the adapter, folds them into the views
// in log order, checkpoints the views, and tells subscribers. All methods are
// serialised by one mutex, so one Ledger can serve many threads.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tutorcore/storage/event_store.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {

struct LedgerOptions {
  // Events between view checkpoints (< 0: only on demand and at close). A
  // checkpoint rewrites every view row changed since the last one; reopening
  // after a crash refolds at most this many events (about 0.8 s per million).
  int64_t checkpoint_every = 1000000;
  ViewRules rules;  // the deployment's escalation and outcome rules
  // Lets payload fields named or shaped like a name or e-mail address into
  // the log (EventCheckOptions); off by default. It belongs to this Ledger
  // (the open store), not to the database: another Ledger over the same
  // file still refuses them unless it allows them too.
  bool allow_personal_data = false;
};

using EventListener = std::function<void(const Event &)>;

class Ledger {
 public:
  // Loads the view checkpoint and folds the events after it.
  Ledger(std::unique_ptr<EventStore> store, LedgerOptions opts = {});
  ~Ledger();  // checkpoints; errors there are swallowed (the log is the truth)
  Ledger(const Ledger &) = delete;
  Ledger &operator=(const Ledger &) = delete;

  // Checks and appends `events` atomically. Fills in time (now) and author
  // ("system") where empty and sets each stored event's id. Throws
  // Error(invalid) naming "event[i].field" (personal data too, unless the
  // options allow it), or Error(storage); on any throw nothing was stored.
  std::vector<AppendOutcome> append(std::vector<Event> &events);

  // Whether appends may carry personal data (LedgerOptions::allow_personal_data).
  bool allows_personal_data() const { return opts_.allow_personal_data; }

  // Reads events of q.tenant (required) in log order.
  void read(const EventQuery &q, const EventSink &sink);
  // The events of one request: idempotency key `key` or `key`/... (log order).
  std::vector<Event> read_keyed(const std::string &tenant, const std::string &key);

  // The rules the views are folded with. Changing them refolds the log.
  ViewRules view_rules();
  void set_view_rules(const ViewRules &rules);

  // Runs `fn` on the up-to-date views under the lock.
  template <class Fn>
  auto with_views(Fn &&fn) {
    std::lock_guard<std::mutex> lock(mu_);
    catch_up_locked();
    return fn(static_cast<const ViewSet &>(views_));
  }

  // Drops the views and refolds the whole log; on failure keeps the old ones.
  void rebuild_views();
  void checkpoint();
  int64_t last_id();

  // Listeners are called after commit, in log order, without the ledger's
  // lock, on the thread that is delivering (an appending thread; while one
  // thread delivers, events other threads append are delivered by it).
  uint64_t subscribe(EventListener fn);
  // Once this returns, the listener is never called again: a call in flight
  // on another thread is waited for (a listener may unsubscribe itself).
  bool unsubscribe(uint64_t token);

 private:
  void catch_up_locked();
  void fold_locked(const Event &e, const ViewInput &in);
  void deliver(std::unique_lock<std::mutex> &lock);

  std::mutex mu_;
  std::unique_ptr<EventStore> store_;
  LedgerOptions opts_;
  ViewSet views_;
  int64_t since_checkpoint_ = 0;

  struct Listener {
    uint64_t token;
    EventListener fn;
    std::recursive_mutex call;  // held during a call; unsubscribe takes it
    bool active = true;
  };
  std::vector<std::shared_ptr<Listener>> listeners_;
  uint64_t next_token_ = 1;
  std::deque<Event> pending_;  // committed, not yet delivered, in log order
  bool delivering_ = false;
};

}  // namespace v0
}  // namespace tutorcore
