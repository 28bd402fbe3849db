// Loading response data into per-skill sequences.
#include "tutorcore/tracing/dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "tutorcore/common/csv.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

struct Row {
  uint32_t student = 0, skill = 0;
  double order = 0;
  uint32_t item = kNone, group = kNone;  // global name indices
  uint8_t correct = 0;
};

// Interns names to dense indices.
struct Names {
  std::unordered_map<std::string, uint32_t> index;
  std::vector<std::string> names;
  uint32_t add(std::string_view name) {
    auto [it, added] = index.try_emplace(std::string(name), static_cast<uint32_t>(names.size()));
    if (added) names.emplace_back(name);
    return it->second;
  }
};

// Maps a global name index to this skill's own dense index.
uint32_t local_index(std::unordered_map<uint32_t, uint32_t> &map, std::vector<std::string> &names,
                     uint32_t global, const std::vector<std::string> &global_names) {
  auto [it, added] = map.try_emplace(global, static_cast<uint32_t>(names.size()));
  if (added) names.push_back(global_names[global]);
  return it->second;
}

Dataset build(std::vector<Row> &rows, std::vector<std::string> students,
              std::vector<std::string> skills, const std::vector<std::string> &items = {},
              const std::vector<std::string> &groups = {}) {
  // Per skill, per student, in answer order: sort once by (skill, student, order).
  std::stable_sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) {
    if (a.skill != b.skill) return a.skill < b.skill;
    if (a.student != b.student) return a.student < b.student;
    return a.order < b.order;
  });
  Dataset d;
  d.students = std::move(students);
  d.skills.resize(skills.size());
  for (size_t k = 0; k < skills.size(); ++k)
    d.skills[k].skill = std::move(skills[k]);
  std::vector<std::unordered_map<uint32_t, uint32_t>> item_ix(items.empty() ? 0 : skills.size()),
      group_ix(groups.empty() ? 0 : skills.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row &r = rows[i];
    SkillSequences &s = d.skills[r.skill];
    bool new_seq = i == 0 || rows[i - 1].skill != r.skill || rows[i - 1].student != r.student;
    if (new_seq) {
      s.starts.push_back(static_cast<uint32_t>(s.correct.size()));
      s.student.push_back(r.student);
      if (!groups.empty())
        s.group.push_back(local_index(group_ix[r.skill], s.groups, r.group, groups));
    }
    s.correct.push_back(r.correct);
    if (!items.empty()) s.item.push_back(local_index(item_ix[r.skill], s.items, r.item, items));
  }
  for (auto &s : d.skills)
    s.starts.push_back(static_cast<uint32_t>(s.correct.size()));
  d.responses = rows.size();
  // Skills without data would only confuse the fit; they cannot occur here.
  return d;
}

}  // namespace

int64_t Dataset::find_skill(const std::string &name) const {
  for (size_t i = 0; i < skills.size(); ++i) {
    if (skills[i].skill == name) return static_cast<int64_t>(i);
  }
  return -1;
}

