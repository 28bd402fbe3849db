// Marginal maximum likelihood by EM (Bock-Aitkin), accelerated by SQUAREM.
#include <fmt/format.h>
#include <Eigen/Dense>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "logistic_newton.hpp"
#include "tutorcore/common/csv.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/irt/calibrate.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TC_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TC_SIMD_CLONES
#endif

// acc += the rows `rows[0..count)` of a row-major table with `stride` columns:
// the E-step's sparse-by-dense products, one contiguous row per answer.
TC_SIMD_CLONES void add_rows(double *__restrict acc, const double *__restrict table,
                             const uint32_t *rows, size_t count, size_t stride) {
  for (size_t k = 0; k < count; ++k) {
    const double *__restrict src = table + static_cast<size_t>(rows[k]) * stride;
    for (size_t q = 0; q < stride; ++q)
      acc[q] += src[q];
  }
}

// Runs body(from, to, slot) over [0, n) in chunks handed out from a shared
// counter to up to `threads` threads (the caller is slot 0). Each chunk's
// results must not depend on which thread runs it, so that the results do
// not depend on the thread count.
template <class Body>
void parallel_chunks(size_t n, size_t chunk, size_t threads, const Body &body) {
  threads = std::min(threads, (n + chunk - 1) / chunk);
  std::atomic<size_t> next{0};
  auto run = [&](size_t slot) {
    for (;;) {
      const size_t from = next.fetch_add(chunk);
      if (from >= n) break;
      body(from, std::min(n, from + chunk), slot);
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t)
    pool.emplace_back(run, t);
  run(0);
  for (auto &th : pool)
    th.join();
}

}  // namespace

ResponseMatrix response_matrix_from_rows(const std::vector<ItemResponse> &rows) {
  ResponseMatrix m;
  std::unordered_map<std::string, uint32_t> persons, items;
  std::unordered_map<uint64_t, bool> seen;
  for (const auto &r : rows) {
    auto [p, p_new] = persons.try_emplace(r.person, static_cast<uint32_t>(m.weight.size()));
    if (p_new) m.weight.push_back(1.0);
    auto [i, i_new] = items.try_emplace(r.item, static_cast<uint32_t>(m.item_ids.size()));
    if (i_new) m.item_ids.push_back(r.item);
    uint64_t key = (static_cast<uint64_t>(p->second) << 32) | i->second;
    if (!seen.emplace(key, true).second) continue;
    m.entries.push_back({p->second, i->second, static_cast<uint8_t>(r.correct)});
  }
  return m;
}

ResponseMatrix load_pattern_csv(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::not_found, fmt::format("{}: cannot read the file", path));
  std::string line;
  auto split = [](const std::string &l) {
    std::vector<std::string> f;
    csv_split(l, &f);
    for (std::string &cell : f) {
      while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' '))
        cell.pop_back();
    }
    return f;
  };
  if (!std::getline(in, line))
    throw Error(Errc::invalid, fmt::format("{}: the file is empty", path));
  std::vector<std::string> header = split(line);
  int freq = -1;
  ResponseMatrix m;
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c] == "Freq" || header[c] == "freq") {
      freq = static_cast<int>(c);
    } else {
      m.item_ids.push_back(header[c]);
    }
  }
  size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> f = split(line);
    if (f.size() != header.size()) {
      throw Error(Errc::invalid, fmt::format("{}: line {}: {} fields; the header has {}", path,
                                             line_no, f.size(), header.size()));
    }
    uint32_t person = static_cast<uint32_t>(m.weight.size());
    double w = 1.0;
    uint32_t item = 0;
    for (size_t c = 0; c < f.size(); ++c) {
      if (static_cast<int>(c) == freq) {
        try {
          w = std::stod(f[c]);
        } catch (...) {
          w = -1;
        }
        if (!(w >= 0)) {
          throw Error(Errc::invalid,
                      fmt::format("{}: line {}: column '{}' is '{}'; it must be a count >= 0", path,
                                  line_no, header[c], f[c]));
        }
        continue;
      }
      if (f[c] == "1" || f[c] == "0") {
        m.entries.push_back({person, item, static_cast<uint8_t>(f[c] == "1")});
      } else if (!f[c].empty() && f[c] != "NA") {
        throw Error(Errc::invalid,
                    fmt::format("{}: line {}: column '{}' is '{}'; it must be 0, 1 or empty", path,
                                line_no, header[c], f[c]));
      }
      ++item;
    }
    m.weight.push_back(w);
  }
  return m;
}

