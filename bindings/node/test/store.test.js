// The event store: options, append, read, views, subscriptions, lifetimes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';

import * as tc from '../index.js';
import { HEADER, TENANT, tempDir } from './support.js';

function event(entityId = 's-1', type = 'response.submitted', { key, payload } = {}) {
  const doc = {
    tenant: TENANT,
    entity_type: 'student',
    entity_id: entityId,
    type,
    payload: payload ?? { problem_id: 'p1', concept_id: 'c1', correct: true },
  };
  if (key !== undefined) doc.idempotency_key = key;
  return doc;
}

describe('memory store', () => {
  let store;
  beforeEach(() => {
    store = tc.Store.inMemory();
  });
  afterEach(() => store.close());

  test('round trip: append, replay, read, views, rebuild', async () => {
    assert.equal(store.backend, 'memory');
    assert.equal(store.path, null);
    assert.equal(store.lastId(), 0);
    const one = event('s-1', 'response.submitted', { key: 'a1' });
    assert.deepEqual(store.append(one), { schema_version: 1, ids: [1], new: [true] });
    // The same key again: stored once, same id, no error.
    assert.deepEqual(store.append(one), { schema_version: 1, ids: [1], new: [false] });
    const batch = store.append([
      event('s-2', 'mastery.updated', { payload: { concept_id: 'c1', new_level: 0.5 } }),
      event('s-2', 'response.submitted', { payload: { problem_id: 'p1', concept_id: 'c1', correct: false } }),
    ]);
    assert.deepEqual(batch.ids, [2, 3]);
    assert.equal(store.lastId(), 3);

    const page = store.read({ tenant: TENANT, entity_id: 's-2' });
    assert.equal(page.last_id, 3);
    assert.deepEqual(
      page.events.map((e) => e.type),
      ['mastery.updated', 'response.submitted'],
    );
    assert.deepEqual(page.events[0].payload, { concept_id: 'c1', new_level: 0.5 });
    assert.equal(page.events[0].entity_id, 's-2');
    assert.equal(store.read(JSON.stringify({ tenant: TENANT, type: 'mastery.updated' })).events[0].id, 2);
    assert.deepEqual(store.read({ tenant: 't2' }).events, []);

    const view = store.view('mastery', TENANT, 's-2');
    assert.equal(view.view, 'mastery');
    assert.equal(view.rows.length, 1);
    assert.equal(view.rows[0].level, 0.5);
    assert.equal(view.rows[0].attempts, 1);
    await store.rebuildViews();
    assert.deepEqual(store.view('mastery', TENANT, 's-2'), view);
    store.rebuildViewsSync();
    assert.deepEqual(store.view('mastery', TENANT, 's-2'), view);
    store.checkpoint();
  });

  test('typed append (tc_event structs)', () => {
    const ids = store.appendEvents([
      {
        tenant: TENANT,
        entity_type: 'student',
        entity_id: 's-3',
        type: 'mastery.updated',
        payload: { concept_id: 'c1', new_level: 0.25 },
        author: 'teacher:x7',
        idempotency_key: 'typed/1',
      },
      {
        tenant: TENANT,
        entity_type: 'student',
        entity_id: 's-3',
        type: 'note.added',
        payload: '{"text": "json text payload"}',
        time_us: 1767225600000000,
      },
    ]);
    assert.deepEqual(ids, [1, 2]);
    assert.deepEqual(store.appendEvents([{ ...event('s-3'), idempotency_key: 'typed/1' }]), [1]);
    assert.deepEqual(store.appendEvents([]), []);
    const events = store.read({ tenant: TENANT }).events;
    assert.equal(events[0].author, 'teacher:x7');
    assert.equal(events[1].time_us, 1767225600000000);
    assert.equal(events[1].payload.text, 'json text payload');
    assert.throws(() => store.appendEvents([{ ...event(), payload: '{"problem_id":' }]), {
      name: 'InvalidArgumentError',
      function: 'tc_store_append',
      message: /event\[0\]\.payload: malformed JSON/,
    });
    assert.throws(() => store.appendEvents([{ ...event(), tenent: 'x' }]), {
      name: 'InvalidArgumentError',
      message: 'event[0].tenent: unknown field',
    });
    assert.equal(store.lastId(), 2);
  });

  test('bad input names what is wrong; nothing is stored', () => {
    assert.throws(() => store.append('{"tenant":'), {
      name: 'InvalidArgumentError',
      function: 'tc_store_append_json',
      message: /events JSON: malformed JSON/,
    });
    assert.throws(() => store.append([{ tenant: TENANT, tenent: 1 }]), { message: /\[0\]\.tenent: unknown field/ });
    assert.throws(() => store.read({ entity_id: 's-2' }), {
      message: /event query\.tenant: required field is missing/,
    });
    assert.throws(() => store.read({ tenant: TENANT, limit: 0 }), { message: /event query\.limit/ });
    assert.throws(() => store.view('moods', TENANT), { message: /unknown view 'moods'/ });
    assert.throws(() => store.append(event('s-1', 'note.added', { payload: { name: 'Ada' } })), tc.InvalidArgumentError);
    assert.throws(() => store.append({ tenant: TENANT, payload: Number.NaN }), tc.InvalidArgumentError);
    assert.throws(() => store.append(7), TypeError);
    assert.equal(store.lastId(), 0);
  });

  test('iterEvents reads page by page', () => {
    store.append(Array.from({ length: 25 }, (_, i) => event(`s-${i}`)));
    assert.deepEqual(
      [...store.iterEvents({ tenant: TENANT }, { pageSize: 10 })].map((e) => e.id),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      [...store.iterEvents({ tenant: TENANT, after_id: 20 }, { pageSize: 2 })].map((e) => e.id),
      [21, 22, 23, 24, 25],
    );
  });
});

