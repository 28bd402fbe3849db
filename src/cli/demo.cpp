// tutorcore demo: loads a domain, validates it, drives a simulated class of
// students through the SQLite event store and prints what the views say.
//
// The simulated students are deliberately simple (the validity simulator is
// a separate engine): each has a latent known/unknown state per concept, may
// hold some of the domain's misconceptions, and prefers some modalities. The
// demo shows the event flow the engines produce: responses, BKT mastery
// updates, detections, recommendations a teacher approves, assignments and
// outcomes assessed over the next three responses, escalation.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include "cli.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/tracing/bkt.hpp"
#include "tutorcore/tutorcore.h"

namespace tutorcore {
inline namespace v0 {
namespace cli {
namespace {

constexpr int kMaxAttemptsPerConcept = 12;
constexpr int kOutcomeWindow = 3;               // responses that assess an intervention (seed 003)
constexpr int64_t kStartUs = 1767225600000000;  // 2026-01-01T00:00:00Z: fixed, so runs repeat
constexpr int64_t kStepUs = 45 * 1000000;       // 45 s between answers

// Portable uniform double in [0, 1) from a 64-bit engine (the standard
// distributions may differ between library versions).
double unit(std::mt19937_64 &rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

struct Student {
  std::string id;
  std::vector<bool> known;                 // per concept
  std::set<size_t> misconceptions;         // held, by misconception index
  std::array<double, kModalityCount> fit;  // chance an intervention of a modality resolves
  std::vector<double> mastery;             // BKT estimate per concept
};

struct OpenIntervention {
  size_t misconception;
  Modality modality;
  int responses_seen = 0;
  bool seen_again = false;
};

class DemoClass {
 public:
  DemoClass(const Domain &d, Ledger &ledger, std::string tenant, uint64_t seed)
      : d_(d), ledger_(ledger), tenant_(std::move(tenant)), rng_(seed) {}

  void run(int n_students) {
    std::vector<size_t> order(d_.concepts.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return d_.concepts[a].level < d_.concepts[b].level;
    });
    for (int s = 0; s < n_students; ++s) {
      Student st = make_student(s);
      for (size_t c : order)
        practise(st, c);
    }
  }

  int64_t appended = 0, replayed = 0;

 private:
  Student make_student(int s) {
    Student st;
    st.id = fmt::format("s-{:04d}", s + 1);
    for (const auto &c : d_.concepts) {
      st.known.push_back(unit(rng_) < c.bkt.p_init);
      st.mastery.push_back(c.bkt.p_init);
    }
    for (size_t m = 0; m < d_.misconceptions.size(); ++m) {
      if (unit(rng_) < 0.12) st.misconceptions.insert(m);
    }
    for (auto &f : st.fit)
      f = 0.15 + 0.6 * unit(rng_);
    return st;
  }

  void practise(Student &st, size_t c) {
    const Concept &concept = d_.concepts[c];
    std::vector<const Problem *> bank;
    for (const auto &p : d_.problems) {
      if (p.concept_id == concept.id) bank.push_back(&p);
    }
    std::vector<std::unique_ptr<OpenIntervention>> open;
    for (int attempt = 0; attempt < kMaxAttemptsPerConcept; ++attempt) {
      if (st.mastery[c] >= d_.threshold_for(concept) && attempt >= 3) break;
      const Problem &p = *bank[static_cast<size_t>(attempt) % bank.size()];
      answer(st, c, p, open);
    }
  }

  void answer(Student &st, size_t c, const Problem &p,
              std::vector<std::unique_ptr<OpenIntervention>> &open) {
    const Concept &concept = d_.concepts[c];
    // A held misconception the problem can surface produces its wrong answer.
    const Misconception *shown = nullptr;
    for (const auto &mid : p.diagnostic_for) {
      auto it = d_.misconception_index.find(mid);
      if (it != d_.misconception_index.end() && st.misconceptions.count(it->second) &&
          unit(rng_) < 0.8) {
        shown = &d_.misconceptions[it->second];
        break;
      }
    }
    bool correct;
    if (shown) {
      correct = false;
    } else {
      correct = st.known[c] ? unit(rng_) >= concept.bkt.p_slip : unit(rng_) < concept.bkt.p_guess;
    }
    std::vector<Event> batch;
    JsonWriter w;
    w.begin_object()
        .field("problem_id", p.id)
        .field("concept_id", concept.id)
        .field("correct", correct);
    w.key("misconception_id");
    if (shown)
      w.value(shown->id);
    else
      w.null();
    w.field("latency_ms", static_cast<int64_t>(8000 + unit(rng_) * 40000)).end_object();
    push(batch, st, "response.submitted", w.take(), "student:" + st.id);

    double old_level = st.mastery[c];
    st.mastery[c] = bkt_update(old_level, correct, concept.bkt);
    w = JsonWriter();
    w.begin_object().field("concept_id", concept.id).field("old_level", old_level);
    w.field("new_level", st.mastery[c]).end_object();
    push(batch, st, "mastery.updated", w.take(), "system");

    // Open interventions on this concept are assessed over the next answers.
    for (auto &oi : open) {
      if (!oi) continue;
      oi->responses_seen += 1;
      if (shown && &d_.misconceptions[oi->misconception] == shown) oi->seen_again = true;
      if (oi->responses_seen < kOutcomeWindow) continue;
      const Misconception &m = d_.misconceptions[oi->misconception];
      bool resolved = !oi->seen_again && !st.misconceptions.count(oi->misconception);
      w = JsonWriter();
      w.begin_object()
          .field("misconception_id", m.id)
          .field("modality", modality_name(oi->modality));
      w.field("outcome", resolved ? "resolved" : "persisted");
      w.field("responses_since", kOutcomeWindow).end_object();
      push(batch, st, "intervention.outcome", w.take(), "system");
      if (resolved) resolved_peers_.insert(oi->misconception);
      tried_[{st.id, oi->misconception}].insert(oi->modality);
      oi.reset();
    }
    open.erase(std::remove(open.begin(), open.end(), nullptr), open.end());

    if (shown) {
      size_t mi = d_.misconception_index.at(shown->id);
      w = JsonWriter();
      w.begin_object().field("misconception_id", shown->id).field("concept_id", concept.id);
      w.field("problem_id", p.id).end_object();
      push(batch, st, "misconception.detected", w.take(), "system");
      bool already_open = std::any_of(open.begin(), open.end(),
                                      [&](const auto &oi) { return oi->misconception == mi; });
      if (!already_open) recommend(batch, st, mi, open);
    } else if (!st.known[c] && unit(rng_) < concept.bkt.p_learn) {
      st.known[c] = true;
    }
    auto outcomes = ledger_.append(batch);
    for (const auto &o : outcomes)
      (o.inserted ? appended : replayed) += 1;
  }

  // The engine recommends the next untried modality; the (simulated) teacher
  // approves it, and only then is it assigned. After every modality, escalate.
  void recommend(std::vector<Event> &batch, Student &st, size_t mi,
                 std::vector<std::unique_ptr<OpenIntervention>> &open) {
    const Misconception &m = d_.misconceptions[mi];
    auto &tried = tried_[{st.id, mi}];
    std::optional<Modality> pick;
    for (size_t k = 0; k < kModalityCount; ++k) {
      Modality mod = static_cast<Modality>(k);
      const Intervention &iv = d_.interventions[mi].by_modality[k];
      if (tried.count(mod)) continue;
      if (iv.requires_resolved_peer && !resolved_peers_.count(mi)) continue;
      pick = mod;
      break;
    }
    JsonWriter w;
    if (!pick) {
      w.begin_object().field("misconception_id", m.id).field("to", "escalated").end_object();
      push(batch, st, "escalation.transitioned", w.take(), "system");
      w = JsonWriter();
      w.begin_object().field("alert_type", "escalation").field("severity", "high");
      w.field("misconception_id", m.id).end_object();
      push(batch, st, "alert.created", w.take(), "system");
      return;
    }
    const char *mod = modality_name(*pick);
    w.begin_object().field("misconception_id", m.id).field("modality", mod).end_object();
    std::string body = w.take();
    push(batch, st, "intervention.recommended", body, "system");
    push(batch, st, "intervention.approved", body, "teacher:t-01");
    push(batch, st, "intervention.assigned", body, "teacher:t-01");
    open.push_back(std::make_unique<OpenIntervention>(OpenIntervention{mi, *pick}));
    if (unit(rng_) < st.fit[static_cast<size_t>(*pick)]) st.misconceptions.erase(mi);
  }

  void push(std::vector<Event> &batch, const Student &st, const char *type, std::string payload,
            std::string author) {
    Event e;
    e.tenant = tenant_;
    e.entity_type = "student";
    e.entity_id = st.id;
    e.type = type;
    e.payload = std::move(payload);
    e.author = std::move(author);
    clock_us_ += kStepUs / 8;
    e.time_us = clock_us_;
    // Deterministic keys: running the demo again on the same store replays
    // them, and the store keeps one copy of each event.
    e.idempotency_key = fmt::format("demo-{}-{}", tenant_, ++seq_);
    batch.push_back(std::move(e));
  }

  const Domain &d_;
  Ledger &ledger_;
  std::string tenant_;
  std::mt19937_64 rng_;
  int64_t clock_us_ = kStartUs;
  uint64_t seq_ = 0;
  std::set<size_t> resolved_peers_;
  std::map<std::pair<std::string, size_t>, std::set<Modality>> tried_;
};

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

  auto t0 = std::chrono::steady_clock::now();
  DemoClass cls(d, ledger, tenant, seed);
  cls.run(students);
  double sim_s = seconds_since(t0);
  fmt::print(
      "Class of {} students -> event store {}\n  {} events appended, {} replayed "
      "(already stored under the same idempotency keys) in {:.2f} s\n\n",
      students, so.path, cls.appended, cls.replayed, sim_s);

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
