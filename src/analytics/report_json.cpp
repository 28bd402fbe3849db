// Analytics requests and the JSON documents of the analyses (analytics.hpp,
// docs/analytics.md).
#include <fmt/format.h>
#include <simdjson.h>

#include <limits>
#include <optional>

#include "tutorcore/analytics/analytics.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

constexpr std::string_view kWhat = "analytics request";

struct AnalysisName {
  const char *name;
  uint32_t flag;
};
constexpr AnalysisName kAnalyses[] = {
    {"cooccurrence", kAnalysisCooccurrence},
    {"effectiveness", kAnalysisEffectiveness},
    {"cohorts", kAnalysisCohorts},
    {"prerequisites", kAnalysisPrerequisites},
    {"drift", kAnalysisDrift},
    {"all", kAnalysisAll},
};

const std::string &concept_id(const Domain &d, int32_t i) {
  return d.concepts[static_cast<size_t>(i)].id;
}
const std::string &misconception_id(const Domain &d, int32_t i) {
  return d.misconceptions[static_cast<size_t>(i)].id;
}

// {"count","n","rate","low","high","insufficient"} members (no braces).
void rate_members(JsonWriter &w, const RateEstimate &r) {
  w.field("count", r.successes);
  w.field("n", r.trials);
  w.field("rate", r.rate);
  w.field("low", r.ci.low);
  w.field("high", r.ci.high);
  w.field("insufficient", r.insufficient);
}
void rate_object(JsonWriter &w, std::string_view key, const RateEstimate &r,
                 std::optional<Versus> vs = std::nullopt) {
  w.key(key).begin_object();
  rate_members(w, r);
  if (vs) w.field("vs_school", versus_name(*vs));
  w.end_object();
}
void mean_object(JsonWriter &w, std::string_view key, const MeanEstimate &m,
                 std::optional<Versus> vs = std::nullopt) {
  w.key(key).begin_object();
  w.field("n", m.n);
  w.field("mean", m.mean);
  w.field("low", m.ci.low);
  w.field("high", m.ci.high);
  if (vs) w.field("vs_school", versus_name(*vs));
  w.end_object();
}

void write_config(JsonWriter &w, const AnalyticsConfig &c) {
  w.key("config").begin_object();
  w.field("z", c.z);
  w.field("min_trials", c.min_trials);
  w.field("mastery_min_attempts", c.mastery_min_attempts);
  w.field("prerequisite_cooccurrence", c.prerequisite_cooccurrence);
  w.field("prerequisite_min_students", c.prerequisite_min_students);
  w.field("prerequisite_min_lift", c.prerequisite_min_lift);
  w.field("drift_fail_rate", c.drift_fail_rate);
  w.field("drift_min_students", c.drift_min_students);
  w.field("drift_min_attempts", c.drift_min_attempts);
  w.end_object();
}

// The members of each analysis (written inside an object).
void cooccurrence_members(JsonWriter &w, const Cooccurrence &co, const Domain &d) {
  std::vector<Eigen::Index> seen;
  for (Eigen::Index i = 0; i < co.with.size(); ++i)
    if (co.with(i) > 0) seen.push_back(i);
  w.field("students", co.students);
  w.key("misconceptions").begin_array();
  for (Eigen::Index i : seen) {
    const Misconception &m = d.misconceptions[static_cast<size_t>(i)];
    w.begin_object();
    w.field("misconception_id", m.id);
    w.field("concept_id", m.concept_id);
    w.field("students", static_cast<int64_t>(co.with(i)));
    w.end_object();
  }
  w.end_array();
  // Rows and columns in the order of "misconceptions": both[i][j] students
  // with i and j, matrix[i][j] = P(j | i).
  w.key("both").begin_array();
  for (Eigen::Index i : seen) {
    w.begin_array();
    for (Eigen::Index j : seen)
      w.value(static_cast<int64_t>(co.both(i, j)));
    w.end_array();
  }
  w.end_array();
  w.key("matrix").begin_array();
  for (Eigen::Index i : seen) {
    w.begin_array();
    for (Eigen::Index j : seen)
      w.value(co.rate(i, j));
    w.end_array();
  }
  w.end_array();
}

