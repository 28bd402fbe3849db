// The answer pipeline and the teacher's actions through the binding.

import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';

import * as tc from '../index.js';
import { ALGEBRA, MINIMAL, TENANT, answer, teacher, tempDir } from './support.js';

describe('pipeline on the minimal fixture', () => {
  let domain;
  let store;
  let tutor;
  beforeEach(() => {
    domain = new tc.Domain(MINIMAL);
    store = tc.Store.inMemory();
    tutor = new tc.Tutor(store, domain);
  });
  afterEach(() => {
    tutor.close();
    store.close();
    domain.close();
  });

  test('submit -> misconception and recommendation -> approve -> snapshot and profile', async () => {
    const result = tutor.submit(answer('s1', 2, 3, 's1/1'));
    assert.equal(result.schema_version, 1);
    assert.equal(result.correct, false);
    assert.equal(result.misconception.id, 'mis_alpha_one');
    assert.equal(result.detected.misconception_id, 'mis_alpha_one');
    assert.equal(result.mastery.concept_id, 'unit_alpha');
    assert.ok(result.mastery.new_level < result.mastery.old_level);
    assert.equal(result.recommendations.length, 1);
    const recommendation = result.recommendations[0];
    assert.equal(recommendation.misconception_id, 'mis_alpha_one');
    assert.ok(['visual', 'concrete', 'pattern', 'verbal'].includes(recommendation.modality));
    assert.equal(recommendation.auto_approved, false);
    assert.ok(result.next_problems.problems.length > 0);
    assert.deepEqual(result.event_ids, [1, 2, 3, 4, 5]);
    assert.equal(store.lastId(), 5);

    const approval = tutor.act(teacher('approve', 's1', { idempotency_key: 's1/approve' }));
    assert.deepEqual(
      approval.events.map((e) => e.type),
      ['intervention.approved', 'intervention.assigned'],
    );
    assert.equal(approval.events[1].author, 'teacher:x7');
    assert.equal(approval.events[1].payload.modality, recommendation.modality);
    assert.equal(store.view('escalation', TENANT, 's1').rows[0].state, 'intervention_assigned');

    const snapshot = tutor.snapshot(TENANT, 's1');
    assert.equal(snapshot.student, 's1');
    assert.equal(snapshot.misconceptions[0].misconception_id, 'mis_alpha_one');
    assert.equal(snapshot.misconceptions[0].lifecycle, 'active');
    assert.equal(snapshot.mastery[0].concept_id, 'unit_alpha');
    assert.deepEqual(snapshot.weak_areas, ['unit_alpha']);
    const before = store.lastId();
    tutor.snapshot(TENANT, 's1');
    assert.equal(store.lastId(), before); // reads only

    const pending = tutor.profile(TENANT, 's1');
    assert.ok(pending instanceof Promise);
    const profile = await pending;
    assert.ok('error_pattern' in profile.profile);
    assert.equal(profile.event_id, before + 1); // appended as profile.computed
    assert.equal(store.read({ tenant: TENANT, type: 'profile.computed' }).events.length, 1);
    assert.deepEqual(tutor.profileSync(TENANT, 's1').profile, profile.profile);
  });

  test('a replay with the same idempotency key returns the same object and appends nothing', () => {
    const request = answer('s1', 2, 3, 's1/replay');
    const first = tutor.submit(request);
    const last = store.lastId();
    assert.deepEqual(tutor.submit({ ...request }), first);
    assert.equal(store.lastId(), last);
    // JSON text is the same request; a different answer under the same key
    // is still the first result.
    assert.deepEqual(tutor.submit(JSON.stringify(request)), first);
    assert.deepEqual(tutor.submit({ ...request, answer: '2' }), first);
    const approve = teacher('approve', 's1', { idempotency_key: 's1/approve/1' });
    const approved = tutor.act(approve);
    assert.deepEqual(tutor.act(approve), approved);
  });

  test('bad JSON and bad fields are InvalidArgumentError with the library message', () => {
    assert.throws(
      () => tutor.submit('{"tenant": "t1", '),
      (err) => {
        assert.ok(err instanceof tc.InvalidArgumentError);
        assert.ok(err instanceof tc.TutorcoreError);
        assert.equal(err.status, tc.Status.EINVAL);
        assert.equal(err.code, 'TC_EINVAL');
        assert.equal(err.function, 'tc_submit_response');
        assert.match(err.message, /malformed JSON/);
        return true;
      },
    );
    assert.throws(() => tutor.submit({ tenant: TENANT }), {
      name: 'InvalidArgumentError',
      message: /submit request\.student: required field is missing/,
    });
    assert.throws(() => tutor.submit(answer('s1', 1, 1, 'k', { colour: 'red' })), { message: /colour/ });
    assert.throws(() => tutor.submit(answer('s1', 1, 'ada@example.org', 'k')), {
      name: 'InvalidArgumentError',
      message: /answer/,
    });
    assert.throws(() => tutor.submit(answer('s1', 1, 1, 'k', { latency_ms: Number.NaN })), {
      name: 'InvalidArgumentError',
      message: /cannot be encoded as JSON/,
    });
    assert.throws(() => tutor.submit(42), TypeError);
    assert.equal(store.lastId(), 0); // nothing stored
  });

  test('an unknown problem is NotFoundError with the message', () => {
    assert.throws(
      () => tutor.submit({ ...answer('s1', 1, 1, 'k'), problem_id: 'zzz' }),
      (err) => {
        assert.ok(err instanceof tc.NotFoundError);
        assert.equal(err.status, -2);
        assert.equal(err.code, 'TC_ENOTFOUND');
        assert.equal(err.message, "submit request.problem_id: 'zzz' is not a problem of domain 'fixture_minimal'");
        assert.match(String(err), /TC_ENOTFOUND/);
        assert.match(err.stack, /^NotFoundError: submit request\.problem_id/);
        return true;
      },
    );
    assert.equal(store.lastId(), 0);
  });

  test('an action the state does not allow names the state', () => {
    tutor.submit(answer('s1', 2, 3, 'k1'));
    tutor.act(teacher('approve', 's1'));
    assert.throws(() => tutor.act(teacher('acknowledge', 's1')), {
      name: 'InvalidArgumentError',
      message: /state 'intervention_assigned'/,
    });
    assert.throws(() => tutor.act(teacher('resolve', 's1')), { message: /intervention_assigned/ });
    assert.throws(() => tutor.act(teacher('approve', 'nobody')), tc.NotFoundError);
    assert.throws(() => tutor.act(teacher('dance', 's1')), tc.InvalidArgumentError);
  });

  test('Promise-returning calls reject with the library message', async () => {
    await assert.rejects(tutor.profile(TENANT, 'nobody'), {
      name: 'NotFoundError',
      function: 'tc_tutor_profile',
      message: "profile request: student 'nobody' has no responses in tenant 't1'",
    });
    await assert.rejects(tutor.profile(TENANT, ''), { name: 'InvalidArgumentError', message: /student/ });
    await assert.rejects(tutor.evaluatePolicy(TENANT, 'oracle'), {
      name: 'InvalidArgumentError',
      message: /'oracle' is not thompson, greedy or uniform/,
    });
    await assert.rejects(tutor.evaluatePolicy(TENANT, 'greedy'), {
      name: 'NotFoundError',
      message: /tenant 't1' has no logged recommendation with a known outcome/,
    });
    assert.throws(() => tutor.evaluatePolicySync(TENANT, 'greedy'), {
      message: "policy evaluation: tenant 't1' has no logged recommendation with a known outcome",
    });
    await assert.rejects(tutor.profile(TENANT, 42), TypeError); // rejects, does not throw
    assert.throws(() => tutor.snapshot(TENANT, ''), tc.InvalidArgumentError);
    assert.throws(() => tutor.snapshot(TENANT, 42), TypeError);
  });

  test('the outcome window, the views and policy evaluation', async () => {
    tutor.submit(answer('s1', 2, 3, 'w/1'));
    tutor.act(teacher('approve', 's1'));
    const results = [0, 1, 3].map((i) => tutor.submit(answer('s1', i, i, `w/${i + 10}`)));
    assert.equal(results.at(-1).outcomes[0].outcome, 'resolved');
    assert.equal(store.view('effectiveness', TENANT).rows[0].resolutions, 1);
    assert.equal(store.view('practice', TENANT, 's1').rows.length, 4);
    assert.equal(store.view('modality', TENANT).view, 'modality');
    const evaluation = await tutor.evaluatePolicy(TENANT, 'greedy');
    assert.equal(evaluation.target, 'greedy');
    assert.equal(evaluation.records, 1);
    assert.equal(evaluation.logged_value, 1);
    assert.equal((await tutor.evaluatePolicy(TENANT)).target, 'thompson');
    assert.deepEqual(tutor.evaluatePolicySync(TENANT, 'greedy'), evaluation);
  });

  test('a subscriber sees the pipeline events, and profile() then runs on the JS thread', async () => {
    const seen = [];
    const sub = store.subscribe((e) => seen.push([e.id, e.type]));
    const result = tutor.submit(answer('s1', 2, 3, 'sub/1'));
    tutor.submit(answer('s1', 2, 3, 'sub/1')); // a replay delivers nothing
    assert.deepEqual(
      seen.map(([id]) => id),
      result.event_ids,
    );
    const types = seen.map(([, t]) => t);
    assert.equal(types[0], 'response.submitted');
    assert.ok(types.includes('misconception.detected'));
    assert.ok(types.includes('intervention.recommended'));
    assert.equal(types.at(-1), 'problems.proposed');
    const profile = await tutor.profile(TENANT, 's1');
    assert.deepEqual(seen.at(-1), [profile.event_id, 'profile.computed']);
    sub.unsubscribe();
    // With no subscriber, profile() runs on a worker; subscribing meanwhile is refused.
    const running = tutor.profile(TENANT, 's1');
    assert.throws(() => store.subscribe(() => {}), { name: 'InvalidArgumentError', message: /await it first/ });
    await running;
    store.subscribe(() => {}).unsubscribe();
  });

  test('configuration', () => {
    assert.throws(() => new tc.Tutor(store, domain, { escalation: { max_modality_attempts: 9 } }), {
      name: 'InvalidArgumentError',
      message: /tutor config\.escalation\.max_modality_attempts/,
    });
    assert.throws(() => new tc.Tutor(store, domain, { no_such_option: 1 }), tc.InvalidArgumentError);
    const configured = new tc.Tutor(store, domain, { next_problems: 1, seed: 7 });
    const result = configured.submit(answer('s2', 1, 1, 'cfg'));
    assert.equal(result.correct, true);
    assert.equal(result.next_problems.problems.length, 1);
    configured.close();
    const defaults = new tc.Tutor(store, domain, ''); // "" = the defaults
    defaults.snapshot(TENANT, 's2');
    defaults.close();
    assert.throws(() => new tc.Tutor('not a store', domain), TypeError);
    assert.throws(() => new tc.Tutor(store, 3.5), TypeError);
  });

  test('the domain may be closed once the tutor is open', () => {
    const d = new tc.Domain(MINIMAL);
    const t = new tc.Tutor(store, d);
    d.close();
    assert.equal(t.submit(answer('s3', 4, 4, 'after-close')).correct, true);
    t.close();
    assert.ok(t.closed);
  });
});

