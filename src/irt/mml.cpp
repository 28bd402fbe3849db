// Marginal maximum likelihood by EM (Bock-Aitkin).
#include <fmt/format.h>
#include <Eigen/Dense>
#include <Eigen/Sparse>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>
#include <unordered_map>

#include "logistic_newton.hpp"
#include "tutorcore/common/csv.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/irt/calibrate.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

using SpMat = Eigen::SparseMatrix<double, Eigen::RowMajor>;
// Row-major: in sparse x dense products each nonzero adds one contiguous row.
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

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
  const Eigen::Index N = static_cast<Eigen::Index>(m.persons()),
                     J = static_cast<Eigen::Index>(m.items());
  const int Q = opts.quadrature_points;

  // Right and wrong answers as sparse 0/1 matrices (persons x items).
  std::vector<Eigen::Triplet<double>> tr, tw;
  for (const auto &e : m.entries) {
    if (e.person >= m.persons() || e.item >= m.items()) {
      throw Error(Errc::invalid,
                  fmt::format("IRT calibration: entry (person {}, item {}) is outside the matrix",
                              e.person, e.item));
    }
    (e.correct ? tr : tw).emplace_back(e.person, e.item, 1.0);
  }
  SpMat R(N, J), W(N, J);
  R.setFromTriplets(tr.begin(), tr.end());
  W.setFromTriplets(tw.begin(), tw.end());
  SpMat Rt = R.transpose(), Wt = W.transpose();
  Eigen::VectorXd weight = Eigen::Map<const Eigen::VectorXd>(m.weight.data(), N);

  // Quadrature: equally spaced nodes, standard normal weights.
  Eigen::VectorXd x(Q), log_prior(Q);
  for (int q = 0; q < Q; ++q)
    x[q] = -opts.range + 2 * opts.range * q / (Q - 1);
  log_prior = (-0.5 * x.array().square()).matrix();
  double lse =
      std::log((log_prior.array() - log_prior.maxCoeff()).exp().sum()) + log_prior.maxCoeff();
  log_prior.array() -= lse;

  // Starting values from the proportions right: d = logit(p), a = 1.
  Eigen::VectorXd a = Eigen::VectorXd::Ones(J), d(J);
  {
    Eigen::VectorXd right = Rt * weight, all = right + Wt * weight;
    for (Eigen::Index j = 0; j < J; ++j) {
      double p = (right[j] + 0.5) / (all[j] + 1.0);
      d[j] = std::log(p / (1 - p));
    }
  }

  const Eigen::Index threads =
      std::max<Eigen::Index>(1, static_cast<Eigen::Index>(std::thread::hardware_concurrency()));
  MmlResult out;
  double prev = -std::numeric_limits<double>::infinity();
  RowMat logP(J, Q), logQ(J, Q), L(N, Q), rjq(J, Q), njq(J, Q);
  for (int it = 1; it <= opts.max_iterations; ++it) {
    // E-step: log-likelihood of each person at each node, then posteriors.
    for (Eigen::Index j = 0; j < J; ++j) {
      for (int q = 0; q < Q; ++q) {
        double z = a[j] * x[q] + d[j];
        // log sigmoid(z), stable for large |z|; log sigmoid(-z) = log sigmoid(z) - z.
        double lp = z > 0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z));
        logP(j, q) = lp;
        logQ(j, q) = lp - z;
      }
    }
    L.noalias() = R * logP;
    L.noalias() += W * logQ;
    L.rowwise() += log_prior.transpose();
    Eigen::VectorXd row_max = L.rowwise().maxCoeff();
    L = (L.colwise() - row_max).array().exp().matrix();
    Eigen::VectorXd row_sum = L.rowwise().sum();
    double ll = (weight.array() * (row_sum.array().log() + row_max.array())).sum();
    L = (weight.array() / row_sum.array()).matrix().asDiagonal() *
        L;  // posterior weights, times the frequency
    rjq.noalias() = Rt * L;
    njq.noalias() = Wt * L;
    njq += rjq;

    out.iterations = it;
    out.log_likelihood = ll;
    if (std::fabs(ll - prev) < opts.tolerance) {
      out.converged = true;
      break;
    }
    prev = ll;

    // M-step: items are independent given the expected counts, so they are
    // split over threads. Warm-started from the previous iteration, a few
    // Newton steps per EM iteration suffice (a generalised EM step).
    const bool slope = opts.model == IrtModel::two_pl;
    NewtonLimits lim;
    lim.steps = it <= 2 ? 25 : 3;
    lim.max_slope = opts.max_slope;
    lim.ridge = opts.ridge;
    auto items = [&](Eigen::Index from, Eigen::Index to) {
      for (Eigen::Index j = from; j < to; ++j) {
        // Rows of the row-major count matrices are contiguous.
        logistic_newton(x.data(), rjq.row(j).data(), njq.row(j).data(), static_cast<size_t>(Q),
                        slope, lim, &a[j], &d[j]);
      }
    };
    {
      const Eigen::Index parts = J >= 256 ? threads : 1;
      std::vector<std::thread> pool;
      for (Eigen::Index t = 1; t < parts; ++t)
        pool.emplace_back(items, J * t / parts, J * (t + 1) / parts);
      items(0, J / parts);
      for (auto &th : pool)
        th.join();
    }
    switch (opts.model) {
      case IrtModel::rasch:
      case IrtModel::two_pl:
        break;
      case IrtModel::common_slope: {
        // One Newton step on the shared slope, intercepts fixed.
        double g = 0, h = 0;
        for (Eigen::Index j = 0; j < J; ++j) {
          for (int q = 0; q < Q; ++q) {
            double p = 1.0 / (1.0 + std::exp(-(a[j] * x[q] + d[j])));
            g += (rjq(j, q) - njq(j, q) * p) * x[q];
            h += njq(j, q) * p * (1 - p) * x[q] * x[q];
          }
        }
        double s = h > 1e-12 ? std::clamp(g / h, -0.5, 0.5) : 0.0;
        a.setConstant(std::clamp(a[0] + s, 0.01, opts.max_slope));
        break;
      }
    }
  }
  out.items.resize(static_cast<size_t>(J));
  out.intercepts.resize(static_cast<size_t>(J));
  for (Eigen::Index j = 0; j < J; ++j) {
    out.items[static_cast<size_t>(j)] = IrtItem{a[j], -d[j] / a[j]};
    out.intercepts[static_cast<size_t>(j)] = d[j];
  }
  out.latent_variance = opts.model == IrtModel::common_slope ? a[0] * a[0] : 1.0;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace v0
}  // namespace tutorcore
