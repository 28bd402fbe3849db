// The in-memory adapter: the same contract as SQLite, nothing persisted.
#include <string>
#include <unordered_map>
#include <utility>

#include "tutorcore/storage/sqlite_store.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

class MemoryStore final : public EventStore {
 public:
  void append(const Event *events, size_t n, AppendOutcome *out) override {
    // New keys are added as events are; on failure both are rolled back.
    size_t base = log_.size();
    std::vector<const std::string *> added;
    try {
      for (size_t i = 0; i < n; ++i) {
        const Event &e = events[i];
        if (!e.idempotency_key.empty()) {
          auto [it, fresh] = keys_.try_emplace(e.tenant + '\x1f' + e.idempotency_key,
                                               static_cast<int64_t>(log_.size() + 1));
          if (!fresh) {
            out[i] = {it->second, false};
            continue;
          }
          added.push_back(&it->first);
        }
        log_.push_back(e);
        log_.back().id = static_cast<int64_t>(log_.size());
        out[i] = {log_.back().id, true};
      }
    } catch (...) {
      for (const std::string *k : added) {
        std::string key = *k;  // erase must not read a key from the node it frees
        keys_.erase(key);
      }
      log_.resize(base);
      throw;
    }
  }

  void read(const EventQuery &q, const EventSink &sink) override {
    int64_t left = q.limit;
    for (size_t i = static_cast<size_t>(q.after_id < 0 ? 0 : q.after_id);
         i < log_.size() && left > 0; ++i) {
      const Event &e = log_[i];
      if (!q.tenant.empty() && e.tenant != q.tenant) continue;
      if (!q.entity_type.empty() && e.entity_type != q.entity_type) continue;
      if (!q.entity_id.empty() && e.entity_id != q.entity_id) continue;
      if (!q.type.empty() && e.type != q.type) continue;
      if (e.time_us < q.since_us || e.time_us >= q.until_us) continue;
      --left;
      if (!sink(e)) break;
    }
  }

  void read_keyed(const std::string &tenant, const std::string &key,
                  const EventSink &sink) override {
    for (const Event &e : log_) {
      if (e.tenant == tenant && is_keyed(e.idempotency_key, key) && !sink(e)) break;
    }
  }

  int64_t last_id() override { return static_cast<int64_t>(log_.size()); }
  int64_t load_views(ViewSet *) override { return 0; }
  void save_views(const ViewSet &, bool) override {}

 private:
  std::vector<Event> log_;
  std::unordered_map<std::string, int64_t> keys_;  // tenant \x1f key -> id
};

}  // namespace

std::unique_ptr<EventStore> open_memory_store() {
  return std::make_unique<MemoryStore>();
}

}  // namespace v0
}  // namespace tutorcore
