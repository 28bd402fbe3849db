#include "tutorcore/storage/ledger.hpp"

#include <fmt/format.h>

#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
bool same_rules(const ViewRules &a, const ViewRules &b) {
  const EscalationConfig &x = a.escalation, &y = b.escalation;
  return x.max_modality_attempts == y.max_modality_attempts &&
         x.prereq_threshold == y.prereq_threshold &&
         x.conferences_before_referral == y.conferences_before_referral &&
         x.auto_approve == y.auto_approve && a.outcome.window == b.outcome.window;
}
}  // namespace

Ledger::Ledger(std::unique_ptr<EventStore> store, LedgerOptions opts)
    : store_(std::move(store)), opts_(opts) {
  std::lock_guard<std::mutex> lock(mu_);
  views_.set_rules(opts_.rules);
  store_->load_views(&views_);
  catch_up_locked();
}

Ledger::~Ledger() {
  try {
    checkpoint();
  } catch (...) {
    // The views are a cache; the next open folds what this one did not save.
  }
}

std::vector<AppendOutcome> Ledger::append(std::vector<Event> &events) {
  int64_t now = now_us();
  EventCheckOptions check;
  check.allow_personal_data = opts_.allow_personal_data;
  std::vector<ViewInput> inputs(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    Event &e = events[i];
    if (e.time_us == 0) e.time_us = now;
    if (e.author.empty()) e.author = "system";
    check_event(e, i, &inputs[i], check);
  }
  std::vector<AppendOutcome> out(events.size());
  std::unique_lock<std::mutex> lock(mu_);
  store_->append(events.data(), events.size(), out.data());

  // Fold straight from memory when the new ids follow the views without a
  // gap; a gap means another process appended in between, so read the log.
  int64_t expect = views_.through_id() + 1;
  bool contiguous = true;
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].id = out[i].id;
    if (out[i].inserted) contiguous = contiguous && out[i].id == expect++;
  }
  // The batch is committed: from here on nothing may throw, or the caller
  // would be told it failed (and listeners would miss it). A failed catch-up
  // or checkpoint is retried later: the views are a cache of the log.
  try {
    if (contiguous) {
      for (size_t i = 0; i < events.size(); ++i) {
        if (out[i].inserted) fold_locked(events[i], inputs[i]);
      }
      store_->external_change();  // our own commit is now accounted for
    } else {
      catch_up_locked();  // on failure the next read of the views catches up
    }
    if (opts_.checkpoint_every >= 0 && since_checkpoint_ >= opts_.checkpoint_every) {
      store_->save_views(views_, false);
      views_.clear_dirty();
      since_checkpoint_ = 0;
    }
  } catch (const Error &) {
    // Storage failed after the commit (reading others' events, or writing
    // the checkpoint): the dirty rows stay dirty for the next checkpoint.
  }
  if (!listeners_.empty()) {
    for (size_t i = 0; i < events.size(); ++i) {
      if (out[i].inserted) pending_.push_back(events[i]);
    }
    deliver(lock);
  }
  return out;
}

void Ledger::read(const EventQuery &q, const EventSink &sink) {
  if (q.tenant.empty()) throw Error(Errc::invalid, "event query: tenant is required");
  std::lock_guard<std::mutex> lock(mu_);
  store_->read(q, sink);
}

std::vector<Event> Ledger::read_keyed(const std::string &tenant, const std::string &key) {
  std::vector<Event> out;
  std::lock_guard<std::mutex> lock(mu_);
  store_->read_keyed(tenant, key, [&](const Event &e) {
    out.push_back(e);
    return true;
  });
  return out;
}

ViewRules Ledger::view_rules() {
  std::lock_guard<std::mutex> lock(mu_);
  return views_.rules();
}

void Ledger::set_view_rules(const ViewRules &rules) {
  check_escalation_config(rules.escalation);
  if (rules.outcome.window < 1)
    throw Error(Errc::invalid, "view rules: outcome.window must be >= 1");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (same_rules(views_.rules(), rules)) return;
    opts_.rules = rules;
  }
  rebuild_views();
}

void Ledger::rebuild_views() {
  std::lock_guard<std::mutex> lock(mu_);
  ViewSet fresh(opts_.rules);
  EventQuery all;
  store_->read(all, [&](const Event &e) {
    fresh.apply(e);
    return true;
  });
  store_->save_views(fresh, true);
  fresh.clear_dirty();
  views_ = std::move(fresh);
  since_checkpoint_ = 0;
}

void Ledger::checkpoint() {
  std::lock_guard<std::mutex> lock(mu_);
  catch_up_locked();
  store_->save_views(views_, false);
  views_.clear_dirty();
  since_checkpoint_ = 0;
}

int64_t Ledger::last_id() {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->last_id();
}

uint64_t Ledger::subscribe(EventListener fn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto l = std::make_shared<Listener>();
  l->token = next_token_;
  l->fn = std::move(fn);
  listeners_.push_back(std::move(l));
  return next_token_++;
}

bool Ledger::unsubscribe(uint64_t token) {
  std::shared_ptr<Listener> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = listeners_.begin(); it != listeners_.end(); ++it) {
      if ((*it)->token == token) {
        gone = *it;
        listeners_.erase(it);
        break;
      }
    }
  }
  if (!gone) return false;
  // Waits for a call in flight on another thread; the host may free what
  // the listener uses as soon as this returns.
  std::lock_guard<std::recursive_mutex> call(gone->call);
  gone->active = false;
  return true;
}

void Ledger::catch_up_locked() {
  // The first call after open always reads; later ones only when another
  // connection committed.
  if (!store_->external_change() && views_.through_id() == store_->last_id()) return;
  EventQuery q;
  q.after_id = views_.through_id();
  store_->read(q, [&](const Event &e) {
    fold_locked(e, read_view_input(e));
    return true;
  });
}

void Ledger::fold_locked(const Event &e, const ViewInput &in) {
  views_.apply(e, in);
  ++since_checkpoint_;
}

// Delivers pending events in log order without holding the lock during the
// callbacks, so listeners may call back into the ledger. Events a listener
// appends are queued and delivered by the thread already delivering.
void Ledger::deliver(std::unique_lock<std::mutex> &lock) {
  if (delivering_) return;
  delivering_ = true;
  while (!pending_.empty()) {
    Event e = std::move(pending_.front());
    pending_.pop_front();
    auto listeners = listeners_;
    lock.unlock();
    for (const auto &l : listeners) {
      std::lock_guard<std::recursive_mutex> call(l->call);
      if (!l->active) continue;  // unsubscribed after the list was copied
      try {
        l->fn(e);
      } catch (...) {
        // A listener's failure does not undo a committed event.
      }
    }
    lock.lock();
  }
  delivering_ = false;
}

}  // namespace v0
}  // namespace tutorcore
