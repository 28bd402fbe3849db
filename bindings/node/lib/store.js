// The event store: an append-only log with materialized views.

import koffi from 'koffi';

import { InvalidArgumentError, Status } from './errors.js';
import { Handle } from './handle.js';
import {
  DURABILITY_FULL,
  DURABILITY_NORMAL,
  EVENT_VERSION,
  OUT,
  STORE_MEMORY,
  STORE_OPTIONS_VERSION,
  STORE_POSTGRES,
  STORE_SQLITE,
  callAsync,
  callJson,
  check,
  describeType,
  encodeJson,
  encodePath,
  encodeStr,
  lib,
  loadedLibrary,
  workerError,
} from './native.js';

const DURABILITY = { normal: DURABILITY_NORMAL, full: DURABILITY_FULL };
const BACKENDS = { [STORE_SQLITE]: 'sqlite', [STORE_MEMORY]: 'memory', [STORE_POSTGRES]: 'postgres' };
const EVENT_FIELDS = new Set([
  'tenant',
  'entity_type',
  'entity_id',
  'type',
  'payload',
  'time_us',
  'author',
  'idempotency_key',
]);
const STORE_OPTION_KEYS = new Set([
  'path',
  'memory',
  'postgres',
  'durability',
  'busyTimeoutMs',
  'checkpointEvery',
  'allowPersonalData',
  'raw',
]);

/**
 * The defaults of tc_store_options struct version `version`
 * (tc_store_options_init): {version, backend, path, durability,
 * busy_timeout_ms, checkpoint_every, allow_personal_data (version 2)}, the
 * values of TC_STORE_OPTIONS_INIT.
 *
 * @throws {VersionError} `version` is newer than the loaded library knows.
 */
export function storeOptionsInit(version = STORE_OPTIONS_VERSION) {
  const opts = {};
  check(lib().tc_store_options_init(opts, version), 'tc_store_options_init');
  return opts;
}

