// tutorcore demo: loads a domain, validates it, runs a simulated class
// (sim/classroom.hpp) through the answer pipeline on the SQLite event store
// with a simulated teacher approving recommendations, and prints what the
// views say: mastery, misconceptions, escalation states, effectiveness, and
// whether a rebuild from the log equals the incremental views.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

#include "cli.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sim/classroom.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/tracing/bkt.hpp"
#include "tutorcore/tutorcore.h"

namespace tutorcore {
inline namespace v0 {
namespace cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string bar(double x, int width) {
  int n = static_cast<int>(x * width + 0.5);
  return std::string(static_cast<size_t>(std::clamp(n, 0, width)), '#') +
         std::string(static_cast<size_t>(width - std::clamp(n, 0, width)), '.');
}

}  // namespace

int run_demo(const std::vector<std::string> &args) {
  std::string domain_dir;
  std::string data_dir = "tutorcore-data";
  std::string value;
  int students = 30;
  uint64_t seed = 42;
  if (!option(args, "--domain", &domain_dir)) {
    throw std::invalid_argument("--domain DIR is required (e.g. examples/domains/<name>)");
  }
  option(args, "--data", &data_dir);
  if (option(args, "--students", &value)) {
    students = std::stoi(value);
    if (students < 1 || students > 100000)
      throw std::invalid_argument("--students must be 1..100000");
  }
  if (option(args, "--seed", &value)) seed = std::stoull(value);
  const std::string tenant = "demo-school";

  fmt::print("tutorcore {} demo (seed {})\n\n", TC_VERSION_STRING, seed);
  Domain d;
  DomainReport report = load_domain(domain_dir, &d);
  if (!report.ok()) {
    fmt::print("domain {} is invalid:\n", domain_dir);
    for (const auto &i : report.issues)
      fmt::print("  {}\n", DomainReport::format(i));
    return 1;
  }
  fmt::print(
      "Domain '{}' ({}): valid\n  {} concepts, {} prerequisite edges, {} misconceptions x 5 "
      "modalities, {} problems, {} templates\n\n",
      d.id, d.name, d.concepts.size(), d.prerequisite_edges(), d.misconceptions.size(),
      d.problems.size(), d.templates.size());

  std::filesystem::create_directories(data_dir);
  SqliteOptions so;
  so.path = (std::filesystem::path(data_dir) / "tutorcore.db").string();
  Ledger ledger(open_sqlite_store(so));
  auto shared = std::make_shared<const Domain>(d);
  Tutor tutor(shared, ledger);

  auto t0 = std::chrono::steady_clock::now();
  ClassroomOptions co;
  co.tenant = tenant;
  co.students = students;
  co.seed = seed;
  ClassroomStats cls = run_classroom(tutor, co);
  double sim_s = seconds_since(t0);
  fmt::print(
      "Class of {} students -> event store {}\n  {} answers through the pipeline, {} replayed "
      "(already stored under the same idempotency keys) in {:.2f} s; the log holds {} events\n"
      "  the teacher approved {} recommendations ({} with another modality) and took up {} "
      "escalations\n\n",
      students, so.path, cls.answers, cls.replayed, sim_s, ledger.last_id(), cls.approvals,
      cls.modified, cls.escalations);

  // What the materialized views say.
  ledger.with_views([&](const ViewSet &v) {
    fmt::print("Mastery by concept (mean BKT estimate; students at the concept's threshold)\n");
    for (const auto &c : d.concepts) {
      double sum = 0;
      int n = 0, at = 0, attempts = 0, correct = 0;
      for (int s = 0; s < students; ++s) {
        const MasteryRow *r = v.mastery.find({tenant, fmt::format("s-{:04d}", s + 1), c.id});
        if (!r || !r->has_level) continue;
        sum += r->level;
        ++n;
        at += r->level >= d.threshold_for(c) ? 1 : 0;
        attempts += r->attempts;
        correct += r->correct;
      }
      double mean = n ? sum / n : 0.0;
      fmt::print("  {:<34.34} {} {:.2f}  {:>3}/{:<3} at {:.2f}  ({} answers, {:.0f}% correct)\n",
                 c.name.empty() ? c.id : c.name, bar(mean, 20), mean, at, students,
                 d.threshold_for(c), attempts, attempts ? 100.0 * correct / attempts : 0.0);
    }

    std::map<std::string, int> by_state;
    std::map<std::string, int> detections;
    for (const auto &[k, r] : v.escalation.sorted()) {
      if (k->a != tenant) continue;
      by_state[escalation_state_name(r->state())] += 1;
      detections[k->c] += r->machine.detections;
    }
    std::vector<std::pair<int, std::string>> top;
    for (auto &[mid, n] : detections)
      top.emplace_back(n, mid);
    std::sort(top.rbegin(), top.rend());
    fmt::print("\nMost detected misconceptions\n");
    for (size_t i = 0; i < top.size() && i < 8; ++i) {
      const Misconception *m = d.find_misconception(top[i].second);
      fmt::print("  {:>4}x  {}\n", top[i].first, m ? m->label : top[i].second);
    }
    fmt::print("\nEscalation states (student x misconception)\n");
    for (auto &[s, n] : by_state)
      fmt::print("  {:<24} {}\n", s, n);

    std::array<int, kModalityCount> att{}, res{};
    for (const auto &[k, r] : v.effectiveness.rows) {
      if (k.a != tenant) continue;
      Modality m;
      if (!parse_modality(k.c, &m)) continue;
      att[static_cast<size_t>(m)] += r.attempts;
      res[static_cast<size_t>(m)] += r.resolutions;
    }
    fmt::print("\nIntervention effectiveness by modality (teacher-approved assignments)\n");
    for (size_t i = 0; i < kModalityCount; ++i) {
      double rate = att[i] ? static_cast<double>(res[i]) / att[i] : 0.0;
      fmt::print("  {:<9} {} {:>4}/{:<4} resolved ({:.0f}%)\n",
                 modality_name(static_cast<Modality>(i)), bar(rate, 20), res[i], att[i],
                 100 * rate);
    }
    return 0;
  });

  // The views are a cache of the log: rebuild them and compare.
  ViewSet before = ledger.with_views([](const ViewSet &v) { return v; });
  auto t1 = std::chrono::steady_clock::now();
  ledger.rebuild_views();
  double rebuild_s = seconds_since(t1);
  bool same = ledger.with_views([&](const ViewSet &v) { return v == before; });
  fmt::print(
      "\nViews rebuilt from all {} events in the log in {:.3f} s; equal to the incremental "
      "views: {}\n",
      ledger.last_id(), rebuild_s, same ? "yes" : "NO");
  return same ? 0 : 1;
}

}  // namespace cli
}  // namespace v0
}  // namespace tutorcore
