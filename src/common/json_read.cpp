#include "tutorcore/common/json_read.hpp"

#include <fmt/format.h>

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {
namespace od = simdjson::ondemand;

namespace {

// Deeper documents stop the walk (the DOM parser refuses them too): the walk
// recurses, and a request of 100,000 '[' must not overflow the stack.
constexpr size_t kMaxWalkDepth = simdjson::DEFAULT_MAX_DEPTH;

simdjson::error_code walk_value(od::value v, size_t depth);

simdjson::error_code walk_object(od::object o, size_t depth) {
  for (auto field : o) {
    std::string_view k;
    if (auto e = field.unescaped_key().get(k)) return e;
    od::value v;
    if (auto e = field.value().get(v)) return e;
    if (auto e = walk_value(v, depth)) return e;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code walk_value(od::value v, size_t depth) {
  if (++depth > kMaxWalkDepth) return simdjson::DEPTH_ERROR;
  od::json_type t;
  if (auto e = v.type().get(t)) return e;
  switch (t) {
    case od::json_type::object: {
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      return walk_object(o, depth);
    }
    case od::json_type::array: {
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      for (auto item : a) {
        od::value x;
        if (auto e = item.get(x)) return e;
        if (auto e = walk_value(x, depth)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number: {
      double d;
      return v.get_double().get(d);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null:
      return v.is_null().error();
  }
  return simdjson::SUCCESS;
}

TextPos pos_of(std::string_view text, size_t offset) {
  TextPos p{1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

// A JSON string cannot hold a raw newline, so an unclosed string is the one
// still open when a line ends.
TextPos locate_unclosed_string(std::string_view text) {
  bool in_string = false;
  size_t open = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      } else if (c == '\n') {
        return pos_of(text, open);
      }
    } else if (c == '"') {
      in_string = true;
      open = i;
    }
  }
  return in_string ? pos_of(text, open) : TextPos{};
}

}  // namespace

TextPos locate_json_error(std::string_view text) {
  simdjson::padded_string padded(text);
  od::parser parser;
  od::document doc;
  auto err = parser.iterate(padded).get(doc);
  if (err == simdjson::UNCLOSED_STRING) return locate_unclosed_string(text);
  if (err) return TextPos{};
  od::value root;
  err = doc.get_value().get(root);
  if (!err) err = walk_value(root, 0);
  const char *loc = nullptr;
  if (doc.current_location().get(loc)) {
    // Past the end: the error is at the end of the text.
    return err ? pos_of(text, text.size()) : TextPos{};
  }
  return pos_of(text, static_cast<size_t>(loc - padded.data()));
}

std::string json_syntax_message(simdjson::error_code err, std::string_view text) {
  TextPos p = locate_json_error(text);
  if (p.line == 0) return fmt::format("malformed JSON: {}", simdjson::error_message(err));
  return fmt::format("malformed JSON at line {}, column {}: {}", p.line, p.column,
                     simdjson::error_message(err));
}

simdjson::dom::element parse_json_or_throw(simdjson::dom::parser &parser, std::string_view text,
                                           std::string_view where) {
  simdjson::dom::element root;
  auto err = parser.parse(text.data(), text.size()).get(root);
  if (err) {
    throw Error(Errc::invalid, fmt::format("{}: {}", where, json_syntax_message(err, text)));
  }
  return root;
}

std::string path_index(std::string_view base, size_t i) {
  return fmt::format("{}[{}]", base, i);
}

const char *json_type_name(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
    case T::ARRAY:
      return "array";
    case T::OBJECT:
      return "object";
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE:
      return "number";
    case T::STRING:
      return "string";
    case T::BOOL:
      return "boolean";
    case T::NULL_VALUE:
      return "null";
  }
  return "value";
}

void reject_unknown_fields(simdjson::dom::object o, std::initializer_list<std::string_view> known,
                           const std::string &where) {
  for (auto [k, v] : o) {
    bool ok = false;
    for (auto n : known)
      ok = ok || k == n;
    if (!ok) {
      std::string list;
      for (auto n : known)
        list += (list.empty() ? "" : ", ") + std::string(n);
      throw Error(Errc::invalid,
                  fmt::format("{}.{}: unknown field; expected one of {}", where, k, list));
    }
  }
}

namespace {
// The field's element, or false when it is absent or null (an error when required).
bool field_of(simdjson::dom::object o, const char *key, bool required, std::string_view where,
              simdjson::dom::element *e) {
  if (o.at_key(key).get(*e) || e->type() == simdjson::dom::element_type::NULL_VALUE) {
    if (required)
      throw Error(Errc::invalid, fmt::format("{}.{}: required field is missing", where, key));
    return false;
  }
  return true;
}
[[noreturn]] void wrong_type(std::string_view where, const char *key, const char *want,
                             simdjson::dom::element e) {
  throw Error(Errc::invalid, fmt::format("{}.{}: must be {}, found {}", where, key, want,
                                         json_type_name(e.type())));
}
}  // namespace

bool read_string(simdjson::dom::object o, const char *key, bool required, std::string_view where,
                 std::string *out) {
  simdjson::dom::element e;
  if (!field_of(o, key, required, where, &e)) return false;
  std::string_view s;
  if (e.get_string().get(s)) wrong_type(where, key, "a string", e);
  if (s.empty()) throw Error(Errc::invalid, fmt::format("{}.{}: is empty", where, key));
  *out = std::string(s);
  return true;
}

bool read_number(simdjson::dom::object o, const char *key, double lo, double hi,
                 std::string_view where, double *out) {
  simdjson::dom::element e;
  if (!field_of(o, key, false, where, &e)) return false;
  double d;
  if (e.get_double().get(d)) wrong_type(where, key, "a number", e);
  if (!(d >= lo && d <= hi))
    throw Error(Errc::invalid, fmt::format("{}.{}: {} is outside {}..{}", where, key, d, lo, hi));
  *out = d;
  return true;
}

bool read_int(simdjson::dom::object o, const char *key, int64_t lo, int64_t hi,
              std::string_view where, int64_t *out) {
  simdjson::dom::element e;
  if (!field_of(o, key, false, where, &e)) return false;
  int64_t n;
  if (e.get_int64().get(n)) wrong_type(where, key, "an integer", e);
  if (n < lo || n > hi)
    throw Error(Errc::invalid, fmt::format("{}.{}: {} is outside {}..{}", where, key, n, lo, hi));
  *out = n;
  return true;
}

bool read_bool(simdjson::dom::object o, const char *key, std::string_view where, bool *out) {
  simdjson::dom::element e;
  if (!field_of(o, key, false, where, &e)) return false;
  if (e.get_bool().get(*out)) wrong_type(where, key, "true or false", e);
  return true;
}

}  // namespace v0
}  // namespace tutorcore
