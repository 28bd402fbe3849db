// tutorcore-server: the example server. A REST API over the one-call
// pipeline and the teacher's actions (tenant from an API key), the live
// tutor-alert stream as Server-Sent Events, and the teacher dashboard, on
// the embedded SQLite store with a domain and a simulated class.
//
//   tutorcore-server --domain DIR [--data DIR] [--port 8080] [--host 127.0.0.1]
//                    [--students 30] [--live-rate 1] [--api-key KEY] [--tenant T]
//
// Routes are listed by GET /api (and in docs/getting-started-server.md).
// Eigen (through the analytics) before httplib: httplib pulls in
// <resolv.h>, whose _res macro breaks Eigen's templates.
#include "tutorcore/irt/calibrate.hpp"
#include "tutorcore/pipeline/analytics.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
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

// "TC_EINVAL" of tc_status_str's "TC_EINVAL: invalid argument or input".
std::string status_name(Errc c) {
  std::string s = tc_status_str(static_cast<tc_status>(c));
  return s.substr(0, s.find(':'));
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

  // Names for the simulated class, so plans read like a teacher's.
  void demo_roster(const std::string &tenant, const std::string &prefix, int students) {
    static const char *const kNames[] = {
        "Ava",  "Ben",    "Chloe", "Diego", "Emma", "Farah", "Gabe",  "Hana", "Ivan", "Jade",
        "Kofi", "Lena",   "Mateo", "Nia",   "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tess",
        "Uma",  "Victor", "Wren",  "Xavi",  "Yara", "Zane",  "Aiden", "Bea",  "Cruz", "Dana"};
    std::lock_guard<std::mutex> lock(roster_mu_);
    Roster &r = rosters_[tenant];
    for (int i = 0; i < students; ++i) {
      std::string name = kNames[i % 30];
      if (i >= 30) name += fmt::format(" {}", static_cast<char>('A' + (i / 30 - 1) % 26));
      r[fmt::format("{}{:04d}", prefix, i + 1)] = name;
    }
  }

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
  // Display names per tenant, in memory only: names never enter the log.
  std::mutex roster_mu_;
  std::map<std::string, Roster> rosters_;
  Roster roster(const std::string &tenant) {
    std::lock_guard<std::mutex> lock(roster_mu_);
    return rosters_[tenant];
  }
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
    w.field("personal_data_allowed", ledger_->allows_personal_data());
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
"GET /api/events?after_id=&type=&limit=","GET /api/alerts/stream",
"PUT /api/roster","GET /api/coaching/pre-class","GET /api/analytics/{cooccurrence|effectiveness|cohorts|prerequisites|drift|all}",
"GET /api/research/export?min_group_size=10",
"POST /api/students/{id}/assignments","GET /api/students/{id}/diagnostic","GET /api/irt/items?concept=",
"POST /api/irt/estimate?model=rasch|2pl","GET /api/coaching/debrief?since_us=",
"GET /api/students/{id}/parent-summary","POST /api/coaching/plans/{id}/acknowledge"]})",
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
  svr.Get(R"(/api/analytics/([a-z_]+))",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            JsonWriter w;
            w.begin_object().field("analysis", req.matches[1].str()).field("tenant", tenant);
            if (req.has_param("classroom")) w.field("classroom", req.get_param_value("classroom"));
            if (req.has_param("misconception_id"))
              w.field("misconception_id", req.get_param_value("misconception_id"));
            w.end_object();
            AnalyticsRequest r = analytics_request_from_json(w.take());
            res.set_content(run_analytics(*ledger_, *domain_, r), json);
          }));
  // The de-identified research export (docs/privacy.md): an integer
  // min_group_size goes as a number, anything else as text (refused naming it).
  svr.Get("/api/research/export",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            JsonWriter w;
            w.begin_object().field("tenant", tenant);
            if (req.has_param("min_group_size")) {
              const std::string v = req.get_param_value("min_group_size");
              w.key("min_group_size");
              size_t used = 0;
              int64_t n = 0;
              try {
                n = std::stoll(v, &used);
              } catch (const std::exception &) {
                used = 0;
              }
              if (used > 0 && used == v.size()) {
                w.value(n);
              } else {
                w.value(v);
              }
            }
            w.end_object();
            ResearchExportRequest r = research_export_request_from_json(w.take());
            res.set_content(run_research_export(*ledger_, *domain_, r), json);
          }));
  svr.Post(R"(/api/students/([^/]+)/assignments)",
           api([this, json](const std::string &tenant, const httplib::Request &req,
                            httplib::Response &res) {
             // The body's fields, with the tenant and student of the route.
             simdjson::dom::parser p;
             simdjson::dom::object o =
                 body(p, req, {"concepts", "idempotency_key", "time_us", "config"});
             JsonWriter w;
             w.begin_object().field("tenant", tenant).field("student", req.matches[1].str());
             for (auto [k, v] : o)
               w.key(k).raw(simdjson::minify(v));
             w.end_object();
             AssignRequest r = assign_request_from_json(w.take(), tutor_->config().sequencing);
             res.status = 201;
             res.set_content(tutor_->assign(r), json);
           }));
  svr.Get(R"(/api/students/([^/]+)/diagnostic)",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            res.set_content(tutor_->diagnostic(tenant, req.matches[1]), json);
          }));
  svr.Get("/api/irt/items", api([this, json](const std::string &, const httplib::Request &req,
                                             httplib::Response &res) {
            std::string concept = req.has_param("concept") ? req.get_param_value("concept") : "";
            JsonWriter w;
            w.begin_object().key("items").begin_array();
            for (const Problem &pr : domain_->problems) {
              if (!concept.empty() && pr.concept_id != concept) continue;
              w.begin_object().field("problem_id", pr.id).field("concept_id", pr.concept_id);
              w.field("a", pr.irt_a).field("b", pr.irt_b).end_object();
            }
            w.end_array().end_object();
            res.set_content(w.take(), json);
          }));
  svr.Post(
      "/api/irt/estimate", api([this, json](const std::string &tenant, const httplib::Request &req,
                                            httplib::Response &res) {
        // Re-estimates the bank's difficulties from the tenant's answers:
        // each student's first answer to each problem, Rasch by marginal ML.
        std::string model = req.has_param("model") ? req.get_param_value("model") : "rasch";
        MmlOptions mo;
        if (model == "rasch") {
          mo.model = IrtModel::rasch;
        } else if (model == "2pl") {
          mo.model = IrtModel::two_pl;
        } else {
          throw Error(Errc::invalid,
                      fmt::format("query parameter model: '{}' is not rasch or 2pl", model));
        }
        mo.ridge = 0.1;  // problems everyone got right (or wrong) need a finite difficulty
        mo.tolerance = 1e-4;
        std::vector<ItemResponse> rows;
        std::set<std::pair<std::string, std::string>> seen;
        EventQuery q;
        q.tenant = tenant;
        q.type = "response.submitted";
        simdjson::dom::parser p;
        ledger_->read(q, [&](const Event &e) {
          simdjson::dom::object o;
          std::string_view pid;
          bool correct = false;
          if (p.parse(e.payload).get_object().get(o) || o["problem_id"].get_string().get(pid) ||
              o["correct"].get_bool().get(correct))
            return true;
          if (seen.insert({e.entity_id, std::string(pid)}).second)
            rows.push_back({e.entity_id, std::string(pid), correct});
          return true;
        });
        if (rows.empty()) throw Error(Errc::not_found, "no answers to calibrate from yet");
        ResponseMatrix m = response_matrix_from_rows(rows);
        MmlResult r = calibrate_mml(m, mo);
        JsonWriter w;
        w.begin_object().field("model", model).field("students", static_cast<int64_t>(m.persons()));
        w.field("answers", static_cast<int64_t>(m.entries.size()));
        w.field("iterations", r.iterations).field("converged", r.converged);
        w.field("log_likelihood", r.log_likelihood).field("seconds", r.seconds);
        w.key("items").begin_array();
        for (size_t i = 0; i < m.items(); ++i) {
          const Problem *pr = domain_->find_problem(m.item_ids[i]);
          w.begin_object().field("problem_id", m.item_ids[i]);
          w.field("a", r.items[i].a).field("b", r.items[i].b);
          if (pr) w.field("bank_a", pr->irt_a).field("bank_b", pr->irt_b);
          w.end_object();
        }
        w.end_array().end_object();
        res.set_content(w.take(), json);
      }));
  svr.Put("/api/roster", api([this, json](const std::string &tenant, const httplib::Request &req,
                                          httplib::Response &res) {
            simdjson::dom::parser p;
            simdjson::dom::object o;
            if (parse_json_or_throw(p, req.body, "request body").get_object().get(o))
              throw Error(Errc::invalid, "request body: must be an object {student id: name}");
            Roster r;
            for (auto [id, name] : o) {
              std::string_view n;
              if (name.get_string().get(n))
                throw Error(Errc::invalid, fmt::format("request body.{}: must be a string", id));
              r.emplace(std::string(id), std::string(n));
            }
            std::lock_guard<std::mutex> lock(roster_mu_);
            rosters_[tenant] = std::move(r);
            res.set_content(fmt::format(R"({{"names":{}}})", rosters_[tenant].size()), json);
          }));
  svr.Get("/api/coaching/pre-class",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            CoachingRequest r;
            r.tenant = tenant;
            if (req.has_param("classroom")) r.classroom = req.get_param_value("classroom");
            r.roster = roster(tenant);
            res.set_content(tutor_->preclass_plan(r), json);
          }));
  svr.Get("/api/coaching/debrief",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            CoachingRequest r;
            r.tenant = tenant;
            r.roster = roster(tenant);
            std::string since = req.has_param("since_us") ? req.get_param_value("since_us") : "";
            try {
              r.since_us = std::stoll(since);
            } catch (...) {
              throw Error(Errc::invalid,
                          "query parameter since_us: required, microseconds since "
                          "the epoch (the assignment's start)");
            }
            if (req.has_param("title")) r.title = req.get_param_value("title");
            res.set_content(tutor_->debrief(r), json);
          }));
  svr.Get(R"(/api/students/([^/]+)/parent-summary)",
          api([this, json](const std::string &tenant, const httplib::Request &req,
                           httplib::Response &res) {
            CoachingRequest r;
            r.tenant = tenant;
            r.student = req.matches[1];
            r.roster = roster(tenant);
            res.set_content(tutor_->parent_summary(r), json);
          }));
  svr.Post(R"(/api/coaching/plans/([0-9]+)/acknowledge)",
           api([this, json](const std::string &tenant, const httplib::Request &req,
                            httplib::Response &res) {
             simdjson::dom::parser p;
             simdjson::dom::object o = body(p, req, {"teacher_id", "modifications"});
             std::string teacher;
             read_string(o, "teacher_id", true, "request body", &teacher);
             std::string mods;
             simdjson::dom::element m;
             if (!o.at_key("modifications").get(m)) mods = simdjson::minify(m);
             res.set_content(
                 tutor_->acknowledge_plan(tenant, std::stoll(req.matches[1].str()), teacher, mods),
                 json);
           }));
  svr.set_error_handler([](const httplib::Request &req, httplib::Response &res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      send_error(res, 404, "not_found",
                 fmt::format("no route {} {}; GET /api lists the routes", req.method, req.path));
    } else if (res.status == 400) {
      send_error(res, 400, "bad_request",
                 "the HTTP request is malformed (a POST needs a Content-Length and a body)");
    }
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
  app.demo_roster(o.tenant, "s-", o.students);

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
