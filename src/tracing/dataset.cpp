// Loading response data into per-skill sequences.
#include "tutorcore/tracing/dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "tutorcore/common/csv.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

struct Row {
  uint32_t student, skill;
  double order;
  uint32_t line;
  uint8_t correct;
};

Dataset build(std::vector<Row> &rows, std::vector<std::string> students,
              std::vector<std::string> skills) {
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
  for (size_t i = 0; i < rows.size(); ++i) {
    SkillSequences &s = d.skills[rows[i].skill];
    bool new_seq =
        i == 0 || rows[i - 1].skill != rows[i].skill || rows[i - 1].student != rows[i].student;
    if (new_seq) {
      s.starts.push_back(static_cast<uint32_t>(s.correct.size()));
      s.student.push_back(rows[i].student);
    }
    s.correct.push_back(rows[i].correct);
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
  int needed = std::max({c_user, c_skill, c_correct, c_order});

  std::unordered_map<std::string, uint32_t> student_ix, skill_ix;
  std::vector<std::string> students, skills;
  std::vector<Row> rows;
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
      if (ec != std::errc() || p != o.data() + o.size()) {
        throw Error(Errc::invalid,
                    fmt::format("{}: line {}: column '{}' is '{}'; it must be a number", path,
                                line_no, cols.order, o));
      }
    }
    auto [su, s_new] =
        student_ix.try_emplace(std::string(user), static_cast<uint32_t>(students.size()));
    if (s_new) students.emplace_back(user);
    auto [sk, k_new] =
        skill_ix.try_emplace(std::string(skill), static_cast<uint32_t>(skills.size()));
    if (k_new) skills.emplace_back(skill);
    rows.push_back({su->second, sk->second, order, static_cast<uint32_t>(line_no), correct});
  }
  if (rows.empty())
    throw Error(Errc::invalid, fmt::format("{}: no data rows after the header", path));
  return build(rows, std::move(students), std::move(skills));
}

Dataset dataset_from_rows(const std::vector<ResponseRow> &in) {
  std::unordered_map<std::string, uint32_t> student_ix, skill_ix;
  std::vector<std::string> students, skills;
  std::vector<Row> rows;
  rows.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    auto [su, s_new] =
        student_ix.try_emplace(in[i].student, static_cast<uint32_t>(students.size()));
    if (s_new) students.push_back(in[i].student);
    auto [sk, k_new] = skill_ix.try_emplace(in[i].skill, static_cast<uint32_t>(skills.size()));
    if (k_new) skills.push_back(in[i].skill);
    rows.push_back(
        {su->second, sk->second, static_cast<double>(i), 0, static_cast<uint8_t>(in[i].correct)});
  }
  return build(rows, std::move(students), std::move(skills));
}

Dataset subset_students(const Dataset &d, const std::function<bool(uint32_t)> &keep) {
  Dataset out;
  out.students = d.students;
  out.skills.resize(d.skills.size());
  for (size_t k = 0; k < d.skills.size(); ++k) {
    const SkillSequences &s = d.skills[k];
    SkillSequences &o = out.skills[k];
    o.skill = s.skill;
    for (size_t q = 0; q < s.sequences(); ++q) {
      if (!keep(s.student[q])) continue;
      o.starts.push_back(static_cast<uint32_t>(o.correct.size()));
      o.student.push_back(s.student[q]);
      o.correct.insert(o.correct.end(), s.correct.begin() + s.starts[q],
                       s.correct.begin() + s.starts[q + 1]);
    }
    o.starts.push_back(static_cast<uint32_t>(o.correct.size()));
    out.responses += o.correct.size();
  }
  return out;
}

}  // namespace v0
}  // namespace tutorcore
