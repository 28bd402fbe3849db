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

simdjson::dom::object request_object(simdjson::dom::parser &p, const char *json, size_t len,
                                     const char *what,
                                     std::initializer_list<std::string_view> known) {
  simdjson::dom::object o;
  if (parse_request(p, json, len, what).get_object().get(o)) {
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object", what));
  }
  tutorcore::reject_unknown_fields(o, known, what);
  return o;
}

}  // namespace capi
}  // namespace v0
}  // namespace tutorcore
