// Assignments, the cold-start diagnostic and generated problems through the binding.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import * as tc from '../index.js';
import { MINIMAL, TENANT } from './support.js';

describe('adaptive sequencing', () => {
  let domain;
  let store;
  let tutor;
  beforeEach(() => {
    domain = new tc.Domain(MINIMAL);
    store = tc.Store.inMemory();
    tutor = new tc.Tutor(store, domain);
  });
  afterEach(() => {
    store.close();
    domain.close();
  });

  test('the cold start, then an assignment', () => {
    const diagnostic = tutor.diagnostic(TENANT, 'n1');
    assert.equal(diagnostic.student, 'n1');
    assert.ok(diagnostic.items.length > 0);
    assert.ok(diagnostic.items.every((i) => i.kind === 'cold_start' && i.reason));
    assert.equal(store.lastId(), 0); // reads only
    const answers = diagnostic.items.map((item, n) => {
      const { problem } = domain.problem(item.problem_id);
      const wrong = Object.values(problem.misconception_answers);
      return { problem_id: item.problem_id, answer: n === 0 && wrong.length ? wrong[0] : problem.correct_answer };
    });
    const request = { tenant: TENANT, student: 'n1', answers, idempotency_key: 'd1' };
    const applied = tutor.applyDiagnostic(request);
    assert.equal(applied.diagnostic.answered, answers.length);
    assert.ok(applied.event_ids.length > 0);
    assert.deepEqual(tutor.applyDiagnostic(request), applied); // a retry
    assert.throws(() => tutor.diagnostic(TENANT, 'n1'), tc.AlreadyExistsError);

    const assignment = tutor.assign({
      tenant: TENANT,
      student: 'n1',
      concepts: ['unit_gamma'],
      idempotency_key: 'as-1',
    });
    assert.equal(assignment.schema_version, 1);
    assert.equal(assignment.assignment.student, 'n1');
    const problems = assignment.assignment.problems;
    assert.ok(problems.length > 0);
    assert.ok(problems.some((p) => p.kind === 'target'));
    assert.ok(problems.every((p) => p.reason));
    assert.ok(problems.some((p) => p.reason.startsWith('target: unit_gamma')));
    assert.deepEqual(
      store.read({ tenant: TENANT, type: 'assignment.created' }).events.map((e) => e.id),
      [assignment.event_id],
    );
    assert.deepEqual(
      tutor.assign({ tenant: TENANT, student: 'n1', concepts: ['unit_gamma'], idempotency_key: 'as-1' }),
      assignment,
    );
  });

  test('an assignment for a student with a misconception', () => {
    tutor.submit({ tenant: TENANT, student: 's1', problem_id: 'unit_alpha_p2', answer: '3', idempotency_key: 'k1' });
    const out = tutor.assign({ tenant: TENANT, student: 's1', concepts: ['unit_alpha'], config: { max_items: 3 } });
    const problems = out.assignment.problems;
    assert.ok(problems.length <= 3);
    assert.ok(problems.some((p) => p.kind === 'diagnostic'));
    assert.ok(!problems.some((p) => p.problem_id === 'unit_alpha_p2')); // never a seen item
  });

  test('errors', () => {
    assert.throws(() => tutor.assign({ tenant: TENANT, student: 'n1', concepts: ['x'] }), tc.NotFoundError);
    assert.throws(() => tutor.assign({ tenant: TENANT, student: 'n1', concepts: [] }), tc.InvalidArgumentError);
    assert.throws(
      () => tutor.assign({ tenant: TENANT, student: 'n1', concepts: ['unit_alpha'], config: { max_items: 0 } }),
      { message: /assign request\.config\.max_items/ },
    );
    assert.throws(
      () =>
        tutor.applyDiagnostic({
          tenant: TENANT,
          student: 'n2',
          answers: [{ problem_id: 'nope', answer: '1' }],
          idempotency_key: 'c2',
        }),
      { name: 'NotFoundError', message: /answers\[0\]\.problem_id/ },
    );
    assert.throws(() => tutor.diagnostic(TENANT, ''), tc.InvalidArgumentError);
    assert.throws(() => tutor.diagnostic(TENANT, 42), TypeError);
  });

  test('generated problems go through the pipeline', () => {
    const out = domain.generate({ template_id: 'tpl_alpha_add', count: 3, seed: 7 });
    assert.equal(out.template_id, 'tpl_alpha_add');
    assert.deepEqual(
      out.instances.map((i) => i.instance),
      [0, 1, 2],
    );
    const first = out.instances[0].problem;
    assert.equal(first.generated, true);
    assert.deepEqual(domain.generate(JSON.stringify({ template_id: 'tpl_alpha_add', count: 3, seed: 7 })), out);
    assert.equal(domain.problem(first.problem_id).problem.correct_answer, first.correct_answer);
    assert.equal(domain.problem('unit_alpha_p1').problem.correct_answer, '1');
    const result = tutor.submit({
      tenant: TENANT,
      student: 'g1',
      problem_id: first.problem_id,
      answer: first.misconception_answers.mis_alpha_one,
      idempotency_key: 'g1',
    });
    assert.equal(result.misconception.id, 'mis_alpha_one');
    assert.throws(() => domain.problem('zzz'), tc.NotFoundError);
    assert.throws(() => domain.generate({ template_id: 'nope' }), tc.NotFoundError);
    assert.throws(() => domain.generate({ template_id: 'tpl_alpha_add', count: 0 }), { message: /count/ });
  });
});
