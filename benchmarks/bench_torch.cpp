// bench_torch: TorchScript inference through the model plugin
// (libtutorcore_torch), against the rules backend in the same run.
//
//   /usr/bin/python3 scripts/train_torch_classifier.py train
//       --domain examples/domains/algebra_fundamentals --out build/models/algebra
//   build/benchmarks/bench_torch --model build/models/algebra [--domain DIR]
//       [--seconds S] [--plugin PATH]
//   /usr/bin/python3 scripts/train_torch_bias.py train --out build/models/bias
//   build/benchmarks/bench_torch --bias build/models/bias [--seconds S]
// (--model and --bias together run both.)
//
// The plugin is the one built with the benchmark unless --plugin or
// TUTORCORE_TORCH_PLUGIN names another.
//
// The answers: as bench_classify's, for every problem of the bank its
// correct answer, each wrong answer the bank lists, "123" and "I am not
// sure" (979 answers for the algebra domain), in that order, round after
// round. Rows, per device (the CPU, and CUDA when torch reports a device):
//  - batch 1: ModelClassifier::predict, one answer per call (featurize,
//    one forward pass, softmax): latency p50, p99 and mean over at least
//    2,000 calls, and answers/s;
//  - batch 256: predict_batch with 256 answers per call: answers/s and the
//    latency of one call (p50);
//  - the featurizer alone (tc_hash_v1 in the plugin, no torch): answers/s;
// and the baselines: the rules backend one answer at a time, and the hybrid
// router with the model first (batches of 256). Each throughput row is the
// median of 5 runs of at least S/5 seconds (default S = 2). torch's
// intra-op threads are left at its default (the machine's cores).
//
// The bias model (--bias DIR: model.pt and labels.json from
// scripts/train_torch_bias.py): 1,024 interaction windows from a seeded
// generator (plain, fast-and-wrong, repeating and anchored students with
// random lengths, answers and timings), their features counted once by the
// detector's code. Rows, per device: the agreement with the rules; batch 1,
// detect_bias_model on one window's features (the vector, one forward pass,
// softmax): p50, p99, mean over at least 2,000 calls; batch 256,
// BiasModel::detect_features with 256 rows: windows/s and the p50 of a
// call; and baselines: the rules on the same features, and the features
// themselves (bias_features over a window).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tutorcore/classify/catalog.hpp"
#include "tutorcore/classify/model.hpp"
#include "tutorcore/classify/router.hpp"
#include "tutorcore/classify/rules.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/metacog/model.hpp"

using namespace tutorcore;
using Clock = std::chrono::steady_clock;

