// Teacher coaching through the binding, with a JavaScript text generator.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import * as tc from '../index.js';
import { MINIMAL, TENANT, answer } from './support.js';

describe('coaching', () => {
  let store;
  let tutor;
  beforeEach(() => {
    store = tc.Store.inMemory();
    tutor = new tc.Tutor(store, MINIMAL);
    tutor.submit(answer('s1', 2, 3, 'c1'));
  });
  afterEach(() => store.close());

  test('a pre-class plan, its acknowledgement and a debrief', () => {
    const plan = tutor.coaching({ plan: 'pre_class', tenant: TENANT, roster: { s1: 'Robin' } });
    assert.equal(plan.schema_version, 1);
    assert.ok('action_items' in plan.plan);
    assert.ok(plan.text.startsWith("Today's plan"));
    // The display name is for the text only: the log keeps ids.
    const stored = store.read({ tenant: TENANT }).events.find((e) => e.id === plan.event_id);
    assert.ok(!JSON.stringify(stored).includes('Robin'));
    const ack = tutor.acknowledgePlan(TENANT, plan.event_id, 'x7', { removed: [] });
    assert.equal(ack.schema_version, 1);
    assert.ok(store.read({ tenant: TENANT, type: 'coaching.plan_acknowledged' }).events.length === 1);
    assert.equal(tutor.acknowledgePlan(TENANT, BigInt(plan.event_id), 'x7').schema_version, 1);
    assert.throws(() => tutor.acknowledgePlan(TENANT, 9999, 'x7'), tc.NotFoundError);
    assert.throws(() => tutor.acknowledgePlan(TENANT, 1.5, 'x7'), TypeError);
    const debrief = tutor.coaching({ plan: 'debrief', tenant: TENANT, since_us: 1 });
    assert.equal(typeof debrief.text, 'string');
    assert.throws(() => tutor.coaching({ plan: 'lunch', tenant: TENANT }), tc.InvalidArgumentError);
  });

  test('parent summaries from the template and from a JS text generator', () => {
    const template = tutor.coaching({ plan: 'parent_summary', tenant: TENANT, student: 's1' });
    assert.equal(template.source, 'template');
    const seen = [];
    tutor.setTextGenerator((context) => {
      seen.push(context);
      return `Élève ${context.student} — a host's text`;
    });
    for (let i = 0; i < 3; i++) {
      const out = tutor.coaching({ plan: 'parent_summary', tenant: TENANT, student: 's1' });
      assert.equal(out.source, 'host');
      assert.equal(out.text, "Élève s1 — a host's text");
    }
    assert.equal(seen[0].student, 's1');
    tutor.setTextGenerator(() => {
      throw new Error('the LLM is down');
    });
    assert.equal(tutor.coaching({ plan: 'parent_summary', tenant: TENANT, student: 's1' }).source, 'template');
    tutor.setTextGenerator(() => ''); // no text: the template
    assert.equal(tutor.coaching({ plan: 'parent_summary', tenant: TENANT, student: 's1' }).source, 'template');
    tutor.setTextGenerator(null);
    assert.equal(tutor.coaching({ plan: 'parent_summary', tenant: TENANT, student: 's1' }).source, 'template');
    assert.throws(() => tutor.setTextGenerator('text'), TypeError);
    tutor.setTextGenerator(() => 'kept until close');
    tutor.close(); // releases the generator's slot
    assert.throws(() => tutor.setTextGenerator(() => 'x'), { message: 'this Tutor is closed' });
  });
});
