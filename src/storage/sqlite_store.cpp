// The SQLite adapter.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "tutorcore/common/error.hpp"
#include "tutorcore/storage/sqlite_store.hpp"
#include "tutorcore/views/views.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int kApplicationId = 0x74757463;  // "tutc"
constexpr int64_t kEntityChunk = 16384;     // events per entity_index chunk

const char *const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  time_us INTEGER NOT NULL,
  author TEXT NOT NULL,
  idem_key TEXT,
  entity_key INTEGER NOT NULL);
-- Reads by entity go through entity_index, written once per kEntityChunk
-- events in the appending transaction and keyed by the chunk first, so each
-- chunk lands at the tail of the B-tree. A per-row index on the entity puts
-- every insert at a random page and costs two thirds of the append rate.
-- entity_key is a 64-bit hash of (tenant, entity_id); readers re-check the
-- text columns, so collisions cost a row read, never a wrong answer.
CREATE TABLE IF NOT EXISTS entity_index(
  chunk INTEGER NOT NULL, entity_key INTEGER NOT NULL, id INTEGER NOT NULL,
  PRIMARY KEY(chunk, entity_key, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entity_chunks(start INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS store_meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_type ON events(tenant, type);
CREATE INDEX IF NOT EXISTS events_by_time ON events(tenant, time_us);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_key ON events(tenant, idem_key)
  WHERE idem_key IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'tutorcore: the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'tutorcore: the event log is append-only'); END;
CREATE TABLE IF NOT EXISTS view_meta(name TEXT PRIMARY KEY, through_id INTEGER NOT NULL);
)sql";

// The view checkpoint tables. They are a cache of the log: a store whose
// tables have another layout (an older library) drops them and refolds.
constexpr int64_t kViewSchemaVersion = 2;
const char *const kViewSchema = R"sql(
CREATE TABLE IF NOT EXISTS view_mastery(
  tenant TEXT, student TEXT, concept_id TEXT, level REAL, has_level INTEGER,
  attempts INTEGER, correct INTEGER, streak INTEGER, last_event_id INTEGER, updated_us INTEGER,
  PRIMARY KEY(tenant, student, concept_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS view_practice(
  tenant TEXT, student TEXT, problem_id TEXT, attempts INTEGER, correct INTEGER,
  last_event_id INTEGER, updated_us INTEGER,
  PRIMARY KEY(tenant, student, problem_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS view_escalation(
  tenant TEXT, student TEXT, misconception_id TEXT, state TEXT, modalities_tried INTEGER,
  attempts INTEGER, persists INTEGER, conferences_failed INTEGER, detections INTEGER,
  recurrences INTEGER, intervention_active INTEGER, current_modality TEXT,
  recommended_modality TEXT, concept_id TEXT, window_counted INTEGER, window_present INTEGER,
  refused INTEGER, last_event_id INTEGER, updated_us INTEGER,
  PRIMARY KEY(tenant, student, misconception_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS view_effectiveness(
  tenant TEXT, misconception_id TEXT, modality TEXT, attempts INTEGER, resolutions INTEGER,
  resolution_rate REAL, last_event_id INTEGER, updated_us INTEGER,
  PRIMARY KEY(tenant, misconception_id, modality)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS view_modality(
  tenant TEXT, student TEXT, modality TEXT, attempts INTEGER, resolutions INTEGER,
  resolution_rate REAL, last_event_id INTEGER, updated_us INTEGER,
  PRIMARY KEY(tenant, student, modality)) WITHOUT ROWID;
)sql";

// A prepared statement, reset after each use.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3 *db, const char *sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) {
      throw Error(Errc::storage,
                  fmt::format("sqlite: cannot prepare statement: {}", sqlite3_errmsg(db)));
    }
  }
  Stmt(Stmt &&o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt &operator=(Stmt &&o) noexcept {
    std::swap(db_, o.db_);
    std::swap(s_, o.s_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt *get() const { return s_; }

  void text(int i, const std::string &v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void text_or_null(int i, const std::string &v) {
    if (v.empty())
      sqlite3_bind_null(s_, i);
    else
      text(i, v);
  }
  void i64(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void f64(int i, double v) { sqlite3_bind_double(s_, i, v); }
  // Steps once; returns true on a row, false when done; throws on error.
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(Errc::storage,
                fmt::format("sqlite: {} ({})", sqlite3_errmsg(db_), sqlite3_errstr(rc)));
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string col_text(int i) const {
    auto p = reinterpret_cast<const char *>(sqlite3_column_text(s_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string();
  }
  void col_text_into(int i, std::string *out) const {
    auto p = reinterpret_cast<const char *>(sqlite3_column_text(s_, i));
    if (p)
      out->assign(p, static_cast<size_t>(sqlite3_column_bytes(s_, i)));
    else
      out->clear();
  }
  int64_t col_i64(int i) const { return sqlite3_column_int64(s_, i); }
  double col_f64(int i) const { return sqlite3_column_double(s_, i); }

 private:
  sqlite3 *db_ = nullptr;
  sqlite3_stmt *s_ = nullptr;
};

// Resets a statement when leaving a scope, also on exceptions.
struct ResetGuard {
  Stmt &s;
  ~ResetGuard() { s.reset(); }
};

class SqliteStore final : public EventStore {
 public:
  explicit SqliteStore(const SqliteOptions &o) : path_(o.path) {
    int rc =
        sqlite3_open_v2(o.path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw Error(Errc::storage, fmt::format("cannot open store '{}': {}", o.path, msg));
    }
    try {
      sqlite3_busy_timeout(db_, o.busy_timeout_ms);
      check_identity();
      exec("PRAGMA journal_mode=WAL");
      exec(o.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      // The log's four indexes outgrow SQLite's 2 MB default page cache at a
      // few hundred thousand events; past that every insert pays page I/O.
      exec(fmt::format("PRAGMA cache_size=-{}", o.cache_kib).c_str());
      exec("PRAGMA temp_store=MEMORY");
      // Fewer, larger WAL checkpoints: the WAL is folded into the database
      // every 16 MB instead of every 4 MB.
      exec("PRAGMA wal_autocheckpoint=4000");
      exec("BEGIN IMMEDIATE");
      try {
        exec(kSchema);
        upgrade_view_tables();
        exec(fmt::format("PRAGMA application_id={}", kApplicationId).c_str());
        exec(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str());
        exec("COMMIT");
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
      insert_ = Stmt(db_,
                     "INSERT INTO events(tenant, entity_type, entity_id, type, payload, time_us, "
                     "author, idem_key, entity_key) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)");
      find_key_ = Stmt(db_, "SELECT id FROM events WHERE tenant=?1 AND idem_key=?2");
      last_id_ = Stmt(db_, "SELECT coalesce(max(id), 0) FROM events");
      data_version_ = Stmt(db_, "PRAGMA data_version");
      index_chunk_ = Stmt(db_,
                          "INSERT INTO entity_index SELECT ?1, entity_key, id FROM events "
                          "WHERE id > ?1 ORDER BY entity_key, id");
      add_chunk_ = Stmt(db_, "INSERT INTO entity_chunks(start) VALUES(?1)");
      set_indexed_ = Stmt(
          db_,
          "INSERT OR REPLACE INTO store_meta(name, value) VALUES('entity_indexed_through', ?1)");
      get_indexed_ = Stmt(
          db_,
          "SELECT coalesce((SELECT value FROM store_meta WHERE name='entity_indexed_through'), 0)");
      external_change();  // records the starting data_version
    } catch (...) {
      close();
      throw;
    }
  }

  ~SqliteStore() override { close(); }

  void append(const Event *events, size_t n, AppendOutcome *out) override {
    exec("BEGIN IMMEDIATE");
    try {
      for (size_t i = 0; i < n; ++i) {
        const Event &e = events[i];
        ResetGuard g{insert_};
        insert_.text(1, e.tenant);
        insert_.text(2, e.entity_type);
        insert_.text(3, e.entity_id);
        insert_.text(4, e.type);
        insert_.text(5, e.payload);
        insert_.i64(6, e.time_us);
        insert_.text(7, e.author);
        insert_.text_or_null(8, e.idempotency_key);
        insert_.i64(9, entity_key(e.tenant, e.entity_id));
        // A plain INSERT: replays are rare, and an upsert clause would probe
        // the key index before every insert. A replay fails the unique index
        // (only this statement is undone) and is looked up instead.
        int rc = sqlite3_step(insert_.get());
        if (rc == SQLITE_DONE) {
          out[i] = {sqlite3_last_insert_rowid(db_), true};
        } else if (sqlite3_extended_errcode(db_) != SQLITE_CONSTRAINT_UNIQUE ||
                   e.idempotency_key.empty()) {
          throw Error(Errc::storage,
                      fmt::format("sqlite: {} ({})", sqlite3_errmsg(db_), sqlite3_errstr(rc)));
        } else {
          ResetGuard g2{find_key_};
          find_key_.text(1, e.tenant);
          find_key_.text(2, e.idempotency_key);
          if (!find_key_.step())
            throw Error(Errc::internal, "idempotency conflict without a stored event");
          out[i] = {find_key_.col_i64(0), false};
        }
      }
      index_entities_locked();
      exec("COMMIT");
    } catch (const Error &err) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw Error(err.code(),
                  fmt::format("append of {} events to '{}' failed, nothing was stored: {}", n,
                              path_, err.what()));
    }
  }

  void read_keyed(const std::string &tenant, const std::string &key,
                  const EventSink &sink) override {
    // Keys key/... sort in [key, key + "0"): '/' is just below '0'. The
    // range may hold other keys (key-1, ...); is_keyed filters them.
    if (!read_keyed_.get()) {
      read_keyed_ = Stmt(db_,
                         "SELECT id, tenant, entity_type, entity_id, type, payload, time_us, "
                         "author, idem_key FROM events WHERE tenant=?1 AND idem_key>=?2 AND "
                         "idem_key<?3 ORDER BY id");
    }
    ResetGuard g{read_keyed_};
    read_keyed_.text(1, tenant);
    read_keyed_.text(2, key);
    std::string end = key + "0";
    read_keyed_.text(3, end);
    Event e;
    while (read_keyed_.step()) {
      row_into(read_keyed_, &e);
      if (is_keyed(e.idempotency_key, key) && !sink(e)) break;
    }
  }

  void read(const EventQuery &q, const EventSink &sink) override {
    if (!q.entity_id.empty() && !q.tenant.empty()) {
      read_entity(q, sink);
      return;
    }
    unsigned mask = (q.tenant.empty() ? 0u : 1u) | (q.entity_type.empty() ? 0u : 2u) |
                    (q.entity_id.empty() ? 0u : 4u) | (q.type.empty() ? 0u : 8u) |
                    (q.since_us == std::numeric_limits<int64_t>::min() ? 0u : 16u) |
                    (q.until_us == std::numeric_limits<int64_t>::max() ? 0u : 32u);
    Stmt &s = read_stmt(mask);
    ResetGuard g{s};
    s.i64(1, q.after_id);
    if (mask & 1u) s.text(2, q.tenant);
    if (mask & 2u) s.text(3, q.entity_type);
    if (mask & 4u) s.text(4, q.entity_id);
    if (mask & 8u) s.text(5, q.type);
    if (mask & 16u) s.i64(6, q.since_us);
    if (mask & 32u) s.i64(7, q.until_us);
    s.i64(8, q.limit < 0 ? 0 : q.limit);
    Event e;
    while (s.step()) {
      row_into(s, &e);
      if (!sink(e)) break;
    }
  }

  int64_t last_id() override {
    ResetGuard g{last_id_};
    last_id_.step();
    return last_id_.col_i64(0);
  }

  bool external_change() override {
    ResetGuard g{data_version_};
    data_version_.step();
    int64_t v = data_version_.col_i64(0);
    bool changed = v != last_data_version_;
    last_data_version_ = v;
    return changed;
  }

  int64_t load_views(ViewSet *v) override {
    v->clear();
    int64_t through = 0;
    {
      Stmt s(db_, "SELECT through_id FROM view_meta WHERE name='all'");
      if (s.step()) through = s.col_i64(0);
    }
    if (through == 0) return 0;
    {
      Stmt s(db_,
             "SELECT tenant, student, concept_id, level, has_level, attempts, correct, streak, "
             "last_event_id, updated_us FROM view_mastery");
      while (s.step()) {
        MasteryRow &r = v->mastery.rows[{s.col_text(0), s.col_text(1), s.col_text(2)}];
        r.level = s.col_f64(3);
        r.has_level = s.col_i64(4) != 0;
        r.attempts = static_cast<int32_t>(s.col_i64(5));
        r.correct = static_cast<int32_t>(s.col_i64(6));
        r.streak = static_cast<int32_t>(s.col_i64(7));
        r.last_event_id = s.col_i64(8);
        r.updated_us = s.col_i64(9);
      }
    }
    {
      Stmt s(db_,
             "SELECT tenant, student, problem_id, attempts, correct, last_event_id, updated_us "
             "FROM view_practice");
      while (s.step()) {
        PracticeRow &r = v->practice.rows[{s.col_text(0), s.col_text(1), s.col_text(2)}];
        r.attempts = static_cast<int32_t>(s.col_i64(3));
        r.correct = static_cast<int32_t>(s.col_i64(4));
        r.last_event_id = s.col_i64(5);
        r.updated_us = s.col_i64(6);
      }
    }
    {
      Stmt s(db_,
             "SELECT tenant, student, misconception_id, state, modalities_tried, attempts, "
             "persists, conferences_failed, detections, recurrences, intervention_active, "
             "current_modality, recommended_modality, concept_id, window_counted, "
             "window_present, refused, last_event_id, updated_us FROM view_escalation");
      auto modality = [&](int col, std::optional<Modality> *out) {
        if (sqlite3_column_type(s.get(), col) == SQLITE_NULL) return;
        Modality m;
        if (!parse_modality(s.col_text(col), &m)) {
          throw Error(Errc::storage, fmt::format("store '{}': view_escalation holds unknown "
                                                 "modality '{}'; rebuild the views",
                                                 path_, s.col_text(col)));
        }
        *out = m;
      };
      while (s.step()) {
        EscalationRow &r = v->escalation.rows[{s.col_text(0), s.col_text(1), s.col_text(2)}];
        Escalation &m = r.machine;
        if (!parse_escalation_state(s.col_text(3), &m.state)) {
          throw Error(Errc::storage,
                      fmt::format("store '{}': view_escalation holds unknown state '{}'; "
                                  "rebuild the views",
                                  path_, s.col_text(3)));
        }
        m.modalities_tried = static_cast<uint8_t>(s.col_i64(4));
        m.attempts = static_cast<int32_t>(s.col_i64(5));
        m.persists = static_cast<int32_t>(s.col_i64(6));
        m.conferences_failed = static_cast<int32_t>(s.col_i64(7));
        m.detections = static_cast<int32_t>(s.col_i64(8));
        m.recurrences = static_cast<int32_t>(s.col_i64(9));
        m.intervention_active = s.col_i64(10) != 0;
        modality(11, &m.current);
        modality(12, &m.recommended);
        r.concept_id = s.col_text(13);
        r.window_counted = static_cast<int32_t>(s.col_i64(14));
        r.window_present = static_cast<int32_t>(s.col_i64(15));
        r.refused = static_cast<int32_t>(s.col_i64(16));
        r.last_event_id = s.col_i64(17);
        r.updated_us = s.col_i64(18);
      }
    }
    load_counts(v->effectiveness, "view_effectiveness");
    load_counts(v->modality, "view_modality");
    v->set_through_id(through);
    v->reindex();
    v->clear_dirty();
    return through;
  }

  void save_views(const ViewSet &v, bool full) override {
    exec("BEGIN IMMEDIATE");
    try {
      int64_t stored = 0;
      {
        Stmt s(db_, "SELECT through_id FROM view_meta WHERE name='all'");
        if (s.step()) stored = s.col_i64(0);
      }
      // Another process has checkpointed further; its rows must not be mixed
      // with older ones.
      if (stored > v.through_id()) {
        exec("COMMIT");
        return;
      }
      if (full) {
        exec(
            "DELETE FROM view_mastery; DELETE FROM view_practice; DELETE FROM view_escalation; "
            "DELETE FROM view_effectiveness; DELETE FROM view_modality;");
      }
      save_rows(v.mastery, full,
                "INSERT OR REPLACE INTO view_mastery VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                [](Stmt &s, const MasteryRow &r) {
                  s.f64(4, r.level);
                  s.i64(5, r.has_level);
                  s.i64(6, r.attempts);
                  s.i64(7, r.correct);
                  s.i64(8, r.streak);
                  s.i64(9, r.last_event_id);
                  s.i64(10, r.updated_us);
                });
      save_rows(v.practice, full,
                "INSERT OR REPLACE INTO view_practice VALUES(?1,?2,?3,?4,?5,?6,?7)",
                [](Stmt &s, const PracticeRow &r) {
                  s.i64(4, r.attempts);
                  s.i64(5, r.correct);
                  s.i64(6, r.last_event_id);
                  s.i64(7, r.updated_us);
                });
      save_rows(v.escalation, full,
                "INSERT OR REPLACE INTO view_escalation VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
                "?11,?12,?13,?14,?15,?16,?17,?18,?19)",
                [](Stmt &s, const EscalationRow &r) {
                  const Escalation &m = r.machine;
                  auto modality = [&](int col, const std::optional<Modality> &v) {
                    if (v) {
                      sqlite3_bind_text(s.get(), col, modality_name(*v), -1, SQLITE_STATIC);
                    } else {
                      sqlite3_bind_null(s.get(), col);
                    }
                  };
                  sqlite3_bind_text(s.get(), 4, escalation_state_name(m.state), -1, SQLITE_STATIC);
                  s.i64(5, m.modalities_tried);
                  s.i64(6, m.attempts);
                  s.i64(7, m.persists);
                  s.i64(8, m.conferences_failed);
                  s.i64(9, m.detections);
                  s.i64(10, m.recurrences);
                  s.i64(11, m.intervention_active);
                  modality(12, m.current);
                  modality(13, m.recommended);
                  s.text(14, r.concept_id);
                  s.i64(15, r.window_counted);
                  s.i64(16, r.window_present);
                  s.i64(17, r.refused);
                  s.i64(18, r.last_event_id);
                  s.i64(19, r.updated_us);
                });
      auto counts = [](Stmt &s, const EffectivenessRow &r) {
        s.i64(4, r.attempts);
        s.i64(5, r.resolutions);
        s.f64(6, r.rate());
        s.i64(7, r.last_event_id);
        s.i64(8, r.updated_us);
      };
      save_rows(v.effectiveness, full,
                "INSERT OR REPLACE INTO view_effectiveness VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
                counts);
      save_rows(v.modality, full,
                "INSERT OR REPLACE INTO view_modality VALUES(?1,?2,?3,?4,?5,?6,?7,?8)", counts);
      Stmt meta(db_, "INSERT OR REPLACE INTO view_meta(name, through_id) VALUES('all', ?1)");
      meta.i64(1, v.through_id());
      meta.step();
      exec("COMMIT");
    } catch (const Error &err) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw Error(Errc::storage, fmt::format("saving views to '{}' failed (the log is intact): {}",
                                             path_, err.what()));
    }
  }

 private:
  // Drops view tables of another layout (they are a cache of the log) and
  // creates the current ones; the caller's transaction covers it.
  void upgrade_view_tables() {
    int64_t version = 0;
    {
      Stmt s(db_, "SELECT value FROM store_meta WHERE name='view_schema'");
      if (s.step()) version = s.col_i64(0);
    }
    if (version != kViewSchemaVersion) {
      exec(
          "DROP TABLE IF EXISTS view_mastery; DROP TABLE IF EXISTS view_practice; "
          "DROP TABLE IF EXISTS view_escalation; DROP TABLE IF EXISTS view_effectiveness; "
          "DROP TABLE IF EXISTS view_modality; DELETE FROM view_meta;");
    }
    exec(kViewSchema);
    Stmt set(db_, "INSERT OR REPLACE INTO store_meta(name, value) VALUES('view_schema', ?1)");
    set.i64(1, kViewSchemaVersion);
    set.step();
  }

  void load_counts(View<EffectivenessRow> &view, const char *table) {
    Stmt s(db_, fmt::format("SELECT * FROM {}", table).c_str());
    while (s.step()) {
      EffectivenessRow &r = view.rows[{s.col_text(0), s.col_text(1), s.col_text(2)}];
      r.attempts = static_cast<int32_t>(s.col_i64(3));
      r.resolutions = static_cast<int32_t>(s.col_i64(4));
      r.last_event_id = s.col_i64(6);
      r.updated_us = s.col_i64(7);
    }
  }

  template <class Row, class Bind>
  void save_rows(const View<Row> &view, bool full, const char *sql, Bind bind) {
    Stmt s(db_, sql);
    auto put = [&](const Key3 &k, const Row &r) {
      ResetGuard g{s};
      s.text(1, k.a);
      s.text(2, k.b);
      s.text(3, k.c);
      bind(s, r);
      s.step();
    };
    if (full) {
      for (const auto &[k, r] : view.rows)
        put(k, r);
    } else {
      for (const Key3 *k : view.dirty)
        put(*k, view.rows.at(*k));
    }
  }

  static void row_into(const Stmt &s, Event *e) {
    e->id = s.col_i64(0);
    s.col_text_into(1, &e->tenant);
    s.col_text_into(2, &e->entity_type);
    s.col_text_into(3, &e->entity_id);
    s.col_text_into(4, &e->type);
    s.col_text_into(5, &e->payload);
    e->time_us = s.col_i64(6);
    s.col_text_into(7, &e->author);
    s.col_text_into(8, &e->idempotency_key);
  }

  // Indexes the next full chunk(s) of events by entity, inside the caller's
  // transaction so the index never disagrees with the log.
  void index_entities_locked() {
    int64_t indexed = indexed_through();
    int64_t last = last_id();
    while (last - indexed >= kEntityChunk) {
      {
        ResetGuard g{index_chunk_};
        index_chunk_.i64(1, indexed);
        index_chunk_.step();
      }
      {
        ResetGuard g{add_chunk_};
        add_chunk_.i64(1, indexed);
        add_chunk_.step();
      }
      // The chunk covers everything up to the newest event: its id range is
      // (indexed, last], and the next chunk starts after it.
      indexed = last;
      ResetGuard g{set_indexed_};
      set_indexed_.i64(1, indexed);
      set_indexed_.step();
    }
  }

  int64_t indexed_through() {
    ResetGuard g{get_indexed_};
    get_indexed_.step();
    return get_indexed_.col_i64(0);
  }

  // Events of one entity: the indexed chunks in order, then the unindexed
  // tail (fewer than kEntityChunk events) scanned by id.
  void read_entity(const EventQuery &q, const EventSink &sink) {
    static const char *const kColumns =
        "SELECT e.id, e.tenant, e.entity_type, e.entity_id, e.type, e.payload, e.time_us, "
        "e.author, "
        "e.idem_key FROM ";
    static const char *const kFilters =
        " AND e.tenant = ?2 AND e.entity_id = ?4 AND (?3 = '' OR e.entity_type = ?3)"
        " AND (?5 = '' OR e.type = ?5) AND e.time_us >= ?6 AND e.time_us < ?7";
    if (!by_chunk_.get()) {
      by_chunk_ = Stmt(db_, (std::string(kColumns) +
                             "entity_index x JOIN events e ON e.id = x.id WHERE x.chunk = ?1 AND "
                             "x.entity_key = ?9 AND x.id > ?8" +
                             kFilters + " ORDER BY x.id")
                                .c_str());
      chunks_ = Stmt(db_, "SELECT start FROM entity_chunks ORDER BY start");
      tail_ = Stmt(db_, (std::string(kColumns) + "events e WHERE e.id > ?1 AND e.entity_key = ?9" +
                         kFilters + " ORDER BY e.id")
                            .c_str());
    }
    const int64_t key = entity_key(q.tenant, q.entity_id);
    int64_t left = q.limit;
    bool stop = false;
    auto run = [&](Stmt &s) {
      s.text(2, q.tenant);
      s.text(3, q.entity_type);
      s.text(4, q.entity_id);
      s.text(5, q.type);
      s.i64(6, q.since_us);
      s.i64(7, q.until_us);
      s.i64(9, key);
      Event e;
      while (left > 0 && !stop && s.step()) {
        row_into(s, &e);
        --left;
        if (!sink(e)) stop = true;
      }
    };
    int64_t indexed = indexed_through();
    std::vector<int64_t> starts;
    {
      ResetGuard g{chunks_};
      while (chunks_.step())
        starts.push_back(chunks_.col_i64(0));
    }
    // A chunk starting at c holds ids in (c, next start]; skip those wholly
    // at or below after_id.
    for (size_t i = 0; i < starts.size() && left > 0 && !stop; ++i) {
      int64_t end = i + 1 < starts.size() ? starts[i + 1] : indexed;
      if (end <= q.after_id) continue;
      ResetGuard g{by_chunk_};
      by_chunk_.i64(1, starts[i]);
      by_chunk_.i64(8, q.after_id);
      run(by_chunk_);
    }
    if (left > 0 && !stop) {
      ResetGuard g{tail_};
      tail_.i64(1, std::max(indexed, q.after_id));
      run(tail_);
    }
  }

  Stmt &read_stmt(unsigned mask) {
    Stmt &s = read_cache_[mask];
    if (!s.get()) {
      std::string sql =
          "SELECT id, tenant, entity_type, entity_id, type, payload, time_us, author, idem_key "
          "FROM events WHERE id > ?1";
      if (mask & 1u) sql += " AND tenant = ?2";
      if (mask & 2u) sql += " AND entity_type = ?3";
      if (mask & 4u) sql += " AND entity_id = ?4";
      if (mask & 8u) sql += " AND type = ?5";
      if (mask & 16u) sql += " AND time_us >= ?6";
      if (mask & 32u) sql += " AND time_us < ?7";
      sql += " ORDER BY id LIMIT ?8";
      s = Stmt(db_, sql.c_str());
    }
    return s;
  }

  void check_identity() {
    Stmt app(db_, "PRAGMA application_id");
    app.step();
    int64_t id = app.col_i64(0);
    Stmt ver(db_, "PRAGMA user_version");
    ver.step();
    int64_t version = ver.col_i64(0);
    if (id != 0 && id != kApplicationId) {
      throw Error(Errc::storage, fmt::format("'{}' is an SQLite database of another application "
                                             "(application_id {}); give a new path",
                                             path_, id));
    }
    if (version > kSchemaVersion) {
      throw Error(Errc::version,
                  fmt::format("'{}' was written by a newer tutorcore (schema {}, this "
                              "library reads {}); upgrade tutorcore",
                              path_, version, kSchemaVersion));
    }
  }

  void exec(const char *sql) {
    char *msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : sqlite3_errmsg(db_);
      sqlite3_free(msg);
      throw Error(Errc::storage, fmt::format("sqlite: {}", m));
    }
  }

  void close() {
    insert_ = Stmt();
    find_key_ = Stmt();
    read_keyed_ = Stmt();
    last_id_ = Stmt();
    data_version_ = Stmt();
    index_chunk_ = Stmt();
    add_chunk_ = Stmt();
    set_indexed_ = Stmt();
    get_indexed_ = Stmt();
    by_chunk_ = Stmt();
    chunks_ = Stmt();
    tail_ = Stmt();
    read_cache_ = {};
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
  }

  std::string path_;
  sqlite3 *db_ = nullptr;
  Stmt insert_, find_key_, last_id_, data_version_, read_keyed_;
  Stmt index_chunk_, add_chunk_, set_indexed_, get_indexed_, by_chunk_, chunks_, tail_;
  std::array<Stmt, 64> read_cache_;
  int64_t last_data_version_ = -1;
};

}  // namespace

int64_t entity_key(const std::string &tenant, const std::string &entity_id) {
  uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  };
  for (unsigned char c : tenant)
    mix(c);
  mix(0x1f);
  for (unsigned char c : entity_id)
    mix(c);
  return static_cast<int64_t>(h);
}

std::unique_ptr<EventStore> open_sqlite_store(const SqliteOptions &opts) {
  if (opts.path.empty())
    throw Error(Errc::invalid, "store options: path is empty; give a database file");
  return std::make_unique<SqliteStore>(opts);
}

}  // namespace v0
}  // namespace tutorcore
