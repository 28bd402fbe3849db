// The PostgreSQL adapter (libpq). Built only when libpq was found; without
// it open_postgres_store fails with Error(unavailable).
#include "tutorcore/storage/postgres_store.hpp"

#include <fmt/format.h>

#include "tutorcore/common/error.hpp"

#if TUTORCORE_HAVE_POSTGRES

#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

constexpr int64_t kSchemaVersion = 1;      // store_meta 'schema'
constexpr int64_t kViewSchemaVersion = 2;  // store_meta 'view_schema', as the SQLite adapter's
constexpr int64_t kReadPage = 2000;        // rows per page of a read
constexpr size_t kSaveChunk = 5000;        // view rows per upsert statement

// %S% stands for the quoted schema. Created once, when the store is new, under
// the setup lock (CREATE ... IF NOT EXISTS races between processes).
const char *const kSchema = R"sql(
CREATE SCHEMA IF NOT EXISTS %S%;
CREATE TABLE %S%.events(
  id bigint PRIMARY KEY,
  tenant text NOT NULL,
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  type text NOT NULL,
  payload text NOT NULL,
  time_us bigint NOT NULL,
  author text NOT NULL,
  idem_key text COLLATE "C");
-- NULL keys are distinct in a unique index, so unkeyed events never conflict.
-- "C" collation: read_keyed scans the byte range [key, key + '0').
CREATE UNIQUE INDEX events_by_key ON %S%.events(tenant, idem_key);
CREATE INDEX events_by_entity ON %S%.events(tenant, entity_id, id);
CREATE INDEX events_by_type ON %S%.events(tenant, type, id);
CREATE INDEX events_by_time ON %S%.events(tenant, time_us);
CREATE FUNCTION %S%.refuse_change() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN RAISE EXCEPTION 'tutorcore: the event log is append-only'; END$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %S%.events
  FOR EACH STATEMENT EXECUTE FUNCTION %S%.refuse_change();
CREATE TABLE %S%.store_meta(name text PRIMARY KEY, value bigint NOT NULL);
CREATE TABLE %S%.view_meta(name text PRIMARY KEY, through_id bigint NOT NULL);
INSERT INTO %S%.store_meta(name, value) VALUES('schema', 1);
)sql";

// The view checkpoint tables mirror the SQLite adapter's (same names,
// columns and layout version). They are a cache of the log.
const char *const kViewSchema = R"sql(
CREATE TABLE IF NOT EXISTS %S%.view_mastery(
  tenant text, student text, concept_id text, level double precision, has_level integer,
  attempts integer, correct integer, streak integer, last_event_id bigint, updated_us bigint,
  PRIMARY KEY(tenant, student, concept_id));
CREATE TABLE IF NOT EXISTS %S%.view_practice(
  tenant text, student text, problem_id text, attempts integer, correct integer,
  last_event_id bigint, updated_us bigint,
  PRIMARY KEY(tenant, student, problem_id));
CREATE TABLE IF NOT EXISTS %S%.view_escalation(
  tenant text, student text, misconception_id text, state text, modalities_tried integer,
  attempts integer, persists integer, conferences_failed integer, detections integer,
  recurrences integer, intervention_active integer, current_modality text,
  recommended_modality text, concept_id text, window_counted integer, window_present integer,
  refused integer, last_event_id bigint, updated_us bigint,
  PRIMARY KEY(tenant, student, misconception_id));
CREATE TABLE IF NOT EXISTS %S%.view_effectiveness(
  tenant text, misconception_id text, modality text, attempts integer, resolutions integer,
  resolution_rate double precision, last_event_id bigint, updated_us bigint,
  PRIMARY KEY(tenant, misconception_id, modality));
CREATE TABLE IF NOT EXISTS %S%.view_modality(
  tenant text, student text, modality text, attempts integer, resolutions integer,
  resolution_rate double precision, last_event_id bigint, updated_us bigint,
  PRIMARY KEY(tenant, student, modality));
)sql";

const char *const kDropViews =
    "DROP TABLE IF EXISTS %S%.view_mastery, %S%.view_practice, %S%.view_escalation, "
    "%S%.view_effectiveness, %S%.view_modality; DELETE FROM %S%.view_meta";

const char *const kColumns =
    "id, tenant, entity_type, entity_id, type, payload, time_us, author, idem_key";

bool valid_schema(const std::string &s) {
  if (s.empty() || s.size() > 63) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string replace_all(std::string text, std::string_view from, const std::string &to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// FNV-1a 64 of a text: the advisory lock keys (one per store and purpose).
int64_t lock_key(std::string_view text) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h);
}

