// tc_bkt_*: BKT hot paths and the JSON fit request.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <unordered_map>

#include "capi_internal.hpp"
#include "request_json.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/tracing/fit.hpp"

using namespace tutorcore;

struct tc_bkt_model {
  BktModel model;
  std::unordered_map<std::string, size_t> skill_index;
};

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

BktParams from_c(const tc_bkt_params &b) {
  return {b.p_init, b.p_learn, b.p_guess, b.p_slip, b.p_forget};
}

[[noreturn]] void bad(const std::string &field, const std::string &msg) {
  throw Error(Errc::invalid, fmt::format("fit request.{}: {}", field, msg));
}

std::string req_string(object o, const char *key, bool required) {
  element e;
  if (o.at_key(key).get(e)) {
    if (required) bad(key, "required field is missing");
    return {};
  }
  std::string_view s;
  if (e.get_string().get(s) || s.empty()) bad(key, "must be a non-empty string");
  return std::string(s);
}

template <class T>
void req_number(object o, const char *key, T *out, double lo, double hi) {
  element e;
  if (o.at_key(key).get(e)) return;
  double d;
  if (e.get_double().get(d))
    bad(key, fmt::format("must be a number, found {}", json_type_name(e.type())));
  if (!(d >= lo && d <= hi)) bad(key, fmt::format("{} is outside {}..{}", d, lo, hi));
  if (std::is_integral<T>::value && d != std::floor(d))
    bad(key, fmt::format("{} is not an integer", d));
  *out = static_cast<T>(d);
}

Dataset rows_dataset(simdjson::dom::array rows) {
  std::vector<ResponseRow> out;
  size_t i = 0;
  for (element r : rows) {
    std::string where = fmt::format("rows[{}]", i++);
    simdjson::dom::array a;
    if (r.get_array().get(a) || a.size() < 3 || a.size() > 5)
      bad(where, "must be [student, skill, 0 or 1, item?, group?]");
    std::string_view student, skill;
    int64_t correct = -1;
    if (a.at(0).get_string().get(student) || student.empty())
      bad(where + "[0]", "must be a non-empty string");
    if (a.at(1).get_string().get(skill) || skill.empty())
      bad(where + "[1]", "must be a non-empty string");
    if (a.at(2).get_int64().get(correct) || (correct != 0 && correct != 1))
      bad(where + "[2]", "must be 0 or 1");
    std::string_view item, group;
    if (a.size() > 3 && (a.at(3).get_string().get(item) || item.empty()))
      bad(where + "[3]", "the item must be a non-empty string");
    if (a.size() > 4 && (a.at(4).get_string().get(group) || group.empty()))
      bad(where + "[4]", "the group must be a non-empty string");
    out.push_back({std::string(student), std::string(skill), correct == 1, std::string(item),
                   std::string(group)});
  }
  if (out.empty()) bad("rows", "is empty");
  return dataset_from_rows(out);
}

}  // namespace

