// JsonWriter: builds compact JSON text for results and stored payloads.
// Only serialisation lives here; all parsing goes through simdjson.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tutorcore {
inline namespace v0 {

class JsonWriter {
 public:
  JsonWriter &begin_object();
  JsonWriter &end_object();
  JsonWriter &begin_array();
  JsonWriter &end_array();
  JsonWriter &key(std::string_view k);
  JsonWriter &value(std::string_view s);
  JsonWriter &value(const char *s) { return value(std::string_view(s)); }
  JsonWriter &value(const std::string &s) { return value(std::string_view(s)); }
  JsonWriter &value(bool b);
  JsonWriter &value(int64_t n);
  JsonWriter &value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter &value(uint64_t n);
  JsonWriter &value(double d);  // NaN and infinities are written as null
  JsonWriter &null();
  // Inserts already-valid JSON text (a stored payload) as a value.
  JsonWriter &raw(std::string_view json);

  template <class T>
  JsonWriter &field(std::string_view k, const T &v) {
    key(k);
    return value(v);
  }

  const std::string &str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // one entry per open container
  bool after_key_ = false;
};

// Appends `s` as a quoted JSON string with escapes.
void append_json_string(std::string &out, std::string_view s);

}  // namespace v0
}  // namespace tutorcore
