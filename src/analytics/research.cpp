// The de-identified research export (research.hpp, docs/privacy.md).
#include "tutorcore/analytics/research.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <unordered_map>

#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr std::string_view kWhat = "research export request";
constexpr double kZ = 1.96;  // Wilson 95%

void check_min_group_size(int64_t k) {
  if (k < kMinGroupSizeLow || k > kMinGroupSizeHigh) {
    throw Error(Errc::invalid, fmt::format("{}.min_group_size: {} is outside {}..{} (a group of "
                                           "one student is that student)",
                                           kWhat, k, kMinGroupSizeLow, kMinGroupSizeHigh));
  }
}

// "YYYY-MM-DD" (UTC) of a time in microseconds since the epoch.
std::string utc_day(int64_t time_us) {
  const std::time_t t = static_cast<std::time_t>(time_us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// A cell of a mastery table: its students and their sums.
struct MasteryCell {
  std::vector<int32_t> students;
  double level_sum = 0.0;
  int64_t mastered = 0;
  bool suppressed = false;
  void add(int32_t s, double level, bool is_mastered) {
    students.push_back(s);
    level_sum += level;
    mastered += is_mastered;
  }
};

// A cell of an outcome table.
struct OutcomeCell {
  std::vector<int32_t> students;  // distinct, filled after counting
  int64_t attempts = 0, resolved = 0;
  bool suppressed = false;
};

// Applies suppress_table to a total and its parts (cells with students).
template <class Cell>
void suppress_cells(std::vector<Cell *> &parts, Cell &total, int32_t k) {
  std::vector<std::vector<int32_t>> sets;
  sets.reserve(parts.size());
  for (const Cell *c : parts)
    sets.push_back(c->students);
  const Suppression s = suppress_table(sets, static_cast<int64_t>(total.students.size()), k);
  total.suppressed = s.total;
  for (size_t i = 0; i < parts.size(); ++i)
    parts[i]->suppressed = s.part[i];
}

void mastery_members(JsonWriter &w, const MasteryCell &c) {
  if (c.suppressed) {
    w.key("students").null().key("mean_mastery").null().key("share_mastered").null();
  } else {
    const double n = static_cast<double>(c.students.size());
    w.field("students", static_cast<int64_t>(c.students.size()));
    w.field("mean_mastery", c.level_sum / n);
    w.field("share_mastered", static_cast<double>(c.mastered) / n);
  }
  w.field("suppressed", c.suppressed);
}

void outcome_members(JsonWriter &w, const OutcomeCell &c) {
  if (c.suppressed) {
    for (const char *k : {"students", "attempts", "resolved", "rate", "low", "high"})
      w.key(k).null();
  } else {
    const Interval ci = wilson_interval(c.resolved, c.attempts, kZ);
    w.field("students", static_cast<int64_t>(c.students.size()));
    w.field("attempts", c.attempts);
    w.field("resolved", c.resolved);
    w.field("rate", static_cast<double>(c.resolved) / static_cast<double>(c.attempts));
    w.field("low", ci.low);
    w.field("high", ci.high);
  }
  w.field("suppressed", c.suppressed);
}

}  // namespace

ResearchExportRequest research_export_request_from_json(std::string_view json) {
  simdjson::dom::parser p;
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, kWhat).get_object().get(o))
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object", kWhat));
  reject_unknown_fields(o, {"tenant", "min_group_size"}, std::string(kWhat));
  ResearchExportRequest r;
  read_string(o, "tenant", true, kWhat, &r.tenant);
  int64_t k = r.min_group_size;
  read_int(o, "min_group_size", std::numeric_limits<int64_t>::min(),
           std::numeric_limits<int64_t>::max(), kWhat, &k);
  check_min_group_size(k);
  r.min_group_size = static_cast<int32_t>(k);
  return r;
}

