// Loading a domain directory and validating it. Every problem is collected,
// not only the first, and each names the file, the JSON path and the fix.
#pragma once

#include <string>
#include <vector>

#include "tutorcore/knowledge/domain.hpp"

namespace tutorcore {
inline namespace v0 {

struct DomainIssue {
  std::string code;     // stable machine-readable rule name, e.g. "prerequisite_cycle"
  std::string file;     // "knowledge_graph.json"
  std::string path;     // JSON path, e.g. "concepts[4].prerequisites[1]"
  std::string message;  // what is wrong
  std::string fix;      // what to do about it
};

struct DomainReport {
  bool found = true;  // false when the directory itself is missing
  std::vector<DomainIssue> issues;
  bool ok() const { return found && issues.empty(); }
  // "file: path: message (fix: ...)", for one issue.
  static std::string format(const DomainIssue &issue);
};

// The four files of a domain directory.
extern const char *const kKnowledgeGraphFile;
extern const char *const kTaxonomyFile;
extern const char *const kInterventionsFile;
extern const char *const kProblemBankFile;

// Minimum problems per concept (seed: "Minimum 5 problems per concept").
constexpr size_t kMinProblemsPerConcept = 5;

// Reads and validates `dir` into *out. The report lists every issue; *out is
// usable only when report.ok().
DomainReport load_domain(const std::string &dir, Domain *out);

// Cross-file rules over an already-parsed domain (ids, references, DAG,
// modalities, counts). Also builds the id indexes and orders the intervention
// catalog like the misconceptions. Called by load_domain; exposed for tests.
void validate_domain(Domain *d, std::vector<DomainIssue> *issues);

// The report as JSON ({"schema_version":1,"valid":...,"errors":[...]}).
std::string domain_report_json(const DomainReport &report, const Domain &d);

// The domain described as JSON (id, counts, concepts with prerequisites).
std::string domain_describe_json(const Domain &d);

}  // namespace v0
}  // namespace tutorcore
