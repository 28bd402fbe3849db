#include "request_json.hpp"

#include <fmt/format.h>

#include "capi_internal.hpp"
#include "tutorcore/common/json_read.hpp"

namespace tutorcore {
inline namespace v0 {
namespace capi {

simdjson::dom::element parse_request(simdjson::dom::parser &p, const char *json, size_t len,
                                     const char *what) {
  require(json, what);
  return parse_json_or_throw(p, std::string_view(json, len), what);
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

simdjson::dom::object request_object(simdjson::dom::parser &p, const char *json, size_t len,
                                     const char *what,
                                     std::initializer_list<std::string_view> known) {
  simdjson::dom::object o;
  if (parse_request(p, json, len, what).get_object().get(o)) {
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object", what));
  }
  reject_unknown_fields(o, known, what);
  return o;
}

}  // namespace capi
}  // namespace v0
}  // namespace tutorcore
