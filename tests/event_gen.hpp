// A seeded generator of plausible event streams for store and view tests.
#pragma once

#include <fmt/format.h>

#include <random>
#include <string>

#include "tutorcore/storage/event.hpp"

namespace testutil {

class EventGen {
 public:
  explicit EventGen(uint64_t seed, int tenants = 3, int students = 40, bool replays = true)
      : rng_(seed), tenants_(tenants), students_(students), replays_(replays) {}

  tutorcore::Event next() {
    using tutorcore::Event;
    static const char *const kModalities[] = {"visual", "concrete", "pattern", "verbal", "peer"};
    static const char *const kStates[] = {"prerequisite_check", "prereq_remediation", "escalated",
                                          "teacher_conference", "iep_referral"};
    Event e;
    e.tenant = fmt::format("tenant-{}", pick(tenants_));
    e.entity_type = "student";
    e.entity_id = fmt::format("s-{}", pick(students_));
    e.time_us = 1700000000000000 + static_cast<int64_t>(++n_) * 1000;
    e.author = "system";
    std::string concept_id = fmt::format("concept_{}", pick(8));
    std::string mis = fmt::format("mis_{}", pick(6));
    const char *mod = kModalities[pick(5)];
    switch (pick(9)) {
      case 0:
      case 1:
        e.type = "response.submitted";
        e.payload =
            fmt::format(R"({{"problem_id":"p{}","concept_id":"{}","correct":{},"latency_ms":{}}})",
                        pick(50), concept_id, pick(2) ? "true" : "false", 1000 + pick(60000));
        break;
      case 2:
        e.type = "mastery.updated";
        e.payload = fmt::format(R"({{"concept_id":"{}","new_level":{}}})", concept_id, unit());
        break;
      case 3:
        e.type = "misconception.detected";
        e.payload = fmt::format(R"({{"misconception_id":"{}"}})", mis);
        break;
      case 4:
        e.type = "intervention.assigned";
        e.payload = fmt::format(R"({{"misconception_id":"{}","modality":"{}"}})", mis, mod);
        break;
      case 5:
        e.type = "intervention.outcome";
        e.payload = fmt::format(R"({{"misconception_id":"{}","modality":"{}","outcome":"{}"}})",
                                mis, mod, pick(2) ? "resolved" : "persisted");
        break;
      case 6:
        e.type = "escalation.transitioned";
        e.payload = fmt::format(R"({{"misconception_id":"{}","to":"{}"}})", mis, kStates[pick(5)]);
        break;
      case 7:
        e.type = "alert.created";
        e.payload = R"({"alert_type":"stuck","severity":"medium"})";
        break;
      default:
        e.entity_type = "classroom";
        e.entity_id = fmt::format("c-{}", pick(3));
        e.type = "assignment.created";
        e.payload = fmt::format(R"({{"title":"Set {}","problem_ids":["p1","p2"]}})", pick(100));
    }
    // Most events carry a key; some replay an earlier one.
    if (replays_ && pick(10) == 0 && n_ > 10) {
      e.idempotency_key = fmt::format("k-{}", pick(n_ - 1));
      e.tenant = fmt::format("tenant-{}", 0);
    } else if (pick(4) != 0) {
      e.idempotency_key = fmt::format("k-{}", n_);
    }
    return e;
  }

  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  double unit() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 rng_;
  int tenants_, students_;
  bool replays_;
  int n_ = 0;
};

}  // namespace testutil
