// Splitting CSV lines (RFC 4180 quotes, no embedded newlines). The loaders
// of response data (tracing, irt) read their files line by line with these.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tutorcore {
inline namespace v0 {

// Splits one line into fields; `fields` keeps its capacity from line to line.
// A trailing comma gives a trailing empty field.
void csv_split(std::string_view line, std::vector<std::string> *fields);

// Without surrounding spaces and a trailing carriage return.
std::string_view csv_trim(std::string_view s);

}  // namespace v0
}  // namespace tutorcore
