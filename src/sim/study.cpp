// The simulated study's tutoring loop (see study.hpp).
#include "tutorcore/sim/study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

// Independent generator streams per learner: the learner itself, its
// answers, the classifier's errors, the policy, the tutor's random choices
// and the effects of interventions. Separate streams keep a learner's
// answers the same when only the classifier or the policy changes.
enum Stream : uint64_t { kDraw = 1, kAnswer, kClassify, kPolicy, kSelect, kEffect };

uint64_t stream_seed(uint64_t seed, int32_t learner, Stream s) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<uint64_t>(learner) * 8 + s + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void need(bool ok, const char *field, const std::string &rule) {
  if (!ok) throw Error(Errc::invalid, fmt::format("simulation.{}: {}", field, rule));
}

// The blocks a learner may get: each concept with items and at least
// block_size - 1 ancestors that have items, with its nearest ancestors
// (breadth first). A domain too shallow for any gives its deepest concept
// with all its ancestors.
std::vector<std::vector<int32_t>> candidate_blocks(const SimWorld &w, int32_t block_size) {
  std::vector<std::vector<int32_t>> blocks, partial;
  for (int32_t target = 0; target < static_cast<int32_t>(w.concepts.size()); ++target) {
    if (w.items[target].empty()) continue;
    std::vector<int32_t> block{target};
    std::vector<uint8_t> in(w.concepts.size(), 0);
    in[target] = 1;
    for (size_t head = 0; head < block.size() && static_cast<int32_t>(block.size()) < block_size;
         ++head) {
      for (int32_t p : w.concepts[block[head]].prerequisites) {
        if (in[p] || w.items[p].empty()) continue;
        in[p] = 1;
        block.push_back(p);
        if (static_cast<int32_t>(block.size()) == block_size) break;
      }
    }
    (static_cast<int32_t>(block.size()) == block_size ? blocks : partial).push_back(block);
  }
  if (!blocks.empty()) return blocks;
  if (partial.empty()) throw Error(Errc::invalid, "simulation: no concept of the domain has items");
  auto deepest = std::max_element(partial.begin(), partial.end(),
                                  [](const auto &a, const auto &b) { return a.size() < b.size(); });
  return {*deepest};
}

// The concept the rule picks from estimates `est` (parallel to block): the
// lowest among unmastered concepts whose prerequisites in the block are at
// the threshold; all unmastered when none is ready; all when all are mastered.
size_t rule_choice(const std::vector<int32_t> &block, const std::vector<double> &est,
                   const SimWorld &w, const StudyOptions &o) {
  auto in_block = [&](int32_t c) -> int {
    for (size_t i = 0; i < block.size(); ++i) {
      if (block[i] == c) return static_cast<int>(i);
    }
    return -1;
  };
  size_t best = block.size();
  int best_tier = 3;
  for (size_t i = 0; i < block.size(); ++i) {
    bool mastered = est[i] >= o.mastery_threshold;
    bool ready = true;
    for (int32_t p : w.concepts[block[i]].prerequisites) {
      int j = in_block(p);
      if (j >= 0 && est[static_cast<size_t>(j)] < o.prereq_threshold) ready = false;
    }
    int tier = mastered ? 2 : (ready ? 0 : 1);
    if (tier < best_tier || (tier == best_tier && est[i] < est[best])) {
      best = i;
      best_tier = tier;
    }
  }
  return best;
}

// What one learner's tutoring produced.
struct Outcome {
  double pre = 0, post = 0, mastered = 0;
  int32_t mis_start = 0, mis_end = 0;
  int32_t resolved = 0, implanted = 0, strengthened = 0, confused = 0;
  int32_t interventions = 0, well_targeted = 0, mistargeted = 0;
  int32_t misconception_answers = 0, gamed = 0, right = 0, answers = 0, hits = 0;
  double latency = 0;
  int32_t agree = 0;
  double chance = 0;
  std::vector<double> sq_err;  // per step: sum of squared BKT errors over the block
  int32_t block_concepts = 0;
  std::vector<StudyResult::LogRow> log;
};

int32_t held_in_block(const SimLearner &l, const SimWorld &w, const std::vector<int32_t> &block) {
  int32_t n = 0;
  for (int32_t c : block) {
    for (int32_t m : w.concepts[c].misconceptions)
      n += l.strength[m] > 0.0;
  }
  return n;
}

