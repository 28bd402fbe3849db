// tc_store_*: the event store and its views through the C ABI.
#include <fmt/format.h>
#include <simdjson.h>

#include <cstddef>
#include <cstring>

#include "capi_internal.hpp"
#include "handles.hpp"
#include "request_json.hpp"
#include "tutorcore/common/json_read.hpp"
#include "tutorcore/common/json_writer.hpp"
#include "tutorcore/storage/ledger.hpp"
#include "tutorcore/storage/postgres_store.hpp"
#include "tutorcore/storage/sqlite_store.hpp"

using namespace tutorcore;
using capi::reject_unknown_fields;
using capi::request_object;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

constexpr int64_t kDefaultReadLimit = 1000;
constexpr int64_t kMaxReadLimit = 100000;

std::string str_field(object o, std::string_view key, const std::string &where, bool required) {
  element e;
  if (o.at_key(key).get(e)) {
    if (required)
      throw Error(Errc::invalid, fmt::format("{}.{}: required field is missing", where, key));
    return {};
  }
  if (!required && e.is_null()) return {};
  std::string_view s;
  if (e.get_string().get(s)) {
    throw Error(Errc::invalid, fmt::format("{}.{}: must be a string, found {}", where, key,
                                           json_type_name(e.type())));
  }
  return std::string(s);
}

bool int_field(object o, std::string_view key, const std::string &where, int64_t *out) {
  element e;
  if (o.at_key(key).get(e) || e.is_null()) return false;
  if (e.get_int64().get(*out)) {
    throw Error(Errc::invalid, fmt::format("{}.{}: must be an integer, found {}", where, key,
                                           json_type_name(e.type())));
  }
  return true;
}

Event event_from_json(element el, const std::string &where) {
  object o;
  if (el.get_object().get(o))
    throw Error(Errc::invalid, fmt::format("{}: an event must be a JSON object", where));
  reject_unknown_fields(o,
                        {"tenant", "entity_type", "entity_id", "type", "payload", "time_us",
                         "author", "idempotency_key"},
                        where);
  Event e;
  e.tenant = str_field(o, "tenant", where, true);
  e.entity_type = str_field(o, "entity_type", where, true);
  e.entity_id = str_field(o, "entity_id", where, true);
  e.type = str_field(o, "type", where, true);
  element payload;
  if (o.at_key("payload").get(payload)) {
    throw Error(Errc::invalid, fmt::format("{}.payload: required field is missing", where));
  }
  if (payload.type() != element_type::OBJECT) {
    throw Error(Errc::invalid, fmt::format("{}.payload: must be a JSON object, found {}", where,
                                           json_type_name(payload.type())));
  }
  e.payload = simdjson::minify(payload);
  int_field(o, "time_us", where, &e.time_us);
  e.author = str_field(o, "author", where, false);
  e.idempotency_key = str_field(o, "idempotency_key", where, false);
  return e;
}

std::string c_str_field(const char *s) {
  return s ? std::string(s) : std::string();
}

// The bytes of a tc_store_options of struct version `version` (known, >= 1):
// version 1 ends before allow_personal_data.
size_t store_options_size(uint32_t version) {
  return version >= 2 ? sizeof(tc_store_options) : offsetof(tc_store_options, allow_personal_data);
}

const char *backend_name(int32_t backend) {
  switch (backend) {
    case TC_STORE_MEMORY:
      return "memory";
    case TC_STORE_POSTGRES:
      return "postgres";
    default:
      return "sqlite";
  }
}

}  // namespace

