// Knowledge tracing and IRT: hot paths, fitting off the event loop with
// progress and cancellation, fitted models.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';

import * as tc from '../index.js';
import { TRACING, bigRows, syntheticRows, variantRows } from './support.js';

const PARAMS = { p_init: 0.3, p_learn: 0.2, p_guess: 0.1, p_slip: 0.05, p_forget: 0 };

function close(actual, expected, digits = 12) {
  assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} != ${expected}`);
}

describe('hot paths (synchronous)', () => {
  test('predict and update', () => {
    close(tc.bktPredict(0.3, PARAMS), 0.3 * 0.95 + 0.7 * 0.1);
    const post = 0.285 / 0.355;
    close(tc.bktUpdate(0.3, true, PARAMS), post + (1 - post) * 0.2);
    const partial = { p_init: 0.3, p_learn: 0.2, p_guess: 0.1, p_slip: 0.05 }; // p_forget: 0
    assert.equal(tc.bktUpdate(0.3, false, partial), tc.bktUpdate(0.3, false, PARAMS));
    assert.throws(() => tc.bktPredict(0.3, { p_init: 0.3, p_lern: 0.2 }), {
      name: 'InvalidArgumentError',
      message: 'unknown BKT parameter(s): p_lern',
    });
    assert.throws(() => tc.bktPredict(0.3, [0.3, 0.2]), TypeError);
    assert.throws(() => tc.bktPredict('0.3', PARAMS), TypeError);
  });

  test('predict for several skills', () => {
    const other = { p_init: 0.5, p_learn: 0.1, p_guess: 0.25, p_slip: 0.1 };
    const product = tc.bktPredictMulti([0.9, 0.5], [PARAMS, other]);
    close(product, tc.bktPredict(0.9, PARAMS) * tc.bktPredict(0.5, other), 15);
    assert.ok(tc.bktPredictMulti([0.9, 0.5], [PARAMS, other], tc.Combine.MIN) <= tc.bktPredict(0.5, other));
    const mean = tc.bktPredictMulti(new Float64Array([0.9, 0.5]), [PARAMS, other], 'mean');
    close(mean, (tc.bktPredict(0.9, PARAMS) + tc.bktPredict(0.5, other)) / 2, 15);
    assert.throws(() => tc.bktPredictMulti([], []), tc.InvalidArgumentError);
    assert.throws(() => tc.bktPredictMulti([0.5], [PARAMS, other]), tc.InvalidArgumentError);
    assert.throws(() => tc.bktPredictMulti([0.5], [PARAMS], 7), tc.InvalidArgumentError);
    assert.throws(() => tc.bktPredictMulti([0.5], [PARAMS], 'median'), tc.InvalidArgumentError);
  });

  test('IRT', () => {
    close(tc.irtProbability(0.5, 1.5, 0.5), 0.5);
    close(tc.irtProbability(1, 1, 0), 1 / (1 + Math.exp(-1)));
    close(tc.irtInformation(0.5, 1.5, 0.5), 1.5 * 1.5 * 0.25);
    close(tc.irtThetaFromMastery(0.5), 0);
    assert.ok(tc.irtThetaFromMastery(1) < 14); // clamped, finite
    assert.ok(Number.isFinite(tc.irtThetaFromMastery(0)));
  });
});

describe('fitting (Promise-returning)', () => {
  test('a fit resolves without blocking the event loop', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const started = Date.now();
    const seen = [];
    try {
      const report = await tc.bktFit(
        { rows: bigRows(), restarts: 8, threads: 2 },
        { onProgress: (done, total) => seen.push([done, total]) },
      );
      assert.equal(report.skills, 12);
      assert.equal(report.responses, 12 * 300 * 30);
    } finally {
      clearInterval(timer);
    }
    const elapsed = Date.now() - started;
    // The interval kept firing while the fit ran on a worker thread.
    assert.ok(ticks >= 3, `only ${ticks} ticks in ${elapsed} ms`);
    assert.ok(seen.length >= 1);
    assert.deepEqual(seen.at(-1), [12, 12]);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] > seen[i - 1][0]);
  });

  test('rows, a model and its parameters', async () => {
    const report = await tc.bktFit({ rows: syntheticRows(), restarts: 2 });
    assert.equal(report.skills, 2);
    assert.equal(report.responses, 640);
    const params = tc.bktModelCheck(report.model, 'skill_a');
    assert.ok(params.p_guess + params.p_slip < 1);
    assert.equal(tc.bktModelCheck(report.model), null);
    assert.throws(() => tc.bktModelCheck(report.model, 'skill_z'), tc.NotFoundError);
    const model = tc.BktModel.fromFit(report);
    assert.deepEqual(model.params('skill_a'), params);
    assert.equal(model.predict(0.4, 'skill_a'), tc.bktPredict(0.4, params));
    assert.equal(model.update(0.4, true, 'skill_a'), tc.bktUpdate(0.4, true, params));
    assert.throws(() => model.params('nope'), { name: 'NotFoundError', message: /no skill 'nope'/ });
    model.close();
    assert.throws(() => model.params('skill_a'), { message: 'this BktModel is closed' });
    assert.deepEqual(tc.bktFitSync({ rows: syntheticRows(), restarts: 2 }).model, report.model);
  });

  test('the progress callback cancels: CancelledError, no report after it', async () => {
    const seen = [];
    await assert.rejects(
      tc.bktFit({ rows: syntheticRows(), restarts: 2 }, { onProgress: (done) => (seen.push(done), false) }),
      (err) => {
        assert.ok(err instanceof tc.CancelledError);
        assert.equal(err.status, tc.Status.EUSER);
        assert.equal(err.code, 'TC_EUSER');
        assert.equal(err.function, 'tc_bkt_fit');
        assert.match(err.message, /cancelled/);
        return true;
      },
    );
    assert.equal(seen.length, 1);
    // Returning nothing or true goes on.
    assert.equal((await tc.bktFit({ rows: syntheticRows() }, { onProgress: () => true })).skills, 2);
    assert.throws(() => tc.bktFitSync({ rows: syntheticRows() }, { onProgress: () => false }), {
      name: 'CancelledError',
      message: /fit cancelled by the progress callback/,
    });
  });

  test('an exception in the progress callback cancels and propagates', async () => {
    class Stop extends Error {}
    await assert.rejects(
      tc.bktFit({ rows: syntheticRows() }, {
        onProgress: (done, total) => {
          throw new Stop(`stop at ${done}/${total}`);
        },
      }),
      (err) => err instanceof Stop && /\/2$/.test(err.message),
    );
    assert.throws(
      () => tc.bktFitSync({ rows: syntheticRows() }, {
        onProgress: () => {
          throw new Stop('sync');
        },
      }),
      Stop,
    );
  });

  test('an AbortSignal cancels at the next progress report', async () => {
    const controller = new AbortController();
    await assert.rejects(
      tc.bktFit({ rows: bigRows(), threads: 1 }, { signal: controller.signal, onProgress: () => controller.abort('enough') }),
      (err) => err instanceof tc.CancelledError && err.cause === 'enough' && /AbortSignal/.test(err.message),
    );
    await assert.rejects(tc.bktFit({ rows: syntheticRows() }, { signal: AbortSignal.abort() }), tc.CancelledError);
  });

  test('CSV files, a test set and cross-validation', async () => {
    const report = await tc.bktFit({
      train_csv: path.join(TRACING, 'train.csv'),
      test_csv: path.join(TRACING, 'test.csv'),
      folds: 3,
    });
    assert.equal(report.responses, 1200);
    assert.ok(report.test_auc > 0.5);
    assert.ok('cross_validation' in report);
  });

  test('fit errors carry the library message although the fit failed on a worker thread', async () => {
    await assert.rejects(tc.bktFit({ rows: [['s1', 'k', 2]] }), {
      name: 'InvalidArgumentError',
      function: 'tc_bkt_fit',
      message: 'fit request.rows[0][2]: must be 0 or 1',
    });
    await assert.rejects(tc.bktFit({ rows: [['s1', 'k', 1]], restarts: 0 }), {
      message: /fit request\.restarts: 0 is outside 1\.\.1000/,
    });
    await assert.rejects(tc.bktFit({ rows: [], restart: 1 }), { message: /fit request\.restart: unknown field/ });
    await assert.rejects(tc.bktFit({ train_csv: '/no/such.csv' }), { name: 'NotFoundError', message: /\/no\/such\.csv/ });
    await assert.rejects(tc.bktFit('{not json'), tc.InvalidArgumentError);
    // A test set that is missing is found only after the fit: the status is
    // right, the message is the documented meaning.
    await assert.rejects(
      tc.bktFit({ train_csv: path.join(TRACING, 'train.csv'), test_csv: '/no/such/test.csv' }),
      { name: 'NotFoundError', message: /a CSV file is missing.*bktFitSync\(\) reports it/ },
    );
    assert.throws(() => tc.bktFitSync({ train_csv: path.join(TRACING, 'train.csv'), test_csv: '/no/such/test.csv' }), {
      name: 'NotFoundError',
      message: /\/no\/such\/test\.csv/,
    });
    await assert.rejects(tc.bktFit({ rows: syntheticRows() }, { onProgress: 3 }), TypeError);
  });
});

describe('fitted models', () => {
  test('a variant model', () => {
    const report = tc.bktFitSync({ rows: variantRows(), restarts: 2, multigs: true, multiprior: true });
    const model = new tc.BktModel(report.model);
    const easy = model.params('k', 'e', 'g1');
    const hard = model.params('k', 'h', 'g1');
    const base = model.params('k');
    assert.ok(easy.p_guess > hard.p_guess);
    assert.equal(easy.p_learn, hard.p_learn); // multilearn off: one learn rate
    assert.equal(model.params('k', 'unknown item').p_guess, base.p_guess);
    model.close();
  });

  test('bad models', () => {
    assert.throws(() => new tc.BktModel({ schema_version: 99, kind: 'bkt' }), tc.VersionError);
    assert.throws(() => new tc.BktModel('{"schema_version": 1}'), tc.InvalidArgumentError);
    assert.throws(() => tc.bktModelCheck({ schema_version: 1 }), tc.InvalidArgumentError);
    const model = new tc.BktModel(tc.bktFitSync({ rows: syntheticRows() }).model);
    model.close();
    model.close();
  });
});
