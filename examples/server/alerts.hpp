// The live tutor-alert stream: events a teacher should see (a recommendation
// waiting for approval, an escalation, a resolution) turned into alerts and
// fanned out to every open Server-Sent Events connection of their tenant.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tutorcore/knowledge/domain.hpp"
#include "tutorcore/storage/event.hpp"

namespace tutorcore::server {

// One SSE connection's queue.
class AlertQueue {
 public:
  explicit AlertQueue(std::string tenant) : tenant_(std::move(tenant)) {}
  const std::string &tenant() const { return tenant_; }
  void push(std::string alert);
  // Waits up to `ms` for alerts; returns them (empty on timeout or close).
  std::vector<std::string> wait(int ms);
  void close();
  bool closed();

 private:
  std::string tenant_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> q_;
  bool closed_ = false;
};

class AlertHub {
 public:
  explicit AlertHub(const Domain &d) : domain_(d) {}
  // The alert for an event, or "" when the event is not one a teacher needs.
  std::string alert_for(const Event &e) const;
  // Called by the ledger's subscription after each commit.
  void publish(const Event &e);
  std::shared_ptr<AlertQueue> open(const std::string &tenant);
  void close(const std::shared_ptr<AlertQueue> &q);
  void close_all();
  int64_t published() const { return published_; }

 private:
  const Domain &domain_;
  std::mutex mu_;
  std::vector<std::shared_ptr<AlertQueue>> queues_;
  int64_t published_ = 0;
};

}  // namespace tutorcore::server