// The label the simulated classifier gives: `truth` (a misconception index,
// or -1 for a right or plain wrong answer) passed through the errors. A
// fixed number of draws per call keeps the stream aligned across rates.
int32_t classify(int32_t truth, bool right, int32_t concept, const SimWorld &w,
                 const ClassifierErrors &e, Rng &rng) {
  double u_fn = rng.uniform(), u_mis = rng.uniform(), u_route = rng.uniform(), u_fp = rng.uniform();
  uint64_t pick = rng.next();
  const auto &own = w.concepts[concept].misconceptions;
  if (truth >= 0) {
    if (u_fn < e.false_negative) return -1;
    if (u_mis < e.misidentification && own.size() > 1) {
      // Another misconception of the same concept.
      size_t k = pick % (own.size() - 1);
      for (int32_t m : own) {
        if (m == truth) continue;
        if (k-- == 0) return m;
      }
    }
    if (u_route < e.misroute) {
      // A misconception of another concept.
      size_t others = w.misconceptions.size() - own.size();
      if (others > 0) {
        size_t k = (pick >> 20) % others;
        for (size_t m = 0; m < w.misconceptions.size(); ++m) {
          if (w.misconception_concept[m] == concept) continue;
          if (k-- == 0) return static_cast<int32_t>(m);
        }
      }
    }
    return truth;
  }
  if (!right && u_fp < e.false_positive && !own.empty()) {
    return own[pick % own.size()];
  }
  return -1;
}

