// Rendering coaching plans, debriefs and parent summaries as text from
// templates. Names come from the roster at render time; the plans themselves
// hold ids.
#include <fmt/format.h>
#include <simdjson.h>

#include <ctime>

#include "tutorcore/coaching/coaching.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_writer.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

std::string name_of(const Roster &r, const std::string &id) {
  auto it = r.find(id);
  return it == r.end() || it->second.empty() ? id : it->second;
}

// "A", "A and B", "A, B and C"; more than `max` as "A, B, C and 4 others".
std::string join_names(const std::vector<std::string> &names, size_t max = 6) {
  std::vector<std::string> shown(names.begin(),
                                 names.begin() + static_cast<long>(std::min(names.size(), max)));
  if (names.size() > max)
    shown.push_back(
        fmt::format("{} other{}", names.size() - max, names.size() - max == 1 ? "" : "s"));
  std::string out;
  for (size_t i = 0; i < shown.size(); ++i) {
    if (i > 0) out += i + 1 == shown.size() ? " and " : ", ";
    out += shown[i];
  }
  return out;
}

std::string concept_name(const Domain &d, const std::string &id) {
  const Concept *c = d.find_concept(id);
  return c && !c->name.empty() ? c->name : id;
}

std::string label_of(const Domain &d, const std::string &id) {
  const Misconception *m = d.find_misconception(id);
  return m && !m->label.empty() ? m->label : id;
}

std::string date_of(int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%B %d, %Y", &tm);
  return buf;
}

std::string lower_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

}  // namespace

std::string render_preclass(const CoachingPlan &p, const Domain &d, const Roster &roster) {
  std::string out = fmt::format("Today's plan{} ({} students, {})\n",
                                p.classroom.empty() ? "" : " for " + p.classroom, p.class_size,
                                date_of(p.generated_us));
  if (p.items.empty()) out += "\nNothing needs your attention before class.\n";
  for (const ActionItem &a : p.items) {
    std::vector<std::string> names;
    for (const auto &s : a.students)
      names.push_back(name_of(roster, s.id));
    out += "\n";
    if (a.action_type == "pull_out_group") {
      out += fmt::format("Priority {}: Pull-out group ({} min)\n", a.priority, a.estimated_minutes);
      out += fmt::format("  {} share the misconception \"{}\" ({}).\n", join_names(names),
                         label_of(d, a.misconception_id), concept_name(d, a.concept_id));
      out += fmt::format("  Try the {} intervention: {}\n", a.modality, a.recommendation);
      out += fmt::format("  Evidence: {}.\n", a.evidence);
    } else if (a.action_type == "whole_class_warmup") {
      double lo = 1, hi = 0;
      for (const auto &s : a.students) {
        lo = std::min(lo, s.mastery);
        hi = std::max(hi, s.mastery);
      }
      out += fmt::format("Priority {}: Whole-class warm-up ({} min)\n", a.priority,
                         a.estimated_minutes);
      out +=
          fmt::format("  {} students are close to mastering {} ({:.2f}-{:.2f}): {}.\n",
                      a.students.size(), concept_name(d, a.concept_id), lo, hi, join_names(names));
      std::string list;
      for (const auto &pid : a.problems)
        list += (list.empty() ? "" : " and ") + pid;
      out +=
          fmt::format("  Assign problems {} as a warm-up to push them over the threshold.\n", list);
    } else if (a.action_type == "monitor") {
      const PlanStudent &s = a.students.front();
      out += fmt::format("Priority {}: Monitor {}\n", a.priority, names.front());
      out += fmt::format(
          "  {} dropped from {:.2f} to {:.2f} on {}. Check whether a gap or an "
          "absence caused the regression.\n",
          names.front(), s.before, s.mastery, concept_name(d, a.concept_id));
    } else if (a.action_type == "one_on_one_conference") {
      out += fmt::format("Priority {}: One-on-one conference with {} ({} min)\n", a.priority,
                         names.front(), a.estimated_minutes);
      out += fmt::format("  \"{}\" ({}) needs you: {}.\n", label_of(d, a.misconception_id),
                         concept_name(d, a.concept_id), a.evidence);
    }
  }
  return out;
}

std::string debrief_json(const Debrief &b) {
  JsonWriter w;
  w.begin_object().field("title", b.title).field("since_us", b.since_us);
  w.field("students", b.students).key("findings").begin_array();
  for (const auto &f : b.findings) {
    w.begin_object().field("kind", f.kind).field("student", f.student);
    if (!f.concept_id.empty()) w.field("concept_id", f.concept_id);
    if (!f.misconception_id.empty()) w.field("misconception_id", f.misconception_id);
    if (f.level >= 0) w.field("level", f.level);
    w.end_object();
  }
  w.end_array().key("remedies").begin_object();
  for (const auto &[mid, r] : b.remedies) {
    w.key(mid).begin_object().field("modality", r.first).field("evidence", r.second);
    w.end_object();
  }
  w.end_object().end_object();
  return w.take();
}