void modality_entry(JsonWriter &w, const ModalityEffect &m) {
  w.begin_object();
  w.field("modality", modality_name(m.modality));
  rate_members(w, m.resolution);
  w.end_object();
}

void effectiveness_members(JsonWriter &w, const Effectiveness &e, const Domain &d) {
  w.field("scope", e.tenant_wide ? "tenant" : "classroom");
  w.key("by_modality").begin_array();
  for (const ModalityEffect &m : e.by_modality)
    modality_entry(w, m);
  w.end_array();
  if (!e.tenant_wide) return;  // the views count per misconception only tenant-wide
  w.key("by_misconception").begin_array();
  for (const MisconceptionEffect &m : e.by_misconception) {
    w.begin_object();
    w.field("misconception_id", misconception_id(d, m.misconception_index));
    w.field("concept_id", d.misconceptions[static_cast<size_t>(m.misconception_index)].concept_id);
    rate_object(w, "overall", m.overall);
    w.key("best");
    if (m.best >= 0) {
      w.value(modality_name(m.modalities[static_cast<size_t>(m.best)].modality));
    } else {
      w.null();
    }
    w.field("clear", m.clear);
    w.key("modalities").begin_array();
    for (const ModalityEffect &x : m.modalities)
      modality_entry(w, x);
    w.end_array();
    w.end_object();
  }
  w.end_array();
}