Outcome run_learner(const SimWorld &w, const StudyOptions &o,
                    const std::vector<std::vector<int32_t>> &blocks,
                    const std::vector<std::vector<IrtItem>> &irt, int32_t index) {
  Rng r_draw(stream_seed(o.seed, index, kDraw)), r_ans(stream_seed(o.seed, index, kAnswer)),
      r_cls(stream_seed(o.seed, index, kClassify)), r_pol(stream_seed(o.seed, index, kPolicy)),
      r_sel(stream_seed(o.seed, index, kSelect)), r_eff(stream_seed(o.seed, index, kEffect));
  const LearnerConfig &lc = o.learner;
  SimLearner l = draw_learner(w, lc, r_draw);
  const std::vector<int32_t> &block = blocks[r_draw.next() % blocks.size()];
  const size_t nb = block.size();

  Outcome out;
  out.block_concepts = static_cast<int32_t>(nb);
  out.pre = learner_test_score(l, w, block, lc);
  out.mis_start = held_in_block(l, w, block);

  auto bkt_of = [&](int32_t c) -> const BktParams & {
    return o.bkt.empty() ? w.concepts[c].bkt : o.bkt[static_cast<size_t>(c)];
  };
  std::vector<double> est(nb), truth(nb);
  for (size_t i = 0; i < nb; ++i)
    est[i] = bkt_of(block[i]).p_init;
  std::vector<std::vector<uint8_t>> seen(nb);
  for (size_t i = 0; i < nb; ++i)
    seen[i].assign(w.items[block[i]].size(), 0);
  std::array<int32_t, kModalityCount> attempts{}, resolutions{};
  std::vector<std::pair<int32_t, ModalityFlags>> tried;  // per misconception taught

  auto record_error = [&]() {
    double s = 0.0;
    for (size_t i = 0; i < nb; ++i) {
      double d = est[i] - l.knowledge[block[i]];
      s += d * d;
    }
    out.sq_err.push_back(s);
  };
  record_error();

  for (int32_t t = 0; t < o.budget; ++t) {
    for (size_t i = 0; i < nb; ++i)
      truth[i] = l.knowledge[block[i]];
    size_t oracle = rule_choice(block, truth, w, o);
    size_t pick = 0;
    uint64_t u_concept = r_sel.next();
    switch (o.concept_selection) {
      case ConceptSelection::bkt:
        pick = rule_choice(block, est, w, o);
        break;
      case ConceptSelection::oracle:
        pick = oracle;
        break;
      case ConceptSelection::random:
        pick = u_concept % nb;
        break;
    }
    out.agree += pick == oracle;
    out.chance += 1.0 / static_cast<double>(nb);
    const int32_t concept = block[pick];

    // The item: unseen, by the rule; a bank seen through starts over.
    std::vector<uint8_t> &flags = seen[pick];
    if (std::all_of(flags.begin(), flags.end(), [](uint8_t f) { return f != 0; })) {
      std::fill(flags.begin(), flags.end(), 0);
    }
    const auto &items = irt[concept];
    int64_t chosen = -1;
    uint64_t u_item = r_sel.next();
    switch (o.item_selection) {
      case ItemSelection::irt: {
        SelectionOptions so;
        so.p_target = o.p_target;
        chosen = select_item(theta_from_mastery(est[pick]), items, flags, so);
        break;
      }
      case ItemSelection::easiest:
      case ItemSelection::hardest:
        for (size_t i = 0; i < items.size(); ++i) {
          if (flags[i]) continue;
          bool better = chosen < 0 || (o.item_selection == ItemSelection::easiest
                                           ? items[i].b < items[static_cast<size_t>(chosen)].b
                                           : items[i].b > items[static_cast<size_t>(chosen)].b);
          if (better) chosen = static_cast<int64_t>(i);
        }
        break;
      case ItemSelection::random: {
        size_t unseen = static_cast<size_t>(std::count(flags.begin(), flags.end(), 0));
        size_t k = u_item % unseen;
        for (size_t i = 0; i < items.size(); ++i) {
          if (!flags[i] && k-- == 0) {
            chosen = static_cast<int64_t>(i);
            break;
          }
        }
        break;
      }
    }
    flags[static_cast<size_t>(chosen)] = 1;
    const SimItem &item = w.items[concept][static_cast<size_t>(chosen)];

    SimAnswer a = learner_answer(l, item, lc, r_ans);
    ++out.answers;
    out.right += a.correct;
    out.gamed += a.gamed;
    out.misconception_answers += a.misconception >= 0;
    out.latency += a.latency_s;
    out.hits += a.p_correct >= 0.55 && a.p_correct <= 0.85;

    int32_t label = classify(a.misconception, a.correct, concept, w, o.errors, r_cls);
    if (!a.gamed) learner_practice(l, w, item, a.p_correct, lc);
    if (!a.correct) {
      if (o.interventions && label >= 0) {
        auto slot = std::find_if(tried.begin(), tried.end(),
                                 [&](const auto &e) { return e.first == label; });
        if (slot == tried.end()) {
          tried.push_back({label, ModalityFlags{}});
          slot = tried.end() - 1;
        }
        Modality modality = Modality::visual;
        if (o.oracle_modality) {
          modality = static_cast<Modality>(std::max_element(l.pref.begin(), l.pref.end()) -
                                           l.pref.begin());
        } else {
          PolicyContext ctx;
          ctx.resolved_peer_exists = true;
          for (size_t m = 0; m < kModalityCount; ++m) {
            ArmContext &arm = ctx.arms[m];
            arm.student_attempts = attempts[m];
            arm.student_resolutions = resolutions[m];
            arm.student_rate = modality_vector_entry(resolutions[m], attempts[m], o.policy);
            arm.tried = slot->second[m];
          }
          Decision d = decide(o.modality_policy, ctx, o.policy, r_pol);
          if (d.none_available()) {
            // Every modality tried: the teacher's conference starts over.
            slot->second = ModalityFlags{};
            for (ArmContext &arm : ctx.arms)
              arm.tried = false;
            d = decide(o.modality_policy, ctx, o.policy, r_pol);
          }
          modality = d.chosen;
        }
        bool held = l.strength[label] > 0.0;
        InterventionEffect effect = learner_intervene(l, w, label, modality, lc, r_eff);
        ++out.interventions;
        (held ? out.well_targeted : out.mistargeted) += 1;
        size_t mi = static_cast<size_t>(modality);
        ++attempts[mi];
        switch (effect) {
          case InterventionEffect::resolved:
            ++resolutions[mi];
            ++out.resolved;
            slot->second = ModalityFlags{};
            break;
          case InterventionEffect::persisted:
            slot->second[mi] = true;
            break;
          case InterventionEffect::confused:
            ++out.confused;
            slot->second[mi] = true;
            break;
          case InterventionEffect::strengthened:
            ++out.strengthened;
            slot->second[mi] = true;
            break;
          case InterventionEffect::implanted:
            ++out.implanted;
            slot->second[mi] = true;
            break;
        }
      } else {
        learner_feedback(l, w, concept, lc);
      }
    }
    est[pick] = bkt_update(est[pick], a.correct, bkt_of(concept));
    if (o.keep_log) out.log.emplace_back(index, concept, t, a.correct);
    record_error();
  }

  out.post = learner_test_score(l, w, block, lc);
  out.mis_end = held_in_block(l, w, block);
  for (int32_t c : block)
    out.mastered += learner_concept_score(l, w, c, lc) >= 0.8;
  return out;
}

