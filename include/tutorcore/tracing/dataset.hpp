// Response data for knowledge tracing, laid out per skill as contiguous
// arrays: each skill holds its students' ordered answers back to back, with
// offsets marking where each student's sequence starts (CSR layout).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tutorcore {
inline namespace v0 {

struct SkillSequences {
  std::string skill;
  std::vector<uint8_t> correct;   // every answer of this skill, sequence after sequence
  std::vector<uint32_t> starts;   // sequence k is [starts[k], starts[k+1]); size = sequences + 1
  std::vector<uint32_t> student;  // student index of each sequence
  // Only with an item column (the per-item variants): the item of each
  // answer, as an index into this skill's item names.
  std::vector<uint32_t> item;
  std::vector<std::string> items;
  // Only with a group column (per-group priors): the group of each sequence
  // (the column's value at its first answer), an index into `groups`.
  std::vector<uint32_t> group;
  std::vector<std::string> groups;
  bool has_items() const { return !items.empty(); }
  bool has_groups() const { return !groups.empty(); }
  size_t sequences() const { return student.size(); }
  size_t responses() const { return correct.size(); }
};

struct Dataset {
  std::vector<std::string> students;  // index -> the id as given
  std::vector<SkillSequences> skills;
  size_t responses = 0;
  int64_t find_skill(const std::string &name) const;  // -1 when absent
};

// Column names of a long-format CSV (pyBKT's defaults).
struct CsvColumns {
  std::string user = "user_id";
  std::string skill = "skill_name";
  std::string correct = "correct";
  std::string order = "order_id";  // optional in the file; rows keep file order without it
  std::string item;                // item of each answer (per-item variants); empty = not read
  std::string group;               // group of each sequence (per-group priors); empty = not read
};

// Reads a long-format CSV (a header, then one row per answer). Answers are
// ordered by order_id (numeric) within each student. Throws Error(invalid)
// naming the file, line and column for a missing column or a bad value, and
// Error(not_found) when the file cannot be read.
Dataset load_csv(const std::string &path, const CsvColumns &cols = {});

// Builds a dataset from in-memory rows (student, skill, correct) already in
// each student's order.
struct ResponseRow {
  ResponseRow() = default;
  ResponseRow(std::string student_, std::string skill_, bool correct_, std::string item_ = {},
              std::string group_ = {})
      : student(std::move(student_)),
        skill(std::move(skill_)),
        correct(correct_),
        item(std::move(item_)),
        group(std::move(group_)) {}
  std::string student, skill;
  bool correct = false;
  std::string item, group;  // optional: empty in every row = no item (group) data
};
Dataset dataset_from_rows(const std::vector<ResponseRow> &rows);

// The students for which keep(student index) is true; skill order is kept.
Dataset subset_students(const Dataset &d, const std::function<bool(uint32_t)> &keep);

}  // namespace v0
}  // namespace tutorcore
