// bench_analytics: the class analytics of a simulated 10,000-student school
// in 30 classrooms on the embedded SQLite default.
//
//   build/benchmarks/bench_analytics [--school generated|pipeline] [--students N]
//                                    [--classrooms N] [--simulate N] [--domain DIR] [--repeat N]
//
// The school, two ways:
//  - pipeline: 30 run_classroom classes of one tenant (every answer a
//    Tutor::submit, every recommendation a simulated teacher's approval),
//    each with its own students, seed and misconception rate (0.08 to 0.16),
//    then a classroom.enrolled event per student. About 170 us per answer:
//    6 to 7 minutes for 10,000 students here.
//  - generated (the default, about a minute): the benchmark first times
//    run_classroom on --simulate students (default 20) and extrapolates, then
//    a seeded generator (mt19937_64, seed 42) plays each student through the
//    domain's concepts in level order, as run_classroom does, and appends
//    what the pipeline would have appended for the views (classroom.enrolled;
//    per answer response.submitted and mastery.updated with the BKT update of
//    the concept's parameters; on a misconception misconception.detected,
//    intervention.recommended and .assigned; after three answers on the
//    concept intervention.outcome, with the prerequisite check from the
//    second persist) through Ledger::append in batches of 10,000 events.
//    Planted in the data: three misconception pairs on concepts without a
//    path in the graph that students hold together (a student with the first
//    holds the second with probability 0.9), and one concept half of the
//    students cannot learn whatever they know before (its incoming edges
//    drift); classrooms differ in how fast their students learn and how well
//    interventions work. The analytics should find exactly these.
//
// Timed (median of --repeat runs, default 5), on the store after the append:
//  - baseline: reading the views alone: one pass over the tenant's mastery,
//    escalation, effectiveness and modality rows under the ledger's lock;
//  - reading the class: enrollments from the log plus the rows copied out
//    of the views (read_class_data);
//  - each analysis on the copy, and the whole report (run_analytics with
//    "all": read, analyse, write JSON) for the school and for one classroom.
// Target (issue 5): all analytics for the school in under 1 s.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/analytics.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sim/classroom.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/tracing/bkt.hpp"

using namespace tutorcore;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

