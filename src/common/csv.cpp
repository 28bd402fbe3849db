// CSV lines: the one splitter the loaders share.
#include "tutorcore/common/csv.hpp"

namespace tutorcore {
inline namespace v0 {

// Splits one CSV line into fields (RFC 4180 quotes, no embedded newlines).
// `fields` keeps its capacity from line to line.
void csv_split(std::string_view line, std::vector<std::string> *fields) {
  size_t n = 0;
  auto next = [&]() -> std::string & {
    if (n == fields->size()) fields->emplace_back();
    std::string &f = (*fields)[n++];
    f.clear();
    return f;
  };
  size_t i = 0;
  for (;;) {
    std::string &f = next();
    if (i < line.size() && line[i] == '"') {
      for (++i; i < line.size(); ++i) {
        if (line[i] != '"') {
          f.push_back(line[i]);
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          f.push_back('"');
          ++i;
        } else {
          ++i;
          break;
        }
      }
      while (i < line.size() && line[i] != ',')
        ++i;
    } else {
      size_t end = line.find(',', i);
      if (end == std::string_view::npos) end = line.size();
      f.assign(line.substr(i, end - i));
      i = end;
    }
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  fields->resize(n);
}

std::string_view csv_trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  return s;
}

}  // namespace v0
}  // namespace tutorcore