MeanSe mean_se(const std::vector<Outcome> &outs, double (*get)(const Outcome &)) {
  MeanSe m;
  const double n = static_cast<double>(outs.size());
  if (outs.empty()) return m;
  double sum = 0.0;
  for (const Outcome &o : outs)
    sum += get(o);
  m.mean = sum / n;
  double ss = 0.0;
  for (const Outcome &o : outs)
    ss += (get(o) - m.mean) * (get(o) - m.mean);
  m.sd = outs.size() > 1 ? std::sqrt(ss / (n - 1.0)) : 0.0;
  m.se = m.sd / std::sqrt(n);
  return m;
}

}  // namespace

const char *item_selection_name(ItemSelection s) {
  switch (s) {
    case ItemSelection::irt:
      return "irt";
    case ItemSelection::easiest:
      return "easiest";
    case ItemSelection::hardest:
      return "hardest";
    case ItemSelection::random:
      return "random";
  }
  return "?";
}

const char *concept_selection_name(ConceptSelection s) {
  switch (s) {
    case ConceptSelection::bkt:
      return "bkt";
    case ConceptSelection::random:
      return "random";
    case ConceptSelection::oracle:
      return "oracle";
  }
  return "?";
}

void check_study_options(const StudyOptions &o) {
  auto prob = [](double x) { return std::isfinite(x) && x >= 0.0 && x <= 1.0; };
  need(o.students >= 1 && o.students <= 1000000, "students", "must be in [1, 1000000]");
  need(o.threads >= 0 && o.threads <= 256, "threads", "must be in [0, 256]");
  need(o.budget >= 1 && o.budget <= 10000, "budget", "must be in [1, 10000]");
  need(o.block_size >= 1 && o.block_size <= 100, "block_size", "must be in [1, 100]");
  need(o.bank_size >= 0 && o.bank_size <= 10000, "bank_size", "must be in [0, 10000]");
  need(std::isfinite(o.p_target) && o.p_target > 0.0 && o.p_target < 1.0, "p_target",
       "must be in (0, 1)");
  need(prob(o.mastery_threshold), "mastery_threshold", "must be in [0, 1]");
  need(prob(o.prereq_threshold), "prereq_threshold", "must be in [0, 1]");
  need(prob(o.errors.misidentification), "errors.misidentification", "must be in [0, 1]");
  need(prob(o.errors.false_negative), "errors.false_negative", "must be in [0, 1]");
  need(prob(o.errors.false_positive), "errors.false_positive", "must be in [0, 1]");
  need(prob(o.errors.misroute), "errors.misroute", "must be in [0, 1]");
  check_policy_config(o.policy);
  check_learner_config(o.learner);
  for (size_t i = 0; i < o.bkt.size(); ++i) {
    const BktParams &b = o.bkt[i];
    for (double x : {b.p_init, b.p_learn, b.p_guess, b.p_slip, b.p_forget}) {
      need(prob(x), "bkt", fmt::format("concept {}: every parameter must be in [0, 1]", i));
    }
  }
}

