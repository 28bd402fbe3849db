// bench_submit: latency of tc_submit_response's C++ twin on the embedded
// SQLite default, one thread, with a class of simulated students.
//
//   build-test/benchmarks/bench_submit [--students N] [--answers N] [--domain DIR]
//
// Every student answers in turn (a simulated learner: a latent known/unknown
// state per concept, some misconceptions, right, misconception or other
// wrong answers), and a teacher approves every recommendation at once. The
// first pass over all students is the warm-up; the timed passes follow.
// Baseline in the same run: appending one small event through the same
// ledger (the cost of the transaction alone). Target (issue 4): p99 under
// 1 ms with 10,000 students.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;
using Clock = std::chrono::steady_clock;

namespace {

struct Learner {
  std::vector<uint8_t> known;         // per concept
  std::vector<uint8_t> misconceived;  // per concept: holds its first misconception
  size_t next = 0;                    // next problem index to try
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  return v[i];
}

void report(const char *what, const std::vector<double> &us) {
  double sum = 0;
  for (double x : us)
    sum += x;
  fmt::print(
      "  {:<34} n={:<7} mean {:>7.1f} us  p50 {:>7.1f}  p90 {:>7.1f}  p99 {:>7.1f}  max {:>8.1f}\n",
      what, us.size(), sum / static_cast<double>(us.size()), percentile(us, 0.5),
      percentile(us, 0.9), percentile(us, 0.99), percentile(us, 1.0));
}

}  // namespace

int main(int argc, char **argv) {
  int students = 10000, passes = 3;
  std::string domain_dir = TUTORCORE_SOURCE_DIR "/examples/domains/algebra_fundamentals";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--students") students = std::atoi(argv[i + 1]);
    if (a == "--answers") passes = std::atoi(argv[i + 1]);
    if (a == "--domain") domain_dir = argv[i + 1];
  }
  auto domain = std::make_shared<Domain>();
  DomainReport rep = load_domain(domain_dir, domain.get());
  if (!rep.ok()) {
    fmt::print(stderr, "bench_submit: {}\n", DomainReport::format(rep.issues.front()));
    return 1;
  }
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "tutorcore-bench-submit";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  SqliteOptions so;
  so.path = (dir / "tutor.db").string();
  Ledger ledger(open_sqlite_store(so));
  Tutor tutor(domain, ledger);
  const Domain &d = *domain;

  std::mt19937_64 rng(42);
  auto u = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<Learner> learners(static_cast<size_t>(students));
  for (Learner &l : learners) {
    l.known.resize(d.concepts.size());
    l.misconceived.resize(d.concepts.size());
    for (size_t c = 0; c < d.concepts.size(); ++c) {
      l.known[c] = u() < d.concepts[c].bkt.p_init;
      l.misconceived[c] = u() < 0.3;
    }
    l.next = static_cast<size_t>(rng() % d.problems.size());
  }
  std::vector<size_t> concept_of(d.problems.size());
  for (size_t p = 0; p < d.problems.size(); ++p) {
    concept_of[p] = static_cast<size_t>(
        std::find_if(d.concepts.begin(), d.concepts.end(),
                     [&](const Concept &c) { return c.id == d.problems[p].concept_id; }) -
        d.concepts.begin());
  }

  int64_t clock = 1767225600000000, key = 0;
  size_t approvals = 0, detections = 0;
  std::vector<double> submit_us, approve_us;
  auto one = [&](size_t s, bool timed) {
    Learner &l = learners[s];
    const Problem &p = d.problems[l.next];
    size_t c = concept_of[l.next];
    l.next = (l.next + 1 + rng() % 7) % d.problems.size();
    std::string answer;
    if (l.known[c] ? u() > 0.1 : u() < 0.2) {
      answer = p.correct_answer;
    } else if (l.misconceived[c] && !p.misconception_answers.empty()) {
      answer = p.misconception_answers.front().second;
    } else {
      answer = "no idea";
    }
    if (!l.known[c] && u() < 0.15) l.known[c] = 1;
    SubmitRequest r;
    r.tenant = "school";
    r.student = fmt::format("st{:05d}", s);
    r.problem_id = p.id;
    r.answer = answer;
    r.latency_ms = 5000 + 40000 * u();
    r.idempotency_key = fmt::format("k{}", ++key);
    r.time_us = clock += 1000000;
    auto t0 = Clock::now();
    SubmitResult res = tutor.submit(r);
    double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (timed) submit_us.push_back(us);
    if (res.json.find("\"recommendations\":[{") == std::string::npos) return;
    // The teacher approves what was recommended.
    size_t at = res.json.find("\"misconception_id\":\"", res.json.find("\"recommendations\":[{"));
    size_t from = at + 20, to = res.json.find('"', from);
    TeacherAction a;
    a.tenant = r.tenant;
    a.student = r.student;
    a.misconception_id = res.json.substr(from, to - from);
    a.teacher_id = "t1";
    a.time_us = clock += 1000000;
    auto t1 = Clock::now();
    tutor.act(a);
    if (timed)
      approve_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t1).count());
    ++approvals;
    detections += res.json.find("\"detected\":{") != std::string::npos;
  };

  auto t0 = Clock::now();
  for (size_t s = 0; s < learners.size(); ++s)
    one(s, false);
  double warm_s = std::chrono::duration<double>(Clock::now() - t0).count();
  for (int pass = 0; pass < passes; ++pass) {
    for (size_t s = 0; s < learners.size(); ++s)
      one(s, true);
  }

  // Baseline: one small event appended through the same ledger.
  std::vector<double> append_us;
  for (int i = 0; i < 5000; ++i) {
    std::vector<Event> batch(1);
    Event &e = batch[0];
    e.tenant = "school";
    e.entity_type = "student";
    e.entity_id = fmt::format("st{:05d}", i % students);
    e.type = "note.added";
    e.payload = R"({"n":1})";
    e.time_us = clock += 1000;
    auto a0 = Clock::now();
    ledger.append(batch);
    append_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a0).count());
  }

  fmt::print("bench_submit: domain {} ({} concepts, {} problems), {} students, SQLite {}\n", d.id,
             d.concepts.size(), d.problems.size(), students, so.path);
  fmt::print("warm-up: one answer per student in {:.2f} s; then {} timed answers per student\n",
             warm_s, passes);
  fmt::print("{} recommendations approved; log holds {} events\n\n", approvals, ledger.last_id());
  report("submit (one answer, all events)", submit_us);
  report("teacher approval", approve_us);
  report("baseline: append one event", append_us);
  fmt::print("\np99 submit / p99 bare append: {:.1f}x; target p99 < 1000 us: {}\n",
             percentile(submit_us, 0.99) / percentile(append_us, 0.99),
             percentile(submit_us, 0.99) < 1000 ? "met" : "MISSED");
  (void)detections;
  std::filesystem::remove_all(dir);
  return 0;
}