describe('subscriptions', () => {
  let store;
  beforeEach(() => {
    store = tc.Store.inMemory();
  });
  afterEach(() => store.close());

  test('a subscriber receives appended events until it unsubscribes', () => {
    const got = [];
    const sub = store.subscribe((e) => got.push(e));
    assert.ok(sub.active);
    assert.deepEqual(store.subscriptions, [sub]);
    store.append(event('s-1', 'response.submitted', { key: 'k1' }));
    store.append(event('s-1', 'response.submitted', { key: 'k1' })); // a replay commits nothing
    store.appendEvents([event('s-2', 'mastery.updated', { payload: { concept_id: 'c1', new_level: 0.5 } })]);
    assert.deepEqual(
      got.map((e) => e.id),
      [1, 2],
    );
    assert.equal(got[0].type, 'response.submitted');
    assert.equal(got[0].tenant, TENANT);
    assert.equal(got[0].payload.problem_id, 'p1');
    assert.equal(got[1].entity_id, 's-2');
    sub.unsubscribe();
    sub.unsubscribe(); // idempotent
    assert.equal(sub.active, false);
    store.append(event('s-3'));
    assert.equal(got.length, 2);
    assert.deepEqual(store.subscriptions, []);
  });

  test('a callback may call the store, and unsubscribe itself', () => {
    const echoes = [];
    const sub = store.subscribe((e) => {
      if (e.type === 'response.submitted') store.append(event(e.entity_id, 'note.added', { payload: { text: 'echo' } }));
      echoes.push([e.id, e.type, store.lastId()]);
      if (e.type === 'note.added') sub.unsubscribe();
    });
    store.append(event('s-1'));
    assert.deepEqual(
      echoes.map(([, t]) => t),
      ['response.submitted', 'note.added'],
    );
    assert.equal(store.lastId(), 2);
    store.append(event('s-2'));
    assert.equal(echoes.length, 2);
  });

  test('a throwing callback changes nothing: the error is kept and reported', () => {
    const reported = [];
    const sub = store.subscribe(
      (e) => {
        throw new Error(`subscriber failed on ${e.id}`);
      },
      { onError: (err) => reported.push(err) },
    );
    assert.deepEqual(store.append(event()).ids, [1]); // committed all the same
    assert.equal(sub.errors.length, 1);
    assert.match(sub.errors[0].message, /subscriber failed on 1/);
    assert.deepEqual(reported, sub.errors);
  });

  test('without onError, a throwing callback becomes a process warning', () => {
    const warnings = [];
    const emit = process.emitWarning;
    process.emitWarning = (message, options) => warnings.push({ message, ...options });
    try {
      store.subscribe(() => {
        throw new TypeError('boom');
      });
      store.append(event());
    } finally {
      process.emitWarning = emit;
    }
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].type, 'TutorcoreSubscriberWarning');
    assert.match(warnings[0].message, /boom/);
    assert.match(warnings[0].detail, /TypeError: boom/);
  });

  test('closing the store inside its callback waits for the append to return', () => {
    const own = tc.Store.inMemory();
    const seen = [];
    own.subscribe((e) => {
      seen.push(e.id);
      own.close();
    });
    const result = own.append([event('s-1'), event('s-2')]);
    assert.deepEqual(result.ids, [1, 2]);
    assert.deepEqual(seen, [1]); // closed: the second event is not delivered
    assert.ok(own.closed);
    assert.throws(() => own.lastId(), { message: 'this Store is closed' });
  });

  test('closing the store drops its subscriptions', () => {
    const own = tc.Store.inMemory();
    const sub = own.subscribe(() => {});
    own.close();
    assert.equal(sub.active, false);
    sub.unsubscribe(); // a no-op once the store is closed
    assert.deepEqual(own.subscriptions, []);
  });
});

