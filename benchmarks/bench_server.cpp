// bench_server: a bounded load test of tutorcore-server on loopback: client
// threads submit answers over keep-alive connections; prints requests per
// second and latency percentiles for POST /api/responses, and GET /health
// as the baseline of the same run (HTTP without the pipeline).
//
//   build/benchmarks/bench_server SERVER_BINARY DOMAIN_DIR [--clients 4] [--requests 2000]
#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

double pct(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

struct Run {
  std::vector<double> us;
  double seconds = 0;
  int errors = 0;
};

// `clients` threads, `per_client` requests each; `make` builds request i.
template <class Send>
Run load(int clients, int per_client, Send send) {
  Run r;
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  std::atomic<int> errors{0};
  auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (int c = 0; c < clients; ++c) {
    ts.emplace_back([&, c] {
      for (int i = 0; i < per_client; ++i) {
        auto a = Clock::now();
        if (!send(c, i)) ++errors;
        lat[static_cast<size_t>(c)].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - a).count());
      }
    });
  }
  for (auto &t : ts)
    t.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto &l : lat)
    r.us.insert(r.us.end(), l.begin(), l.end());
  r.errors = errors;
  return r;
}

void print(const char *what, const Run &r) {
  fmt::print(
      "  {:<28} {:>6} requests  {:>8.0f} req/s  p50 {:>7.0f} us  p99 {:>7.0f} us  errors {}\n",
      what, r.us.size(), static_cast<double>(r.us.size()) / r.seconds, pct(r.us, 0.5),
      pct(r.us, 0.99), r.errors);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    fmt::print(stderr,
               "usage: bench_server SERVER_BINARY DOMAIN_DIR [--clients N] [--requests N]\n");
    return 2;
  }
  std::string server = argv[1], domain = argv[2];
  int clients = 4, requests = 2000;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--clients") clients = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--requests") requests = std::max(1, std::atoi(argv[i + 1]));
  }
  std::filesystem::path data = std::filesystem::temp_directory_path() / "tutorcore-bench-server";
  std::filesystem::remove_all(data);
  int out[2];
  if (pipe(out) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(server.c_str(), server.c_str(), "--domain", domain.c_str(), "--data", data.c_str(),
          "--port", "0", "--students", "0", "--live-rate", "0", "--api-key", "bench", nullptr);
    _exit(127);
  }
  close(out[1]);
  FILE *f = fdopen(out[0], "r");
  char line[512];
  int port = 0;
  std::regex re("listening: http://[0-9.]+:([0-9]+)/");
  while (fgets(line, sizeof line, f)) {
    std::cmatch m;
    if (std::regex_search(line, m, re)) {
      port = std::stoi(m[1]);
      break;
    }
  }
  if (!port) {
    fmt::print(stderr, "bench_server: the server did not start\n");
    return 1;
  }
  const int per_client = std::max(1, requests / clients);
  httplib::Headers h{{"X-API-Key", "bench"}};
  std::vector<std::unique_ptr<httplib::Client>> cl;
  for (int c = 0; c < clients; ++c) {
    cl.push_back(std::make_unique<httplib::Client>("127.0.0.1", port));
    cl.back()->set_keep_alive(true);
    cl.back()->set_tcp_nodelay(true);
  }
  // The fixture answers: the algebra domain's first integer problem,
  // alternately right and showing a misconception.
  Run health = load(clients, per_client, [&](int c, int) {
    auto res = cl[static_cast<size_t>(c)]->Get("/health");
    return res && res->status == 200;
  });
  Run submit = load(clients, per_client, [&](int c, int i) {
    std::string body = fmt::format(
        R"({{"student":"load-{}-{}","problem_id":"ias_01","answer":"{}","idempotency_key":"load-{}-{}"}})",
        c, i % 500, i % 3 ? "-4" : "-10", c, i);
    auto res = cl[static_cast<size_t>(c)]->Post("/api/responses", h, body, "application/json");
    return res && res->status == 201;
  });
  fmt::print(
      "bench_server: tutorcore-server on 127.0.0.1:{}, {} clients (keep-alive), SQLite in {}\n",
      port, clients, data.string());
  print("GET /health (baseline)", health);
  print("POST /api/responses", submit);
  fmt::print("submit p99 / health p99: {:.1f}x\n", pct(submit.us, 0.99) / pct(health.us, 0.99));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::filesystem::remove_all(data);
  return submit.errors || health.errors ? 1 : 0;
}
