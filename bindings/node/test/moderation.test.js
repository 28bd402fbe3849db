// Moderation and metacognitive bias detection through the binding, with
// host classifiers written in JavaScript.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import * as tc from '../index.js';
import { MINIMAL, TENANT } from './support.js';

/** Fast, wrong, unverified submits with a high self-reported confidence. */
function overconfidentSession(student = 'b1', session = 'sess', n = 6) {
  const events = [];
  for (let i = 0; i < n; i++) {
    const base = { tenant: TENANT, entity_type: 'student', entity_id: student };
    const problem = `unit_alpha_p${i % 5}`;
    events.push({
      ...base,
      type: 'interaction.problem_started',
      payload: { session_id: session, problem_id: problem },
    });
    events.push({
      ...base,
      type: 'interaction.submitted',
      payload: { session_id: session, problem_id: problem, correct: false, latency_ms: 2000, confidence: 0.95 },
    });
  }
  return events;
}

describe('moderation and metacognition', () => {
  let store;
  let tutor;
  beforeEach(() => {
    store = tc.Store.inMemory();
    tutor = new tc.Tutor(store, MINIMAL);
  });
  afterEach(() => store.close());

  test('the lexicon: allow, and a crisis that stores no text', () => {
    assert.equal(tutor.setModeration().moderation.classifier, 'lexicon');
    assert.equal(tutor.moderate({ tenant: TENANT, student: 's1', message: 'is 3 + 4 equal to 7?' }).action, 'allow');
    const crisis = tutor.moderate({
      tenant: TENANT,
      student: 's2',
      message: 'I want to hurt myself',
      idempotency_key: 'm2',
    });
    assert.equal(crisis.action, 'crisis');
    assert.equal(crisis.category, 'self_harm');
    assert.equal(crisis.crisis.alert, 'urgent');
    assert.ok(!JSON.stringify(store.read({ tenant: TENANT, entity_id: 's2' })).includes('hurt myself'));
    assert.equal(
      tutor.moderate({ tenant: TENANT, student: 's2', message: 'I want to hurt myself', idempotency_key: 'm2' })
        .replayed,
      true,
    );
    const status = tutor.moderationStatus(TENANT, 's2');
    assert.equal(status.support_mode, true);
    assert.equal(status.crises, 1);
    assert.equal(tutor.moderationStatus(TENANT, 's2', BigInt(status.time_us)).crises, 1);
    assert.throws(() => tutor.moderationStatus(TENANT, ''), tc.InvalidArgumentError);
    assert.throws(() => tutor.moderationStatus(TENANT, 's2', 1.5), TypeError);
    assert.throws(() => tutor.moderate({ tenant: TENANT, student: 's1' }), tc.InvalidArgumentError);
  });

  test('a JS moderation classifier, and its failure', () => {
    const messages = [];
    tutor.registerClassifier('js-mod', (item) => {
      messages.push(item.answer);
      return { label: 'violence:high', confidence: 0.9 };
    });
    assert.equal(tutor.setModeration({ classifier: 'js-mod' }).moderation.classifier, 'js-mod');
    const decision = tutor.moderate({ tenant: TENANT, student: 's1', message: 'some message' });
    assert.deepEqual(messages, ['some message']);
    assert.equal(decision.classifier, 'js-mod');
    assert.equal(decision.category, 'violence');
    assert.equal(decision.action, 'quarantine');
    assert.equal(tutor.moderationStatus(TENANT, 's1').quarantined, true);

    tutor.unregisterClassifier('js-mod');
    tutor.registerClassifier('js-mod', () => {
      throw new Error('moderation service down');
    });
    const before = store.lastId();
    assert.throws(() => tutor.moderate({ tenant: TENANT, student: 's3', message: 'hello' }), {
      name: 'CancelledError',
      message: /Error: moderation service down/,
    });
    assert.equal(store.lastId(), before);
    tutor.unregisterClassifier('js-mod');
    assert.throws(() => tutor.moderate({ tenant: TENANT, student: 's3', message: 'hello' }), tc.NotFoundError);
  });

  test('bias detection by the rules, the summary, the configuration and a JS model', () => {
    store.append(overconfidentSession());
    const alerts = [];
    const sub = store.subscribe((e) => alerts.push(e.type));
    const result = tutor.detectBias({ tenant: TENANT, student: 'b1', session_id: 'sess' });
    sub.unsubscribe();
    assert.equal(result.intervention_proposed, true);
    assert.equal(result.detection.bias, 'overconfidence');
    assert.equal(result.detection.backend, 'rules');
    assert.deepEqual(alerts, ['metacog.bias_detected']);
    const summary = tutor.biasSummary({ tenant: TENANT, session_id: 'sess' });
    assert.equal(summary.total, 1);
    assert.equal(summary.most_common_bias, 'overconfidence');
    assert.equal(tutor.setMetacog({ threshold: 0.9 }).metacog.threshold, 0.9);
    assert.equal(tutor.setMetacog().metacog.threshold, 0.9);
    assert.throws(() => tutor.setMetacog({ threshold: 7 }), tc.InvalidArgumentError);
    assert.throws(() => tutor.biasSummary({ tenant: TENANT }), tc.InvalidArgumentError);

    const features = [];
    tutor.registerClassifier('bias', (item) => {
      features.push(item.answer);
      return { label: 'anchoring', confidence: 0.95 };
    });
    const modelled = tutor.detectBias({ tenant: TENANT, student: 'b1', time_us: result.time_us + 1 });
    assert.equal(modelled.detection.bias, 'anchoring');
    assert.equal(modelled.detection.backend, 'bias');
    assert.match(features[0], /feature_names/);
  });
});