namespace {

struct Answer {
  const Problem *problem;
  const Concept *concept_;
  std::string text;
};

double rate(const std::function<size_t()> &round, size_t per_round, double seconds) {
  std::vector<double> runs;
  size_t sink = 0;
  for (int r = 0; r < 5; ++r) {
    size_t rounds = 0;
    auto t0 = Clock::now();
    double elapsed = 0;
    do {
      sink += round();
      ++rounds;
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (elapsed < seconds / 5);
    runs.push_back(static_cast<double>(rounds * per_round) / elapsed);
  }
  if (sink == 42) std::fputs("", stderr);
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void bench_device(const std::shared_ptr<const Domain> &d, const std::vector<Answer> &answers,
                  const ModelOptions &o, double seconds, const ClassifierPlugin &rules) {
  auto model = std::make_shared<const ModelClassifier>(*d, o);
  const size_t n = answers.size();
  std::vector<PredictInput> inputs;
  for (const Answer &a : answers)
    inputs.push_back({a.problem, a.text, a.concept_});
  fmt::print("\ndevice {} ({}, {} intra-op threads, featurizer {} dim {}, {} labels)\n",
             model->device(), model_plugin_runtime(model->plugin()),
             model_plugin_threads(model->plugin()), model->label_map().featurizer,
             model->label_map().dim, model->label_map().labels.size());

  // Agreement with the rules where the rules label an answer.
  size_t ruled = 0, agree = 0;
  std::vector<Prediction> all = model->predict_batch(inputs);
  for (size_t i = 0; i < n; ++i) {
    Prediction r = rules.predict(*answers[i].problem, answers[i].text, *answers[i].concept_);
    if (r.unknown()) continue;
    ++ruled;
    agree += r.label == all[i].label;
  }
  fmt::print(
      "  the model agrees with the rules on {} of the {} answers the rules label ({:.1f}%)\n",
      agree, ruled, 100.0 * static_cast<double>(agree) / static_cast<double>(ruled));

  // Batch 1 latency.
  for (size_t i = 0; i < 200; ++i)  // warm-up
    model->predict(*answers[i % n].problem, answers[i % n].text, *answers[i % n].concept_);
  std::vector<double> ms;
  auto t0 = Clock::now();
  for (size_t i = 0;
       ms.size() < 2000 || std::chrono::duration<double>(Clock::now() - t0).count() < seconds;
       ++i) {
    const Answer &a = answers[i % n];
    auto s = Clock::now();
    Prediction p = model->predict(*a.problem, a.text, *a.concept_);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
    if (p.label.empty()) std::fputs("", stderr);
  }
  double total = std::chrono::duration<double>(Clock::now() - t0).count();
  double mean = 0;
  for (double x : ms)
    mean += x;
  mean /= static_cast<double>(ms.size());
  fmt::print(
      "  {:<44} p50 {:.3f} ms  p99 {:.3f} ms  mean {:.3f} ms  ({} calls, {:.0f} answers/s)\n",
      "batch 1 (predict)", percentile(ms, 0.5), percentile(ms, 0.99), mean, ms.size(),
      static_cast<double>(ms.size()) / total);

  // Batch 256 throughput and per-call latency.
  std::vector<std::vector<PredictInput>> batches;
  for (size_t i = 0; i + 256 <= n || batches.empty(); i += 256) {
    std::vector<PredictInput> b;
    for (size_t k = 0; k < 256; ++k)
      b.push_back(inputs[(i + k) % n]);
    batches.push_back(std::move(b));
  }
  std::vector<double> batch_ms;
  for (int r = 0; r < 50; ++r) {
    auto s = Clock::now();
    model->predict_batch(batches[static_cast<size_t>(r) % batches.size()]);
    batch_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
  }
  double b256 = rate(
      [&] {
        size_t k = 0;
        for (const auto &b : batches)
          k += model->predict_batch(b).size();
        return k;
      },
      batches.size() * 256, seconds);
  fmt::print("  {:<44} {:>10.0f} answers/s  ({:.2f} ms per call of 256, p50)\n",
             "batch 256 (predict_batch)", b256, percentile(batch_ms, 0.5));

  const ModelPlugin &plugin = model->plugin();
  uint32_t dim = model->label_map().dim;
  double feat = rate(
      [&] {
        size_t k = 0;
        for (const Answer &a : answers)
          k += model_features(plugin, a.text, a.problem->text, a.problem->correct_answer,
                              a.problem->concept_id, dim)
                   .size();
        return k;
      },
      n, seconds);
  fmt::print("  {:<44} {:>10.0f} answers/s\n", "featurizer alone (tc_hash_v1, no torch)", feat);

  auto registry = std::make_shared<ClassifierRegistry>();
  registry->add(model);
  registry->add(std::make_shared<const RuleClassifier>(d));
  HybridClassifier hybrid(d, registry, {});
  double routed = rate(
      [&] {
        size_t k = 0;
        for (const auto &b : batches)
          k += hybrid.predict_batch(b).size();
        return k;
      },
      batches.size() * 256, seconds);
  fmt::print("  {:<44} {:>10.0f} answers/s\n", "hybrid router, model first, batches of 256",
             routed);
}

// Seeded interaction windows: plain, fast-and-wrong, repeating and anchored
// students, 2 to 6 problems each, the last 20 events kept.
std::vector<std::vector<Interaction>> bias_windows(size_t n) {
  std::mt19937_64 rng(20261123);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<std::vector<Interaction>> out;
  for (size_t w = 0; w < n; ++w) {
    int style = static_cast<int>(w % 4);
    std::vector<Interaction> ev;
    int64_t t = 1767225600000000;
    int64_t id = 0;
    auto add = [&](InteractionKind kind, const std::string &p, int seconds, std::string answer,
                   bool correct) {
      t += int64_t(seconds) * 1000000;
      Interaction in;
      in.kind = kind;
      in.event_id = ++id;
      in.time_us = t;
      in.session_id = "s";
      in.problem_id = p;
      in.has_answer = !answer.empty();
      in.answer = std::move(answer);
      in.correct = correct;
      ev.push_back(std::move(in));
    };
    for (int k = 0, problems = uniform(2, 6); k < problems; ++k) {
      std::string p = "p" + std::to_string(k);
      std::string first = std::to_string(uniform(10, 99));
      add(InteractionKind::problem_started, p, uniform(2, 20), "", false);
      switch (style) {
        case 0:  // plain: thinks, mostly right
          add(InteractionKind::submitted, p, uniform(15, 60), "42", uniform(0, 9) < 8);
          break;
        case 1:  // fast, wrong, unverified
          add(InteractionKind::submitted, p, uniform(1, 6), first, uniform(0, 9) < 2);
          break;
        case 2:  // the same wrong answer after a hint
          add(InteractionKind::submitted, p, uniform(20, 50), first, false);
          for (int r = uniform(1, 3); r > 0; --r) {
            if (uniform(0, 1)) add(InteractionKind::hint_requested, p, uniform(5, 15), "", false);
            add(InteractionKind::submitted, p, uniform(10, 30), first, false);
          }
          break;
        default:  // revisions close to the first answer
          add(InteractionKind::answer_changed, p, uniform(10, 30), first + "0", false);
          for (int r = uniform(1, 3); r > 0; --r) {
            add(InteractionKind::answer_changed, p, uniform(5, 20), first + std::to_string(r),
                false);
            add(InteractionKind::submitted, p, uniform(10, 30), first + std::to_string(r + 4),
                false);
          }
          break;
      }
    }
    MetacogConfig c;
    out.push_back(bias_window(ev, t, c));
  }
  return out;
}

void bench_bias_device(const ModelOptions &o, const std::vector<std::vector<Interaction>> &windows,
                       double seconds) {
  auto model = std::make_shared<const BiasModel>(o);
  MetacogConfig c;
  std::vector<BiasFeatures> fs;
  std::vector<std::vector<double>> rows;
  for (const auto &w : windows) {
    fs.push_back(bias_features(w, c));
    rows.push_back(bias_feature_vector(fs.back()));
  }
  const size_t n = fs.size();
  fmt::print("\nbias model on {} ({}, {} intra-op threads, {} features, {} labels)\n",
             model->device(), model_plugin_runtime(model->plugin()),
             model_plugin_threads(model->plugin()), model->manifest().feature_names.size(),
             model->manifest().labels.size());
  std::vector<BiasDetection> all = model->detect_features(rows);
  size_t agree = 0, sure = 0, agree_sure = 0;
  for (size_t i = 0; i < n; ++i) {
    BiasDetection r = detect_bias_rules(fs[i], c);
    agree += r.bias == all[i].bias;
    if (r.confidence >= c.threshold) {
      ++sure;
      agree_sure += r.bias == all[i].bias;
    }
  }
  fmt::print(
      "  the model agrees with the rules on {} of {} windows ({:.1f}%; {} of the {} where the "
      "rules reach {})\n",
      agree, n, 100.0 * static_cast<double>(agree) / static_cast<double>(n), agree_sure, sure,
      c.threshold);

  for (size_t i = 0; i < 200; ++i)  // warm-up
    detect_bias_model(*model, fs[i % n]);
  std::vector<double> ms;
  auto t0 = Clock::now();
  for (size_t i = 0;
       ms.size() < 2000 || std::chrono::duration<double>(Clock::now() - t0).count() < seconds;
       ++i) {
    auto s = Clock::now();
    BiasDetection d = detect_bias_model(*model, fs[i % n]);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
    if (d.reason.empty()) std::fputs("", stderr);
  }
  double total = std::chrono::duration<double>(Clock::now() - t0).count();
  double mean = 0;
  for (double x : ms)
    mean += x;
  mean /= static_cast<double>(ms.size());
  fmt::print(
      "  {:<44} p50 {:.3f} ms  p99 {:.3f} ms  mean {:.3f} ms  ({} calls, {:.0f} windows/s)\n",
      "batch 1 (detect_bias_model)", percentile(ms, 0.5), percentile(ms, 0.99), mean, ms.size(),
      static_cast<double>(ms.size()) / total);

  std::vector<std::vector<std::vector<double>>> batches;
  for (size_t i = 0; i < n; i += 256) {
    std::vector<std::vector<double>> b;
    for (size_t k = 0; k < 256; ++k)
      b.push_back(rows[(i + k) % n]);
    batches.push_back(std::move(b));
  }
  std::vector<double> batch_ms;
  for (int r = 0; r < 50; ++r) {
    auto s = Clock::now();
    model->detect_features(batches[static_cast<size_t>(r) % batches.size()]);
    batch_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
  }
  double b256 = rate(
      [&] {
        size_t k = 0;
        for (const auto &b : batches)
          k += model->detect_features(b).size();
        return k;
      },
      batches.size() * 256, seconds);
  fmt::print("  {:<44} {:>10.0f} windows/s  ({:.3f} ms per call of 256, p50)\n",
             "batch 256 (detect_features)", b256, percentile(batch_ms, 0.5));
}

void bench_bias(const std::string &dir, const std::string &plugin, double seconds) {
  std::vector<std::vector<Interaction>> windows = bias_windows(1024);
  MetacogConfig c;
  size_t events = 0;
  for (const auto &w : windows)
    events += w.size();
  fmt::print("\nbench_torch: bias model {}, {} windows ({:.1f} events each)\n", dir, windows.size(),
             static_cast<double>(events) / static_cast<double>(windows.size()));
  std::vector<BiasFeatures> fs;
  for (const auto &w : windows)
    fs.push_back(bias_features(w, c));
  double rules_rate = rate(
      [&] {
        size_t k = 0;
        for (const BiasFeatures &f : fs)
          k += detect_bias_rules(f, c).reason.size() > 0;
        return k;
      },
      fs.size(), seconds);
  double feature_rate = rate(
      [&] {
        size_t k = 0;
        for (const auto &w : windows)
          k += static_cast<size_t>(bias_features(w, c).events);
        return k;
      },
      windows.size(), seconds);
  fmt::print("baseline: {:<34} {:>10.0f} windows/s\n", "the rules on the features", rules_rate);
  fmt::print("baseline: {:<34} {:>10.0f} windows/s\n", "the features of a window", feature_rate);
  ModelOptions o;
  o.model = dir + "/model.pt";
  o.labels = dir + "/labels.json";
  o.plugin = plugin;
  o.device = "cpu";
  bench_bias_device(o, windows, seconds);
  o.device = "cuda";
  try {
    bench_bias_device(o, windows, seconds);
  } catch (const Error &e) {
    if (e.code() != Errc::unavailable) throw;
    fmt::print("\nbias model on cuda: not measured: {}\n", e.what());
  }
}

}  // namespace

int main(int argc, char **argv) {
  std::string dir = TUTORCORE_SOURCE_DIR "/examples/domains/algebra_fundamentals";
  std::string model_dir, bias_dir, plugin;
  double seconds = 2.0;
  bool usage = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--domain") && i + 1 < argc) {
      dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--model") && i + 1 < argc) {
      model_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--bias") && i + 1 < argc) {
      bias_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--plugin") && i + 1 < argc) {
      plugin = argv[++i];
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      usage = true;
      break;
    }
  }
  if (usage || (model_dir.empty() && bias_dir.empty())) {
    fmt::print(stderr,
               "usage: bench_torch [--model DIR [--domain DIR]] [--bias DIR] [--seconds S] "
               "[--plugin PATH]\n"
               "  --model DIR: model.pt and labels.json from scripts/train_torch_classifier.py\n"
               "  --bias DIR: model.pt and labels.json from scripts/train_torch_bias.py\n");
    return 2;
  }
  // The plugin built with this benchmark unless --plugin or TUTORCORE_TORCH_PLUGIN names one.
  if (plugin.empty() && !std::getenv("TUTORCORE_TORCH_PLUGIN")) plugin = TC_TORCH_PLUGIN_PATH;
  if (model_dir.empty()) {
    try {
      bench_bias(bias_dir, plugin, seconds);
    } catch (const Error &e) {
      fmt::print(stderr, "bench_torch: {}\n", e.what());
      return 1;
    }
    return 0;
  }
  auto domain = std::make_shared<Domain>();
  if (!load_domain(dir, domain.get()).ok()) {
    fmt::print(stderr, "bench_torch: {} is not a valid domain\n", dir);
    return 1;
  }
  std::shared_ptr<const Domain> d = domain;
  std::vector<Answer> answers;
  for (const Problem &p : d->problems) {
    const Concept *c = d->find_concept(p.concept_id);
    answers.push_back({&p, c, p.correct_answer});
    for (const auto &[mid, wrong] : p.misconception_answers)
      answers.push_back({&p, c, wrong});
    answers.push_back({&p, c, "123"});
    answers.push_back({&p, c, "I am not sure"});
  }
  const size_t n = answers.size();
  fmt::print("bench_torch: {} answers of domain {}, model {}\n", n, d->id, model_dir);

  RuleClassifier rules(d);
  double rules_rate = rate(
      [&] {
        size_t k = 0;
        for (const Answer &a : answers)
          k += rules.predict(*a.problem, a.text, *a.concept_).label.size();
        return k;
      },
      n, seconds);
  fmt::print("baseline: {:<34} {:>10.0f} answers/s\n", "rules backend, one answer per call",
             rules_rate);

  ModelOptions o;
  o.model = model_dir + "/model.pt";
  o.labels = model_dir + "/labels.json";
  o.plugin = plugin;
  try {
    o.device = "cpu";
    bench_device(d, answers, o, seconds, rules);
    o.device = "cuda";
    try {
      bench_device(d, answers, o, seconds, rules);
    } catch (const Error &e) {
      if (e.code() != Errc::unavailable) throw;
      fmt::print("\ndevice cuda: not measured: {}\n", e.what());
    }
    if (!bias_dir.empty()) bench_bias(bias_dir, plugin, seconds);
  } catch (const Error &e) {
    fmt::print(stderr, "bench_torch: {}\n", e.what());
    return 1;
  }
  return 0;
}