Suppression suppress_table(const std::vector<std::vector<int32_t>> &parts, int64_t total_students,
                           int32_t min_group_size) {
  const size_t k = static_cast<size_t>(std::max(min_group_size, 1));
  Suppression s;
  s.total = total_students < static_cast<int64_t>(k);
  s.part.assign(parts.size(), 0);
  // Distinct students of each part (parts may overlap: a student tried
  // several modalities).
  std::vector<std::vector<int32_t>> sets(parts);
  for (auto &v : sets) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  bool any = false;
  for (size_t i = 0; i < sets.size(); ++i) {
    s.part[i] = s.total || sets[i].size() < k;
    any = any || s.part[i];
  }
  if (s.total || !any) return s;
  // What subtraction from the total reveals: the suppressed parts together.
  auto hidden = [&] {
    std::vector<int32_t> all;
    for (size_t i = 0; i < sets.size(); ++i)
      if (s.part[i]) all.insert(all.end(), sets[i].begin(), sets[i].end());
    std::sort(all.begin(), all.end());
    return static_cast<size_t>(std::unique(all.begin(), all.end()) - all.begin());
  };
  while (hidden() < k) {
    size_t pick = sets.size();
    for (size_t i = 0; i < sets.size(); ++i) {
      if (!s.part[i] && (pick == sets.size() || sets[i].size() < sets[pick].size())) pick = i;
    }
    if (pick == sets.size()) {  // every part is suppressed and still too few: hide the total
      s.total = true;
      break;
    }
    s.part[pick] = 1;
  }
  return s;
}