template <class Fn>
double median_seconds(int repeat, Fn &&fn) {
  std::vector<double> t;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = Clock::now();
    fn();
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct School {
  int students = 10000, classrooms = 30;
  std::string tenant = "school";
};

// Writes the school's events through the ledger (see the header comment).
class Generator {
 public:
  Generator(const Domain &d, Ledger &ledger, const School &school)
      : d_(d), ledger_(ledger), school_(school), rng_(42) {
    order_.resize(d.concepts.size());
    for (size_t i = 0; i < order_.size(); ++i)
      order_[i] = i;
    std::stable_sort(order_.begin(), order_.end(),
                     [&](size_t a, size_t b) { return d.concepts[a].level < d.concepts[b].level; });
    problems_.resize(d.concepts.size());
    for (const Problem &p : d.problems)
      problems_[d.concept_index.at(p.concept_id)].push_back(p.id);
    mis_of_.resize(d.concepts.size());
    for (size_t m = 0; m < d.misconceptions.size(); ++m)
      mis_of_[d.concept_index.at(d.misconceptions[m].concept_id)].push_back(m);
    plant();
  }

  // What is planted: misconception pairs, and a concept half the students cannot learn.
  std::vector<std::pair<size_t, size_t>> pairs;  // misconception indices
  size_t blocked = 0;                            // concept index

  int64_t run() {
    for (int s = 0; s < school_.students; ++s)
      student(s);
    flush();
    return appended_;
  }

 private:
  double unit() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

  bool ancestor(size_t a, size_t b) const {  // a is a prerequisite of b, directly or not
    for (const std::string &p : d_.concepts[b].prerequisites) {
      size_t pi = d_.concept_index.at(p);
      if (pi == a || ancestor(a, pi)) return true;
    }
    return false;
  }

  void plant() {
    // Pairs: the first misconception of a lower-level concept and of a
    // higher-level one with no path between them, on distinct concepts.
    std::set<size_t> used;
    for (size_t a : order_) {
      for (size_t b : order_) {
        if (pairs.size() == 3) break;
        if (d_.concepts[a].level >= d_.concepts[b].level || mis_of_[a].empty() ||
            mis_of_[b].empty() || used.count(a) || used.count(b) || ancestor(a, b) ||
            ancestor(b, a))
          continue;
        pairs.emplace_back(mis_of_[a][0], mis_of_[b][0]);
        used.insert(a);
        used.insert(b);
      }
    }
    // The blocked concept: the highest-level one with a prerequisite.
    for (size_t c : order_)
      if (!d_.concepts[c].prerequisites.empty()) blocked = c;
  }

  void add(const std::string &student, const char *type, std::string payload) {
    Event e;
    e.tenant = school_.tenant;
    e.entity_type = "student";
    e.entity_id = student;
    e.type = type;
    e.payload = std::move(payload);
    e.time_us = clock_ += 1000000;
    batch_.push_back(std::move(e));
    if (batch_.size() >= 10000) flush();
  }
  void flush() {
    if (batch_.empty()) return;
    ledger_.append(batch_);
    appended_ += static_cast<int64_t>(batch_.size());
    batch_.clear();
  }

  struct Open {  // an intervention waiting for its three answers
    size_t misconception;
    Modality modality;
    int answers = 0;
    uint8_t tried = 0;
  };

  void assign(const std::string &id, Open &o) {
    // A modality not yet tried (peer only after the first four).
    std::vector<Modality> left;
    for (size_t k = 0; k < kModalityCount - 1; ++k)
      if (!(o.tried & (1u << k))) left.push_back(static_cast<Modality>(k));
    o.modality = left[rng_() % left.size()];
    o.tried |= static_cast<uint8_t>(1u << static_cast<size_t>(o.modality));
    o.answers = 0;
    std::string p = fmt::format(R"({{"misconception_id":"{}","modality":"{}"}})",
                                d_.misconceptions[o.misconception].id, modality_name(o.modality));
    add(id, "intervention.recommended", p);
    add(id, "intervention.assigned", p);
  }

  void student(int s) {
    const std::string id = fmt::format("st{:05d}", s);
    const int room = s % school_.classrooms;
    // Classrooms differ: learning speed and how well interventions work.
    const double learn = 0.7 + 0.6 * room / std::max(1, school_.classrooms - 1);
    const double works =
        0.35 + 0.3 * ((room * 7) % school_.classrooms) / std::max(1, school_.classrooms - 1);
    add(id, "classroom.enrolled", fmt::format(R"({{"classroom_id":"room-{:02d}"}})", room));
    const double ability = unit();
    std::vector<uint8_t> holds(d_.misconceptions.size(), 0);
    for (size_t m = 0; m < holds.size(); ++m)
      holds[m] = unit() < 0.06 + 0.12 * (1 - ability);
    for (const auto &[a, b] : pairs) {
      if (holds[a]) holds[b] = unit() < 0.9;
    }
    const bool cannot_learn_blocked = unit() < 0.5;
    std::array<double, kModalityCount> fit;
    for (double &f : fit)
      f = works * (0.5 + unit());
    for (size_t c : order_) {
      const Concept &cpt = d_.concepts[c];
      bool known = unit() < cpt.bkt.p_init;
      if (c == blocked && cannot_learn_blocked) known = false;
      double level = cpt.bkt.p_init;
      std::vector<Open> open;
      for (int attempt = 0; attempt < 12; ++attempt) {
        // A held misconception of the concept shows half the time.
        std::string shown;
        size_t shown_index = 0;
        for (size_t m : mis_of_[c]) {
          if (holds[m] && unit() < 0.5) {
            shown = d_.misconceptions[m].id;
            shown_index = m;
            break;
          }
        }
        bool correct = false;
        if (shown.empty()) {
          correct = known ? unit() >= cpt.bkt.p_slip : unit() < cpt.bkt.p_guess;
        }
        const bool can_learn = !(c == blocked && cannot_learn_blocked);
        if (!known && can_learn && unit() < std::min(1.0, cpt.bkt.p_learn * learn)) known = true;
        const std::string &problem =
            problems_[c][static_cast<size_t>(attempt) % problems_[c].size()];
        add(id, "response.submitted",
            shown.empty()
                ? fmt::format(R"({{"problem_id":"{}","concept_id":"{}","correct":{}}})", problem,
                              cpt.id, correct)
                : fmt::format(
                      R"({{"problem_id":"{}","concept_id":"{}","correct":false,"misconception_id":"{}"}})",
                      problem, cpt.id, shown));
        const double old = level;
        level = bkt_update(level, correct, cpt.bkt);
        add(id, "mastery.updated",
            fmt::format(R"({{"concept_id":"{}","old_level":{},"new_level":{}}})", cpt.id, old,
                        level));
        // Interventions whose window this answer completes.
        for (auto it = open.begin(); it != open.end();) {
          if (++it->answers < 3) {
            ++it;
            continue;
          }
          const bool resolved = unit() < fit[static_cast<size_t>(it->modality)];
          add(id, "intervention.outcome",
              fmt::format(R"({{"misconception_id":"{}","modality":"{}","outcome":"{}"}})",
                          d_.misconceptions[it->misconception].id, modality_name(it->modality),
                          resolved ? "resolved" : "persisted"));
          if (resolved) {
            holds[it->misconception] = 0;
            it = open.erase(it);
          } else if (__builtin_popcount(it->tried) < 4) {
            // From the second persist on, the prerequisite check comes first
            // (passed here: the prerequisites are taken as known).
            if (__builtin_popcount(it->tried) >= 2)
              add(id, "escalation.triggered",
                  fmt::format(
                      R"({{"misconception_id":"{}","trigger":"prereq_checked","prereq_mastery":1}})",
                      d_.misconceptions[it->misconception].id));
            assign(id, *it);
            ++it;
          } else {
            it = open.erase(it);  // escalated: the teacher takes over
          }
        }
        if (!shown.empty()) {
          add(id, "misconception.detected",
              fmt::format(R"({{"misconception_id":"{}","concept_id":"{}"}})", shown, cpt.id));
          bool active = std::any_of(open.begin(), open.end(),
                                    [&](const Open &o) { return o.misconception == shown_index; });
          if (!active) {
            open.push_back({shown_index, Modality::visual, 0, 0});
            assign(id, open.back());
          }
        }
        if (level >= d_.threshold_for(cpt) && attempt >= 7) break;
      }
    }
  }

  const Domain &d_;
  Ledger &ledger_;
  School school_;
  std::mt19937_64 rng_;
  std::vector<size_t> order_;
  std::vector<std::vector<std::string>> problems_;
  std::vector<std::vector<size_t>> mis_of_;
  std::vector<Event> batch_;
  int64_t clock_ = 1767225600000000;
  int64_t appended_ = 0;
};

}  // namespace

