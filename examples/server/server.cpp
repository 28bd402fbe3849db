// tutorcore-server: the example server. A REST API over the one-call
// pipeline and the teacher's actions (tenant from an API key), the live
// tutor-alert stream as Server-Sent Events, and the teacher dashboard, on
// the embedded SQLite store with a domain and a simulated class.
//
//   tutorcore-server --domain DIR [--data DIR] [--port 8080] [--host 127.0.0.1]
//                    [--students 30] [--live-rate 1] [--api-key KEY] [--tenant T]
//
// Routes are listed by GET /api (and in docs/getting-started-server.md).
#include <fmt/format.h>
#include <httplib.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

#include "alerts.hpp"
#include "tutorcore/analytics/interval.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/knowledge/validate.hpp"
#include "tutorcore/pipeline/tutor.hpp"
#include "tutorcore/sim/classroom.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/tutorcore.h"

namespace tutorcore::server {

// The dashboard's files, embedded at build time (dashboard_assets.cpp).
struct Asset {
  const char *path, *type, *body;
};
extern const Asset kAssets[];
extern const size_t kAssetCount;

namespace {

std::atomic<httplib::Server *> g_server{nullptr};
std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop = true;
  if (httplib::Server *s = g_server.load()) s->stop();
}

const char *status_name(Errc c) {
  return tc_status_str(static_cast<tc_status>(c));
}

int http_status(Errc c) {
  switch (c) {
    case Errc::invalid:
    case Errc::version:
      return 400;
    case Errc::not_found:
      return 404;
    case Errc::exists:
      return 409;
    case Errc::storage:
    case Errc::unavailable:
      return 503;
    default:
      return 500;
  }
}

void send_error(httplib::Response &res, int status, const std::string &code,
                const std::string &message) {
  JsonWriter w;
  w.begin_object().key("error").begin_object().field("status", code);
  w.field("message", message).end_object().end_object();
  res.status = status;
  res.set_content(w.take(), "application/json");
}

struct Options {
  std::string domain_dir, data_dir = "tutorcore-data", host = "127.0.0.1";
  std::string api_key = "demo-key", tenant = "demo-school";
  int port = 8080, students = 30;
  double live_rate = 1.0;  // simulated answers per second after start-up (0: none)
};

class App {
 public:
  App(const Options &o, std::shared_ptr<const Domain> d)
      : o_(o), domain_(std::move(d)), hub_(*domain_) {
    keys_[o.api_key] = o.tenant;
    std::filesystem::create_directories(o.data_dir);
    SqliteOptions so;
    so.path = (std::filesystem::path(o.data_dir) / "tutorcore.db").string();
    db_path_ = so.path;
    ledger_ = std::make_unique<Ledger>(open_sqlite_store(so));
    tutor_ = std::make_unique<Tutor>(domain_, *ledger_);
    token_ = ledger_->subscribe([this](const Event &e) { hub_.publish(e); });
  }
  ~App() {
    ledger_->unsubscribe(token_);
    hub_.close_all();
  }

  Ledger &ledger() { return *ledger_; }
  Tutor &tutor() { return *tutor_; }
  AlertHub &hub() { return hub_; }
  const std::string &db_path() const { return db_path_; }

  void routes(httplib::Server &svr);

 private:
  // Runs `fn` with the request's tenant; maps errors to JSON answers.
  template <class Fn>
  httplib::Server::Handler api(Fn fn) {
    return [this, fn](const httplib::Request &req, httplib::Response &res) {
      std::string key = req.get_header_value("X-API-Key");
      if (key.empty() && req.has_param("key")) key = req.get_param_value("key");
      auto it = keys_.find(key);
      if (it == keys_.end()) {
        send_error(res, 401, "unauthorized",
                   key.empty() ? "send the tenant's API key in the X-API-Key header (or ?key=)"
                               : "unknown API key");
        return;
      }
      try {
        fn(it->second, req, res);
      } catch (const Error &e) {
        send_error(res, http_status(e.code()), status_name(e.code()), e.what());
      } catch (const std::exception &e) {
        send_error(res, 500, "TC_EINTERNAL", e.what());
      }
    };
  }

  // The request body as a JSON object with only `known` fields.
  static simdjson::dom::object body(simdjson::dom::parser &p, const httplib::Request &req,
                                    std::initializer_list<std::string_view> known) {
    simdjson::dom::object o;
    if (parse_json_or_throw(p, req.body, "request body").get_object().get(o))
      throw Error(Errc::invalid, "request body: must be a JSON object");
    reject_unknown_fields(o, known, "request body");
    return o;
  }

