// Domains: validate, load, describe, and the handle's lifetime.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';

import * as tc from '../index.js';
import { ALGEBRA, MINIMAL, tempDir } from './support.js';

test('the bundled domain is valid', () => {
  const report = tc.validateDomain(ALGEBRA);
  assert.equal(report.schema_version, 1);
  assert.equal(report.valid, true);
  assert.equal(report.domain, 'algebra_fundamentals');
  assert.deepEqual(report.errors, []);
  assert.ok(report.counts.problems > 0);
  assert.deepEqual(tc.Domain.validate(ALGEBRA), report);
});

test('an invalid domain reports every problem; loading it throws the first', (t) => {
  const broken = path.join(tempDir(t), 'broken');
  fs.cpSync(MINIMAL, broken, { recursive: true });
  const bankFile = path.join(broken, 'problem_bank.json');
  const bank = JSON.parse(fs.readFileSync(bankFile, 'utf8'));
  bank.problems[0].concept = 'no_such_concept';
  fs.writeFileSync(bankFile, JSON.stringify(bank));
  const report = tc.validateDomain(broken);
  assert.equal(report.valid, false);
  assert.ok(report.errors.length >= 1);
  for (const key of ['code', 'file', 'path', 'message', 'fix']) assert.ok(key in report.errors[0], key);
  assert.match(JSON.stringify(report.errors), /no_such_concept/);
  assert.throws(() => new tc.Domain(broken), {
    name: 'InvalidArgumentError',
    function: 'tc_domain_load',
    message: /no_such_concept/,
  });
});

test('a missing directory is NotFoundError', (t) => {
  const missing = path.join(tempDir(t), 'nope');
  assert.throws(() => tc.validateDomain(missing), { name: 'NotFoundError', message: /is not a directory/ });
  assert.throws(() => new tc.Domain(missing), tc.NotFoundError);
  assert.throws(() => new tc.Domain(42), TypeError);
  assert.throws(() => new tc.Domain(`${MINIMAL}\0x`), tc.InvalidArgumentError);
});

test('describe', () => {
  const domain = new tc.Domain(MINIMAL);
  const desc = domain.describe();
  assert.equal(desc.domain, 'fixture_minimal');
  assert.equal(domain.id, 'fixture_minimal');
  assert.deepEqual(
    desc.concepts.map((c) => c.id),
    ['unit_alpha', 'unit_beta', 'unit_gamma'],
  );
  assert.deepEqual(desc.concepts[2].prerequisites, ['unit_alpha', 'unit_beta']);
  assert.equal(desc.concepts[0].bkt_params.p_init, 0.2);
  // One line whatever the checkout's path length (inspect breaks long output).
  assert.match(inspect(domain, { breakLength: Infinity }), /Domain \{ path: .*minimal', closed: false \}/);
  domain.close();
});

test('close is idempotent and use after close throws', () => {
  const domain = new tc.Domain(new URL(`file://${MINIMAL}`));
  assert.equal(domain.closed, false);
  domain.close();
  domain.close();
  assert.equal(domain.closed, true);
  assert.match(inspect(domain), /closed: true/);
  assert.throws(() => domain.describe(), {
    name: 'InvalidArgumentError',
    message: 'this Domain is closed',
    function: null,
  });
});
