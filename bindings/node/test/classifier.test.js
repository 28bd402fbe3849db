// Host classifiers written in JavaScript, routing, classification without
// storing, the teacher's review and the labelled data set.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import * as tc from '../index.js';
import { registeredCount } from '../lib/classifier.js';
import { MINIMAL, TENANT, answer } from './support.js';

/** Labels every answer with mis_gamma_one and counts its calls. */
function llm(label = 'mis_gamma_one') {
  return {
    inputs: [],
    released: 0,
    predict(item) {
      this.inputs.push(item);
      return { label, confidence: 0.8, reason: 'js llm' };
    },
    release() {
      this.released++;
    },
  };
}

describe('host classifiers', () => {
  let store;
  let tutor;
  let before;
  beforeEach(() => {
    store = tc.Store.inMemory();
    tutor = new tc.Tutor(store, MINIMAL);
    before = registeredCount();
  });
  afterEach(() => {
    store.close();
  });

  test('a JS classifier answers through the pipeline; review, labels, unregister', () => {
    const host = llm();
    tutor.registerClassifier('js-llm', host);
    assert.ok(tutor.classifiers.includes('js-llm'));
    const settings = tutor.setRouting({ route: ['js-llm', 'rules'] });
    assert.deepEqual(settings.routing.route, ['js-llm', 'rules']);
    const result = tutor.submit({
      tenant: TENANT,
      student: 's1',
      problem_id: 'unit_gamma_p0',
      answer: '9',
      idempotency_key: 'h1',
    });
    assert.deepEqual(result.misconception, { id: 'mis_gamma_one', confidence: 0.8, classifier: 'js-llm' });
    assert.equal(result.recommendations[0].misconception_id, 'mis_gamma_one');
    const item = host.inputs[0];
    assert.equal(item.schema_version, 1);
    assert.equal(item.answer, '9');
    assert.equal(item.problem.id, 'unit_gamma_p0');
    assert.deepEqual(
      item.concept.misconceptions.map((m) => m.id),
      ['mis_gamma_one', 'mis_gamma_two'],
    );
    const { prediction } = tutor.classify({ problem_id: 'unit_gamma_p0', answer: '9' });
    assert.equal(prediction.backend, 'js-llm');
    assert.equal(prediction.reason, 'js llm');

    const review = tutor.reviewClassification({
      tenant: TENANT,
      response_event_id: result.response_event_id,
      teacher_id: 'x7',
      label: 'mis_gamma_two',
    });
    assert.equal(review.review.verdict, 'corrected');
    assert.equal(review.review.original_classifier, 'js-llm');
    const labels = tutor.exportLabels({ tenant: TENANT });
    assert.equal(labels.length, 1);
    assert.equal(labels[0].label, 'mis_gamma_two');
    assert.equal(labels[0].source, 'corrected');
    assert.equal(labels[0].classifier, 'js-llm');
    assert.ok(tutor.exportLabelsJsonl({ tenant: TENANT }).endsWith('\n'));
    assert.deepEqual(tutor.exportLabels({ tenant: 'nobody' }), []);
    assert.throws(() => tutor.exportLabels({ tenant: TENANT, include_unreviewed: 1 }), tc.InvalidArgumentError);

    tutor.unregisterClassifier('js-llm');
    assert.equal(host.released, 1);
    assert.equal(registeredCount(), before);
    assert.ok(!tutor.classifiers.includes('js-llm'));
    assert.throws(() => tutor.unregisterClassifier('js-llm'), tc.NotFoundError);
    assert.equal(tutor.classify({ problem_id: 'unit_gamma_p0', answer: '9' }).prediction.backend, 'hybrid');
  });

  test('a throwing callback fails the call with its message, the thrown error as cause', () => {
    const thrown = new RangeError('the language model timed out');
    tutor.registerClassifier('host', () => {
      throw thrown;
    });
    assert.throws(
      () => tutor.submit(answer('s1', 2, 9, 'e1', { problem_id: 'unit_gamma_p0' })),
      (err) => {
        assert.ok(err instanceof tc.CancelledError);
        assert.equal(err.status, tc.Status.EUSER);
        assert.equal(err.code, 'TC_EUSER');
        assert.equal(err.function, 'tc_submit_response');
        assert.match(err.message, /classifier 'host'/);
        assert.match(err.message, /RangeError: the language model timed out/);
        assert.equal(err.cause, thrown);
        return true;
      },
    );
    assert.equal(store.lastId(), 0); // nothing stored
    assert.throws(() => tutor.classify({ problem_id: 'unit_gamma_p0', answer: '9', backend: 'host' }), {
      name: 'CancelledError',
      message: /timed out/,
    });
    tutor.setRouting({ on_error: 'skip' });
    const { prediction } = tutor.classify({ problem_id: 'unit_gamma_p0', answer: '9' });
    assert.equal(prediction.label, 'unknown');
    assert.match(prediction.reason, /host: failed.*timed out/);
  });

  test('bad replies', () => {
    const replies = [
      undefined,
      { label: 'mis_gamma_one', confidence: 2 },
      '{"label": "correct"',
      Promise.resolve({ label: 'correct', confidence: 1 }),
      42,
    ];
    tutor.registerClassifier('host', () => replies.shift());
    const req = { problem_id: 'unit_gamma_p0', answer: '9', backend: 'host' };
    assert.throws(() => tutor.classify(req), { name: 'CancelledError', message: /predict returned undefined/ });
    assert.throws(() => tutor.classify(req), {
      name: 'InvalidArgumentError',
      message: /classifier 'host' reply\.confidence/,
    });
    assert.throws(() => tutor.classify(req), tc.InvalidArgumentError); // malformed JSON text
    assert.throws(() => tutor.classify(req), { name: 'CancelledError', message: /returned a Promise/ });
    assert.throws(() => tutor.classify(req), { name: 'CancelledError', message: /predict returned type number/ });
  });

  test('predictBatch gets its answers together; supportsConcept filters', () => {
    const batches = [];
    tutor.registerClassifier('model', {
      predict: () => ({ label: 'mis_alpha_one', confidence: 0.9 }),
      predictBatch(items) {
        batches.push(items);
        return items.map(() => ({ label: 'correct', confidence: 1 }));
      },
      supportsConcept: (conceptId) => conceptId === 'unit_alpha',
    });
    const out = tutor.classifyBatch({
      items: [
        { problem_id: 'unit_alpha_p0', answer: '5' },
        { problem_id: 'unit_beta_p0', answer: '1' },
        { problem_id: 'unit_alpha_p1', answer: '7' },
      ],
    });
    assert.equal(batches.length, 1);
    assert.deepEqual(
      batches[0].map((i) => i.problem.id),
      ['unit_alpha_p0', 'unit_alpha_p1'],
    );
    assert.deepEqual(
      out.predictions.map((p) => p.backend),
      ['model', 'rules', 'model'],
    );
    assert.match(
      tutor.classify({ problem_id: 'unit_beta_p0', answer: '0' }).prediction.reason,
      /model: does not support concept unit_beta/,
    );
  });

  test('registration errors keep nothing; close releases once', () => {
    const host = llm();
    tutor.registerClassifier('host', host);
    assert.throws(() => tutor.registerClassifier('host', llm()), tc.AlreadyExistsError);
    assert.throws(() => tutor.registerClassifier('Bad Name', llm()), tc.InvalidArgumentError);
    assert.throws(() => tutor.registerClassifier('hybrid', llm()), tc.InvalidArgumentError);
    assert.throws(() => tutor.registerClassifier('other', {}), TypeError);
    assert.throws(() => tutor.registerClassifier(3, llm()), TypeError);
    assert.equal(registeredCount(), before + 1);
    assert.equal(host.released, 0);
    tutor.close();
    assert.equal(host.released, 1);
    assert.equal(registeredCount(), before);
    tutor.close();
    assert.equal(host.released, 1);
    assert.throws(() => tutor.registerClassifier('late', llm()), { message: 'this Tutor is closed' });
  });

  test("closing the store releases its tutors' classifiers", () => {
    const host = llm();
    tutor.registerClassifier('host', host);
    store.close();
    assert.ok(tutor.closed);
    assert.equal(host.released, 1);
  });

  test('a callback must not call (or close) the tutor that asked it', () => {
    tutor.registerClassifier('host', () => {
      tutor.snapshot(TENANT, 's1');
      return { label: 'correct', confidence: 1 };
    });
    assert.throws(
      () => tutor.classify({ problem_id: 'unit_gamma_p0', answer: '9', backend: 'host' }),
      (err) => {
        assert.equal(err.name, 'CancelledError');
        assert.match(err.message, /must not call the tutor that asked it/);
        assert.ok(err.cause instanceof tc.InvalidArgumentError);
        return true;
      },
    );
    tutor.registerClassifier('closer', () => {
      tutor.close();
      return { label: 'correct', confidence: 1 };
    });
    assert.throws(() => tutor.classify({ problem_id: 'unit_gamma_p0', answer: '9', backend: 'closer' }), {
      name: 'CancelledError',
      message: /must not call the tutor/,
    });
    assert.ok(!tutor.closed);
    // Another tutor may be called.
    const other = new tc.Tutor(store, MINIMAL);
    tutor.registerClassifier('other', () => {
      other.snapshot(TENANT, 's1');
      return { label: 'correct', confidence: 1 };
    });
    assert.equal(
      tutor.classify({ problem_id: 'unit_gamma_p0', answer: '9', backend: 'other' }).prediction.label,
      'correct',
    );
  });

  test('supportsConcept or release throwing is a process warning', async () => {
    const warnings = [];
    const onWarning = (w) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      tutor.registerClassifier('model', {
        predict: () => ({ label: 'correct', confidence: 1 }),
        supportsConcept: () => {
          throw new Error('no idea');
        },
        release: () => {
          throw new Error('cannot release');
        },
      });
      assert.equal(tutor.classify({ problem_id: 'unit_alpha_p0', answer: '0' }).prediction.backend, 'rules');
      tutor.unregisterClassifier('model');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(
      warnings.map((w) => w.name),
      ['TutorcoreClassifierWarning', 'TutorcoreClassifierWarning'],
    );
  });

  test('many registrations leak no callback slot', () => {
    for (let i = 0; i < 200; i++) {
      tutor.registerClassifier('host', llm());
      tutor.unregisterClassifier('host');
    }
    assert.equal(registeredCount(), before);
  });
});
