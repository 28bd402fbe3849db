// Shared fixtures of the binding's tests: repository paths and requests.
// (Not a test file: the *.test.js files import it.)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const HEADER = path.join(ROOT, 'include', 'tutorcore', 'tutorcore.h');
export const MINIMAL = path.join(ROOT, 'tests', 'fixtures', 'domains', 'minimal');
export const ALGEBRA = path.join(ROOT, 'examples', 'domains', 'algebra_fundamentals');
export const TRACING = path.join(ROOT, 'tests', 'fixtures', 'tracing');
export const PACKAGE = path.join(ROOT, 'bindings', 'node');
export const QUICKSTART = path.join(PACKAGE, 'examples', 'quickstart.mjs');

export const TENANT = 't1';

/** A submit request for problem unit_alpha_p{i} of the minimal fixture:
 * answer String(i) is right, String(i + 1) shows mis_alpha_one. */
export function answer(student, i, given, key, extra = {}) {
  return {
    tenant: TENANT,
    student,
    problem_id: `unit_alpha_p${i}`,
    answer: String(given),
    idempotency_key: key,
    latency_ms: 20000,
    ...extra,
  };
}

/** A teacher's action on mis_alpha_one of the minimal fixture. */
export function teacher(action, student, extra = {}) {
  return {
    action,
    tenant: TENANT,
    student,
    misconception_id: 'mis_alpha_one',
    teacher_id: 'x7',
    ...extra,
  };
}

/** A fresh temporary directory, removed after the test. */
export function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-node-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 40 students x 2 skills x 8 answers, the pattern of the C ABI test. */
export function syntheticRows() {
  const rows = [];
  for (let s = 0; s < 40; s++) {
    for (let t = 0; t < 16; t++) rows.push([`s${s}`, t < 8 ? 'skill_a' : 'skill_b', t % 8 >= s % 5 ? 1 : 0]);
  }
  return rows;
}

/** Item "e" is easy to guess, item "h" is not; students in two groups. */
export function variantRows() {
  const rows = [];
  for (let s = 0; s < 60; s++) {
    for (let t = 0; t < 10; t++) {
      const easy = t % 2 === 0;
      const right = easy ? (s + t) % 3 !== 0 : t > 5 && s % 2 === 0;
      rows.push([`s${s}`, 'k', right ? 1 : 0, easy ? 'e' : 'h', s % 2 ? 'g1' : 'g2']);
    }
  }
  return rows;
}

/** A fit big enough to take a while: `skills` skills of 300 students. */
export function bigRows(skills = 12, students = 300, answers = 30) {
  const rows = [];
  let x = 12345;
  const rand = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  for (let s = 0; s < students; s++) {
    for (let k = 0; k < skills; k++) {
      let known = rand() < 0.3;
      for (let t = 0; t < answers; t++) {
        const right = known ? rand() > 0.1 : rand() < 0.25;
        rows.push([`s${s}`, `skill_${k}`, right ? 1 : 0]);
        if (!known && rand() < 0.15) known = true;
      }
    }
  }
  return rows;
}
