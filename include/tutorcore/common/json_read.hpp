// Helpers for reading JSON input with simdjson and saying exactly where it is
// wrong: a line and column for syntax errors, a JSON path for content errors.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace tutorcore {
inline namespace v0 {

struct TextPos {
  size_t line = 0;    // 1-based; 0 when unknown
  size_t column = 0;  // 1-based
};

// Where the first syntax error of `text` is, found with simdjson's on-demand
// parser (it stops at the offending token).
TextPos locate_json_error(std::string_view text);

// "malformed JSON at line 3, column 7: <simdjson's reason>".
std::string json_syntax_message(simdjson::error_code err, std::string_view text);

// Parses `text` with `parser`; throws Error(invalid) whose message starts with
// `where` and gives line and column.
simdjson::dom::element parse_json_or_throw(simdjson::dom::parser &parser, std::string_view text,
                                           std::string_view where);

// JSON path helpers: "concepts[3].prerequisites[0]".
inline std::string path_key(std::string_view base, std::string_view key) {
  std::string p(base);
  if (!p.empty()) p.push_back('.');
  p.append(key);
  return p;
}
std::string path_index(std::string_view base, size_t i);

// Throws Error(invalid) "<where>.<field>: unknown field; expected one of ...".
void reject_unknown_fields(simdjson::dom::object o, std::initializer_list<std::string_view> known,
                           const std::string &where);

// Typed reads of one field of a request object; `where` names the document
// in messages ("submit request.latency_ms: must be a number, found string").
// Optional fields that are absent or null leave *out as it was and return
// false.
bool read_string(simdjson::dom::object o, const char *key, bool required, std::string_view where,
                 std::string *out);
bool read_number(simdjson::dom::object o, const char *key, double lo, double hi,
                 std::string_view where, double *out);
bool read_int(simdjson::dom::object o, const char *key, int64_t lo, int64_t hi,
              std::string_view where, int64_t *out);
bool read_bool(simdjson::dom::object o, const char *key, std::string_view where, bool *out);

// The JSON type of an element as a word for messages ("string", "number").
const char *json_type_name(simdjson::dom::element_type t);

}  // namespace v0
}  // namespace tutorcore