void cohort_object(JsonWriter &w, const Cohort &c, const Domain &d, bool school) {
  w.begin_object();
  w.key("classroom_id");
  if (school) {
    w.null();
  } else {
    w.value(c.classroom);
  }
  w.field("enrolled", c.enrolled);
  w.field("students", c.students);
  auto vs = [&](Versus v) { return school ? std::nullopt : std::optional<Versus>(v); };
  mean_object(w, "mastery", c.mastery, vs(c.mastery_vs));
  rate_object(w, "resolution", c.resolution, vs(c.resolution_vs));
  w.key("modalities").begin_array();
  for (size_t k = 0; k < kModalityCount; ++k) {
    w.begin_object();
    w.field("modality", modality_name(static_cast<Modality>(k)));
    rate_members(w, c.modalities[k]);
    w.end_object();
  }
  w.end_array();
  w.key("concepts").begin_array();
  for (const CohortConcept &cc : c.concepts) {
    w.begin_object();
    w.field("concept_id", concept_id(d, cc.concept_index));
    mean_object(w, "level", cc.level);
    rate_object(w, "mastered", cc.mastered);
    w.end_object();
  }
  w.end_array();
  w.key("misconceptions").begin_array();
  for (const CohortMisconception &m : c.misconceptions) {
    w.begin_object();
    w.field("misconception_id", misconception_id(d, m.misconception_index));
    rate_object(w, "prevalence", m.prevalence, vs(m.prevalence_vs));
    rate_object(w, "resolution", m.resolution, vs(m.resolution_vs));
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void cohorts_members(JsonWriter &w, const CohortComparison &c, const Domain &d) {
  w.key("school");
  cohort_object(w, c.school, d, true);
  w.key("classrooms").begin_array();
  for (const Cohort &g : c.classrooms)
    cohort_object(w, g, d, false);
  w.end_array();
  w.field("unassigned_students", c.unassigned);
}

void proposal_list(JsonWriter &w, std::string_view key,
                   const std::vector<PrerequisiteProposal> &list, const Domain &d) {
  w.key(key).begin_array();
  for (const PrerequisiteProposal &p : list) {
    w.begin_object();
    w.field("prerequisite_id", concept_id(d, p.prerequisite));
    w.field("concept_id", concept_id(d, p.concept_index));
    w.field("strength", p.strength);
    w.field("mutual", p.mutual);
    w.key("evidence").begin_array();
    for (const PrerequisiteEvidence &e : p.evidence) {
      w.begin_object();
      w.field("from_misconception", misconception_id(d, e.from_misconception));
      w.field("to_misconception", misconception_id(d, e.to_misconception));
      w.field("students_with", e.students_with);
      w.field("students_both", e.students_both);
      w.field("cooccurrence", e.cooccurrence);
      w.field("lift", e.lift);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
}

void prerequisites_members(JsonWriter &w, const PrerequisiteDiscovery &p, const Domain &d) {
  proposal_list(w, "proposals", p.proposals, d);
  proposal_list(w, "confirmed", p.confirmed, d);
  w.field("pairs_considered", p.pairs_considered);
  w.field("would_cycle", p.would_cycle);
}

void drift_members(JsonWriter &w, const std::vector<DriftEdge> &edges, const Domain &d,
                   const PrerequisiteDiscovery *candidates) {
  int64_t flagged = 0;
  w.key("edges").begin_array();
  for (const DriftEdge &e : edges) {
    flagged += e.flagged;
    w.begin_object();
    w.field("prerequisite_id", concept_id(d, e.prerequisite));
    w.field("concept_id", concept_id(d, e.concept_index));
    rate_object(w, "failing", e.failing);
    w.field("flagged", e.flagged);
    if (candidates && e.flagged) {
      // Prerequisites the co-occurrence data proposes for the same concept.
      w.key("candidates").begin_array();
      for (const PrerequisiteProposal &p : candidates->proposals) {
        if (p.concept_index == e.concept_index) w.value(concept_id(d, p.prerequisite));
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  w.field("flagged", flagged);
}

template <class Fn>
std::string document(const char *analysis, Fn &&members) {
  JsonWriter w;
  w.begin_object();
  w.field("schema_version", 1);
  w.field("analysis", analysis);
  members(w);
  w.end_object();
  return w.take();
}

}  // namespace

std::string cooccurrence_json(const Cooccurrence &co, const Domain &domain) {
  return document("cooccurrence", [&](JsonWriter &w) { cooccurrence_members(w, co, domain); });
}
std::string effectiveness_json(const Effectiveness &e, const Domain &domain) {
  return document("effectiveness", [&](JsonWriter &w) { effectiveness_members(w, e, domain); });
}
std::string cohorts_json(const CohortComparison &c, const Domain &domain) {
  return document("cohorts", [&](JsonWriter &w) { cohorts_members(w, c, domain); });
}
std::string prerequisites_json(const PrerequisiteDiscovery &p, const Domain &domain) {
  return document("prerequisites", [&](JsonWriter &w) { prerequisites_members(w, p, domain); });
}
std::string drift_json(const std::vector<DriftEdge> &edges, const Domain &domain,
                       const PrerequisiteDiscovery *candidates) {
  return document("drift", [&](JsonWriter &w) { drift_members(w, edges, domain, candidates); });
}

AnalyticsRequest analytics_request_from_json(std::string_view json) {
  simdjson::dom::parser p;
  simdjson::dom::object o;
  if (parse_json_or_throw(p, json, kWhat).get_object().get(o))
    throw Error(Errc::invalid, fmt::format("{}: must be a JSON object", kWhat));
  reject_unknown_fields(o, {"analysis", "tenant", "classroom", "misconception_id", "config"},
                        std::string(kWhat));
  AnalyticsRequest r;
  std::string analysis;
  read_string(o, "analysis", true, kWhat, &analysis);
  r.analyses = 0;
  for (const AnalysisName &a : kAnalyses) {
    if (analysis == a.name) r.analyses = a.flag;
  }
  if (!r.analyses) {
    throw Error(Errc::invalid,
                fmt::format("{}.analysis: '{}' is not one of cooccurrence, effectiveness, "
                            "cohorts, prerequisites, drift, all",
                            kWhat, analysis));
  }
  read_string(o, "tenant", true, kWhat, &r.tenant);
  read_string(o, "classroom", false, kWhat, &r.classroom);
  read_string(o, "misconception_id", false, kWhat, &r.misconception);
  simdjson::dom::element e;
  if (!o.at_key("config").get(e) && e.type() != simdjson::dom::element_type::NULL_VALUE) {
    simdjson::dom::object c;
    const std::string where = fmt::format("{}.config", kWhat);
    if (e.get_object().get(c))
      throw Error(Errc::invalid, fmt::format("{}: must be an object", where));
    reject_unknown_fields(c,
                          {"z", "min_trials", "mastery_min_attempts", "prerequisite_cooccurrence",
                           "prerequisite_min_students", "prerequisite_min_lift", "drift_fail_rate",
                           "drift_min_students", "drift_min_attempts"},
                          where);
    AnalyticsConfig &k = r.config;
    auto int_field = [&](const char *key, int64_t lo, int32_t *out) {
      int64_t v;
      if (read_int(c, key, lo, INT32_MAX, where, &v)) *out = static_cast<int32_t>(v);
    };
    read_number(c, "z", 0.1, 10.0, where, &k.z);
    int_field("min_trials", 0, &k.min_trials);
    int_field("mastery_min_attempts", 0, &k.mastery_min_attempts);
    read_number(c, "prerequisite_cooccurrence", 0.0, 1.0, where, &k.prerequisite_cooccurrence);
    int_field("prerequisite_min_students", 1, &k.prerequisite_min_students);
    read_number(c, "prerequisite_min_lift", 0.0, 1e6, where, &k.prerequisite_min_lift);
    read_number(c, "drift_fail_rate", 0.0, 1.0, where, &k.drift_fail_rate);
    int_field("drift_min_students", 1, &k.drift_min_students);
    int_field("drift_min_attempts", 1, &k.drift_min_attempts);
  }
  check_analytics_config(r.config);
  return r;
}

void check_analytics_request(const AnalyticsRequest &r, const ClassData &data,
                             const Domain &domain) {
  if (!r.classroom.empty() && data.classroom_index(r.classroom) < 0) {
    throw Error(Errc::not_found,
                fmt::format("{}.classroom: no student of tenant '{}' is enrolled in '{}' (a host "
                            "enrolls students with {} events)",
                            kWhat, r.tenant, r.classroom, kClassroomEnrolled));
  }
  if (!r.misconception.empty() && !domain.find_misconception(r.misconception)) {
    throw Error(Errc::not_found, fmt::format("{}.misconception_id: '{}' is not in domain '{}'",
                                             kWhat, r.misconception, domain.id));
  }
}

std::string analytics_report_json(const ClassData &data, const Domain &domain,
                                  const AnalyticsRequest &r) {
  check_analytics_config(r.config);
  check_analytics_request(r, data, domain);
  const std::vector<uint8_t> mask = scope_mask(data, r.classroom);
  int64_t in_scope = 0;
  for (uint8_t m : mask)
    in_scope += m;

  JsonWriter w;
  w.begin_object();
  w.field("schema_version", 1);
  w.field("tenant", data.tenant);
  w.key("classroom");
  if (r.classroom.empty()) {
    w.null();
  } else {
    w.value(r.classroom);
  }
  w.key("misconception_id");
  if (r.misconception.empty()) {
    w.null();
  } else {
    w.value(r.misconception);
  }
  w.field("students", in_scope);
  w.field("classrooms", static_cast<int64_t>(data.classrooms.size()));
  w.field("skipped_rows", data.skipped_rows);
  write_config(w, r.config);

  const uint32_t want = r.analyses;
  const bool need_co = want & (kAnalysisCooccurrence | kAnalysisPrerequisites | kAnalysisDrift);
  Cooccurrence co;
  PrerequisiteDiscovery found;
  if (need_co) {
    co = misconception_cooccurrence(data, domain, r.classroom);
    found = discover_prerequisites(co, domain, r.config);
  }
  if (want & kAnalysisCooccurrence) {
    w.key("cooccurrence").begin_object();
    cooccurrence_members(w, co, domain);
    w.end_object();
  }
  if (want & kAnalysisEffectiveness) {
    w.key("effectiveness").begin_object();
    effectiveness_members(
        w, intervention_effectiveness(data, domain, r.config, r.classroom, r.misconception),
        domain);
    w.end_object();
  }
  if (want & kAnalysisCohorts) {
    w.key("cohorts").begin_object();
    cohorts_members(w, compare_cohorts(data, domain, r.config, r.misconception), domain);
    w.end_object();
  }
  if (want & kAnalysisPrerequisites) {
    w.key("prerequisites").begin_object();
    prerequisites_members(w, found, domain);
    w.end_object();
  }
  if (want & kAnalysisDrift) {
    w.key("drift").begin_object();
    drift_members(w, prerequisite_drift(data, domain, r.config, r.classroom), domain, &found);
    w.end_object();
  }
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
