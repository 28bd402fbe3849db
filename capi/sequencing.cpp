// Adaptive sequencing through the C ABI: assignments, the cold-start
// diagnostic, and template instances (tc_domain_generate, tc_domain_problem).
#include <fmt/format.h>

#include <string>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "request_json.hpp"
#include "tutorcore/sequencing/template.hpp"

using namespace tutorcore;

extern "C" {

tc_status tc_tutor_assign(tc_tutor *tutor, const char *request_json, size_t len, char **out_json) {
  return capi::tutor_request(
      tutor, request_json, len, out_json, [](tc_tutor &t, std::string_view req) {
        return t.tutor->assign(assign_request_from_json(req, t.tutor->config().sequencing));
      });
}

tc_status tc_tutor_diagnostic(tc_tutor *tutor, const char *tenant, const char *student,
                              char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(tutor, "tutor");
    capi::require(tenant, "tenant");
    capi::require(student, "student");
    capi::require(out_json, "out_json");
    *out_json = capi::dup_string(tutor->tutor->diagnostic(tenant, student));
  });
}

tc_status tc_tutor_apply_diagnostic(tc_tutor *tutor, const char *request_json, size_t len,
                                    char **out_json) {
  return capi::tutor_request(tutor, request_json, len, out_json,
                             [](tc_tutor &t, std::string_view req) {
                               return t.tutor->apply_diagnostic(diagnostic_request_from_json(req));
                             });
}

tc_status tc_domain_problem(const tc_domain *domain, const char *problem_id, char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(domain, "domain");
    capi::require(problem_id, "problem_id");
    capi::require(out_json, "out_json");
    const Domain &d = domain->domain;
    Problem storage;
    const Problem *p = find_problem_or_instance(d, problem_id, &storage);
    if (!p) {
      throw Error(Errc::not_found,
                  fmt::format("problem_id: '{}' is neither a problem of domain '{}' nor an "
                              "instance of one of its templates",
                              problem_id, d.id));
    }
    JsonWriter w;
    w.begin_object().field("schema_version", 1).key("problem");
    write_problem_json(w, *p, p == &storage);
    w.end_object();
    *out_json = capi::dup_string(w.take());
  });
}

tc_status tc_domain_generate(const tc_domain *domain, const char *request_json, size_t len,
                             char **out_json) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(domain, "domain");
    capi::require(request_json, "request_json");
    capi::require(out_json, "out_json");
    constexpr const char *what = "generate request";
    simdjson::dom::parser parser;
    simdjson::dom::object o = capi::request_object(
        parser, request_json, len, what, {"template_id", "seed", "first", "count", "max_draws"});
    std::string template_id;
    read_string(o, "template_id", true, what, &template_id);
    int64_t seed = 42, first = 0, count = 1, max_draws = 100;
    read_int(o, "seed", 0, INT64_MAX, what, &seed);
    read_int(o, "first", 0, INT64_MAX - 1000, what, &first);
    read_int(o, "count", 1, 1000, what, &count);
    read_int(o, "max_draws", 1, 100000, what, &max_draws);
    const Domain &d = domain->domain;
    const ProblemTemplate *t = find_template(d, template_id);
    if (!t) {
      throw Error(Errc::not_found,
                  fmt::format("generate request.template_id: '{}' is not a template of domain "
                              "'{}'",
                              template_id, d.id));
    }
    JsonWriter w;
    w.begin_object().field("schema_version", 1).field("template_id", t->id);
    w.field("seed", seed).key("instances").begin_array();
    for (int64_t n = first; n < first + count; ++n) {
      std::optional<Problem> inst =
          generate_instance(*t, static_cast<uint64_t>(seed), static_cast<uint64_t>(n),
                            static_cast<int32_t>(max_draws));
      w.begin_object().field("instance", n).key("problem");
      if (inst)
        write_problem_json(w, *inst, d.find_problem(inst->id) == nullptr);
      else
        w.null();
      w.end_object();
    }
    w.end_array().end_object();
    *out_json = capi::dup_string(w.take());
  });
}

}  // extern "C"
