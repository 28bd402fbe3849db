// The validity simulator through the binding (domain.simulate).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as tc from '../index.js';
import { ALGEBRA } from './support.js';

test('simulate resolves off the event loop, deterministic for a seed', async () => {
  const domain = new tc.Domain(ALGEBRA);
  try {
    const a = await domain.simulate({ students: 60, per_student: true });
    const b = domain.simulateSync({ students: 60, per_student: true, threads: 1 });
    assert.deepEqual(a, b);
    assert.equal(a.domain, 'algebra_fundamentals');
    assert.equal(a.gains.length, 60);
    assert.equal(a.bkt_rmse.length, a.options.budget + 1);
    const c = await domain.simulate({ students: 60, per_student: true, seed: 7 });
    assert.notDeepEqual(a.gains, c.gains);
  } finally {
    domain.close();
  }
});

test('misidentification costs gain; bad requests name the field', async () => {
  const domain = new tc.Domain(ALGEBRA);
  try {
    const perfect = await domain.simulate({ students: 300 });
    const half = await domain.simulate({ students: 300, errors: { misidentification: 0.5 } });
    assert.ok(perfect.gain.mean > 1.1 * half.gain.mean);
    await assert.rejects(domain.simulate({ errors: { misroute: 2 } }), {
      name: 'InvalidArgumentError',
      message: /simulation\.errors\.misroute/,
    });
    assert.throws(() => domain.simulateSync({ item_selection: 'best' }), {
      name: 'InvalidArgumentError',
      message: /'best' is not one of/,
    });
  } finally {
    domain.close();
  }
});