extern "C" {

double tc_bkt_predict(double p_known, const tc_bkt_params *b) {
  return b ? bkt_predict(p_known, from_c(*b)) : std::numeric_limits<double>::quiet_NaN();
}

double tc_bkt_update(double p_known, int correct, const tc_bkt_params *b) {
  return b ? bkt_update(p_known, correct != 0, from_c(*b))
           : std::numeric_limits<double>::quiet_NaN();
}

tc_status tc_bkt_fit(char **out_json, const char *request_json, size_t len, tc_progress_callback cb,
                     void *userdata) {
  if (out_json) *out_json = nullptr;
  bool cancelled = false;
  tc_status rc = capi::guarded([&] {
    capi::require(out_json, "out_json");
    capi::require(request_json, "request_json");
    simdjson::dom::parser p;
    object o = capi::request_object(
        p, request_json, len, "fit request",
        {"train_csv", "rows", "test_csv", "columns", "forgets", "restarts", "max_iterations",
         "tolerance", "seed", "threads", "max_guess", "max_slip", "folds", "multigs", "multilearn",
         "multiprior", "variant_pseudo_count"});
    CsvColumns cols;
    object c;
    if (!o.at_key("columns").get(c)) {
      for (auto [key, slot] : {std::pair<const char *, std::string *>{"user", &cols.user},
                               {"skill", &cols.skill},
                               {"correct", &cols.correct},
                               {"order", &cols.order},
                               {"item", &cols.item},
                               {"group", &cols.group}}) {
        std::string v = req_string(c, key, false);
        if (!v.empty()) *slot = v;
      }
    }
    FitOptions opts;
    element e;
    for (auto [key, slot] : {std::pair<const char *, bool *>{"forgets", &opts.forgets},
                             {"multigs", &opts.multigs},
                             {"multilearn", &opts.multilearn},
                             {"multiprior", &opts.multiprior}}) {
      if (!o.at_key(key).get(e) && e.get_bool().get(*slot)) bad(key, "must be true or false");
    }
    req_number(o, "variant_pseudo_count", &opts.variant_pseudo_count, 0, 1e6);
    req_number(o, "restarts", &opts.restarts, 1, 1000);
    req_number(o, "max_iterations", &opts.max_iterations, 1, 100000);
    req_number(o, "tolerance", &opts.tolerance, 1e-12, 1e6);
    req_number(o, "seed", &opts.seed, 0, 9007199254740991.0);
    req_number(o, "threads", &opts.threads, 0, 1024);
    req_number(o, "max_guess", &opts.max_guess, 0, 1);
    req_number(o, "max_slip", &opts.max_slip, 0, 1);
    int folds = 0;
    req_number(o, "folds", &folds, 0, 100);
    if (folds == 1) bad("folds", "cross-validation needs at least 2 folds (0 for none)");

    Dataset train;
    simdjson::dom::array rows;
    std::string train_csv = req_string(o, "train_csv", false);
    bool has_rows = !o.at_key("rows").get(e);
    if (has_rows == !train_csv.empty()) bad("train_csv", "give exactly one of train_csv and rows");
    if (has_rows) {
      if (e.get_array().get(rows)) bad("rows", "must be an array");
      train = rows_dataset(rows);
    } else {
      train = load_csv(train_csv, cols);
    }
    if (cb) {
      opts.progress = [&](size_t done, size_t total) {
        if (cb(done, total, userdata) == 0) return true;
        cancelled = true;
        return false;
      };
    }
    FitReport report = fit_bkt(train, opts);
    if (cancelled) throw Error(Errc::user, "fit cancelled by the progress callback");
    BktModel model = model_from_fit(report, opts.forgets);
    Metrics test;
    std::string test_csv = req_string(o, "test_csv", false);
    if (!test_csv.empty()) test = evaluate(model, load_csv(test_csv, cols));
    CrossValidation cv;
    if (folds >= 2) {
      cv = cross_validate(train, folds, opts);
      if (cancelled) throw Error(Errc::user, "cross-validation cancelled by the progress callback");
    }
    *out_json = capi::dup_string(fit_report_json(report, model, train, opts,
                                                 test_csv.empty() ? nullptr : &test,
                                                 folds >= 2 ? &cv : nullptr));
  });
  return rc;
}

tc_status tc_bkt_model_check(tc_bkt_params *out, const char *model_json, size_t len,
                             const char *skill) {
  return capi::guarded([&] {
    capi::require(model_json, "model_json");
    BktModel m = model_from_json(std::string(model_json, len));
    if (!skill) return;
    int64_t k = m.find(skill);
    if (k < 0) throw Error(Errc::not_found, fmt::format("BKT model: no skill '{}'", skill));
    if (out) {
      const BktParams &b = m.params[static_cast<size_t>(k)];
      *out = {b.p_init, b.p_learn, b.p_guess, b.p_slip, b.p_forget};
    }
  });
}

tc_status tc_bkt_model_load(tc_bkt_model **out, const char *model_json, size_t len) {
  if (out) *out = nullptr;
  return capi::guarded([&] {
    capi::require(out, "out");
    capi::require(model_json, "model_json");
    auto m = std::make_unique<tc_bkt_model>();
    m->model = model_from_json(std::string(model_json, len));
    for (size_t k = 0; k < m->model.skills.size(); ++k)
      m->skill_index.emplace(m->model.skills[k], k);
    *out = m.release();
  });
}

tc_status tc_bkt_model_params(const tc_bkt_model *model, const char *skill, const char *item,
                              const char *group, tc_bkt_params *out) {
  return capi::guarded([&] {
    capi::require(model, "model");
    capi::require(skill, "skill");
    capi::require(out, "out");
    auto it = model->skill_index.find(skill);
    if (it == model->skill_index.end())
      throw Error(Errc::not_found, fmt::format("BKT model: no skill '{}'", skill));
    const size_t k = it->second;
    BktParams b = model->model.params[k];
    if (k < model->model.variants.size()) {
      const BktVariant &v = model->model.variants[k];
      b = v.resolve(b, item ? v.find_item(item) : -1, group ? v.find_group(group) : -1);
    }
    *out = {b.p_init, b.p_learn, b.p_guess, b.p_slip, b.p_forget};
  });
}

void tc_bkt_model_free(tc_bkt_model *model) {
  delete model;
}

double tc_bkt_predict_multi(const double *p_known, const tc_bkt_params *params, size_t n,
                            int rule) {
  constexpr size_t kStack = 16;
  if (!p_known || !params || n == 0 || rule < 0 || rule > 2)
    return std::numeric_limits<double>::quiet_NaN();
  // tc_bkt_params and BktParams share a layout only by convention; convert
  // in chunks on the stack so the hot path allocates nothing.
  const auto r = static_cast<SkillCombine>(rule);
  double acc = r == SkillCombine::mean ? 0.0 : 1.0;
  for (size_t base = 0; base < n; base += kStack) {
    BktParams b[kStack];
    const size_t m = std::min(kStack, n - base);
    for (size_t i = 0; i < m; ++i)
      b[i] = from_c(params[base + i]);
    double part = bkt_predict_multi(p_known + base, b, m, r);
    if (r == SkillCombine::product)
      acc *= part;
    else if (r == SkillCombine::min)
      acc = std::min(acc, part);
    else
      acc += part * static_cast<double>(m);
  }
  return r == SkillCombine::mean ? acc / static_cast<double>(n) : acc;
}

}  // extern "C"
