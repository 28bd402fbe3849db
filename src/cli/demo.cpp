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
#include <simdjson.h>

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
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/tracing/bkt.hpp"
#include "tutorcore/tutorcore.h"

namespace tutorcore {
inline namespace v0 {
namespace cli {
namespace {

constexpr int kMaxAttemptsPerConcept = 12;
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
  std::set<std::string> misconceptions;    // held, by id
  std::array<double, kModalityCount> fit;  // chance an intervention of a modality resolves
};

// What the demo reads of a submit result.
struct Reply {
  std::string next_problem, next_concept;
  std::vector<std::pair<std::string, std::string>> recommendations;  // misconception, modality
  std::vector<std::string> escalated;                                // misconceptions
  bool mastered = false;
};

std::string text_of(simdjson::dom::object o, const char *key) {
  std::string_view v;
  return o[key].get_string().get(v) ? std::string() : std::string(v);
}

Reply read_reply(const std::string &json) {
  Reply r;
  simdjson::dom::parser parser;
  simdjson::dom::object doc, mastery, next;
  simdjson::dom::array list;
  if (parser.parse(json).get_object().get(doc))
    throw std::runtime_error("demo: the pipeline returned no JSON object");
  if (!doc["mastery"].get_object().get(mastery) && mastery["mastered"].get_bool().get(r.mastered))
    r.mastered = false;
  if (!doc["next_problems"].get_object().get(next) && !next["problems"].get_array().get(list)) {
    for (simdjson::dom::element e : list) {
      simdjson::dom::object o;
      if (e.get_object().get(o)) continue;
      r.next_problem = text_of(o, "problem_id");
      r.next_concept = text_of(o, "concept_id");
      break;
    }
  }
  if (!doc["recommendations"].get_array().get(list)) {
    for (simdjson::dom::element e : list) {
      simdjson::dom::object o;
      if (!e.get_object().get(o))
        r.recommendations.emplace_back(text_of(o, "misconception_id"), text_of(o, "modality"));
    }
  }
  if (!doc["outcomes"].get_array().get(list)) {
    for (simdjson::dom::element e : list) {
      simdjson::dom::object o;
      if (!e.get_object().get(o) && text_of(o, "state") == "escalated")
        r.escalated.push_back(text_of(o, "misconception_id"));
    }
  }
  return r;
}

// Drives the class through the one-call pipeline: each answer goes to
// Tutor::submit, the simulated teacher approves (sometimes modifies) what the
// engine recommends, and takes up escalations.
class DemoClass {
 public:
  DemoClass(const Domain &d, Tutor &tutor, std::string tenant, uint64_t seed)
      : d_(d), tutor_(tutor), tenant_(std::move(tenant)), rng_(seed) {}

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

  int64_t answers = 0, replayed = 0, approvals = 0, modified = 0, escalations = 0;

 private:
  Student make_student(int s) {
    Student st;
    st.id = fmt::format("s-{:04d}", s + 1);
    for (const auto &c : d_.concepts)
      st.known.push_back(unit(rng_) < c.bkt.p_init);
    for (const auto &m : d_.misconceptions) {
      if (unit(rng_) < 0.12) st.misconceptions.insert(m.id);
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
    std::string next;  // the tutor's first proposal, when it is on this concept
    for (int attempt = 0; attempt < kMaxAttemptsPerConcept; ++attempt) {
      const Problem *p =
          next.empty() ? bank[static_cast<size_t>(attempt) % bank.size()] : d_.find_problem(next);
      SubmitResult r = answer(st, c, *p);
      Reply reply = read_reply(r.json);
      next = reply.next_concept == concept.id ? reply.next_problem : std::string();
      for (const auto &[mid, modality] : reply.recommendations)
        approve(st, mid, modality);
      for (const auto &mid : reply.escalated)
        conference(st, mid);
      if (reply.mastered && attempt >= 3) break;
    }
  }

  SubmitResult answer(Student &st, size_t c, const Problem &p) {
    const Concept &concept = d_.concepts[c];
    // A held misconception the problem can surface produces its wrong answer.
    std::string text;
    for (const auto &[mid, wrong] : p.misconception_answers) {
      if (st.misconceptions.count(mid) && unit(rng_) < 0.8) {
        text = wrong;
        break;
      }
    }
    if (text.empty()) {
      bool correct =
          st.known[c] ? unit(rng_) >= concept.bkt.p_slip : unit(rng_) < concept.bkt.p_guess;
      text = correct ? p.correct_answer : "I am not sure";
      if (!st.known[c] && unit(rng_) < concept.bkt.p_learn) st.known[c] = true;
    }
    SubmitRequest r;
    r.tenant = tenant_;
    r.student = st.id;
    r.problem_id = p.id;
    r.answer = text;
    r.latency_ms = 8000 + unit(rng_) * 40000;
    r.time_us = clock_us_ += kStepUs;
    // Deterministic keys: running the demo again on the same store replays
    // every answer, and the store keeps one copy of each event.
    r.idempotency_key = fmt::format("demo-{}-{}", tenant_, ++seq_);
    SubmitResult res = tutor_.submit(r);
    (res.replayed ? replayed : answers) += 1;
    return res;
  }

  // The teacher approves the recommendation, or one time in six picks
  // another modality; the intervention works with the student's fit for it.
  void approve(Student &st, const std::string &mid, const std::string &recommended) {
    TeacherAction a;
    a.kind = TeacherActionKind::approve;
    a.tenant = tenant_;
    a.student = st.id;
    a.misconception_id = mid;
    a.teacher_id = "t-01";
    a.time_us = clock_us_ += kStepUs / 4;
    a.idempotency_key = fmt::format("demo-{}-{}", tenant_, ++seq_);
    Modality m;
    parse_modality(recommended, &m);
    if (unit(rng_) < 1.0 / 6) {
      m = static_cast<Modality>((static_cast<size_t>(m) + 1) % (kModalityCount - 1));
      a.modality = m;
      ++modified;
    }
    tutor_.act(a);
    ++approvals;
    if (unit(rng_) < st.fit[static_cast<size_t>(m)]) st.misconceptions.erase(mid);
  }

  // Escalated: the teacher takes it up in a conference, which works half the time.
  void conference(Student &st, const std::string &mid) {
    ++escalations;
    TeacherAction a;
    a.tenant = tenant_;
    a.student = st.id;
    a.misconception_id = mid;
    a.teacher_id = "t-01";
    a.kind = TeacherActionKind::acknowledge;
    a.time_us = clock_us_ += kStepUs / 4;
    a.idempotency_key = fmt::format("demo-{}-{}", tenant_, ++seq_);
    tutor_.act(a);
    bool works = unit(rng_) < 0.5;
    a.kind = works ? TeacherActionKind::resolve : TeacherActionKind::conference_failed;
    a.time_us = clock_us_ += kStepUs / 4;
    a.idempotency_key = fmt::format("demo-{}-{}", tenant_, ++seq_);
    tutor_.act(a);
    if (works) st.misconceptions.erase(mid);
  }

  const Domain &d_;
  Tutor &tutor_;
  std::string tenant_;
  std::mt19937_64 rng_;
  int64_t clock_us_ = kStartUs;
  uint64_t seq_ = 0;
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
  auto shared = std::make_shared<const Domain>(d);
  Tutor tutor(shared, ledger);

  auto t0 = std::chrono::steady_clock::now();
  DemoClass cls(d, tutor, tenant, seed);
  cls.run(students);
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