describe('lifetimes', () => {
  test('use after close throws, close is idempotent, closing the store closes its tutors', () => {
    const store = tc.Store.inMemory();
    const tutor = new tc.Tutor(store, MINIMAL);
    tutor.submit(answer('s1', 1, 1, 'k1'));
    store.close();
    assert.ok(store.closed);
    assert.ok(tutor.closed);
    assert.throws(() => tutor.submit(answer('s1', 1, 1, 'k2')), {
      name: 'InvalidArgumentError',
      message: 'this Tutor is closed',
    });
    assert.throws(() => store.lastId(), { message: 'this Store is closed' });
    tutor.close(); // already released with the store: nothing freed twice
    store.close();
    assert.throws(() => new tc.Tutor(store, MINIMAL), { message: 'this Store is closed' });
  });

  test('close() while a Promise is in flight frees the handle after it settles', async () => {
    const store = tc.Store.inMemory();
    const tutor = new tc.Tutor(store, MINIMAL);
    tutor.submit(answer('s1', 2, 3, 'k1'));
    const profile = tutor.profile(TENANT, 's1');
    const rebuild = store.rebuildViews();
    store.close(); // closes the tutor too; both frees wait for the calls
    assert.ok(tutor.closed);
    assert.ok((await profile).profile);
    await rebuild;
    await assert.rejects(tutor.profile(TENANT, 's1'), { message: 'this Tutor is closed' });
    await assert.rejects(store.rebuildViews(), { message: 'this Store is closed' });
  });

  test('many handles dropped without close() are collected', async () => {
    const domain = new tc.Domain(MINIMAL);
    for (let i = 0; i < 20; i++) {
      const store = tc.Store.inMemory();
      const tutor = new tc.Tutor(store, domain);
      tutor.submit(answer('s1', 1, 2, 'k'));
      if (i % 2) store.subscribe(() => {});
    }
    domain.close();
    if (global.gc) {
      global.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
});

describe('the algebra domain on SQLite', () => {
  const REQUEST = {
    tenant: 'district-7',
    student: 's-0192',
    problem_id: 'ias_01',
    answer: '-10',
    latency_ms: 21000,
    idempotency_key: 's-0192/answer/1',
  };

  test('add magnitudes, then approve; the replay survives a reopen', (t) => {
    const db = path.join(tempDir(t), 'school.db');
    let store = new tc.Store(db);
    let tutor = new tc.Tutor(store, ALGEBRA);
    const first = tutor.submit(REQUEST);
    assert.equal(first.misconception.id, 'ias_add_magnitudes');
    assert.equal(first.recommendations[0].misconception_id, 'ias_add_magnitudes');
    const approval = tutor.act({
      action: 'approve',
      tenant: 'district-7',
      student: 's-0192',
      misconception_id: 'ias_add_magnitudes',
      teacher_id: 't-12',
      idempotency_key: 's-0192/approve/1',
    });
    assert.equal(approval.events.at(-1).type, 'intervention.assigned');
    const last = store.lastId();
    store.close();
    // A second process (here: a second open) replays the same keys.
    store = new tc.Store(db);
    tutor = new tc.Tutor(store, new URL(`file://${ALGEBRA}`));
    assert.deepEqual(tutor.submit(REQUEST), first);
    assert.equal(store.lastId(), last);
    assert.equal(tutor.snapshot('district-7', 's-0192').misconceptions[0].state, 'intervention_assigned');
    store.close();
  });
});