// libpq's messages end in a newline and continue lines with a tab: one line.
std::string trimmed(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

int64_t to_i64(const char *s) {
  return std::strtoll(s, nullptr, 10);
}

// A PostgreSQL array literal ("{...}") built element by element.
class ArrayLit {
 public:
  void text(std::string_view s) {
    sep();
    out_ += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') out_ += '\\';
      out_ += c;
    }
    out_ += '"';
  }
  void null() {
    sep();
    out_ += "NULL";
  }
  void i64(int64_t v) {
    sep();
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }
  void f64(double v) {
    if (std::isnan(v)) return text("NaN");
    if (std::isinf(v)) return text(v > 0 ? "Infinity" : "-Infinity");
    sep();
    fmt::format_to(std::back_inserter(out_), "{}", v);  // shortest round-trip form
  }
  std::string str() const { return "{" + out_ + "}"; }
  void clear() { out_.clear(); }

 private:
  void sep() {
    if (!out_.empty()) out_ += ',';
  }
  std::string out_;
};

class Result {
 public:
  explicit Result(PGresult *r = nullptr) : r_(r) {}
  Result(Result &&o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result &operator=(Result &&o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  Result(const Result &) = delete;
  Result &operator=(const Result &) = delete;
  ~Result() { PQclear(r_); }
  PGresult *get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  const char *value(int row, int col) const { return PQgetvalue(r_, row, col); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  void text_into(int row, int col, std::string *out) const {
    out->assign(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  int64_t i64(int row, int col) const { return to_i64(PQgetvalue(r_, row, col)); }
  int32_t i32(int row, int col) const { return static_cast<int32_t>(i64(row, col)); }
  double f64(int row, int col) const { return std::strtod(PQgetvalue(r_, row, col), nullptr); }

 private:
  PGresult *r_;
};

void ignore_notice(void *, const char *) {}

// One column of a view table: name and SQL type (for the array casts).
struct Col {
  const char *name;
  const char *type;
};

class PostgresStore final : public EventStore {
 public:
  explicit PostgresStore(const PostgresOptions &o) : opts_(o) {
    s_ = "\"" + o.schema + "\"";
    name_ = fmt::format("postgres store '{}'", o.schema);
    append_key_ = lock_key("tutorcore.append:" + o.schema);
    views_key_ = lock_key("tutorcore.views:" + o.schema);
    setup_key_ = lock_key("tutorcore.setup:" + o.schema);
    connect();
    try {
      setup();
      external_change();  // records the starting log position
    } catch (...) {
      PQfinish(conn_);
      conn_ = nullptr;
      throw;
    }
  }

  ~PostgresStore() override { PQfinish(conn_); }

  void append(const Event *events, size_t n, AppendOutcome *out) override {
    if (n == 0) return;
    for (size_t i = 0; i < n; ++i)
      check_no_nul(events[i], i);
    try {
      begin("BEGIN");
      // Serialises batches of all processes, so ids follow commit order. The
      // lock must be taken before the statement that reads max(id): in READ
      // COMMITTED each statement sees what committed before it started.
      std::string key = std::to_string(append_key_);
      query("taking the append lock", "SELECT pg_advisory_xact_lock($1::bigint)", {key.c_str()});
      ArrayLit tenants, keys;
      for (size_t i = 0; i < n; ++i) {
        tenants.text(events[i].tenant);
        if (events[i].idempotency_key.empty())
          keys.null();
        else
          keys.text(events[i].idempotency_key);
      }
      std::string t = tenants.str(), k = keys.str();
      Result found =
          query("looking up idempotency keys",
                sql("SELECT 0::bigint, coalesce(max(id), 0) FROM %S%.events UNION ALL "
                    "SELECT b.i, e.id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY "
                    "AS b(tenant, k, i) JOIN %S%.events e ON e.tenant = b.tenant "
                    "AND e.idem_key = b.k COLLATE \"C\""),
                {t.c_str(), k.c_str()});
      int64_t next = 1;
      std::vector<int64_t> stored(n, 0);
      for (int r = 0; r < found.rows(); ++r) {
        int64_t i = found.i64(r, 0);
        if (i == 0)
          next = found.i64(r, 1) + 1;
        else
          stored[static_cast<size_t>(i - 1)] = found.i64(r, 1);
      }
      // Ids are max + 1 under the lock: dense, in commit order.
      std::unordered_map<std::string, int64_t> batch_keys;  // tenant \x1f key -> id
      ArrayLit ids, tenant, etype, eid, type, payload, time, author, idem;
      size_t inserted = 0;
      for (size_t i = 0; i < n; ++i) {
        const Event &e = events[i];
        if (!e.idempotency_key.empty()) {
          if (stored[i] != 0) {
            out[i] = {stored[i], false};
            continue;
          }
          auto [it, fresh] = batch_keys.try_emplace(e.tenant + '\x1f' + e.idempotency_key, next);
          if (!fresh) {
            out[i] = {it->second, false};  // a duplicate inside the batch
            continue;
          }
        }
        out[i] = {next, true};
        ids.i64(next++);
        tenant.text(e.tenant);
        etype.text(e.entity_type);
        eid.text(e.entity_id);
        type.text(e.type);
        payload.text(e.payload);
        time.i64(e.time_us);
        author.text(e.author);
        if (e.idempotency_key.empty())
          idem.null();
        else
          idem.text(e.idempotency_key);
        ++inserted;
      }
      if (inserted > 0) {
        std::string a[] = {ids.str(),     tenant.str(), etype.str(),  eid.str(), type.str(),
                           payload.str(), time.str(),   author.str(), idem.str()};
        query("inserting events",
              sql("INSERT INTO %S%.events(id, tenant, entity_type, entity_id, type, payload, "
                  "time_us, author, idem_key) SELECT * FROM unnest($1::bigint[], $2::text[], "
                  "$3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], "
                  "$9::text[])"),
              {a[0].c_str(), a[1].c_str(), a[2].c_str(), a[3].c_str(), a[4].c_str(), a[5].c_str(),
               a[6].c_str(), a[7].c_str(), a[8].c_str()});
      }
      commit();
    } catch (const Error &err) {
      rollback_quietly();
      throw Error(err.code(),
                  fmt::format("{} (append of {} events failed; {})", err.what(), n,
                              commit_unknown_ ? "the batch may or may not be stored: replay it "
                                                "with the same idempotency keys"
                                              : "nothing was stored"));
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  void read(const EventQuery &q, const EventSink &sink) override {
    std::string where = "id > $1";
    std::vector<std::string> params = {""};
    auto add = [&](const char *cond, std::string value) {
      params.push_back(std::move(value));
      where += fmt::format(" AND {} ${}", cond, params.size());
    };
    if (!q.tenant.empty()) add("tenant =", q.tenant);
    if (!q.entity_type.empty()) add("entity_type =", q.entity_type);
    if (!q.entity_id.empty()) add("entity_id =", q.entity_id);
    if (!q.type.empty()) add("type =", q.type);
    if (q.since_us != std::numeric_limits<int64_t>::min())
      add("time_us >=", std::to_string(q.since_us));
    if (q.until_us != std::numeric_limits<int64_t>::max())
      add("time_us <", std::to_string(q.until_us));
    params.emplace_back();
    std::string text = sql(fmt::format("SELECT {} FROM %S%.events WHERE {} ORDER BY id LIMIT ${}",
                                       kColumns, where, params.size()));
    // Pages by id: bounded memory for whole-log reads, and an early stop
    // costs at most one page.
    int64_t after = q.after_id, left = q.limit;
    Event e;
    while (left > 0) {
      int64_t page = std::min(left, kReadPage);
      params.front() = std::to_string(after);
      params.back() = std::to_string(page);
      std::vector<const char *> p;
      for (const std::string &s : params)
        p.push_back(s.c_str());
      Result r = query("reading events", text, p, /*retry=*/true);
      for (int row = 0; row < r.rows(); ++row) {
        row_into(r, row, &e);
        after = e.id;
        --left;
        if (!sink(e)) return;
      }
      if (r.rows() < page) return;
    }
  }

  void read_keyed(const std::string &tenant, const std::string &key,
                  const EventSink &sink) override {
    // Keys key/... sort in [key, key + "0") bytewise ("C"): '/' is just below
    // '0'. The range may hold other keys (key-1, ...); is_keyed filters them.
    std::string end = key + "0";
    Result r = query("reading a request's events",
                     sql(fmt::format("SELECT {} FROM %S%.events WHERE tenant = $1 AND idem_key >= "
                                     "$2 COLLATE \"C\" AND idem_key < $3 COLLATE \"C\" ORDER BY id",
                                     kColumns)),
                     {tenant.c_str(), key.c_str(), end.c_str()}, /*retry=*/true);
    Event e;
    for (int row = 0; row < r.rows(); ++row) {
      row_into(r, row, &e);
      if (is_keyed(e.idempotency_key, key) && !sink(e)) break;
    }
  }

  int64_t last_id() override {
    Result r = query("reading the last id", sql("SELECT coalesce(max(id), 0) FROM %S%.events"), {},
                     /*retry=*/true);
    return r.i64(0, 0);
  }

  // The newest id moved since the last call: an append committed (ids are
  // dense and follow commit order). The ledger calls this after its own
  // appends, so a move it sees later is another process's.
  bool external_change() override {
    int64_t now = last_id();
    bool changed = now != seen_last_id_;
    seen_last_id_ = now;
    return changed;
  }

  int64_t load_views(ViewSet *v) override {
    v->clear();
    try {
      // One snapshot for the meta row and every table.
      begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      int64_t through = stored_through();
      if (through == 0) {
        commit();
        return 0;
      }
      {
        Result r = query("loading view_mastery",
                         sql("SELECT tenant, student, concept_id, level, has_level, attempts, "
                             "correct, streak, last_event_id, updated_us FROM %S%.view_mastery"),
                         {});
        for (int i = 0; i < r.rows(); ++i) {
          MasteryRow &m = v->mastery.rows[{r.text(i, 0), r.text(i, 1), r.text(i, 2)}];
          m.level = r.f64(i, 3);
          m.has_level = r.i64(i, 4) != 0;
          m.attempts = r.i32(i, 5);
          m.correct = r.i32(i, 6);
          m.streak = r.i32(i, 7);
          m.last_event_id = r.i64(i, 8);
          m.updated_us = r.i64(i, 9);
        }
      }
      {
        Result r = query("loading view_practice",
                         sql("SELECT tenant, student, problem_id, attempts, correct, "
                             "last_event_id, updated_us FROM %S%.view_practice"),
                         {});
        for (int i = 0; i < r.rows(); ++i) {
          PracticeRow &p = v->practice.rows[{r.text(i, 0), r.text(i, 1), r.text(i, 2)}];
          p.attempts = r.i32(i, 3);
          p.correct = r.i32(i, 4);
          p.last_event_id = r.i64(i, 5);
          p.updated_us = r.i64(i, 6);
        }
      }
      load_escalation(v);
      load_counts(&v->effectiveness, "view_effectiveness", "misconception_id");
      load_counts(&v->modality, "view_modality", "student");
      commit();
      v->set_through_id(through);
      v->reindex();
      v->clear_dirty();
      return through;
    } catch (const Error &err) {
      rollback_quietly();
      v->clear();
      throw Error(err.code(),
                  fmt::format("{} (loading the views failed; the log is intact)", err.what()));
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  void save_views(const ViewSet &v, bool full) override {
    try {
      begin("BEGIN");
      std::string key = std::to_string(views_key_);
      query("taking the view lock", "SELECT pg_advisory_xact_lock($1::bigint)", {key.c_str()});
      // Another process has checkpointed further; its rows must not be mixed
      // with older ones.
      if (stored_through() > v.through_id()) {
        commit();
        return;
      }
      if (full) {
        script("clearing the view tables",
               sql("DELETE FROM %S%.view_mastery; DELETE FROM %S%.view_practice; "
                   "DELETE FROM %S%.view_escalation; DELETE FROM %S%.view_effectiveness; "
                   "DELETE FROM %S%.view_modality"));
      }
      static const Col kMastery[] = {{"tenant", "text"},        {"student", "text"},
                                     {"concept_id", "text"},    {"level", "float8"},
                                     {"has_level", "int4"},     {"attempts", "int4"},
                                     {"correct", "int4"},       {"streak", "int4"},
                                     {"last_event_id", "int8"}, {"updated_us", "int8"}};
      save_rows(v.mastery, full, "view_mastery", kMastery, std::size(kMastery),
                [](const MasteryRow &r, ArrayLit *a) {
                  a[3].f64(r.level);
                  a[4].i64(r.has_level);
                  a[5].i64(r.attempts);
                  a[6].i64(r.correct);
                  a[7].i64(r.streak);
                  a[8].i64(r.last_event_id);
                  a[9].i64(r.updated_us);
                });
      static const Col kPractice[] = {{"tenant", "text"},     {"student", "text"},
                                      {"problem_id", "text"}, {"attempts", "int4"},
                                      {"correct", "int4"},    {"last_event_id", "int8"},
                                      {"updated_us", "int8"}};
      save_rows(v.practice, full, "view_practice", kPractice, std::size(kPractice),
                [](const PracticeRow &r, ArrayLit *a) {
                  a[3].i64(r.attempts);
                  a[4].i64(r.correct);
                  a[5].i64(r.last_event_id);
                  a[6].i64(r.updated_us);
                });
      static const Col kEscalation[] = {{"tenant", "text"},
                                        {"student", "text"},
                                        {"misconception_id", "text"},
                                        {"state", "text"},
                                        {"modalities_tried", "int4"},
                                        {"attempts", "int4"},
                                        {"persists", "int4"},
                                        {"conferences_failed", "int4"},
                                        {"detections", "int4"},
                                        {"recurrences", "int4"},
                                        {"intervention_active", "int4"},
                                        {"current_modality", "text"},
                                        {"recommended_modality", "text"},
                                        {"concept_id", "text"},
                                        {"window_counted", "int4"},
                                        {"window_present", "int4"},
                                        {"refused", "int4"},
                                        {"last_event_id", "int8"},
                                        {"updated_us", "int8"}};
      save_rows(v.escalation, full, "view_escalation", kEscalation, std::size(kEscalation),
                [](const EscalationRow &r, ArrayLit *a) {
                  const Escalation &m = r.machine;
                  auto modality = [](ArrayLit &col, const std::optional<Modality> &x) {
                    if (x)
                      col.text(modality_name(*x));
                    else
                      col.null();
                  };
                  a[3].text(escalation_state_name(m.state));
                  a[4].i64(m.modalities_tried);
                  a[5].i64(m.attempts);
                  a[6].i64(m.persists);
                  a[7].i64(m.conferences_failed);
                  a[8].i64(m.detections);
                  a[9].i64(m.recurrences);
                  a[10].i64(m.intervention_active);
                  modality(a[11], m.current);
                  modality(a[12], m.recommended);
                  a[13].text(r.concept_id);
                  a[14].i64(r.window_counted);
                  a[15].i64(r.window_present);
                  a[16].i64(r.refused);
                  a[17].i64(r.last_event_id);
                  a[18].i64(r.updated_us);
                });
      auto counts = [](const EffectivenessRow &r, ArrayLit *a) {
        a[3].i64(r.attempts);
        a[4].i64(r.resolutions);
        a[5].f64(r.rate());
        a[6].i64(r.last_event_id);
        a[7].i64(r.updated_us);
      };
      static const Col kEffectiveness[] = {{"tenant", "text"},        {"misconception_id", "text"},
                                           {"modality", "text"},      {"attempts", "int4"},
                                           {"resolutions", "int4"},   {"resolution_rate", "float8"},
                                           {"last_event_id", "int8"}, {"updated_us", "int8"}};
      save_rows(v.effectiveness, full, "view_effectiveness", kEffectiveness,
                std::size(kEffectiveness), counts);
      static const Col kModality[] = {{"tenant", "text"},        {"student", "text"},
                                      {"modality", "text"},      {"attempts", "int4"},
                                      {"resolutions", "int4"},   {"resolution_rate", "float8"},
                                      {"last_event_id", "int8"}, {"updated_us", "int8"}};
      save_rows(v.modality, full, "view_modality", kModality, std::size(kModality), counts);
      std::string through = std::to_string(v.through_id());
      query("saving view_meta",
            sql("INSERT INTO %S%.view_meta(name, through_id) VALUES('all', $1::bigint) "
                "ON CONFLICT (name) DO UPDATE SET through_id = excluded.through_id"),
            {through.c_str()});
      commit();
    } catch (const Error &err) {
      rollback_quietly();
      throw Error(Errc::storage,
                  fmt::format("{} (saving the views failed; the log is intact)", err.what()));
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

 private:
  std::string sql(std::string text) const { return replace_all(std::move(text), "%S%", s_); }

  void connect() {
    // Defaults first, then the caller's string (its parameters win), then the
    // encoding the adapter relies on.
    std::string timeout = std::to_string(opts_.connect_timeout_s);
    const char *keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding",
                          nullptr};
    const char *values[] = {timeout.c_str(), "tutorcore", opts_.conninfo.c_str(), "UTF8", nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (!conn_) throw Error(Errc::nomem, fmt::format("{}: libpq could not allocate", name_));
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = trimmed(PQerrorMessage(conn_));
      PQfinish(conn_);
      conn_ = nullptr;
      throw Error(Errc::storage, fmt::format("{}: cannot connect: {}", name_, msg));
    }
    name_ = fmt::format("postgres store '{}' (database '{}' on {}:{})", opts_.schema, PQdb(conn_),
                        PQhost(conn_), PQport(conn_));
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    configure();
  }

  // Session settings; again after every reconnect.
  void configure() {
    std::string set =
        fmt::format("SET lock_timeout = {}; SET statement_timeout = {}; SET extra_float_digits = 3",
                    opts_.lock_timeout_ms, opts_.statement_timeout_ms);
    Result r(PQexec(conn_, set.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("configuring the session", r.get());
  }

  // Re-establishes a lost connection (PQreset); throws when it cannot.
  void reconnect() {
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      throw Error(Errc::storage,
                  fmt::format("{}: the connection is lost and reconnecting failed: {}", name_,
                              trimmed(PQerrorMessage(conn_))));
    }
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    configure();
  }

  // Runs one statement. `retry`: when it fails because the connection was
  // lost outside a transaction (nothing was done), reconnect and run it once
  // more; only for statements that are safe to repeat.
  Result query(const char *what, const std::string &text, const std::vector<const char *> &params,
               bool retry = false) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      if (in_txn_) fail(what, nullptr);  // the transaction is gone with the connection
      reconnect();
    }
    bool idle = !in_txn_;
    for (int attempt = 0;; ++attempt) {
      Result r(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                            params.data(), nullptr, nullptr, 0));
      ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
      if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
      if (retry && idle && attempt == 0 && PQstatus(conn_) == CONNECTION_BAD) {
        reconnect();
        continue;
      }
      fail(what, r.get());
    }
  }

  // Runs several statements without parameters (DDL).
  void script(const char *what, const std::string &text) {
    if (PQstatus(conn_) != CONNECTION_OK) fail(what, nullptr);
    Result r(PQexec(conn_, text.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(what, r.get());
  }

  // Starts a transaction; BEGIN is safe to repeat after a lost connection.
  void begin(const char *text) {
    commit_unknown_ = false;
    query("starting a transaction", text, {}, /*retry=*/true);
    in_txn_ = true;
  }

  void commit() {
    if (PQstatus(conn_) != CONNECTION_OK) fail("committing", nullptr);
    in_txn_ = false;
    Result r(PQexec(conn_, "COMMIT"));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      // A connection lost during COMMIT leaves the outcome unknown.
      commit_unknown_ = PQstatus(conn_) == CONNECTION_BAD;
      fail("committing", r.get());
    }
  }

  void rollback_quietly() {
    in_txn_ = false;
    if (conn_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE)
      PQclear(PQexec(conn_, "ROLLBACK"));
  }

  [[noreturn]] void fail(const char *what, const PGresult *r) {
    std::string msg = r ? PQresultErrorMessage(r) : "";
    if (msg.empty()) msg = PQerrorMessage(conn_);
    msg = trimmed(msg);
    if (msg.empty()) msg = "unknown error";
    if (PQstatus(conn_) == CONNECTION_BAD) msg += " (connection lost; the next call reconnects)";
    throw Error(Errc::storage, fmt::format("{}: {}: {}", name_, what, msg));
  }

  void check_no_nul(const Event &e, size_t i) const {
    for (const std::string *s : {&e.tenant, &e.entity_type, &e.entity_id, &e.type, &e.payload,
                                 &e.author, &e.idempotency_key}) {
      if (s->find('\0') != std::string::npos) {
        throw Error(Errc::invalid,
                    fmt::format("event[{}] holds a NUL byte, which {} cannot store", i, name_));
      }
    }
  }

  // Creates a new store, or checks an existing one's versions and replaces
  // view tables of another layout. One transaction under the setup lock.
  void setup() {
    try {
      begin("BEGIN");
      std::string key = std::to_string(setup_key_);
      query("taking the setup lock", "SELECT pg_advisory_xact_lock($1::bigint)", {key.c_str()});
      std::string meta = s_ + ".store_meta", events = s_ + ".events";
      Result r = query("inspecting the schema",
                       "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL",
                       {meta.c_str(), events.c_str()});
      bool has_meta = r.value(0, 0)[0] == 't', has_events = r.value(0, 1)[0] == 't';
      int64_t view_version = 0;
      if (!has_meta) {
        if (has_events) {
          throw Error(Errc::storage,
                      fmt::format("schema '{}' holds an events table that tutorcore did not "
                                  "create; give another schema",
                                  opts_.schema));
        }
        script("creating the tables", sql(kSchema));
      } else {
        Result m = query("reading store_meta",
                         sql("SELECT name, value FROM %S%.store_meta WHERE name IN "
                             "('schema', 'view_schema')"),
                         {});
        int64_t version = 0;
        for (int i = 0; i < m.rows(); ++i) {
          if (m.text(i, 0) == "schema")
            version = m.i64(i, 1);
          else
            view_version = m.i64(i, 1);
        }
        if (version > kSchemaVersion) {
          throw Error(Errc::version,
                      fmt::format("{} was written by a newer tutorcore (schema {}, this library "
                                  "reads {}); upgrade tutorcore",
                                  name_, version, kSchemaVersion));
        }
        if (version == 0) {
          throw Error(Errc::storage,
                      fmt::format("schema '{}' has a store_meta table without a schema version; "
                                  "it is not a tutorcore store",
                                  opts_.schema));
        }
      }
      if (view_version != kViewSchemaVersion) {
        // View tables of another layout are a stale cache: drop and refold.
        script("replacing the view tables", sql(kDropViews));
        script("creating the view tables", sql(kViewSchema));
        std::string v = std::to_string(kViewSchemaVersion);
        query("recording the view layout",
              sql("INSERT INTO %S%.store_meta(name, value) VALUES('view_schema', $1::bigint) "
                  "ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
              {v.c_str()});
      }
      commit();
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  int64_t stored_through() {
    Result r = query("reading view_meta",
                     sql("SELECT through_id FROM %S%.view_meta WHERE name = 'all'"), {});
    return r.rows() ? r.i64(0, 0) : 0;
  }

  void load_escalation(ViewSet *v) {
    Result r = query(
        "loading view_escalation",
        sql("SELECT tenant, student, misconception_id, state, modalities_tried, attempts, "
            "persists, conferences_failed, detections, recurrences, intervention_active, "
            "current_modality, recommended_modality, concept_id, window_counted, window_present, "
            "refused, last_event_id, updated_us FROM %S%.view_escalation"),
        {});
    auto modality = [&](int i, int col, std::optional<Modality> *out) {
      if (r.null(i, col)) return;
      Modality m;
      if (!parse_modality(r.value(i, col), &m)) {
        throw Error(Errc::storage, fmt::format("{}: view_escalation holds unknown modality '{}'; "
                                               "rebuild the views",
                                               name_, r.value(i, col)));
      }
      *out = m;
    };
    for (int i = 0; i < r.rows(); ++i) {
      EscalationRow &row = v->escalation.rows[{r.text(i, 0), r.text(i, 1), r.text(i, 2)}];
      Escalation &m = row.machine;
      if (!parse_escalation_state(r.value(i, 3), &m.state)) {
        throw Error(Errc::storage,
                    fmt::format("{}: view_escalation holds unknown state '{}'; rebuild the views",
                                name_, r.value(i, 3)));
      }
      m.modalities_tried = static_cast<uint8_t>(r.i64(i, 4));
      m.attempts = r.i32(i, 5);
      m.persists = r.i32(i, 6);
      m.conferences_failed = r.i32(i, 7);
      m.detections = r.i32(i, 8);
      m.recurrences = r.i32(i, 9);
      m.intervention_active = r.i64(i, 10) != 0;
      modality(i, 11, &m.current);
      modality(i, 12, &m.recommended);
      row.concept_id = r.text(i, 13);
      row.window_counted = r.i32(i, 14);
      row.window_present = r.i32(i, 15);
      row.refused = r.i32(i, 16);
      row.last_event_id = r.i64(i, 17);
      row.updated_us = r.i64(i, 18);
    }
  }

  void load_counts(View<EffectivenessRow> *view, const char *table, const char *second) {
    Result r =
        query("loading view counts",
              sql(fmt::format("SELECT tenant, {}, modality, attempts, resolutions, last_event_id, "
                              "updated_us FROM %S%.{}",
                              second, table)),
              {});
    for (int i = 0; i < r.rows(); ++i) {
      EffectivenessRow &e = view->rows[{r.text(i, 0), r.text(i, 1), r.text(i, 2)}];
      e.attempts = r.i32(i, 3);
      e.resolutions = r.i32(i, 4);
      e.last_event_id = r.i64(i, 5);
      e.updated_us = r.i64(i, 6);
    }
  }

  // Upserts rows (all, or the dirty ones) in chunks, one array per column.
  template <class Row, class Fill>
  void save_rows(const View<Row> &view, bool full, const char *table, const Col *cols, size_t ncols,
                 Fill fill) {
    std::string names, casts, updates;
    for (size_t c = 0; c < ncols; ++c) {
      names += fmt::format("{}{}", c ? ", " : "", cols[c].name);
      casts += fmt::format("{}${}::{}[]", c ? ", " : "", c + 1, cols[c].type);
      if (c >= 3)
        updates += fmt::format("{}{} = excluded.{}", c > 3 ? ", " : "", cols[c].name, cols[c].name);
    }
    std::string text = sql(fmt::format(
        "INSERT INTO %S%.{}({}) SELECT * FROM unnest({}) ON CONFLICT ({}, {}, {}) DO UPDATE SET {}",
        table, names, casts, cols[0].name, cols[1].name, cols[2].name, updates));
    std::vector<ArrayLit> arrays(ncols);
    size_t pending = 0;
    auto flush = [&] {
      if (pending == 0) return;
      std::vector<std::string> values;
      values.reserve(ncols);
      for (ArrayLit &a : arrays) {
        values.push_back(a.str());
        a.clear();
      }
      std::vector<const char *> p;
      for (const std::string &s : values)
        p.push_back(s.c_str());
      query("saving view rows", text, p);
      pending = 0;
    };
    auto put = [&](const Key3 &k, const Row &r) {
      arrays[0].text(k.a);
      arrays[1].text(k.b);
      arrays[2].text(k.c);
      fill(r, arrays.data());
      if (++pending == kSaveChunk) flush();
    };
    if (full) {
      for (const auto &[k, r] : view.rows)
        put(k, r);
    } else {
      // A row is listed once between saves; an upsert must not touch a row
      // twice, so make sure.
      std::vector<const Key3 *> dirty = view.dirty;
      std::sort(dirty.begin(), dirty.end());
      dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
      for (const Key3 *k : dirty)
        put(*k, view.rows.at(*k));
    }
    flush();
  }

  static void row_into(const Result &r, int row, Event *e) {
    e->id = r.i64(row, 0);
    r.text_into(row, 1, &e->tenant);
    r.text_into(row, 2, &e->entity_type);
    r.text_into(row, 3, &e->entity_id);
    r.text_into(row, 4, &e->type);
    r.text_into(row, 5, &e->payload);
    e->time_us = r.i64(row, 6);
    r.text_into(row, 7, &e->author);
    if (r.null(row, 8))
      e->idempotency_key.clear();
    else
      r.text_into(row, 8, &e->idempotency_key);
  }

  PostgresOptions opts_;
  std::string s_;     // the quoted schema
  std::string name_;  // names the store in messages (never the password)
  PGconn *conn_ = nullptr;
  int64_t append_key_ = 0, views_key_ = 0, setup_key_ = 0;
  int64_t seen_last_id_ = -1;
  bool in_txn_ = false;  // between our BEGIN and COMMIT or ROLLBACK
  bool commit_unknown_ = false;
};

}  // namespace

bool postgres_available() {
  return true;
}

std::unique_ptr<EventStore> open_postgres_store(const PostgresOptions &opts) {
  if (opts.conninfo.empty()) {
    throw Error(Errc::invalid,
                "postgres store options: conninfo is empty; give a libpq connection string "
                "(\"host=... dbname=...\" or \"postgresql://...\")");
  }
  if (!valid_schema(opts.schema)) {
    throw Error(Errc::invalid,
                fmt::format("postgres store options: schema '{}' must be 1 to 63 lower-case "
                            "letters, digits or '_', starting with a letter or '_'",
                            opts.schema));
  }
  if (opts.connect_timeout_s < 0 || opts.lock_timeout_ms < 0 || opts.statement_timeout_ms < 0)
    throw Error(Errc::invalid, "postgres store options: timeouts must not be negative");
  return std::make_unique<PostgresStore>(opts);
}

}  // namespace v0
}  // namespace tutorcore

#else  // !TUTORCORE_HAVE_POSTGRES

namespace tutorcore {
inline namespace v0 {

bool postgres_available() {
  return false;
}

std::unique_ptr<EventStore> open_postgres_store(const PostgresOptions &) {
  throw Error(Errc::unavailable,
              "postgres store: this tutorcore was built without PostgreSQL support (libpq was "
              "not found at build time); install libpq-dev and rebuild, or use the SQLite store");
}

}  // namespace v0
}  // namespace tutorcore

#endif