MmlResult calibrate_mml(const ResponseMatrix &m, const MmlOptions &opts) {
  auto t0 = std::chrono::steady_clock::now();
  if (m.entries.empty() || m.items() == 0 || m.persons() == 0) {
    throw Error(Errc::invalid, "IRT calibration: the response matrix is empty");
  }
  if (opts.quadrature_points < 5 || opts.quadrature_points > 1001 || !(opts.range > 0)) {
    throw Error(Errc::invalid,
                "IRT calibration: quadrature_points must lie in 5..1001 and range be positive");
  }
  if (!(opts.slope_prior_sd >= 0) || !std::isfinite(opts.slope_prior_mean)) {
    throw Error(Errc::invalid,
                "IRT calibration: slope_prior_sd must be >= 0 and slope_prior_mean finite");
  }
  const size_t N = m.persons(), J = m.items();
  const size_t Q = static_cast<size_t>(opts.quadrature_points);
  const size_t S = (Q + 3) / 4 * 4;  // row stride: whole vectors, zero padding

  // Answers twice over, as compressed rows. Column c of the stacked tables is
  // item c's right answer for c < J and item c - J's wrong answer otherwise.
  std::vector<uint32_t> person_start(N + 1, 0), col_start(2 * J + 1, 0);
  for (const auto &e : m.entries) {
    if (e.person >= N || e.item >= J) {
      throw Error(Errc::invalid,
                  fmt::format("IRT calibration: entry (person {}, item {}) is outside the matrix",
                              e.person, e.item));
    }
    ++person_start[e.person + 1];
    ++col_start[(e.correct ? 0 : J) + e.item + 1];
  }
  for (size_t n = 0; n < N; ++n)
    person_start[n + 1] += person_start[n];
  for (size_t c = 0; c < 2 * J; ++c)
    col_start[c + 1] += col_start[c];
  std::vector<uint32_t> person_cols(m.entries.size()), col_persons(m.entries.size());
  {
    std::vector<uint32_t> pf(person_start.begin(), person_start.end() - 1),
        cf(col_start.begin(), col_start.end() - 1);
    for (const auto &e : m.entries) {
      const uint32_t c = static_cast<uint32_t>((e.correct ? 0 : J) + e.item);
      person_cols[pf[e.person]++] = c;
      col_persons[cf[c]++] = e.person;
    }
  }

  // Quadrature: equally spaced nodes, standard normal weights.
  std::vector<double> x(Q), log_prior(S, 0.0);
  const double h = 2 * opts.range / static_cast<double>(Q - 1);
  for (size_t q = 0; q < Q; ++q) {
    x[q] = -opts.range + 2 * opts.range * static_cast<double>(q) / static_cast<double>(Q - 1);
    log_prior[q] = -0.5 * x[q] * x[q];
  }
  {
    const double top = *std::max_element(log_prior.begin(), log_prior.begin() + Q);
    double sum = 0;
    for (size_t q = 0; q < Q; ++q)
      sum += std::exp(log_prior[q] - top);
    const double lse = std::log(sum) + top;
    for (size_t q = 0; q < Q; ++q)
      log_prior[q] -= lse;
  }
  const double x_max = opts.range;

  // Starting values from the proportions right: d = logit(p), a = 1.
  Eigen::VectorXd a = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(J)),
                  d(static_cast<Eigen::Index>(J));
  for (size_t j = 0; j < J; ++j) {
    double right = 0, all = 0;
    for (uint32_t k = col_start[j]; k < col_start[j + 1]; ++k)
      right += m.weight[col_persons[k]];
    all = right;
    for (uint32_t k = col_start[J + j]; k < col_start[J + j + 1]; ++k)
      all += m.weight[col_persons[k]];
    const double p = (right + 0.5) / (all + 1.0);
    d[static_cast<Eigen::Index>(j)] = std::log(p / (1 - p));
  }

  const size_t threads = std::max<size_t>(1, std::thread::hardware_concurrency());
  const bool fit_slope = opts.model == IrtModel::two_pl;
  // log P(right) for item j in row j, log P(wrong) in row J + j.
  std::vector<double> table(2 * J * S, 0.0);
  bool table_current = false;            // the table is at (a, d)
  std::vector<double> post(N * S, 0.0);  // posterior weights times the frequency
  std::vector<double> person_ll(N), slope_g(J), slope_h(J);
  std::vector<std::vector<double>> scratch(threads, std::vector<double>(4 * S, 0.0));

  // Item j's two table rows at (aj, dj).
  auto item_rows = [&](double aj, double dj, double *lp, double *lq) {
    if (grid_recurrence_safe(aj, dj, x_max)) {
      // exp(-z) over the grid by a geometric recurrence; log P = -log1p(exp(-z)).
      double e = std::exp(-(aj * x[0] + dj));
      const double ratio = std::exp(-aj * h);
      for (size_t q = 0; q < Q; ++q) {
        lq[q] = e;
        e *= ratio;
      }
      for (size_t q = 0; q < Q; ++q)
        lp[q] = -std::log1p(lq[q]);
      for (size_t q = 0; q < Q; ++q)
        lq[q] = lp[q] - (aj * x[q] + dj);
    } else {
      for (size_t q = 0; q < Q; ++q) {
        const double z = aj * x[q] + dj;
        // log sigmoid(z), stable for large |z|; log sigmoid(-z) = log sigmoid(z) - z.
        const double l = z > 0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z));
        lp[q] = l;
        lq[q] = l - z;
      }
    }
  };
  // Item j's log priors (ridge, slope prior) at (aj, dj).
  auto item_log_prior = [&](double aj, double dj) {
    double s = -0.5 * opts.ridge * dj * dj;
    if (fit_slope && opts.slope_prior_sd > 0) {
      const double la = std::log(aj) - opts.slope_prior_mean;
      s -= la * la / (2 * opts.slope_prior_sd * opts.slope_prior_sd) + std::log(aj);
    }
    return s;
  };

  // E-step at (a, d): the log-likelihood; leaves the posteriors in `post`.
  auto e_step = [&]() {
    if (!table_current) {
      parallel_chunks(J, 512, threads, [&](size_t from, size_t to, size_t) {
        for (size_t j = from; j < to; ++j) {
          const Eigen::Index i = static_cast<Eigen::Index>(j);
          item_rows(a[i], d[i], &table[j * S], &table[(J + j) * S]);
        }
      });
      table_current = true;
    }
    parallel_chunks(N, 256, threads, [&](size_t from, size_t to, size_t) {
      for (size_t n = from; n < to; ++n) {
        double *row = &post[n * S];
        std::copy(log_prior.begin(), log_prior.end(), row);
        add_rows(row, table.data(), person_cols.data() + person_start[n],
                 person_start[n + 1] - person_start[n], S);
        const double top = *std::max_element(row, row + Q);
        double sum = 0;
        for (size_t q = 0; q < Q; ++q) {
          row[q] = std::exp(row[q] - top);
          sum += row[q];
        }
        person_ll[n] = m.weight[n] * (std::log(sum) + top);
        const double scale = m.weight[n] / sum;
        for (size_t q = 0; q < Q; ++q)
          row[q] *= scale;
      }
    });
    double ll = 0;
    for (double v : person_ll)
      ll += v;
    return ll;
  };

  // M-step from the posteriors: items are independent given the expected
  // counts, so each item's counts are summed and its Newton steps taken in
  // one go. Warm-started from the current values, a few Newton steps suffice
  // (a generalised EM step), provided the item's expected complete-data
  // log-likelihood (with its priors) does not decrease: a step that loses is
  // halved, then dropped. That keeps EM monotone. The new table rows come
  // with the check.
  NewtonLimits lim;
  lim.max_slope = opts.max_slope;
  lim.ridge = opts.ridge;
  lim.slope_prior_sd = opts.slope_prior_sd;
  lim.slope_prior_mean = opts.slope_prior_mean;
  auto m_step = [&](int newton_steps) {
    if (!table_current) throw std::logic_error("calibrate_mml: M-step without its E-step");
    NewtonLimits l = lim;
    l.steps = newton_steps;
    parallel_chunks(J, 256, threads, [&](size_t from, size_t to, size_t slot) {
      double *r = scratch[slot].data(), *w = r + S, *lp = w + S, *lq = lp + S;
      auto expected = [&](const double *p_row, const double *q_row) {
        double v = 0;
        for (size_t q = 0; q < Q; ++q)
          v += r[q] * p_row[q] + w[q] * q_row[q];
        return v;
      };
      for (size_t j = from; j < to; ++j) {
        std::fill(r, r + 2 * S, 0.0);
        add_rows(r, post.data(), col_persons.data() + col_start[j], col_start[j + 1] - col_start[j],
                 S);
        add_rows(w, post.data(), col_persons.data() + col_start[J + j],
                 col_start[J + j + 1] - col_start[J + j], S);
        const Eigen::Index i = static_cast<Eigen::Index>(j);
        double *old_p = &table[j * S], *old_q = &table[(J + j) * S];
        const double a_old = a[i], d_old = d[i];
        const double before = expected(old_p, old_q) + item_log_prior(a_old, d_old);
        double aj = a_old, dj = d_old;
        logistic_newton_grid(x.data(), h, r, w, Q, fit_slope, l, &aj, &dj);
        bool keep = aj != a_old || dj != d_old;
        for (int halve = 0; keep; ++halve) {
          item_rows(aj, dj, lp, lq);
          if (expected(lp, lq) + item_log_prior(aj, dj) >= before) break;
          if (halve == 10) {
            keep = false;
          } else {
            aj = 0.5 * (aj + a_old);
            dj = 0.5 * (dj + d_old);
          }
        }
        if (keep) {
          a[i] = aj;
          d[i] = dj;
          std::copy(lp, lp + Q, old_p);
          std::copy(lq, lq + Q, old_q);
        }
        if (opts.model == IrtModel::common_slope) {
          // Item j's share of the shared slope's gradient and curvature at
          // the new intercept.
          double g = 0, c = 0;
          for (size_t q = 0; q < Q; ++q) {
            const double p = std::exp(old_p[q]), nq = r[q] + w[q];
            g += (r[q] - nq * p) * x[q];
            c += nq * p * (1 - p) * x[q] * x[q];
          }
          slope_g[j] = g;
          slope_h[j] = c;
        }
      }
    });
    if (opts.model == IrtModel::common_slope) {
      // One Newton step on the shared slope, intercepts fixed.
      double g = 0, c = 0;
      for (size_t j = 0; j < J; ++j) {
        g += slope_g[j];
        c += slope_h[j];
      }
      const double s = c > 1e-12 ? std::clamp(g / c, -0.5, 0.5) : 0.0;
      a.setConstant(std::clamp(a[0] + s, 0.01, opts.max_slope));
      table_current = false;
    }
  };

  // What EM increases: the log-likelihood plus the log priors.
  auto log_priors = [&]() {
    double s = 0;
    for (Eigen::Index j = 0; j < a.size(); ++j)
      s += item_log_prior(a[j], d[j]);
    return s;
  };

  MmlResult out;
  int evals = 0;
  auto evaluate = [&](double *ll) {
    ++evals;
    *ll = e_step();
    return *ll + log_priors();
  };
  // Between steps (a, d) is the last accepted point, ll its log-likelihood
  // and the trace's last entry its objective.
  double ll;
  out.trace.push_back(evaluate(&ll));
  // Converged: one plain EM step changed both the log-likelihood and the
  // objective by less than the tolerance (they differ under a ridge or prior).
  auto step_converged = [&](double ll_before, double obj_before) {
    return std::fabs(ll - ll_before) < opts.tolerance &&
           std::fabs(out.trace.back() - obj_before) < opts.tolerance;
  };
  // One plain EM step from (a, d); true when converged.
  auto em_step = [&](int newton_steps) {
    m_step(newton_steps);
    const double ll_before = ll, obj_before = out.trace.back();
    out.trace.push_back(evaluate(&ll));
    return step_converged(ll_before, obj_before);
  };
  const bool squarem = opts.acceleration == EmAcceleration::squarem;
  const int short_run = 3;  // Newton steps per M-step after the first two
  double step_max = 1.0;
  while (evals < opts.max_iterations) {
    // Long Newton runs from the starting values, then a few per M-step.
    const int newton_steps = evals <= 2 ? 25 : short_run;
    const Eigen::VectorXd a0 = a, d0 = d;
    if (em_step(newton_steps)) {
      out.converged = true;
      break;
    }
    // Extrapolate only between steps of the same map.
    if (!squarem || newton_steps != short_run || evals >= opts.max_iterations) continue;

    // SQUAREM: a second EM step, then theta0 + 2 alpha r + alpha^2 v with
    // r = theta1 - theta0, v = theta2 - 2 theta1 + theta0, alpha = |r| / |v|
    // (scheme S3) within [1, step_max]; alpha = 1 is the plain second step.
    // step_max starts at 1 and is multiplied by 4 when reached, divided by 4
    // when an extrapolation that reached it is refused (the R package's
    // defaults).
    const Eigen::VectorXd a1 = a, d1 = d;
    const double ll1 = ll, obj1 = out.trace.back();
    m_step(newton_steps);
    const double rr = (a1 - a0).squaredNorm() + (d1 - d0).squaredNorm();
    const double vv = (a - 2 * a1 + a0).squaredNorm() + (d - 2 * d1 + d0).squaredNorm();
    double alpha = vv > 0 ? std::sqrt(rr / vv) : step_max;
    alpha = std::clamp(std::isfinite(alpha) ? alpha : 1.0, 1.0, step_max);
    if (alpha > 1) {
      const Eigen::VectorXd a2 = a, d2 = d;
      a = (a0 + 2 * alpha * (a1 - a0) + alpha * alpha * (a2 - 2 * a1 + a0))
              .cwiseMax(0.01)
              .cwiseMin(opts.max_slope);
      d = (d0 + 2 * alpha * (d1 - d0) + alpha * alpha * (d2 - 2 * d1 + d0))
              .cwiseMax(-30.0)
              .cwiseMin(30.0);
      table_current = false;
      const double obj = evaluate(&ll);
      if (obj >= obj1) {  // false for NaN
        out.trace.push_back(obj);
        if (alpha == step_max) step_max *= 4;
        continue;
      }
      // The extrapolation lost ground: back to the second EM step.
      if (alpha == step_max) step_max = std::max(1.0, step_max / 4);
      if (evals >= opts.max_iterations) {  // no E-step left for it: the first
        a = a1;
        d = d1;
        ll = ll1;
        break;
      }
      a = a2;
      d = d2;
      table_current = false;
    } else if (alpha == step_max) {
      step_max *= 4;
    }
    out.trace.push_back(evaluate(&ll));
    if (step_converged(ll1, obj1)) {
      out.converged = true;
      break;
    }
  }
  out.iterations = evals;
  out.log_likelihood = ll;
  out.items.resize(J);
  out.intercepts.resize(J);
  for (size_t j = 0; j < J; ++j) {
    const Eigen::Index i = static_cast<Eigen::Index>(j);
    out.items[j] = IrtItem{a[i], -d[i] / a[i]};
    out.intercepts[j] = d[i];
  }
  out.latent_variance = opts.model == IrtModel::common_slope ? a[0] * a[0] : 1.0;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace v0
}  // namespace tutorcore