  std::string pending_json(const std::string &tenant);
  std::string heatmap_json(const std::string &tenant);
  std::string effectiveness_json(const std::string &tenant);
  std::string teacher_action(const std::string &tenant, TeacherActionKind kind,
                             const httplib::Request &req);

  Options o_;
  std::shared_ptr<const Domain> domain_;
  AlertHub hub_;
  std::map<std::string, std::string> keys_;  // API key -> tenant
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Tutor> tutor_;
  uint64_t token_ = 0;
  std::string db_path_;
};

std::string App::pending_json(const std::string &tenant) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).key("pending").begin_array();
  ledger_->with_views([&](const ViewSet &v) {
    for (const auto &[k, r] : v.escalation.sorted()) {
      if (k->a != tenant || !r->machine.recommended || r->machine.intervention_active) continue;
      const Misconception *m = domain_->find_misconception(k->c);
      Modality mod = *r->machine.recommended;
      w.begin_object().field("student", k->b).field("misconception_id", k->c);
      w.field("label", m ? m->label : k->c).field("concept_id", r->concept_id);
      w.field("state", escalation_state_name(r->state()));
      w.field("recommended_modality", modality_name(mod)).field("attempt", r->machine.attempts + 1);
      if (m) {
        size_t mi = static_cast<size_t>(m - domain_->misconceptions.data());
        w.field("text", domain_->interventions[mi].by_modality[static_cast<size_t>(mod)].text);
      }
      w.key("modalities_tried").begin_array();
      for (size_t i = 0; i < kModalityCount; ++i)
        if ((r->machine.modalities_tried >> i) & 1u)
          w.value(modality_name(static_cast<Modality>(i)));
      w.end_array().end_object();
    }
    return 0;
  });
  w.end_array().end_object();
  return w.take();
}

std::string App::heatmap_json(const std::string &tenant) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).key("concepts").begin_array();
  for (const Concept &c : domain_->concepts) {
    w.begin_object().field("id", c.id).field("name", c.name);
    w.field("threshold", domain_->threshold_for(c)).end_object();
  }
  w.end_array().key("students").begin_array();
  ledger_->with_views([&](const ViewSet &v) {
    std::map<std::string, std::map<std::string, const MasteryRow *>> by_student;
    for (const auto &[k, r] : v.mastery.rows)
      if (k.a == tenant) by_student[k.b][k.c] = &r;
    for (const auto &[student, rows] : by_student) {
      w.begin_object().field("id", student).key("mastery").begin_array();
      for (const Concept &c : domain_->concepts) {
        auto it = rows.find(c.id);
        if (it == rows.end() || !it->second->has_level)
          w.null();
        else
          w.value(it->second->level);
      }
      w.end_array().end_object();
    }
    return 0;
  });
  w.end_array().end_object();
  return w.take();
}

std::string App::effectiveness_json(const std::string &tenant) {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("confidence", 0.95).key("rows").begin_array();
  ledger_->with_views([&](const ViewSet &v) {
    for (const auto &[k, r] : v.effectiveness.sorted()) {
      if (k->a != tenant) continue;
      Interval ci = wilson_interval(r->resolutions, r->attempts);
      const Misconception *m = domain_->find_misconception(k->b);
      w.begin_object().field("misconception_id", k->b).field("label", m ? m->label : k->b);
      w.field("modality", k->c).field("attempts", r->attempts);
      w.field("resolutions", r->resolutions).field("rate", r->rate());
      w.field("ci_low", ci.low).field("ci_high", ci.high).end_object();
    }
    return 0;
  });
  w.end_array().end_object();
  return w.take();
}

std::string App::teacher_action(const std::string &tenant, TeacherActionKind kind,
                                const httplib::Request &req) {
  simdjson::dom::parser p;
  simdjson::dom::object o =
      body(p, req,
           {"student", "misconception_id", "teacher_id", "modality", "outcome", "idempotency_key"});
  TeacherAction a;
  a.kind = kind;
  a.tenant = tenant;
  read_string(o, "student", true, "request body", &a.student);
  read_string(o, "misconception_id", true, "request body", &a.misconception_id);
  read_string(o, "teacher_id", true, "request body", &a.teacher_id);
  std::string modality, outcome;
  if (read_string(o, "modality", false, "request body", &modality)) {
    Modality m;
    if (!parse_modality(modality, &m))
      throw Error(Errc::invalid, fmt::format("request body.modality: '{}' is not one of visual, "
                                             "concrete, pattern, verbal, peer",
                                             modality));
    a.modality = m;
  }
  if (kind == TeacherActionKind::record_outcome) {
    if (!read_string(o, "outcome", false, "request body", &outcome) ||
        (outcome != "resolved" && outcome != "persisted"))
      throw Error(Errc::invalid, "request body.outcome: must be \"resolved\" or \"persisted\"");
    a.resolved = outcome == "resolved";
  }
  read_string(o, "idempotency_key", false, "request body", &a.idempotency_key);
  return tutor_->act(a);
}