std::string research_export_json(const ClassData &data, const Domain &domain,
                                 const std::vector<OutcomeRecord> &outcomes,
                                 const ResearchExportRequest &r, int64_t now_us) {
  check_min_group_size(r.min_group_size);
  const int32_t k = r.min_group_size;
  const AnalyticsConfig defaults;
  const size_t n_students = data.students.size(), n_concepts = domain.concepts.size();
  const size_t n_groups = data.classrooms.size() + 1;  // the classrooms, then "unassigned"
  const size_t unassigned = n_groups - 1;

  // Mastery cells: per group and concept, and per concept in total; the
  // students of each group (with a level on some concept) and in total.
  std::vector<MasteryCell> cells(n_groups * n_concepts), concept_total(n_concepts);
  std::vector<MasteryCell> group(n_groups);
  MasteryCell everyone;
  // Misconception prevalence: students with a level on the misconception's
  // concept who have (had) the misconception.
  std::vector<int32_t> concept_of(domain.misconceptions.size(), -1);
  for (size_t i = 0; i < domain.misconceptions.size(); ++i) {
    auto it = domain.concept_index.find(domain.misconceptions[i].concept_id);
    if (it != domain.concept_index.end()) concept_of[i] = static_cast<int32_t>(it->second);
  }
  std::vector<int64_t> with(domain.misconceptions.size(), 0);
  std::vector<uint8_t> has_level(n_concepts, 0);
  for (size_t s = 0; s < n_students; ++s) {
    const int32_t sid = static_cast<int32_t>(s);
    const size_t g = data.classroom[s] < 0 ? unassigned : static_cast<size_t>(data.classroom[s]);
    std::fill(has_level.begin(), has_level.end(), 0);
    bool any = false;
    for (size_t i = data.mastery_start[s]; i < data.mastery_start[s + 1]; ++i) {
      const MasteryRecord &m = data.mastery[i];
      if (!m.has_level) continue;
      const size_t c = static_cast<size_t>(m.concept_index);
      const bool mastered = m.level >= domain.threshold_for(domain.concepts[c]) &&
                            m.attempts >= defaults.mastery_min_attempts;
      cells[g * n_concepts + c].add(sid, m.level, mastered);
      concept_total[c].add(sid, m.level, mastered);
      has_level[c] = 1;
      any = true;
    }
    if (!any) continue;
    group[g].students.push_back(sid);
    everyone.students.push_back(sid);
    for (size_t i = data.misconception_start[s]; i < data.misconception_start[s + 1]; ++i) {
      const size_t m = static_cast<size_t>(data.misconceptions[i].misconception_index);
      if (concept_of[m] >= 0 && has_level[static_cast<size_t>(concept_of[m])]) ++with[m];
    }
  }

  // Cohort labels: the groups with students, classrooms in id order.
  std::vector<std::string> label(n_groups);
  std::vector<size_t> shown;
  for (size_t g = 0, next = 1; g < n_groups; ++g) {
    if (group[g].students.empty()) continue;
    label[g] = g == unassigned ? std::string("unassigned") : fmt::format("cohort_{}", next++);
    shown.push_back(g);
  }
  {
    std::vector<MasteryCell *> parts;
    for (size_t g : shown)
      parts.push_back(&group[g]);
    suppress_cells(parts, everyone, k);
  }
  for (size_t c = 0; c < n_concepts; ++c) {
    std::vector<MasteryCell *> parts;
    for (size_t g : shown)
      if (!cells[g * n_concepts + c].students.empty()) parts.push_back(&cells[g * n_concepts + c]);
    suppress_cells(parts, concept_total[c], k);
  }

  // Outcome cells: per misconception and modality, and per misconception.
  std::unordered_map<std::string_view, int32_t> outcome_student;
  std::vector<std::array<OutcomeCell, kModalityCount>> by_modality(domain.misconceptions.size());
  std::vector<OutcomeCell> by_misconception(domain.misconceptions.size());
  for (const OutcomeRecord &o : outcomes) {
    const size_t m = static_cast<size_t>(o.misconception_index);
    if (m >= by_misconception.size()) continue;
    const int32_t sid =
        outcome_student.try_emplace(o.student, static_cast<int32_t>(outcome_student.size()))
            .first->second;
    for (OutcomeCell *c :
         {&by_modality[m][static_cast<size_t>(o.modality)], &by_misconception[m]}) {
      c->students.push_back(sid);
      ++c->attempts;
      c->resolved += o.resolved;
    }
  }
  auto distinct = [](OutcomeCell &c) {
    std::sort(c.students.begin(), c.students.end());
    c.students.erase(std::unique(c.students.begin(), c.students.end()), c.students.end());
  };
  for (size_t m = 0; m < by_misconception.size(); ++m) {
    distinct(by_misconception[m]);
    std::vector<OutcomeCell *> parts;
    for (OutcomeCell &c : by_modality[m]) {
      distinct(c);
      if (c.attempts) parts.push_back(&c);
    }
    suppress_cells(parts, by_misconception[m], k);
  }

  JsonWriter w;
  w.begin_object();
  w.field("schema_version", 1);
  w.field("export", "research");
  w.field("domain", domain.id);
  w.field("generated_on", utc_day(now_us));
  w.field("min_group_size", k);
  w.field("z", kZ);
  w.field("mastery_min_attempts", defaults.mastery_min_attempts);

  w.key("cohorts").begin_object();
  w.key("total").begin_object();
  w.key("students");
  if (everyone.suppressed) {
    w.null();
  } else {
    w.value(static_cast<int64_t>(everyone.students.size()));
  }
  w.field("suppressed", everyone.suppressed).end_object();
  w.key("groups").begin_array();
  for (size_t g : shown) {
    w.begin_object().field("cohort", label[g]).key("students");
    if (group[g].suppressed) {
      w.null();
    } else {
      w.value(static_cast<int64_t>(group[g].students.size()));
    }
    w.field("suppressed", group[g].suppressed).end_object();
  }
  w.end_array().end_object();

  w.key("concepts").begin_array();
  for (size_t c = 0; c < n_concepts; ++c) {
    const MasteryCell &total = concept_total[c];
    if (total.students.empty()) continue;
    w.begin_object().field("concept_id", domain.concepts[c].id);
    w.key("total").begin_object();
    mastery_members(w, total);
    w.end_object();
    w.key("cohorts").begin_array();
    for (size_t g : shown) {
      const MasteryCell &cell = cells[g * n_concepts + c];
      if (cell.students.empty()) continue;
      w.begin_object().field("cohort", label[g]);
      mastery_members(w, cell);
      w.end_object();
    }
    w.end_array();
    // Prevalence among the concept's students: published with its total.
    w.key("misconceptions").begin_array();
    for (size_t m = 0; m < domain.misconceptions.size(); ++m) {
      if (concept_of[m] != static_cast<int32_t>(c)) continue;
      w.begin_object().field("misconception_id", domain.misconceptions[m].id);
      if (total.suppressed) {
        w.key("students_with").null().key("prevalence").null();
      } else {
        w.field("students_with", with[m]);
        w.field("prevalence",
                static_cast<double>(with[m]) / static_cast<double>(total.students.size()));
      }
      w.field("suppressed", total.suppressed).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();

  w.key("effectiveness").begin_array();
  for (size_t m = 0; m < by_misconception.size(); ++m) {
    if (!by_misconception[m].attempts) continue;
    w.begin_object().field("misconception_id", domain.misconceptions[m].id);
    w.field("concept_id", domain.misconceptions[m].concept_id);
    w.key("total").begin_object();
    outcome_members(w, by_misconception[m]);
    w.end_object();
    w.key("modalities").begin_array();
    for (size_t x = 0; x < kModalityCount; ++x) {
      const OutcomeCell &cell = by_modality[m][x];
      if (!cell.attempts) continue;
      w.begin_object().field("modality", modality_name(static_cast<Modality>(x)));
      outcome_members(w, cell);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
