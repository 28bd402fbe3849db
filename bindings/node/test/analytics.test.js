// Class analytics (tc_tutor_analytics) through the binding: a Promise on a
// worker thread, and its synchronous twin.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import * as tc from '../index.js';
import { MINIMAL, TENANT, answer, teacher } from './support.js';

/** Four students in two classrooms, all with mis_alpha_one, s0 and s1 also
 * with mis_gamma_one (the C ABI test's class). */
function enrollmentsAndDetections() {
  const events = [];
  for (let s = 0; s < 4; s++) {
    const student = { tenant: TENANT, entity_type: 'student', entity_id: `s${s}` };
    events.push({ ...student, type: 'classroom.enrolled', payload: { classroom_id: `room-${s % 2}` } });
    events.push({
      ...student,
      type: 'misconception.detected',
      payload: { misconception_id: 'mis_alpha_one', concept_id: 'unit_alpha' },
    });
    if (s < 2) {
      events.push({
        ...student,
        type: 'misconception.detected',
        payload: { misconception_id: 'mis_gamma_one', concept_id: 'unit_gamma' },
      });
    }
  }
  return events;
}

describe('class analytics', () => {
  let store;
  let tutor;
  beforeEach(() => {
    store = tc.Store.inMemory();
    tutor = new tc.Tutor(store, MINIMAL);
  });
  afterEach(() => store.close());

  test('every analysis of a class, as a Promise', async () => {
    store.append(enrollmentsAndDetections());
    const before = store.lastId();
    const pending = tutor.analytics({ analysis: 'all', tenant: TENANT });
    assert.ok(pending instanceof Promise);
    const report = await pending;
    assert.equal(report.schema_version, 1);
    assert.equal(report.students, 4);
    assert.equal(report.classrooms, 2);
    for (const section of ['cooccurrence', 'effectiveness', 'cohorts', 'prerequisites', 'drift']) {
      assert.ok(section in report, section);
    }
    assert.deepEqual(report.cooccurrence.matrix, [
      [1, 0.5],
      [1, 1],
    ]);
    assert.deepEqual(report.prerequisites.proposals, []);
    assert.equal(store.lastId(), before); // reads only
    assert.deepEqual(tutor.analyticsSync({ analysis: 'all', tenant: TENANT }), report);

    const room = await tutor.analytics(
      JSON.stringify({ analysis: 'cooccurrence', tenant: TENANT, classroom: 'room-0' }),
    );
    assert.equal(room.students, 2);
    assert.ok(!('cohorts' in room));
  });

  test("the pipeline's own events, while submits go on", async () => {
    assert.equal((await tutor.analytics({ analysis: 'all', tenant: 'empty' })).students, 0);
    tutor.submit(answer('s1', 2, 3, 'a1'));
    tutor.act(teacher('approve', 's1'));
    const running = tutor.analytics({ analysis: 'effectiveness', tenant: TENANT, config: { min_trials: 1 } });
    tutor.submit(answer('s2', 2, 3, 'a2')); // the event loop is free meanwhile
    const report = await running;
    assert.ok(report.students >= 1);
    assert.equal(report.config.min_trials, 1);
  });

  test('rejections carry the library message (EINVAL) or the documented one (ENOTFOUND)', async () => {
    await assert.rejects(tutor.analytics({ analysis: 'trends', tenant: TENANT }), {
      name: 'InvalidArgumentError',
      function: 'tc_tutor_analytics',
      message: /analytics request\.analysis: 'trends' is not one of/,
    });
    await assert.rejects(tutor.analytics({ analysis: 'all' }), { message: /analytics request\.tenant/ });
    await assert.rejects(tutor.analytics({ analysis: 'all', tenant: TENANT, config: { drift_fail_rate: 2 } }), {
      message: /analytics request\.config\.drift_fail_rate/,
    });
    store.append(enrollmentsAndDetections());
    await assert.rejects(tutor.analytics({ analysis: 'drift', tenant: TENANT, classroom: 'room-7' }), {
      name: 'NotFoundError',
      message: /^analytics request\.classroom: no student of tenant 't1' is enrolled in 'room-7'/,
    });
    assert.throws(() => tutor.analyticsSync({ analysis: 'drift', tenant: TENANT, classroom: 'room-7' }), {
      name: 'NotFoundError',
      message: /analytics request\.classroom/,
    });
    await assert.rejects(tutor.analytics({ analysis: 'effectiveness', tenant: TENANT, misconception_id: 'mis_nope' }), {
      name: 'NotFoundError',
      message: /misconception_id: 'mis_nope'/,
    });
    await assert.rejects(tutor.analytics(42), TypeError); // rejects, does not throw
  });

  test('close() while analytics() is in flight frees the tutor after it settles', async () => {
    store.append(enrollmentsAndDetections());
    const running = tutor.analytics({ analysis: 'all', tenant: TENANT });
    tutor.close();
    assert.ok(tutor.closed);
    assert.equal((await running).students, 4);
    await assert.rejects(tutor.analytics({ analysis: 'all', tenant: TENANT }), { message: 'this Tutor is closed' });
  });
});