extern "C" {

tc_status tc_store_options_init(tc_store_options *opts, uint32_t version) {
  return capi::guarded([&] {
    capi::require(opts, "opts");
    if (version > TC_STORE_OPTIONS_VERSION || version == 0) {
      throw Error(Errc::version, fmt::format("tc_store_options version {} is not supported (this "
                                             "library knows 1..{})",
                                             version, TC_STORE_OPTIONS_VERSION));
    }
    const tc_store_options defaults = TC_STORE_OPTIONS_INIT;
    std::memcpy(opts, &defaults, store_options_size(version));
    opts->version = version;
  });
}

tc_status tc_store_open(tc_store **out, const tc_store_options *opts) {
  if (out) *out = nullptr;
  return capi::guarded([&] {
    capi::require(out, "out");
    tc_store_options o = TC_STORE_OPTIONS_INIT;
    if (opts) {
      if (opts->version == 0 || opts->version > TC_STORE_OPTIONS_VERSION) {
        throw Error(Errc::version, fmt::format("tc_store_options.version {} is not supported (this "
                                               "library knows 1..{}); use TC_STORE_OPTIONS_INIT",
                                               opts->version, TC_STORE_OPTIONS_VERSION));
      }
      std::memcpy(&o, opts, store_options_size(opts->version));  // a version-1 struct is smaller
    }
    if (o.durability != TC_DURABILITY_NORMAL && o.durability != TC_DURABILITY_FULL) {
      throw Error(Errc::invalid, fmt::format("tc_store_options.durability {} is neither "
                                             "TC_DURABILITY_NORMAL nor TC_DURABILITY_FULL",
                                             o.durability));
    }
    if (o.busy_timeout_ms < 0)
      throw Error(Errc::invalid, "tc_store_options.busy_timeout_ms is negative");
    if (o.allow_personal_data != 0 && o.allow_personal_data != 1) {
      throw Error(Errc::invalid,
                  fmt::format("tc_store_options.allow_personal_data {} is neither 0 "
                              "(refuse names and e-mail addresses) nor 1 (allow them)",
                              o.allow_personal_data));
    }
    std::unique_ptr<EventStore> adapter;
    if (o.backend == TC_STORE_SQLITE) {
      if (!o.path || !*o.path) {
        throw Error(Errc::invalid,
                    "tc_store_options.path is empty; the SQLite backend needs a "
                    "database file (or use TC_STORE_MEMORY)");
      }
      SqliteOptions so;
      so.path = o.path;
      so.full_sync = o.durability == TC_DURABILITY_FULL;
      so.busy_timeout_ms = o.busy_timeout_ms;
      adapter = open_sqlite_store(so);
    } else if (o.backend == TC_STORE_MEMORY) {
      adapter = open_memory_store();
    } else if (o.backend == TC_STORE_POSTGRES) {
      if (!o.path || !*o.path) {
        throw Error(Errc::invalid,
                    "tc_store_options.path is empty; the PostgreSQL backend needs a libpq "
                    "connection string (\"host=... dbname=...\" or \"postgresql://...\")");
      }
      PostgresOptions po;
      po.conninfo = o.path;
      po.lock_timeout_ms = o.busy_timeout_ms;
      adapter = open_postgres_store(po);
    } else {
      throw Error(Errc::invalid,
                  fmt::format("tc_store_options.backend {} is unknown; use "
                              "TC_STORE_SQLITE, TC_STORE_MEMORY or TC_STORE_POSTGRES",
                              o.backend));
    }
    LedgerOptions lo;
    lo.checkpoint_every = o.checkpoint_every;
    lo.allow_personal_data = o.allow_personal_data == 1;
    auto h = std::make_unique<tc_store>();
    h->ledger = std::make_unique<Ledger>(std::move(adapter), lo);
    h->backend = o.backend;
    h->durability = o.durability;
    *out = h.release();
  });
}

void tc_store_free(tc_store *store) {
  delete store;
}

tc_status tc_store_describe(char **out_json, tc_store *store) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(out_json, "out_json");
    capi::require(store, "store");
    JsonWriter w;
    w.begin_object().field("schema_version", 1).field("backend", backend_name(store->backend));
    w.field("durability", store->durability == TC_DURABILITY_FULL ? "full" : "normal");
    w.field("personal_data_allowed", store->ledger->allows_personal_data());
    w.field("last_id", store->ledger->last_id()).end_object();
    *out_json = capi::dup_string(w.str());
  });
}

tc_status tc_store_append(int64_t *out_ids, tc_store *store, const tc_event *events, size_t n) {
  return capi::guarded([&] {
    capi::require(store, "store");
    if (n == 0) return;
    capi::require(events, "events");
    std::vector<Event> batch(n);
    for (size_t i = 0; i < n; ++i) {
      const tc_event &in = events[i];
      if (in.version == 0 || in.version > TC_EVENT_VERSION) {
        throw Error(Errc::version, fmt::format("event[{}]: tc_event.version {} is not supported "
                                               "(this library knows 1..{})",
                                               i, in.version, TC_EVENT_VERSION));
      }
      Event &e = batch[i];
      e.tenant = c_str_field(in.tenant);
      e.entity_type = c_str_field(in.entity_type);
      e.entity_id = c_str_field(in.entity_id);
      e.type = c_str_field(in.type);
      e.payload = c_str_field(in.payload_json);
      e.time_us = in.time_us;
      e.author = c_str_field(in.author);
      e.idempotency_key = c_str_field(in.idempotency_key);
    }
    auto outcomes = store->ledger->append(batch);
    if (out_ids) {
      for (size_t i = 0; i < n; ++i)
        out_ids[i] = outcomes[i].id;
    }
  });
}

