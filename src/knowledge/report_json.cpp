// JSON renderings of a validation report and of a loaded domain.
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/knowledge/validate.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
void write_counts(JsonWriter &w, const Domain &d) {
  w.key("counts").begin_object();
  w.field("concepts", static_cast<int64_t>(d.concepts.size()));
  int64_t edges = 0;
  for (const auto &c : d.concepts)
    edges += static_cast<int64_t>(c.prerequisites.size());
  w.field("prerequisite_edges", edges);
  w.field("misconceptions", static_cast<int64_t>(d.misconceptions.size()));
  w.field("problems", static_cast<int64_t>(d.problems.size()));
  w.field("templates", static_cast<int64_t>(d.templates.size()));
  w.end_object();
}
}  // namespace

std::string domain_report_json(const DomainReport &report, const Domain &d) {
  JsonWriter w;
  w.begin_object();
  w.field("schema_version", 1);
  w.field("valid", report.ok());
  w.field("domain", d.id);
  write_counts(w, d);
  w.key("errors").begin_array();
  for (const auto &i : report.issues) {
    w.begin_object();
    w.field("code", i.code).field("file", i.file).field("path", i.path);
    w.field("message", i.message).field("fix", i.fix);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

std::string domain_describe_json(const Domain &d) {
  JsonWriter w;
  w.begin_object();
  w.field("schema_version", 1);
  w.field("domain", d.id).field("name", d.name).field("subject", d.subject);
  w.field("version", d.version);
  w.field("mastery_threshold", d.mastery_threshold);
  w.field("low_stakes_mastery_threshold", d.low_stakes_threshold);
  write_counts(w, d);
  w.key("concepts").begin_array();
  for (const auto &c : d.concepts) {
    w.begin_object();
    w.field("id", c.id).field("name", c.name).field("level", c.level);
    w.field("low_stakes", c.low_stakes);
    w.key("prerequisites").begin_array();
    for (const auto &p : c.prerequisites)
      w.value(p);
    w.end_array();
    w.key("bkt_params").begin_object();
    w.field("p_init", c.bkt.p_init).field("p_learn", c.bkt.p_learn);
    w.field("p_guess", c.bkt.p_guess).field("p_slip", c.bkt.p_slip);
    w.end_object();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