std::string render_debrief(const Debrief &b, const Domain &d, const Roster &roster) {
  std::map<std::string, std::vector<std::string>> fresh, crossed;
  std::vector<const DebriefFinding *> persisting;
  for (const auto &f : b.findings) {
    if (f.kind == "new_misconception")
      fresh[f.misconception_id].push_back(name_of(roster, f.student));
    if (f.kind == "crossed_threshold") crossed[f.concept_id].push_back(name_of(roster, f.student));
    if (f.kind == "persisting") persisting.push_back(&f);
  }
  std::string out =
      fmt::format("{} ({} students, since {})\n", b.title, b.students, date_of(b.since_us));
  out += "\nNew findings:\n";
  if (fresh.empty()) out += "  - No new misconceptions.\n";
  for (const auto &[mid, names] : fresh) {
    out += fmt::format("  - {} new student{} showing \"{}\" ({})\n", names.size(),
                       names.size() == 1 ? "" : "s", label_of(d, mid), join_names(names));
    auto it = b.remedies.find(mid);
    if (it != b.remedies.end())
      out += fmt::format("    Recommendation: the {} intervention ({})\n", it->second.first,
                         it->second.second);
  }
  out += "\nConcerning:\n";
  if (persisting.empty()) out += "  - Nothing escalated.\n";
  for (const auto *f : persisting) {
    out += fmt::format("  - {}: \"{}\" persists (escalated); recommend a one-on-one conference\n",
                       name_of(roster, f->student), label_of(d, f->misconception_id));
  }
  out += "\nPositive:\n";
  if (crossed.empty()) out += "  - No one crossed a mastery threshold yet.\n";
  for (const auto &[cid, names] : crossed) {
    out += fmt::format("  - {} student{} crossed the mastery threshold on {} ({})\n", names.size(),
                       names.size() == 1 ? "" : "s", concept_name(d, cid), join_names(names));
  }
  return out;
}

std::string parent_summary_template(const std::string &context_json, const Domain &d,
                                    const Roster &roster) {
  simdjson::dom::parser p;
  simdjson::dom::object o;
  if (p.parse(context_json).get_object().get(o))
    throw Error(Errc::invalid, "parent summary: the context is not a JSON object");
  auto text = [](simdjson::dom::object x, const char *k) {
    std::string_view v;
    return x[k].get_string().get(v) ? std::string() : std::string(v);
  };
  const std::string id = text(o, "student"), name = name_of(roster, id);
  int64_t at = 0;
  if (o["generated_us"].get_int64().get(at)) at = 0;
  std::string out = fmt::format("Student summary: {}\nGenerated {}\n\n", name, date_of(at));

  std::vector<std::string> mastered;
  simdjson::dom::array arr;
  if (!o["mastered"].get_array().get(arr)) {
    for (simdjson::dom::element e : arr) {
      simdjson::dom::object m;
      double level = 0;
      if (e.get_object().get(m) || m["level"].get_double().get(level)) continue;
      mastered.push_back(
          fmt::format("{} ({:.0f}%)", concept_name(d, text(m, "concept_id")), level * 100));
    }
  }
  out +=
      mastered.empty()
          ? fmt::format("{} is still building the foundations; no concept is mastered yet.\n", name)
          : fmt::format("{} has mastered {}.\n", name, join_names(mastered, 8));

  if (!o["working_on"].get_array().get(arr) && arr.size() > 0) {
    simdjson::dom::object w;
    double level = 0;
    if (!arr.at(0).get_object().get(w) && !w["level"].get_double().get(level)) {
      out += fmt::format("\n{} is currently working on {} ({:.0f}%).", name,
                         concept_name(d, text(w, "concept_id")), level * 100);
    }
  }
  bool any = false;
  if (!o["misconceptions"].get_array().get(arr)) {
    for (simdjson::dom::element e : arr) {
      simdjson::dom::object m;
      if (e.get_object().get(m)) continue;
      any = true;
      std::string mid = text(m, "id");
      out += fmt::format("\nOn {}, {} {}.", concept_name(d, text(m, "concept_id")), name,
                         lower_first(label_of(d, mid)));
      simdjson::dom::object ex;
      if (!m["example"].get_object().get(ex) && !text(ex, "wrong").empty()) {
        out += fmt::format(" For example, for \"{}\" the answer was {} instead of {}.",
                           text(ex, "problem"), text(ex, "wrong"), text(ex, "correct"));
      }
      simdjson::dom::array tried;
      std::vector<std::string> modalities;
      if (!m["modalities_tried"].get_array().get(tried)) {
        for (simdjson::dom::element t : tried) {
          std::string_view s;
          if (!t.get_string().get(s)) modalities.emplace_back(s);
        }
      }
      if (!modalities.empty())
        out += fmt::format(" We have tried {} approaches so far.", join_names(modalities));
      std::string next = text(m, "next_step");
      if (!next.empty()) out += fmt::format(" Next step: {}", next);
    }
  }
  if (!any) out += fmt::format("\n\nNo persistent error pattern stands out in {}'s work.", name);
  out += "\n";
  return out;
}

}  // namespace v0
}  // namespace tutorcore