function int(value, what) {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what} must be an integer, not ${describeType(value)}`);
  }
  return value;
}

/**
 * A callback registered with Store#subscribe(). The store keeps the
 * callback alive until unsubscribe() or until the store is closed.
 */
export class Subscription {
  #store;
  #active = false;
  #registered = null;
  #onError;

  /** @internal */
  constructor(store, callback, onError) {
    this.#store = new WeakRef(store);
    /** The JS function receiving each committed event. */
    this.callback = callback;
    /** Errors the callback threw (the events were committed regardless). */
    this.errors = [];
    /** The library's subscription token. */
    this.token = 0;
    this.#onError = onError;
  }

  /** @internal The function the koffi trampoline calls. */
  _deliver(ptr, len) {
    if (!this.#active) return 0;
    try {
      const event = JSON.parse(koffi.decode.string(ptr, Number(len)));
      this.callback(event);
    } catch (err) {
      this.errors.push(err);
      this.#report(err);
    }
    return 0;
  }

  #report(err) {
    if (this.#onError) {
      try {
        this.#onError(err);
        return;
      } catch (again) {
        err = again;
      }
    }
    process.emitWarning(`a tutorcore subscriber threw: ${err && err.message}`, {
      type: 'TutorcoreSubscriberWarning',
      detail: err && err.stack,
    });
  }

  /** @internal */
  _activate(token, registered) {
    this.token = token;
    this.#registered = registered;
    this.#active = true;
  }

  /** @internal Stops deliveries at once (the store is closing). */
  _deactivate() {
    this.#active = false;
  }

  /** @internal Releases koffi's trampoline slot. */
  _release() {
    this.#active = false;
    const registered = this.#registered;
    this.#registered = null;
    if (registered !== null) koffi.unregister(registered);
  }

  /** Whether the callback still receives events. */
  get active() {
    const store = this.#store.deref();
    return this.#active && store !== undefined && !store.closed;
  }

  /**
   * Stops the deliveries (tc_store_unsubscribe). Idempotent; a no-op once
   * the store is closed. Safe inside a subscriber callback.
   */
  unsubscribe() {
    if (!this.#active) return;
    this.#active = false;
    const store = this.#store.deref();
    if (store === undefined) return;
    store._forget(this);
  }

  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.unsubscribe();
  }
}

/**
 * An event store with its materialized views (tc_store).
 *
 * `new Store('school.db')` opens (creating if needed) an SQLite store;
 * `Store.inMemory()` (or `new Store({memory: true})`) an in-memory one, lost
 * at close; `new Store({postgres: 'host=... dbname=...'})` a PostgreSQL one
 * (where the library was built with libpq).
 *
 * Options: `durability` ('normal' (default) or 'full', or the
 * DURABILITY_* constants), `busyTimeoutMs` (default 5000),
 * `checkpointEvery` (default 1000000; negative: never),
 * `allowPersonalData` (true lets event payloads carry fields named or shaped
 * like a name or e-mail address, refused by default; it belongs to this open
 * store and describe() reports it; docs/privacy.md), `raw` (a
 * tc_store_options object from storeOptionsInit() to start from).
 *
 * Closing a store first closes the Tutors opened over it, then checkpoints
 * its views and releases it.
 *
 * @throws {InvalidArgumentError} a missing path or a bad option value.
 * @throws {VersionError} raw.version too new, or a database written by a
 *   newer tutorcore.
 * @throws {StorageError} the file cannot be opened or is not a tutorcore
 *   database.
 * @throws {UnavailableError} PostgreSQL asked of a library built without libpq.
 */
export class Store extends Handle {
  #subs = new Map();
  #asyncAppenders = 0;

  constructor(pathOrOptions, options) {
    super();
    let opts = options;
    let path = pathOrOptions;
    if (
      pathOrOptions !== null &&
      typeof pathOrOptions === 'object' &&
      !(pathOrOptions instanceof URL) &&
      !Buffer.isBuffer(pathOrOptions)
    ) {
      if (options !== undefined) throw new TypeError('give the options once');
      opts = pathOrOptions;
      path = pathOrOptions.path;
    }
    opts = opts ?? {};
    if (typeof opts !== 'object') throw new TypeError(`options must be an object, not ${describeType(opts)}`);
    for (const key of Object.keys(opts)) {
      if (!STORE_OPTION_KEYS.has(key)) throw new InvalidArgumentError(`store options.${key}: unknown option`);
    }
    const L = lib();
    const c = opts.raw !== undefined ? { ...opts.raw } : storeOptionsInit();
    const chosen = [path !== undefined && path !== null, Boolean(opts.memory), opts.postgres !== undefined];
    if (chosen.filter(Boolean).length > 1) {
      throw new InvalidArgumentError('give one of a path, memory: true and postgres');
    }
    if (opts.memory) c.backend = STORE_MEMORY;
    if (path !== undefined && path !== null) {
      c.backend = STORE_SQLITE;
      c.path = encodePath(path, 'path');
    }
    if (opts.postgres !== undefined) {
      c.backend = STORE_POSTGRES;
      c.path = encodeStr(opts.postgres, 'postgres');
    }
    if (opts.durability !== undefined) {
      if (typeof opts.durability === 'string') {
        if (!(opts.durability in DURABILITY)) {
          throw new InvalidArgumentError(
            `durability ${JSON.stringify(opts.durability)} is neither 'normal' nor 'full'`,
          );
        }
        c.durability = DURABILITY[opts.durability];
      } else {
        c.durability = int(opts.durability, 'durability');
      }
    }
    if (opts.busyTimeoutMs !== undefined) c.busy_timeout_ms = int(opts.busyTimeoutMs, 'busyTimeoutMs');
    if (opts.checkpointEvery !== undefined) c.checkpoint_every = int(opts.checkpointEvery, 'checkpointEvery');
    if (opts.allowPersonalData !== undefined) {
      if (typeof opts.allowPersonalData !== 'boolean') {
        throw new TypeError(`allowPersonalData must be a boolean, not ${describeType(opts.allowPersonalData)}`);
      }
      c.allow_personal_data = opts.allowPersonalData ? 1 : 0;
    }
    /** "sqlite", "memory" or "postgres". */
    this.backend = BACKENDS[c.backend] ?? String(c.backend);
    /** The SQLite file (null for the other backends: a connection string may
     * hold a password). */
    this.path = c.path && c.backend === STORE_SQLITE ? c.path : null;
    const out = [null];
    check(L.tc_store_open(out, c), 'tc_store_open');
    const cell = this._own(out[0], L.tc_store_free);
    const subs = this.#subs;
    cell.afterFree.push(() => {
      // The library no longer calls them: release koffi's slots.
      for (const sub of subs.values()) sub._release();
      subs.clear();
    });
  }

  /** An in-memory store (TC_STORE_MEMORY), lost when closed. */
  static inMemory(options = {}) {
    return new Store({ ...options, memory: true });
  }

  /**
   * Closes the tutors opened over this store, then checkpoints the views and
   * releases the store (tc_store_free). Idempotent. Inside a subscriber
   * callback, or while a Promise-returning call is in flight, the release
   * waits until that call has returned.
   */
  close() {
    for (const sub of this.#subs.values()) sub._deactivate();
    super.close();
  }

  // -- writing ------------------------------------------------------------

  /**
   * Appends one event or an array of events in one transaction
   * (tc_store_append_json): all are stored or none is.
   *
   * Each event is {tenant, entity_type, entity_id, type, payload: {...},
   * time_us?, author?, idempotency_key?}. An event whose (tenant,
   * idempotency key) is already stored is not stored again and gets the
   * first event's id.
   *
   * @returns {{schema_version: 1, ids: number[], new: boolean[]}}
   * @throws {InvalidArgumentError} naming the JSON path ("[3].payload").
   */
  append(events) {
    const data = encodeJson(events, 'events');
    return this._use((ptr) => callJson('tc_store_append_json', OUT, ptr, data, data.length - 1));
  }

  /**
   * Appends events through the typed path (tc_store_append with tc_event
   * structs) in one transaction and returns their ids. Each event has
   * tenant, entity_type, entity_id, type, payload (an object, or JSON text
   * of one) and optionally time_us (0: now), author and idempotency_key.
   */
  appendEvents(events) {
    if (!Array.isArray(events)) throw new TypeError(`events must be an array, not ${describeType(events)}`);
    if (events.length === 0) return [];
    const structs = events.map((item, i) => {
      if (item === null || typeof item !== 'object') {
        throw new TypeError(`event[${i}] must be an object, not ${describeType(item)}`);
      }
      for (const key of Object.keys(item)) {
        if (!EVENT_FIELDS.has(key)) throw new InvalidArgumentError(`event[${i}].${key}: unknown field`);
      }
      const e = { version: EVENT_VERSION, time_us: 0 };
      for (const name of ['tenant', 'entity_type', 'entity_id', 'type', 'author', 'idempotency_key']) {
        e[name] = item[name] === undefined || item[name] === null ? null : encodeStr(item[name], `event[${i}].${name}`);
      }
      if (item.payload === undefined || item.payload === null) {
        e.payload_json = null;
      } else {
        const buf = encodeJson(item.payload, `event[${i}].payload`);
        e.payload_json = buf.toString('utf8', 0, buf.length - 1);
      }
      if (item.time_us !== undefined && item.time_us !== null) e.time_us = int(item.time_us, `event[${i}].time_us`);
      return e;
    });
    const ids = new BigInt64Array(structs.length);
    this._use((ptr) => check(lib().tc_store_append(ids, ptr, structs, structs.length), 'tc_store_append'));
    return Array.from(ids, Number);
  }

  // -- reading ------------------------------------------------------------

  /**
   * Reads events of one tenant in log order (tc_store_read_json). The query:
   * tenant (required), entity_type, entity_id, type, after_id, since_us,
   * until_us (exclusive), limit (default 1000, at most 100000).
   *
   * @returns {{schema_version: 1, events: object[], last_id: number}}
   */
  read(query) {
    const data = encodeJson(query, 'event query');
    return this._use((ptr) => callJson('tc_store_read_json', OUT, ptr, data, data.length - 1));
  }

  /**
   * Every event matching the query, in log order, read page by page
   * (after_id paging with limit = pageSize).
   */
  *iterEvents(query, { pageSize = 1000 } = {}) {
    if (query === null || typeof query !== 'object') {
      throw new TypeError(`query must be an object, not ${describeType(query)}`);
    }
    const base = { ...query };
    let after = Number(base.after_id ?? 0);
    delete base.after_id;
    delete base.limit;
    for (;;) {
      const page = this.read({ ...base, after_id: after, limit: pageSize });
      yield* page.events;
      if (page.events.length < pageSize) return;
      after = Number(page.last_id);
    }
  }

  /**
   * Rows of a materialized view of one tenant (tc_store_view_json).
   *
   * @param {string} view "mastery", "practice", "escalation", "effectiveness" or "modality".
   * @param {string} tenant
   * @param {string} [student] only this student's rows (all views but effectiveness).
   * @returns {{schema_version: 1, view: string, rows: object[]}}
   */
  view(view, tenant, student) {
    const query = { view, tenant };
    if (student !== undefined && student !== null) query.student = student;
    const data = encodeJson(query, 'view query');
    return this._use((ptr) => callJson('tc_store_view_json', OUT, ptr, data, data.length - 1));
  }

  /**
   * The open store (tc_store_describe): {schema_version, backend,
   * durability, personal_data_allowed, last_id}; personal_data_allowed is
   * the allowPersonalData it was opened with.
   */
  describe() {
    return this._use((ptr) => callJson('tc_store_describe', OUT, ptr));
  }

  /** The id of the newest event in the log (0 when empty). */
  lastId() {
    const out = [0];
    this._use((ptr) => check(lib().tc_store_last_id(out, ptr), 'tc_store_last_id'));
    return Number(out[0]);
  }

  // -- views --------------------------------------------------------------

  /**
   * Drops every materialized view and rebuilds it from the log
   * (tc_store_rebuild_views) on a worker thread; on failure the previous
   * views stay. Other calls on this store wait for it (they block the
   * thread that makes them), so await it before using the store again.
   *
   * @returns {Promise<void>}
   */
  async rebuildViews() {
    const { status } = await this._useAsync((ptr) => callAsync('tc_store_rebuild_views', ptr));
    if (status !== 0) {
      throw workerError(
        status,
        'tc_store_rebuild_views',
        status === Status.ESTORAGE
          ? 'rebuilding the views failed in the storage layer; the previous views are kept'
          : 'rebuilding the views failed; the previous views are kept',
        'rebuildViewsSync',
      );
    }
  }

  /** rebuildViews() on the calling thread (blocks it until done). */
  rebuildViewsSync() {
    this._use((ptr) => check(lib().tc_store_rebuild_views(ptr), 'tc_store_rebuild_views'));
  }

  /** Persists the views now (tc_store_checkpoint). */
  checkpoint() {
    this._use((ptr) => check(lib().tc_store_checkpoint(ptr), 'tc_store_checkpoint'));
  }

  // -- subscriptions ------------------------------------------------------

  /**
   * Calls `callback(event)` for every event committed through this store,
   * once per event, in log order (tc_store_subscribe).
   *
   * The library calls subscribers on the appending thread, after the commit:
   * for appends made from JavaScript (append, appendEvents, Tutor#submit,
   * Tutor#act) that is the JS thread, inside the call, so the callback may
   * call the store (events it appends are delivered after the current ones).
   * Tutor#profile() runs on the JS thread while the store has subscribers;
   * appends made by native code on other threads must not be combined with
   * JS subscribers (see docs/getting-started-node.md).
   *
   * An exception the callback throws does not undo anything: it is kept in
   * `subscription.errors` and passed to `onError`, or else emitted as a
   * process warning.
   *
   * @throws {InvalidArgumentError} a Tutor#profile() over this store is in
   *   flight on a worker thread (await it first).
   */
  subscribe(callback, { onError } = {}) {
    if (typeof callback !== 'function') throw new TypeError('callback must be a function');
    if (onError !== undefined && typeof onError !== 'function') throw new TypeError('onError must be a function');
    this._ptr();
    if (this.#asyncAppenders > 0) {
      throw new InvalidArgumentError(
        'cannot subscribe while a profile() over this store runs on a worker thread (it appends ' +
          'from there, and a JS subscriber must only be called from the JS thread); await it first',
      );
    }
    const sub = new Subscription(this, callback, onError);
    const { types } = loadedLibrary();
    const registered = koffi.register((ptr, len) => sub._deliver(ptr, len), koffi.pointer(types.EventCallback));
    const token = [0];
    try {
      this._use((ptr) => check(lib().tc_store_subscribe(token, ptr, registered, null), 'tc_store_subscribe'));
    } catch (err) {
      koffi.unregister(registered);
      throw err;
    }
    sub._activate(token[0], registered);
    this.#subs.set(sub.token, sub);
    return sub;
  }

  /** The active subscriptions. */
  get subscriptions() {
    return this.closed ? [] : [...this.#subs.values()].filter((s) => s.active);
  }

  /** @internal Whether a JS subscriber is registered. */
  get _hasSubscribers() {
    return this.#subs.size > 0 && !this.closed;
  }

  /** @internal Counts a call appending from a worker thread. */
  _beginAsyncAppend() {
    this.#asyncAppenders++;
  }

  /** @internal */
  _endAsyncAppend() {
    this.#asyncAppenders--;
  }

  /** @internal Subscription#unsubscribe(). */
  _forget(sub) {
    if (this.#subs.get(sub.token) !== sub) return;
    const cell = this._cell;
    if (cell.freed) return; // released (and its slot with it) at close
    if (!cell.closed) {
      this._use((ptr) => check(lib().tc_store_unsubscribe(ptr, sub.token), 'tc_store_unsubscribe'));
    }
    this.#subs.delete(sub.token);
    // A delivery in progress may still hold the callback: release koffi's
    // slot once no call is using the store.
    if (cell.busy === 0) sub._release();
    else cell.whenIdle.push(() => sub._release());
  }

  /** @internal */
  _describe() {
    return { backend: this.backend, path: this.path };
  }
}
