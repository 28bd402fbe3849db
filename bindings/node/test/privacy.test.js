// Privacy through the binding: the personal-data switch of a store
// (allowPersonalData, describe()) and the de-identified research export
// (tc_tutor_research_export).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import * as tc from '../index.js';
import { MINIMAL, TENANT } from './support.js';

const NAMED = {
  tenant: TENANT,
  entity_type: 'student',
  entity_id: 's-1',
  type: 'note.added',
  payload: { roster: { display_name: 'Ada' }, contact: 'ada@example.org' },
};

describe('personal data switch', () => {
  test('refused by default, naming the field', () => {
    const store = tc.Store.inMemory();
    try {
      assert.throws(() => store.append(NAMED), {
        name: 'InvalidArgumentError',
        message: /event\[0\]\.payload\.roster\.display_name: field 'display_name'/,
      });
      assert.equal(store.lastId(), 0);
      const d = store.describe();
      assert.equal(d.schema_version, 1);
      assert.equal(d.backend, 'memory');
      assert.equal(d.personal_data_allowed, false);
    } finally {
      store.close();
    }
  });

  test('accepted when allowed, and another store still refuses', () => {
    const allowed = tc.Store.inMemory({ allowPersonalData: true });
    const strict = tc.Store.inMemory();
    try {
      assert.deepEqual(allowed.append(NAMED).new, [true]);
      assert.equal(allowed.describe().personal_data_allowed, true);
      assert.equal(allowed.read({ tenant: TENANT }).events[0].payload.roster.display_name, 'Ada');
      assert.throws(() => strict.append(NAMED), tc.InvalidArgumentError);
      assert.equal(strict.describe().personal_data_allowed, false);
    } finally {
      allowed.close();
      strict.close();
    }
    assert.throws(() => tc.Store.inMemory({ allowPersonalData: 'yes' }), TypeError);
  });

  test('a version-1 options struct has no switch', () => {
    const raw = tc.storeOptionsInit(1);
    assert.equal(raw.version, 1);
    const store = new tc.Store({ raw: { ...raw, allow_personal_data: 1 }, memory: true });
    try {
      assert.equal(store.describe().personal_data_allowed, false);
      assert.throws(() => store.append(NAMED), tc.InvalidArgumentError);
    } finally {
      store.close();
    }
  });
});

/** Students in classrooms room-0, room-1, ... of the given sizes, each with 8
 * answers and a level on unit_alpha (even: 0.97, odd: 0.5). */
function syntheticClass(sizes) {
  const events = [];
  const ids = [];
  sizes.forEach((size, room) => {
    for (let i = 0; i < size; i++) {
      const student = `pupil-${room}-${String(i).padStart(3, '0')}`;
      ids.push(student);
      const base = { tenant: TENANT, entity_type: 'student', entity_id: student };
      events.push({ ...base, type: 'classroom.enrolled', payload: { classroom_id: `room-${room}` } });
      for (let k = 0; k < 8; k++) {
        events.push({
          ...base,
          type: 'response.submitted',
          payload: { problem_id: 'unit_alpha_p1', concept_id: 'unit_alpha', correct: true },
        });
      }
      events.push({
        ...base,
        type: 'mastery.updated',
        payload: { concept_id: 'unit_alpha', new_level: i % 2 === 0 ? 0.97 : 0.5 },
      });
    }
  });
  return { events, ids };
}

describe('research export', () => {
  let store;
  let tutor;
  beforeEach(() => {
    store = tc.Store.inMemory();
    tutor = new tc.Tutor(store, MINIMAL);
  });
  afterEach(() => store.close());

  test('small groups suppressed, complementary suppression, no ids', () => {
    const { events, ids } = syntheticClass([12, 9, 10]);
    store.append(events);
    const before = store.lastId();
    const doc = tutor.researchExport({ tenant: TENANT });
    assert.equal(store.lastId(), before); // reads only
    assert.equal(doc.export, 'research');
    assert.equal(doc.min_group_size, 10);
    assert.match(doc.generated_on, /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(doc.cohorts.groups, [
      { cohort: 'cohort_1', students: 12, suppressed: false },
      { cohort: 'cohort_2', students: null, suppressed: true }, // 9 < 10
      { cohort: 'cohort_3', students: null, suppressed: true }, // 9 hidden < 10: the next smallest too
    ]);
    assert.deepEqual(doc.cohorts.total, { students: 31, suppressed: false });
    const alpha = doc.concepts.find((c) => c.concept_id === 'unit_alpha');
    assert.equal(alpha.total.students, 31);
    const first = alpha.cohorts.find((c) => c.cohort === 'cohort_1');
    assert.ok(Math.abs(first.mean_mastery - (0.97 + 0.5) / 2) < 1e-12);
    assert.equal(first.share_mastered, 0.5);
    const text = JSON.stringify(doc);
    for (const id of ids) assert.ok(!text.includes(id), id);
    assert.ok(!text.includes('room-'));

    const small = tutor.researchExport(JSON.stringify({ tenant: TENANT, min_group_size: 5 }));
    assert.deepEqual(
      small.cohorts.groups.map((g) => g.students),
      [12, 9, 10],
    );
  });

  test('bad requests name the field', () => {
    store.append(syntheticClass([3]).events);
    const cases = [
      [{ tenant: TENANT, min_group_size: 1 }, /research export request\.min_group_size: 1 is outside 2\.\.1000000/],
      [{ tenant: TENANT, min_group_size: 2.5 }, /research export request\.min_group_size: must be an integer/],
      [{ tenant: 5 }, /research export request\.tenant: must be a string/],
      [{ tenant: TENANT, student: 's-1' }, /research export request\.student: unknown field/],
      [{ tenant: 'nobody' }, /research export request\.tenant: tenant 'nobody' has no learning data/],
      ['{"tenant": "t1", ', /research export request: malformed JSON/],
    ];
    for (const [request, message] of cases) {
      assert.throws(() => tutor.researchExport(request), {
        name: 'InvalidArgumentError',
        function: 'tc_tutor_research_export',
        message,
      });
    }
  });
});