void App::routes(httplib::Server &svr) {
  const char *json = "application/json";
  svr.Get("/health", [this, json](const httplib::Request &, httplib::Response &res) {
    JsonWriter w;
    w.begin_object().field("status", "ok").field("version", tc_version());
    w.field("domain", domain_->id).field("events", ledger_->last_id());
    w.field("alerts_published", hub_.published()).end_object();
    res.set_content(w.take(), json);
  });
  for (size_t i = 0; i < kAssetCount; ++i) {
    const Asset a = kAssets[i];
    svr.Get(a.path, [a](const httplib::Request &, httplib::Response &res) {
      res.set_content(a.body, a.type);
    });
  }
  svr.Get("/api", [json](const httplib::Request &, httplib::Response &res) {
    res.set_content(R"({"routes":["GET /health","POST /api/responses",
"GET /api/students","GET /api/students/{id}/snapshot","POST /api/students/{id}/profile",
"GET /api/students/{id}/interventions","GET /api/interventions/pending",
"POST /api/interventions/approve","POST /api/interventions/outcome",
"POST /api/escalations/acknowledge","POST /api/escalations/resolve",
"POST /api/escalations/conference_failed","GET /api/mastery/heatmap",
"GET /api/effectiveness","GET /api/policy/evaluate?target=","GET /api/views/{view}",
"GET /api/events?after_id=&type=&limit=","GET /api/alerts/stream"]})",
                    json);
  });
  svr.Post("/api/responses", api([this, json](const std::string &tenant,
                                              const httplib::Request &req, httplib::Response &res) {
             simdjson::dom::parser p;
             simdjson::dom::object o = body(
                 p, req,
                 {"student", "problem_id", "answer", "idempotency_key", "latency_ms", "time_us"});
             SubmitRequest r;
             r.tenant = tenant;
             read_string(o, "student", true, "request body", &r.student);
             read_string(o, "problem_id", true, "request body", &r.problem_id);
             read_string(o, "answer", true, "request body", &r.answer);
             read_string(o, "idempotency_key", true, "request body", &r.idempotency_key);
             read_number(o, "latency_ms", 0, 1e9, "request body", &r.latency_ms);
             read_int(o, "time_us", 0, INT64_MAX, "request body", &r.time_us);
             SubmitResult out = tutor_->submit(r);
             res.status = out.replayed ? 200 : 201;
             res.set_content(out.json, json);
           }));
  svr.Get("/api/students", api([this, json](const std::string &tenant, const httplib::Request &,
                                            httplib::Response &res) {
            JsonWriter w;
            w.begin_object().key("students").begin_array();
            ledger_->with_views([&](const ViewSet &v) {
              std::string last;
              for (const auto &[k, r] : v.mastery.sorted()) {
                if (k->a != tenant || k->b == last) continue;
                last = k->b;
                w.value(k->b);
              }
              return 0;
            });
            w.end_array().end_object();
            res.set_content(w.take(), json);
          }));
  svr.Get(R"(/api/students/([^/]+)/snapshot)",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            res.set_content(tutor_->snapshot(tenant, req.matches[1]), json);
          }));
  svr.Post(R"(/api/students/([^/]+)/profile)",
           api([this, json](const std::string &tenant, const httplib::Request &req,
                            httplib::Response &res) {
             res.set_content(tutor_->profile(tenant, req.matches[1]), json);
           }));
  svr.Get(R"(/api/students/([^/]+)/interventions)",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            std::string student = req.matches[1];
            res.set_content(ledger_->with_views([&](const ViewSet &v) {
              return view_rows_json(v, "escalation", tenant, student);
            }),
                            json);
          }));
  svr.Get(
      "/api/interventions/pending",
      api([this, json](const std::string &tenant, const httplib::Request &,
                       httplib::Response &res) { res.set_content(pending_json(tenant), json); }));
  auto action = [this, json](TeacherActionKind kind) {
    return api([this, json, kind](const std::string &tenant, const httplib::Request &req,
                                  httplib::Response &res) {
      res.set_content(teacher_action(tenant, kind, req), json);
    });
  };
  svr.Post("/api/interventions/approve", action(TeacherActionKind::approve));
  svr.Post("/api/interventions/outcome", action(TeacherActionKind::record_outcome));
  svr.Post("/api/escalations/acknowledge", action(TeacherActionKind::acknowledge));
  svr.Post("/api/escalations/resolve", action(TeacherActionKind::resolve));
  svr.Post("/api/escalations/conference_failed", action(TeacherActionKind::conference_failed));
  svr.Get(
      "/api/mastery/heatmap",
      api([this, json](const std::string &tenant, const httplib::Request &,
                       httplib::Response &res) { res.set_content(heatmap_json(tenant), json); }));
  svr.Get("/api/effectiveness", api([this, json](const std::string &tenant,
                                                 const httplib::Request &, httplib::Response &res) {
            res.set_content(effectiveness_json(tenant), json);
          }));
  svr.Get("/api/policy/evaluate",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            std::string t = req.has_param("target") ? req.get_param_value("target") : "greedy";
            PolicyKind k = parse_policy_kind(t, "target");
            res.set_content(tutor_->evaluate_policy(tenant, k), json);
          }));
  svr.Get(R"(/api/views/([a-z_]+))",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            std::string view = req.matches[1];
            std::string student = req.has_param("student") ? req.get_param_value("student") : "";
            res.set_content(ledger_->with_views([&](const ViewSet &v) {
              return view_rows_json(v, view, tenant, student);
            }),
                            json);
          }));
  svr.Get("/api/events", api([this, json](const std::string &tenant, const httplib::Request &req,
                                          httplib::Response &res) {
            EventQuery q;
            q.tenant = tenant;
            auto num = [&](const char *k, int64_t lo, int64_t hi, int64_t dflt) {
              if (!req.has_param(k)) return dflt;
              std::string v = req.get_param_value(k);
              try {
                size_t used = 0;
                int64_t n = std::stoll(v, &used);
                if (used == v.size() && n >= lo && n <= hi) return n;
              } catch (...) {
              }
              throw Error(Errc::invalid,
                          fmt::format("query parameter {}: '{}' is not an integer in {}..{}", k, v,
                                      lo, hi));
            };
            q.after_id = num("after_id", 0, INT64_MAX, 0);
            q.limit = num("limit", 1, 10000, 1000);
            if (req.has_param("type")) q.type = req.get_param_value("type");
            if (req.has_param("student")) {
              q.entity_type = "student";
              q.entity_id = req.get_param_value("student");
            }
            JsonWriter w;
            w.begin_object().key("events").begin_array();
            ledger_->read(q, [&](const Event &e) {
              w.raw(event_to_json(e));
              return true;
            });
            w.end_array().end_object();
            res.set_content(w.take(), json);
          }));
  svr.Get("/api/alerts/stream",
          api([this](const std::string &tenant, const httplib::Request &, httplib::Response &res) {
            auto q = hub_.open(tenant);
            res.set_header("Cache-Control", "no-cache");
            res.set_chunked_content_provider(
                "text/event-stream",
                [this, q](size_t, httplib::DataSink &sink) {
                  if (g_stop || q->closed()) return false;
                  std::string out;
                  for (const std::string &a : q->wait(1000))
                    out += "event: alert\ndata: " + a + "\n\n";
                  if (out.empty()) out = ": keep-alive\n\n";  // notices closed connections
                  return sink.write(out.data(), out.size());
                },
                [this, q](bool) { hub_.close(q); });
          }));
  svr.set_error_handler([](const httplib::Request &req, httplib::Response &res) {
    if (res.status == 404 && res.body.empty())
      send_error(res, 404, "not_found",
                 fmt::format("no route {} {}; GET /api lists the routes", req.method, req.path));
  });
}