StudyResult run_study(const SimWorld &w, const StudyOptions &o) {
  check_study_options(o);
  if (!o.bkt.empty() && o.bkt.size() != w.concepts.size()) {
    throw Error(Errc::invalid, fmt::format("simulation.bkt: {} parameter sets for {} concepts",
                                           o.bkt.size(), w.concepts.size()));
  }
  std::vector<std::vector<int32_t>> blocks = candidate_blocks(w, o.block_size);
  std::vector<std::vector<IrtItem>> irt(w.items.size());
  for (size_t c = 0; c < w.items.size(); ++c) {
    for (const SimItem &it : w.items[c])
      irt[c].push_back(it.irt);
  }

  std::vector<Outcome> outs(static_cast<size_t>(o.students));
  int32_t threads = o.threads > 0
                        ? o.threads
                        : static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, o.students);
  std::atomic<int32_t> next{0};
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  auto work = [&] {
    try {
      while (!failed) {
        int32_t i = next.fetch_add(1);
        if (i >= o.students) break;
        outs[static_cast<size_t>(i)] = run_learner(w, o, blocks, irt, i);
      }
    } catch (...) {
      if (!failed.exchange(true)) failure = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int32_t t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
  if (failure) std::rethrow_exception(failure);

  StudyResult r;
  r.students = o.students;
  r.budget = o.budget;
  r.block_size = o.block_size;
  r.template_instances = w.template_instances;
  r.pre = mean_se(outs, [](const Outcome &x) { return x.pre; });
  r.post = mean_se(outs, [](const Outcome &x) { return x.post; });
  r.gain = mean_se(outs, [](const Outcome &x) { return x.post - x.pre; });
  r.gain_per_interaction = r.gain.mean / o.budget;
  const double n = static_cast<double>(outs.size());
  double answers = 0, right = 0, hits = 0, latency = 0, agree = 0, chance = 0;
  for (const Outcome &x : outs) {
    r.concepts_mastered += x.mastered / n;
    r.misconceptions_start += x.mis_start / n;
    r.misconceptions_end += x.mis_end / n;
    r.resolved += x.resolved / n;
    r.implanted += x.implanted / n;
    r.strengthened += x.strengthened / n;
    r.confused += x.confused / n;
    r.interventions += x.interventions / n;
    r.well_targeted += x.well_targeted / n;
    r.mistargeted += x.mistargeted / n;
    r.misconception_answers += x.misconception_answers / n;
    r.gamed_answers += x.gamed / n;
    answers += x.answers;
    right += x.right;
    hits += x.hits;
    latency += x.latency;
    agree += x.agree;
    chance += x.chance;
  }
  r.accuracy = answers > 0 ? right / answers : 0.0;
  r.mean_latency_s = answers > 0 ? latency / answers : 0.0;
  r.difficulty_hit_rate = answers > 0 ? hits / answers : 0.0;
  r.selection_agreement = answers > 0 ? agree / answers : 0.0;
  r.selection_chance = answers > 0 ? chance / answers : 0.0;
  r.intervention_resolution_rate = r.well_targeted > 0 ? r.resolved / r.well_targeted : 0.0;
  r.bkt_rmse.assign(static_cast<size_t>(o.budget) + 1, 0.0);
  double cells = 0;
  for (const Outcome &x : outs)
    cells += x.block_concepts;
  for (size_t t = 0; t < r.bkt_rmse.size(); ++t) {
    double s = 0;
    for (const Outcome &x : outs)
      s += x.sq_err[t];
    r.bkt_rmse[t] = cells > 0 ? std::sqrt(s / cells) : 0.0;
  }
  if (o.per_student) {
    for (const Outcome &x : outs)
      r.gains.push_back(x.post - x.pre);
  }
  if (o.keep_log) {
    for (Outcome &x : outs)
      r.log.insert(r.log.end(), x.log.begin(), x.log.end());
  }
  return r;
}

MeanSe paired_difference(const std::vector<double> &a, const std::vector<double> &b) {
  if (a.size() != b.size() || a.size() < 2) {
    throw Error(Errc::invalid, fmt::format("paired_difference: {} and {} values; needs the same "
                                           "number, at least 2",
                                           a.size(), b.size()));
  }
  const double n = static_cast<double>(a.size());
  MeanSe m;
  for (size_t i = 0; i < a.size(); ++i)
    m.mean += (a[i] - b[i]) / n;
  double ss = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    double d = a[i] - b[i] - m.mean;
    ss += d * d;
  }
  m.sd = std::sqrt(ss / (n - 1.0));
  m.se = m.sd / std::sqrt(n);
  return m;
}

StudyResult run_study(const Domain &d, const StudyOptions &o) {
  check_study_options(o);
  return run_study(build_sim_world(d, o.bank_size, o.seed), o);
}

}  // namespace v0
}  // namespace tutorcore