Dataset load_csv(const std::string &path, const CsvColumns &cols) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::not_found, fmt::format("{}: cannot read the file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();

  std::vector<std::string> fields;

  size_t pos = 0, line_no = 0;
  auto next_line = [&](std::string_view *line) {
    if (pos >= text.size()) return false;
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    *line = std::string_view(text).substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    return true;
  };

  std::string_view line;
  if (!next_line(&line))
    throw Error(Errc::invalid, fmt::format("{}: the file is empty; expected a header line", path));
  csv_split(csv_trim(line), &fields);
  auto column = [&](const std::string &name, bool required) -> int {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (csv_trim(fields[i]) == name) return static_cast<int>(i);
    }
    if (required) {
      std::string have;
      for (const auto &f : fields)
        have += (have.empty() ? "" : ", ") + std::string(csv_trim(f));
      throw Error(Errc::invalid,
                  fmt::format("{}: line 1: no column '{}' (the header has: {}); name it "
                              "with the matching --*-col option",
                              path, name, have));
    }
    return -1;
  };
  int c_user = column(cols.user, true), c_skill = column(cols.skill, true),
      c_correct = column(cols.correct, true);
  int c_order = column(cols.order, false);
  int c_item = cols.item.empty() ? -1 : column(cols.item, true);
  int c_group = cols.group.empty() ? -1 : column(cols.group, true);
  int needed = std::max({c_user, c_skill, c_correct, c_order, c_item, c_group});

  Names student_names, skill_names, item_names, group_names;
  std::vector<Row> rows;
  // The item and group columns must hold a value in every row.
  auto name_at = [&](int c, const std::string &col, Names *names) {
    std::string_view v = csv_trim(fields[static_cast<size_t>(c)]);
    if (v.empty())
      throw Error(Errc::invalid,
                  fmt::format("{}: line {}: column '{}' is empty", path, line_no, col));
    return names->add(v);
  };
  while (next_line(&line)) {
    line = csv_trim(line);
    if (line.empty()) continue;
    csv_split(line, &fields);
    if (static_cast<int>(fields.size()) <= needed) {
      throw Error(Errc::invalid, fmt::format("{}: line {}: {} fields; the header has at least {}",
                                             path, line_no, fields.size(), needed + 1));
    }
    std::string_view corr = csv_trim(fields[static_cast<size_t>(c_correct)]);
    uint8_t correct;
    if (corr == "1" || corr == "1.0" || corr == "true") {
      correct = 1;
    } else if (corr == "0" || corr == "0.0" || corr == "false") {
      correct = 0;
    } else {
      throw Error(Errc::invalid, fmt::format("{}: line {}: column '{}' is '{}'; it must be 0 or 1",
                                             path, line_no, cols.correct, corr));
    }
    std::string_view user = csv_trim(fields[static_cast<size_t>(c_user)]);
    std::string_view skill = csv_trim(fields[static_cast<size_t>(c_skill)]);
    if (user.empty() || skill.empty()) {
      throw Error(Errc::invalid, fmt::format("{}: line {}: column '{}' is empty", path, line_no,
                                             user.empty() ? cols.user : cols.skill));
    }
    double order = static_cast<double>(rows.size());
    if (c_order >= 0) {
      std::string_view o = csv_trim(fields[static_cast<size_t>(c_order)]);
      auto [p, ec] = std::from_chars(o.data(), o.data() + o.size(), order);
      // NaN or infinity would break the sort's ordering of the answers.
      if (ec != std::errc() || p != o.data() + o.size() || !std::isfinite(order)) {
        throw Error(Errc::invalid,
                    fmt::format("{}: line {}: column '{}' is '{}'; it must be a finite number",
                                path, line_no, cols.order, o));
      }
    }
    Row r;
    r.student = student_names.add(user);
    r.skill = skill_names.add(skill);
    r.order = order;
    r.correct = correct;
    if (c_item >= 0) r.item = name_at(c_item, cols.item, &item_names);
    if (c_group >= 0) r.group = name_at(c_group, cols.group, &group_names);
    rows.push_back(r);
  }
  if (rows.empty())
    throw Error(Errc::invalid, fmt::format("{}: no data rows after the header", path));
  return build(rows, std::move(student_names.names), std::move(skill_names.names), item_names.names,
               group_names.names);
}

Dataset dataset_from_rows(const std::vector<ResponseRow> &in) {
  Names student_names, skill_names, item_names, group_names;
  bool items = false, groups = false;
  for (const auto &r : in) {
    items |= !r.item.empty();
    groups |= !r.group.empty();
  }
  std::vector<Row> rows;
  rows.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    Row r;
    r.student = student_names.add(in[i].student);
    r.skill = skill_names.add(in[i].skill);
    r.order = static_cast<double>(i);
    r.correct = in[i].correct;
    auto name = [&](const std::string &v, const char *what, Names *names) {
      if (v.empty())
        throw Error(Errc::invalid,
                    fmt::format("row {}: {} is empty while other rows have one", i, what));
      return names->add(v);
    };
    if (items) r.item = name(in[i].item, "item", &item_names);
    if (groups) r.group = name(in[i].group, "group", &group_names);
    rows.push_back(r);
  }
  return build(rows, std::move(student_names.names), std::move(skill_names.names), item_names.names,
               group_names.names);
}

Dataset subset_students(const Dataset &d, const std::function<bool(uint32_t)> &keep) {
  Dataset out;
  out.students = d.students;
  out.skills.resize(d.skills.size());
  for (size_t k = 0; k < d.skills.size(); ++k) {
    const SkillSequences &s = d.skills[k];
    SkillSequences &o = out.skills[k];
    o.skill = s.skill;
    // Item and group names are kept whole, so indices stay valid.
    o.items = s.items;
    o.groups = s.groups;
    for (size_t q = 0; q < s.sequences(); ++q) {
      if (!keep(s.student[q])) continue;
      o.starts.push_back(static_cast<uint32_t>(o.correct.size()));
      o.student.push_back(s.student[q]);
      if (s.has_groups()) o.group.push_back(s.group[q]);
      o.correct.insert(o.correct.end(), s.correct.begin() + s.starts[q],
                       s.correct.begin() + s.starts[q + 1]);
      if (s.has_items()) {
        o.item.insert(o.item.end(), s.item.begin() + s.starts[q], s.item.begin() + s.starts[q + 1]);
      }
    }
    o.starts.push_back(static_cast<uint32_t>(o.correct.size()));
    out.responses += o.correct.size();
  }
  return out;
}

}  // namespace v0
}  // namespace tutorcore