int run(int argc, char **argv) {
  Options o;
  auto need = [&](int &i, const char *name) -> std::string {
    if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", name));
    return argv[++i];
  };
  auto number = [](const std::string &v, const char *name, double lo, double hi) {
    size_t used = 0;
    double d = 0;
    try {
      d = std::stod(v, &used);
    } catch (...) {
      used = 0;
    }
    if (used != v.size() || !(d >= lo && d <= hi))
      throw std::invalid_argument(
          fmt::format("{} {}: expected a number in {}..{}", name, v, lo, hi));
    return d;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--domain") {
      o.domain_dir = need(i, "--domain");
    } else if (a == "--data") {
      o.data_dir = need(i, "--data");
    } else if (a == "--host") {
      o.host = need(i, "--host");
    } else if (a == "--port") {
      o.port = static_cast<int>(number(need(i, "--port"), "--port", 0, 65535));
    } else if (a == "--students") {
      o.students = static_cast<int>(number(need(i, "--students"), "--students", 0, 100000));
    } else if (a == "--live-rate") {
      o.live_rate = number(need(i, "--live-rate"), "--live-rate", 0, 1000);
    } else if (a == "--api-key") {
      o.api_key = need(i, "--api-key");
    } else if (a == "--tenant") {
      o.tenant = need(i, "--tenant");
    } else if (a == "--help" || a == "-h") {
      fmt::print(
          "usage: tutorcore-server --domain DIR [--data DIR] [--port 8080] [--host 127.0.0.1]\n"
          "       [--students 30] [--live-rate 1] [--api-key KEY] [--tenant NAME]\n");
      return 0;
    } else {
      throw std::invalid_argument(fmt::format("unknown option {}; see --help", a));
    }
  }
  if (o.domain_dir.empty())
    throw std::invalid_argument("--domain DIR is required (e.g. examples/domains/<name>)");
  auto domain = std::make_shared<Domain>();
  DomainReport rep = load_domain(o.domain_dir, domain.get());
  if (!rep.ok()) {
    for (const auto &i : rep.issues)
      fmt::print(stderr, "{}\n", DomainReport::format(i));
    return 1;
  }
  App app(o, domain);

  // The simulated class: most recommendations approved by a simulated
  // teacher, some left for the dashboard.
  if (o.students > 0) {
    ClassroomOptions co;
    co.tenant = o.tenant;
    co.students = o.students;
    co.teacher_approves = 0.8;
    ClassroomStats st = run_classroom(app.tutor(), co);
    fmt::print(
        "simulated class: {} students, {} answers stored ({} already in {}), {} approvals "
        "pending for the teacher\n",
        o.students, st.answers, st.replayed, app.db_path(), st.pending);
  }

  httplib::Server svr;
  svr.set_tcp_nodelay(true);  // small JSON answers: no Nagle delay on keep-alive connections
  app.routes(svr);
  int port = o.port;
  if (port == 0) {
    port = svr.bind_to_any_port(o.host);
  } else if (!svr.bind_to_port(o.host, port)) {
    port = -1;
  }
  if (port < 0) {
    fmt::print(stderr, "tutorcore-server: cannot listen on {}:{}\n", o.host, o.port);
    return 1;
  }
  g_server = &svr;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  // Live: new simulated students keep answering, paced, so alerts arrive.
  std::thread live;
  if (o.live_rate > 0 && o.students > 0) {
    live = std::thread([&app, &o] {
      ClassroomOptions co;
      co.tenant = o.tenant;
      co.students = 100000;
      co.student_prefix = "live-";
      co.key_prefix =
          fmt::format("live-{}", std::chrono::system_clock::now().time_since_epoch().count());
      co.seed = 7;
      co.teacher_approves = 0.5;
      co.wall_clock = true;
      const auto pause = std::chrono::microseconds(static_cast<int64_t>(1e6 / o.live_rate));
      co.before_answer = [pause] {
        for (auto t = std::chrono::microseconds(0); t < pause && !g_stop;
             t += std::chrono::milliseconds(20))
          std::this_thread::sleep_for(
              std::min<std::chrono::microseconds>(pause, std::chrono::milliseconds(20)));
        return !g_stop.load();
      };
      try {
        run_classroom(app.tutor(), co);
      } catch (const std::exception &e) {
        fmt::print(stderr, "live class stopped: {}\n", e.what());
      }
    });
  }
  fmt::print(
      "tutorcore-server {} listening: http://{}:{}/?key={}  (API key {} for tenant '{}'; "
      "Ctrl-C stops)\n",
      tc_version(), o.host, port, o.api_key, o.api_key, o.tenant);
  std::fflush(stdout);
  svr.listen_after_bind();
  g_stop = true;
  app.hub().close_all();
  if (live.joinable()) live.join();
  g_server = nullptr;
  return 0;
}

}  // namespace
}  // namespace tutorcore::server

int main(int argc, char **argv) {
  try {
    return tutorcore::server::run(argc, argv);
  } catch (const std::exception &e) {
    fmt::print(stderr, "tutorcore-server: {}\n", e.what());
    return 2;
  }
}
