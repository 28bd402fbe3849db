// A fit's report as JSON: what `tutorcore fit --json` prints and what the C
// ABI's fit request returns.
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/tracing/fit.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {
void write_metrics(JsonWriter &w, const Metrics &m) {
  w.field("responses", static_cast<int64_t>(m.responses)).field("auc", m.auc).field("rmse", m.rmse);
  w.field("accuracy", m.accuracy).field("log_likelihood", m.log_likelihood);
}
}  // namespace

std::string fit_report_json(const FitReport &r, const BktModel &m, const Dataset &train,
                            const FitOptions &o, const Metrics *test, const CrossValidation *cv) {
  size_t flagged = 0;
  for (const auto &f : r.skills)
    flagged += f.guess_at_bound || f.slip_at_bound;
  JsonWriter w;
  w.begin_object().field("schema_version", 1);
  w.field("fit_seconds", r.seconds).field("cancelled", r.cancelled);
  w.field("skills", static_cast<int64_t>(m.skills.size()));
  w.field("responses", static_cast<int64_t>(train.responses));
  w.field("students", static_cast<int64_t>(train.students.size()));
  w.field("restarts", o.restarts)
      .field("forgets", o.forgets)
      .field("multigs", o.multigs)
      .field("multilearn", o.multilearn)
      .field("multiprior", o.multiprior)
      .field("seed", static_cast<uint64_t>(o.seed));
  w.field("responses_per_second",
          r.seconds > 0 ? static_cast<double>(train.responses) / r.seconds : 0.0);
  w.field("response_iterations", r.response_iterations);
  w.field("skills_at_bounds", static_cast<int64_t>(flagged));
  if (test) {
    w.field("test_auc", test->auc)
        .field("test_rmse", test->rmse)
        .field("test_accuracy", test->accuracy);
    w.field("test_log_likelihood", test->log_likelihood);
    w.field("test_responses", static_cast<int64_t>(test->responses));
    w.field("test_unseen_skills", static_cast<int64_t>(test->unseen_skills));
  }
  if (cv) {
    w.key("cross_validation").begin_object().field("folds", cv->folds);
    write_metrics(w, cv->pooled);
    w.end_object();
  }
  w.key("model").raw(model_to_json(m));
  w.end_object();
  return w.take();
}

}  // namespace v0
}  // namespace tutorcore
