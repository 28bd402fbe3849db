// The simulated class (see classroom.hpp).
#include "tutorcore/sim/classroom.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "tutorcore/common/clock.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

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

class Classroom {
 public:
  Classroom(Tutor &tutor, const ClassroomOptions &o)
      : d_(tutor.domain()),
        tutor_(tutor),
        o_(o),
        tenant_(o.tenant),
        rng_(o.seed),
        clock_us_(o.start_us) {}

  void run(int n_students) {
    std::vector<size_t> order(d_.concepts.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return d_.concepts[a].level < d_.concepts[b].level;
    });
    for (int s = 0; s < n_students && !stopped_; ++s) {
      Student st = make_student(s);
      for (size_t c : order)
        if (!stopped_) practise(st, c);
    }
  }

  ClassroomStats stats;

 private:
  Student make_student(int s) {
    Student st;
    st.id = fmt::format("{}{:04d}", o_.student_prefix, s + 1);
    for (const auto &c : d_.concepts)
      st.known.push_back(unit(rng_) < c.bkt.p_init);
    for (const auto &m : d_.misconceptions) {
      if (unit(rng_) < o_.misconception_rate) st.misconceptions.insert(m.id);
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
    for (int attempt = 0; attempt < o_.max_attempts_per_concept; ++attempt) {
      if (o_.before_answer && !o_.before_answer()) {
        stopped_ = true;
        return;
      }
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
      if (st.misconceptions.count(mid) && unit(rng_) < o_.misconception_shows) {
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
    r.time_us = stamp(o_.step_us);
    // Deterministic keys: running the demo again on the same store replays
    // every answer, and the store keeps one copy of each event.
    r.idempotency_key = key();
    SubmitResult res = tutor_.submit(r);
    (res.replayed ? stats.replayed : stats.answers) += 1;
    return res;
  }

  // The teacher approves the recommendation, or sometimes picks another
  // modality; the intervention works with the student's fit for it. Some
  // recommendations are left for a real teacher.
  void approve(Student &st, const std::string &mid, const std::string &recommended) {
    if (unit(rng_) >= o_.teacher_approves) {
      ++stats.pending;
      return;
    }
    TeacherAction a;
    a.kind = TeacherActionKind::approve;
    a.tenant = tenant_;
    a.student = st.id;
    a.misconception_id = mid;
    a.teacher_id = "t-01";
    a.time_us = stamp(o_.step_us / 4);
    a.idempotency_key = key();
    Modality m;
    parse_modality(recommended, &m);
    if (unit(rng_) < o_.teacher_modifies) {
      m = static_cast<Modality>((static_cast<size_t>(m) + 1) % (kModalityCount - 1));
      a.modality = m;
      ++stats.modified;
    }
    tutor_.act(a);
    ++stats.approvals;
    if (unit(rng_) < st.fit[static_cast<size_t>(m)]) st.misconceptions.erase(mid);
  }

  // Escalated: the teacher takes it up in a conference, which works half the time.
  void conference(Student &st, const std::string &mid) {
    ++stats.escalations;
    TeacherAction a;
    a.tenant = tenant_;
    a.student = st.id;
    a.misconception_id = mid;
    a.teacher_id = "t-01";
    a.kind = TeacherActionKind::acknowledge;
    a.time_us = stamp(o_.step_us / 4);
    a.idempotency_key = key();
    tutor_.act(a);
    bool works = unit(rng_) < o_.conference_success;
    a.kind = works ? TeacherActionKind::resolve : TeacherActionKind::conference_failed;
    a.time_us = stamp(o_.step_us / 4);
    a.idempotency_key = key();
    tutor_.act(a);
    if (works) st.misconceptions.erase(mid);
  }

  int64_t stamp(int64_t step) { return o_.wall_clock ? now_us() : (clock_us_ += step); }

  std::string key() { return fmt::format("{}-{}-{}", o_.key_prefix, tenant_, ++seq_); }

  const Domain &d_;
  Tutor &tutor_;
  const ClassroomOptions &o_;
  std::string tenant_;
  std::mt19937_64 rng_;
  int64_t clock_us_;
  uint64_t seq_ = 0;
  bool stopped_ = false;
};

}  // namespace

ClassroomStats run_classroom(Tutor &tutor, const ClassroomOptions &o) {
  auto bad = [](const char *f, const std::string &m) {
    throw Error(Errc::invalid, fmt::format("classroom options.{}: {}", f, m));
  };
  if (o.tenant.empty()) bad("tenant", "is empty");
  if (o.students < 1 || o.students > 1000000) bad("students", "must lie in 1..1000000");
  if (o.max_attempts_per_concept < 1) bad("max_attempts_per_concept", "must be >= 1");
  for (auto [name, v] :
       {std::pair<const char *, double>{"misconception_rate", o.misconception_rate},
        {"misconception_shows", o.misconception_shows},
        {"teacher_approves", o.teacher_approves},
        {"teacher_modifies", o.teacher_modifies},
        {"conference_success", o.conference_success}}) {
    if (!(v >= 0 && v <= 1)) bad(name, "must lie in [0, 1]");
  }
  Classroom c(tutor, o);
  c.run(o.students);
  return c.stats;
}

}  // namespace v0
}  // namespace tutorcore
