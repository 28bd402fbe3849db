// Reading JSON request documents of the C ABI: parse with a line and column
// on syntax errors, and refuse fields the request does not define.
#pragma once

#include <simdjson.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "tutorcore/common/json_read.hpp"

namespace tutorcore {
inline namespace v0 {
namespace capi {

// Parses json[0..len); `what` names the document in messages.
simdjson::dom::element parse_request(simdjson::dom::parser &p, const char *json, size_t len,
                                     const char *what);

using tutorcore::reject_unknown_fields;

// A request document: a JSON object with only the `known` fields.
simdjson::dom::object request_object(simdjson::dom::parser &p, const char *json, size_t len,
                                     const char *what,
                                     std::initializer_list<std::string_view> known);

}  // namespace capi
}  // namespace v0
}  // namespace tutorcore