int main(int argc, char **argv) {
  School school;
  int simulate = 20, repeat = 5;
  bool pipeline = false;
  std::string domain_dir = TUTORCORE_SOURCE_DIR "/examples/domains/algebra_fundamentals";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--students") school.students = std::atoi(argv[i + 1]);
    if (a == "--classrooms") school.classrooms = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--simulate") simulate = std::atoi(argv[i + 1]);
    if (a == "--repeat") repeat = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--domain") domain_dir = argv[i + 1];
    if (a == "--school") pipeline = std::string(argv[i + 1]) == "pipeline";
  }
  if (pipeline) simulate = 0;
  auto domain = std::make_shared<Domain>();
  DomainReport rep = load_domain(domain_dir, domain.get());
  if (!rep.ok()) {
    fmt::print(stderr, "bench_analytics: {}\n", DomainReport::format(rep.issues.front()));
    return 1;
  }
  const Domain &d = *domain;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "tutorcore-bench-analytics";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  fmt::print("bench_analytics: domain {} ({} concepts, {} misconceptions, {} prerequisite edges)\n",
             d.id, d.concepts.size(), d.misconceptions.size(), d.prerequisite_edges());

  // 1. The pipeline's own simulated class, for the cost of simulating the school.
  if (simulate > 0) {
    SqliteOptions so;
    so.path = (dir / "simulated.db").string();
    Ledger ledger(open_sqlite_store(so));
    Tutor tutor(domain, ledger);
    ClassroomOptions co;
    co.tenant = "sim";
    co.students = simulate;
    auto t0 = Clock::now();
    ClassroomStats st = run_classroom(tutor, co);
    double s = seconds_since(t0);
    fmt::print(
        "run_classroom: {} students, {} answers, {} events in {:.2f} s ({:.0f} us per answer); "
        "10,000 students would take about {:.0f} min\n",
        simulate, st.answers, ledger.last_id(), s, 1e6 * s / static_cast<double>(st.answers),
        s / simulate * 10000 / 60);
  }

  // 2. The school: generated, or simulated through the pipeline.
  SqliteOptions so;
  so.path = (dir / "school.db").string();
  LedgerOptions lo;
  lo.checkpoint_every = -1;  // the views stay in memory; no checkpoint while writing
  Ledger ledger(open_sqlite_store(so), lo);
  auto t0 = Clock::now();
  if (pipeline) {
    // 30 run_classroom classes of one tenant, each with its own students,
    // seed and misconception rate (0.08 to 0.16), then their enrollments.
    Tutor tutor(domain, ledger);
    ClassroomStats total;
    for (int room = 0; room < school.classrooms; ++room) {
      ClassroomOptions co;
      co.tenant = school.tenant;
      co.student_prefix = fmt::format("r{:02d}-s", room);
      co.key_prefix = fmt::format("r{:02d}", room);
      co.students =
          school.students / school.classrooms + (room < school.students % school.classrooms);
      co.seed = 42 + static_cast<uint64_t>(room);
      co.misconception_rate = 0.08 + 0.08 * room / std::max(1, school.classrooms - 1);
      ClassroomStats st = run_classroom(tutor, co);
      total.answers += st.answers;
      total.approvals += st.approvals;
      total.escalations += st.escalations;
      std::vector<Event> enroll;
      for (int s = 0; s < co.students; ++s) {
        Event e;
        e.tenant = school.tenant;
        e.entity_type = "student";
        e.entity_id = fmt::format("{}{:04d}", co.student_prefix, s + 1);
        e.type = std::string(kClassroomEnrolled);
        e.payload = fmt::format(R"({{"classroom_id":"room-{:02d}"}})", room);
        enroll.push_back(std::move(e));
      }
      ledger.append(enroll);
    }
    double s = seconds_since(t0);
    fmt::print(
        "simulated school (run_classroom): {} students in {} classrooms, {} answers, {} approvals, "
        "{} escalations, {} events in {:.0f} s ({:.0f} us per answer)\n",
        school.students, school.classrooms, total.answers, total.approvals, total.escalations,
        ledger.last_id(), s, 1e6 * s / static_cast<double>(total.answers));
  } else {
    Generator gen(d, ledger, school);
    int64_t events = gen.run();
    double gen_s = seconds_since(t0);
    fmt::print(
        "generated school: {} students in {} classrooms, {} events appended in {:.1f} s "
        "({:.0f} events/s, batches of 10,000)\n",
        school.students, school.classrooms, events, gen_s, events / gen_s);
    fmt::print("planted: misconception pairs");
    for (const auto &[a, b] : gen.pairs)
      fmt::print(" {}->{} ({}->{})", d.misconceptions[a].id, d.misconceptions[b].id,
                 d.misconceptions[a].concept_id, d.misconceptions[b].concept_id);
    fmt::print("; half the students cannot learn {}\n", d.concepts[gen.blocked].id);
  }
  size_t rows = ledger.with_views([&](const ViewSet &v) {
    return v.mastery.rows.size() + v.escalation.rows.size() + v.effectiveness.rows.size() +
           v.modality.rows.size();
  });
  fmt::print("views: {} rows in mastery, escalation, effectiveness and modality\n\n", rows);

  // 3. Timings.
  int64_t sink = 0;
  double t_views = median_seconds(repeat, [&] {
    sink += ledger.with_views([&](const ViewSet &v) {
      int64_t n = 0;
      for (const auto &kv : v.mastery.rows)
        if (kv.first.a == school.tenant) n += kv.second.attempts;
      for (const auto &kv : v.escalation.rows)
        if (kv.first.a == school.tenant) n += kv.second.machine.attempts;
      for (const auto &kv : v.effectiveness.rows)
        if (kv.first.a == school.tenant) n += kv.second.attempts;
      for (const auto &kv : v.modality.rows)
        if (kv.first.a == school.tenant) n += kv.second.attempts;
      return n;
    });
  });
  Membership members;
  double t_members =
      median_seconds(repeat, [&] { members = read_membership(ledger, school.tenant); });
  ClassData data;
  double t_copy = median_seconds(repeat, [&] {
    data = ledger.with_views(
        [&](const ViewSet &v) { return class_data(v, d, school.tenant, members); });
  });
  double t_read = median_seconds(repeat, [&] { data = read_class_data(ledger, d, school.tenant); });
  AnalyticsConfig config;
  Cooccurrence co;
  PrerequisiteDiscovery found;
  std::vector<DriftEdge> drift;
  CohortComparison cohorts;
  Effectiveness eff;
  double t_co = median_seconds(repeat, [&] { co = misconception_cooccurrence(data, d); });
  double t_eff = median_seconds(repeat, [&] { eff = intervention_effectiveness(data, d, config); });
  double t_coh = median_seconds(repeat, [&] { cohorts = compare_cohorts(data, d, config); });
  double t_pre = median_seconds(repeat, [&] { found = discover_prerequisites(co, d, config); });
  double t_drift = median_seconds(repeat, [&] { drift = prerequisite_drift(data, d, config); });
  AnalyticsRequest all;
  all.tenant = school.tenant;
  std::string report;
  double t_all = median_seconds(repeat, [&] { report = run_analytics(ledger, d, all); });
  AnalyticsRequest room = all;
  room.classroom = "room-00";
  std::string room_report;
  double t_room = median_seconds(repeat, [&] { room_report = run_analytics(ledger, d, room); });

  // A pre-class plan for one classroom (its students from classroom.enrolled).
  Tutor planner(domain, ledger);
  CoachingRequest plan_req;
  plan_req.tenant = school.tenant;
  plan_req.classroom = "room-00";
  std::string plan;
  double t_plan = median_seconds(repeat, [&] { plan = planner.preclass_plan(plan_req); });

  auto line = [&](const char *what, double s, const char *note) {
    fmt::print("  {:<52} {:>9.2f} ms  {}\n", what, s * 1e3, note);
  };
  fmt::print("median of {} runs:\n", repeat);
  line("baseline: read the tenant's view rows (one pass)", t_views, "");
  line("  enrollments from the log (classroom.enrolled)", t_members, "");
  line("  rows copied out of the views (class_data)", t_copy,
       fmt::format("x{:.1f} of baseline", t_copy / t_views).c_str());
  line("read the class: enrollments + rows copied", t_read,
       fmt::format("x{:.1f} of baseline", t_read / t_views).c_str());
  line("co-occurrence matrix", t_co, "");
  line("effectiveness with Wilson intervals", t_eff, "");
  line("cohort comparison (30 classrooms vs school)", t_coh, "");
  line("discovered prerequisites", t_pre, "");
  line("prerequisite drift", t_drift, "");
  line("all analytics, school: read + analyse + JSON", t_all,
       fmt::format("x{:.1f} of baseline; {} KB JSON", t_all / t_views, report.size() / 1024)
           .c_str());
  line("all analytics, one classroom", t_room,
       fmt::format("{} KB JSON", room_report.size() / 1024).c_str());
  line("pre-class plan for one classroom (with its event)", t_plan, "");
  line("all analytics, school + one pre-class plan", t_all + t_plan,
       t_all + t_plan < 1.0 ? "target < 1 s: met" : "target < 1 s: MISSED");
  fmt::print("  (baseline checksum {})\n", sink);
  fmt::print("\ntarget: all analytics for the school under 1 s: {}\n",
             t_all < 1.0 ? "met" : "MISSED");

  // 4. What the analytics found.
  int64_t flagged = 0;
  for (const DriftEdge &e : drift)
    flagged += e.flagged;
  fmt::print("\nfound: {} students; {} proposed prerequisites:", data.students.size(),
             found.proposals.size());
  for (const PrerequisiteProposal &p : found.proposals)
    fmt::print(" {}->{} ({:.2f})", d.concepts[static_cast<size_t>(p.prerequisite)].id,
               d.concepts[static_cast<size_t>(p.concept_index)].id, p.strength);
  fmt::print("\n       {} confirmed graph paths; {} of {} edges drift:", found.confirmed.size(),
             flagged, drift.size());
  for (const DriftEdge &e : drift) {
    if (e.flagged)
      fmt::print(" {}->{} ({:.0f}% of {})", d.concepts[static_cast<size_t>(e.prerequisite)].id,
                 d.concepts[static_cast<size_t>(e.concept_index)].id, 100 * e.failing.rate,
                 e.failing.trials);
  }
  const Cohort *best = nullptr, *worst = nullptr;
  for (const Cohort &c : cohorts.classrooms) {
    if (!best || c.mastery.mean > best->mastery.mean) best = &c;
    if (!worst || c.mastery.mean < worst->mastery.mean) worst = &c;
  }
  if (best && worst) {
    fmt::print(
        "\n       mastery mean by classroom from {} {:.3f} [{:.3f}, {:.3f}] to {} {:.3f} "
        "[{:.3f}, {:.3f}] (school {:.3f})",
        worst->classroom, worst->mastery.mean, worst->mastery.ci.low, worst->mastery.ci.high,
        best->classroom, best->mastery.mean, best->mastery.ci.low, best->mastery.ci.high,
        cohorts.school.mastery.mean);
  }
  fmt::print("\n");
  (void)eff;
  std::filesystem::remove_all(dir);
  return 0;
}
