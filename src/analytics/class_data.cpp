// Classroom membership, the tenant's rows copied out of the views, the
// configuration check (analytics.hpp).
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tutorcore/analytics/analytics.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {

void check_analytics_config(const AnalyticsConfig &c) {
  auto bad = [](const char *field, const std::string &why) {
    throw Error(Errc::invalid, fmt::format("analytics config.{}: {}", field, why));
  };
  if (!(c.z >= 0.1 && c.z <= 10.0)) bad("z", fmt::format("is {}; it must lie in [0.1, 10]", c.z));
  if (c.min_trials < 0) bad("min_trials", "must be >= 0");
  if (c.mastery_min_attempts < 0) bad("mastery_min_attempts", "must be >= 0");
  if (!(c.prerequisite_cooccurrence >= 0.0 && c.prerequisite_cooccurrence <= 1.0))
    bad("prerequisite_cooccurrence",
        fmt::format("is {}; it must lie in [0, 1]", c.prerequisite_cooccurrence));
  if (c.prerequisite_min_students < 1) bad("prerequisite_min_students", "must be >= 1");
  if (!(c.prerequisite_min_lift >= 0.0 && c.prerequisite_min_lift <= 1e6))
    bad("prerequisite_min_lift", "must lie in [0, 1e6]");
  if (!(c.drift_fail_rate >= 0.0 && c.drift_fail_rate <= 1.0))
    bad("drift_fail_rate", fmt::format("is {}; it must lie in [0, 1]", c.drift_fail_rate));
  if (c.drift_min_students < 1) bad("drift_min_students", "must be >= 1");
  if (c.drift_min_attempts < 1) bad("drift_min_attempts", "must be >= 1");
}

void Membership::apply(const Event &e) {
  if (e.type != kClassroomEnrolled || e.entity_type != "student") return;
  thread_local simdjson::dom::parser parser;
  std::string_view classroom;
  simdjson::dom::object o;
  if (parser.parse(e.payload).get_object().get(o) ||
      o["classroom_id"].get_string().get(classroom) || classroom.empty()) {
    throw Error(Errc::invalid, fmt::format("event {} ({}): payload.classroom_id must be a "
                                           "non-empty string",
                                           e.id, e.type));
  }
  classroom_of[e.entity_id] = std::string(classroom);
}

int32_t ClassData::classroom_index(std::string_view id) const {
  auto it = std::lower_bound(classrooms.begin(), classrooms.end(), id,
                             [](const std::string &a, std::string_view b) { return a < b; });
  return it != classrooms.end() && *it == id ? static_cast<int32_t>(it - classrooms.begin()) : -1;
}

RateEstimate rate_estimate(int64_t successes, int64_t trials, const AnalyticsConfig &c) {
  RateEstimate r;
  r.trials = trials;
  r.successes = successes;
  r.rate = trials > 0 ? static_cast<double>(successes) / static_cast<double>(trials)
                      : std::numeric_limits<double>::quiet_NaN();
  r.ci = wilson_interval(successes, trials, c.z);
  r.insufficient = trials < c.min_trials;
  return r;
}

namespace {

// Students numbered as first seen; sorted by id at the end.
class StudentIndex {
 public:
  int32_t of(std::string_view id) {
    auto [it, fresh] = ids_.try_emplace(id, static_cast<int32_t>(names_.size()));
    if (fresh) names_.push_back(id);
    return it->second;
  }
  int32_t find(std::string_view id) const {
    auto it = ids_.find(id);
    return it == ids_.end() ? -1 : it->second;
  }
  // The ids in order, and each first-seen number's place among them.
  std::vector<int32_t> sort(std::vector<std::string> *sorted) const {
    std::vector<int32_t> order(names_.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = static_cast<int32_t>(i);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return names_[static_cast<size_t>(a)] < names_[static_cast<size_t>(b)];
    });
    std::vector<int32_t> rank(names_.size());
    sorted->reserve(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
      rank[static_cast<size_t>(order[i])] = static_cast<int32_t>(i);
      sorted->emplace_back(names_[static_cast<size_t>(order[i])]);
    }
    return rank;
  }

 private:
  std::unordered_map<std::string_view, int32_t> ids_;
  std::vector<std::string_view> names_;
};

// One of the tenant's rows: its student, what it is about (a domain index,
// -1 when the domain lacks it) and the row.
template <class Row>
struct Tagged {
  int32_t student;
  int32_t item;
  const Row *row;
};

template <class Row, class ItemOf>
std::vector<Tagged<Row>> tenant_rows(const View<Row> &view, std::string_view tenant,
                                     StudentIndex &students, ItemOf item_of) {
  std::vector<Tagged<Row>> out;
  for (const auto &kv : view.rows) {
    if (kv.first.a == tenant)
      out.push_back({students.of(kv.first.b), item_of(kv.first), &kv.second});
  }
  return out;
}

// Groups the kept rows by student (a counting sort): offsets and the
// records `make` builds, skipping rows whose item is -1.
template <class Row, class Record, class Make>
void group(const std::vector<Tagged<Row>> &rows, const std::vector<int32_t> &rank, size_t n,
           std::vector<size_t> *start, std::vector<Record> *out, int64_t *skipped, Make make) {
  start->assign(n + 1, 0);
  for (const auto &r : rows) {
    if (r.item < 0) {
      ++*skipped;
      continue;
    }
    ++(*start)[static_cast<size_t>(rank[static_cast<size_t>(r.student)]) + 1];
  }
  for (size_t s = 0; s < n; ++s)
    (*start)[s + 1] += (*start)[s];
  out->resize((*start)[n]);
  std::vector<size_t> fill(start->begin(), start->end() - 1);
  for (const auto &r : rows) {
    if (r.item < 0) continue;
    (*out)[fill[static_cast<size_t>(rank[static_cast<size_t>(r.student)])]++] = make(r);
  }
}

template <class Map>
int32_t index_in(const Map &m, const std::string &id) {
  auto it = m.find(id);
  return it == m.end() ? -1 : static_cast<int32_t>(it->second);
}

int32_t modality_index(const std::string &name) {
  Modality m;
  return parse_modality(name, &m) ? static_cast<int32_t>(m) : -1;
}

}  // namespace