describe('SQLite store', () => {
  test('durable round trip', (t) => {
    const db = path.join(tempDir(t), 'store.db');
    let store = new tc.Store(db, { durability: 'full' });
    assert.equal(store.backend, 'sqlite');
    assert.equal(store.path, db);
    store.append(event('s-9', 'mastery.updated', { key: 'm1', payload: { concept_id: 'c1', new_level: 0.25 } }));
    store.close();
    store = new tc.Store({ path: db });
    assert.equal(store.lastId(), 1);
    assert.equal(store.view('mastery', TENANT).rows[0].level, 0.25);
    assert.deepEqual(store.append(event('s-9', 'response.submitted', { key: 'm1' })).new, [false]);
    store.close();
  });

  test('options: storeOptionsInit, raw struct, overrides', (t) => {
    const db = path.join(tempDir(t), 'opts.db');
    const raw = tc.storeOptionsInit();
    // TC_STORE_OPTIONS_INIT: { VERSION, TC_STORE_SQLITE, NULL, 0, 5000, 1000000, 0 }
    assert.deepEqual(raw, {
      version: tc.STORE_OPTIONS_VERSION,
      backend: tc.STORE_SQLITE,
      path: null,
      durability: tc.DURABILITY_NORMAL,
      busy_timeout_ms: 5000,
      checkpoint_every: 1000000,
      allow_personal_data: 0,
    });
    let store = new tc.Store({ raw: { ...raw, path: db, busy_timeout_ms: 100 }, checkpointEvery: -1 });
    assert.equal(store.path, db);
    store.append(event());
    store.close();
    store = new tc.Store(db, { durability: tc.DURABILITY_NORMAL, busyTimeoutMs: 200 });
    assert.equal(store.lastId(), 1);
    store.close();
  });

  test('open errors', (t) => {
    const dir = tempDir(t);
    assert.throws(() => new tc.Store(), { name: 'InvalidArgumentError', message: /path is empty/ });
    assert.throws(() => new tc.Store({ raw: { ...tc.storeOptionsInit(), version: 99, backend: tc.STORE_MEMORY } }), tc.VersionError);
    assert.throws(() => tc.storeOptionsInit(tc.STORE_OPTIONS_VERSION + 1), {
      name: 'VersionError',
      function: 'tc_store_options_init',
      message: /tc_store_options version/,
    });
    assert.throws(() => new tc.Store(path.join(dir, 'x.db'), { durability: 7 }), { message: /durability 7/ });
    assert.throws(() => new tc.Store(path.join(dir, 'x.db'), { durability: 'sometimes' }), tc.InvalidArgumentError);
    assert.throws(() => new tc.Store(path.join(dir, 'x.db'), { memory: true }), tc.InvalidArgumentError);
    assert.throws(() => new tc.Store({ memory: true, postgres: 'dbname=x' }), tc.InvalidArgumentError);
    assert.throws(() => new tc.Store({ memroy: true }), { message: /store options\.memroy: unknown option/ });
    fs.writeFileSync(path.join(dir, 'junk.db'), 'this is not a database'.repeat(100));
    assert.throws(() => new tc.Store(path.join(dir, 'junk.db')), tc.StorageError);
  });

  test('PostgreSQL: unreachable server or a library without libpq', { skip: !fs.readFileSync(HEADER, 'utf8').includes('#define TC_STORE_POSTGRES') }, () => {
    assert.throws(
      () => new tc.Store({ postgres: 'host=/nonexistent-socket-dir dbname=tc connect_timeout=1' }),
      (err) => err instanceof tc.UnavailableError || err instanceof tc.StorageError,
    );
  });
});