tc_status tc_store_append_json(char **out_json, tc_store *store, const char *json, size_t len) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(store, "store");
    simdjson::dom::parser p;
    element root = capi::parse_request(p, json, len, "events JSON");
    std::vector<Event> batch;
    if (root.type() == element_type::ARRAY) {
      size_t i = 0;
      simdjson::dom::array items = root.get_array().value_unsafe();
      for (element el : items)
        batch.push_back(event_from_json(el, path_index("", i++)));
      if (batch.empty()) throw Error(Errc::invalid, "events JSON: the array is empty");
    } else {
      batch.push_back(event_from_json(root, "event"));
    }
    auto outcomes = store->ledger->append(batch);
    if (out_json) {
      JsonWriter w;
      w.begin_object().field("schema_version", 1);
      w.key("ids").begin_array();
      for (auto &o : outcomes)
        w.value(o.id);
      w.end_array().key("new").begin_array();
      for (auto &o : outcomes)
        w.value(o.inserted);
      w.end_array().end_object();
      *out_json = capi::dup_string(w.str());
    }
  });
}

tc_status tc_store_read_json(char **out_json, tc_store *store, const char *query_json, size_t len) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(out_json, "out_json");
    capi::require(store, "store");
    simdjson::dom::parser p;
    object o = request_object(p, query_json, len, "event query",
                              {"tenant", "entity_type", "entity_id", "type", "after_id", "since_us",
                               "until_us", "limit"});
    EventQuery q;
    q.tenant = str_field(o, "tenant", "event query", true);
    if (q.tenant.empty()) throw Error(Errc::invalid, "event query.tenant: is empty");
    q.entity_type = str_field(o, "entity_type", "event query", false);
    q.entity_id = str_field(o, "entity_id", "event query", false);
    q.type = str_field(o, "type", "event query", false);
    int_field(o, "after_id", "event query", &q.after_id);
    int_field(o, "since_us", "event query", &q.since_us);
    int_field(o, "until_us", "event query", &q.until_us);
    q.limit = kDefaultReadLimit;
    int_field(o, "limit", "event query", &q.limit);
    if (q.limit < 1 || q.limit > kMaxReadLimit) {
      throw Error(Errc::invalid,
                  fmt::format("event query.limit: {} is outside 1..{}; page with after_id", q.limit,
                              kMaxReadLimit));
    }
    JsonWriter w;
    w.begin_object().field("schema_version", 1).key("events").begin_array();
    int64_t last = q.after_id;
    store->ledger->read(q, [&](const Event &e) {
      w.raw(event_to_json(e));
      last = e.id;
      return true;
    });
    w.end_array().field("last_id", last).end_object();
    *out_json = capi::dup_string(w.str());
  });
}

tc_status tc_store_view_json(char **out_json, tc_store *store, const char *query_json, size_t len) {
  if (out_json) *out_json = nullptr;
  return capi::guarded([&] {
    capi::require(out_json, "out_json");
    capi::require(store, "store");
    simdjson::dom::parser p;
    object o = request_object(p, query_json, len, "view query", {"view", "tenant", "student"});
    std::string view = str_field(o, "view", "view query", true);
    std::string tenant = str_field(o, "tenant", "view query", true);
    if (tenant.empty()) throw Error(Errc::invalid, "view query.tenant: is empty");
    std::string student = str_field(o, "student", "view query", false);
    std::string json = store->ledger->with_views(
        [&](const ViewSet &v) { return view_rows_json(v, view, tenant, student); });
    *out_json = capi::dup_string(json);
  });
}

tc_status tc_store_rebuild_views(tc_store *store) {
  return capi::guarded([&] {
    capi::require(store, "store");
    store->ledger->rebuild_views();
  });
}

tc_status tc_store_checkpoint(tc_store *store) {
  return capi::guarded([&] {
    capi::require(store, "store");
    store->ledger->checkpoint();
  });
}

tc_status tc_store_last_id(int64_t *out, tc_store *store) {
  return capi::guarded([&] {
    capi::require(out, "out");
    capi::require(store, "store");
    *out = store->ledger->last_id();
  });
}

tc_status tc_store_subscribe(uint64_t *out_token, tc_store *store, tc_event_callback cb,
                             void *userdata) {
  return capi::guarded([&] {
    capi::require(out_token, "out_token");
    capi::require(store, "store");
    if (!cb) throw Error(Errc::invalid, "cb is NULL");
    *out_token = store->ledger->subscribe([cb, userdata](const Event &e) {
      std::string json = event_to_json(e);
      cb(json.c_str(), json.size(), userdata);
    });
  });
}

tc_status tc_store_unsubscribe(tc_store *store, uint64_t token) {
  return capi::guarded([&] {
    capi::require(store, "store");
    if (!store->ledger->unsubscribe(token)) {
      throw Error(Errc::not_found, fmt::format("subscription token {} is unknown", token));
    }
  });
}

}  // extern "C"