ClassData class_data(const ViewSet &views, const Domain &domain, std::string_view tenant,
                     const Membership &membership) {
  ClassData d;
  d.tenant = std::string(tenant);
  StudentIndex students;
  const auto mastery = tenant_rows(views.mastery, tenant, students, [&](const Key3 &k) {
    return index_in(domain.concept_index, k.c);
  });
  const auto escalation = tenant_rows(views.escalation, tenant, students, [&](const Key3 &k) {
    return index_in(domain.misconception_index, k.c);
  });
  const auto modality = tenant_rows(views.modality, tenant, students,
                                    [&](const Key3 &k) { return modality_index(k.c); });
  const std::vector<int32_t> rank = students.sort(&d.students);
  const size_t n = d.students.size();

  // Classrooms: every one the membership names, sorted.
  for (const auto &kv : membership.classroom_of)
    d.classrooms.push_back(kv.second);
  std::sort(d.classrooms.begin(), d.classrooms.end());
  d.classrooms.erase(std::unique(d.classrooms.begin(), d.classrooms.end()), d.classrooms.end());
  d.enrolled.assign(d.classrooms.size(), 0);
  d.classroom.assign(n, -1);
  for (const auto &kv : membership.classroom_of) {
    const int32_t c = d.classroom_index(kv.second);
    ++d.enrolled[static_cast<size_t>(c)];
    const int32_t s = students.find(kv.first);
    if (s >= 0) d.classroom[static_cast<size_t>(rank[static_cast<size_t>(s)])] = c;
  }

  group(mastery, rank, n, &d.mastery_start, &d.mastery, &d.skipped_rows,
        [](const Tagged<MasteryRow> &r) {
          MasteryRecord m;
          m.concept_index = r.item;
          m.attempts = r.row->attempts;
          m.level = r.row->level;
          m.has_level = r.row->has_level;
          return m;
        });
  group(escalation, rank, n, &d.misconception_start, &d.misconceptions, &d.skipped_rows,
        [](const Tagged<EscalationRow> &r) {
          MisconceptionRecord m;
          m.misconception_index = r.item;
          m.interventions = r.row->machine.attempts;
          m.state = r.row->state();
          return m;
        });

  // Outcomes per student and modality; per misconception and modality.
  d.modality.assign(n, {});
  for (const auto &r : modality) {
    if (r.item < 0) {
      ++d.skipped_rows;
      continue;
    }
    OutcomeCounts &o = d.modality[static_cast<size_t>(rank[static_cast<size_t>(r.student)])]
                                 [static_cast<size_t>(r.item)];
    o.attempts += r.row->attempts;
    o.resolutions += r.row->resolutions;
  }
  d.effectiveness.assign(domain.misconceptions.size(), {});
  for (const auto &kv : views.effectiveness.rows) {
    if (kv.first.a != tenant) continue;
    const int32_t m = index_in(domain.misconception_index, kv.first.b);
    const int32_t k = modality_index(kv.first.c);
    if (m < 0 || k < 0) {
      ++d.skipped_rows;
      continue;
    }
    OutcomeCounts &o = d.effectiveness[static_cast<size_t>(m)][static_cast<size_t>(k)];
    o.attempts += kv.second.attempts;
    o.resolutions += kv.second.resolutions;
  }
  return d;
}

std::vector<uint8_t> scope_mask(const ClassData &data, std::string_view classroom) {
  if (classroom.empty()) return std::vector<uint8_t>(data.students.size(), 1);
  int32_t c = data.classroom_index(classroom);
  if (c < 0) {
    throw Error(Errc::not_found,
                fmt::format("classroom '{}': no student of tenant '{}' is enrolled in it (enroll "
                            "students with {} events)",
                            classroom, data.tenant, kClassroomEnrolled));
  }
  std::vector<uint8_t> mask(data.students.size(), 0);
  for (size_t s = 0; s < mask.size(); ++s)
    mask[s] = data.classroom[s] == c;
  return mask;
}

}  // namespace v0
}  // namespace tutorcore
