#!/usr/bin/env node
// tutorcore from Node in one page: a student's answer through the pipeline,
// the teacher's approval, the student's snapshot and profile, and a BKT fit
// that runs off the event loop.
//
//   node quickstart.mjs [DOMAIN_DIR] [DATABASE]
//
// DOMAIN_DIR defaults to the repository's examples/domains/algebra_fundamentals;
// DATABASE to school.db in a fresh temporary directory. Run it twice with the
// same DATABASE: the second run replays the same idempotency keys, so the
// answer and the approval are not stored again and print the same (only the
// profile, computed anew, is appended). TUTORCORE_LIBRARY names the shared
// library (else libtutorcore.so.0 on the dynamic loader's path).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tutorcore from '../index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const domainDir = process.argv[2] ?? path.join(repo, 'examples', 'domains', 'algebra_fundamentals');
const tmp = process.argv[3] ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'tutorcore-'));
const db = process.argv[3] ?? path.join(tmp, 'school.db');

console.log('tutorcore', tutorcore.version(), 'from', tutorcore.libraryPath());
const report = tutorcore.validateDomain(domainDir);
console.log(`domain ${report.domain}: valid=${report.valid}, ${report.counts.problems} problems`);

const store = new tutorcore.Store(db);
const tutor = new tutorcore.Tutor(store, domainDir);
try {
  // "Compute: -7 + 3" answered "-10": the student adds the magnitudes.
  const result = tutor.submit({
    tenant: 'district-7',
    student: 's-0192',
    problem_id: 'ias_01',
    answer: '-10',
    latency_ms: 21000,
    idempotency_key: 's-0192/answer/1',
  });
  console.log('correct:', result.correct);
  console.log('misconception:', result.misconception.id);
  console.log(`mastery: ${result.mastery.old_level.toFixed(3)} -> ${result.mastery.new_level.toFixed(3)}`);
  const [recommendation] = result.recommendations;
  console.log('recommended:', recommendation.modality, '-', recommendation.text);
  console.log('next problems:', result.next_problems.problems.map((p) => p.problem_id));

  // Nothing is assigned until the teacher approves.
  const approval = tutor.act({
    action: 'approve',
    tenant: 'district-7',
    student: 's-0192',
    misconception_id: result.misconception.id,
    teacher_id: 't-12',
    idempotency_key: 's-0192/approve/1',
  });
  console.log('teacher:', approval.events.map((e) => e.type));

  const snapshot = tutor.snapshot('district-7', 's-0192');
  for (const row of snapshot.misconceptions) {
    console.log(`lifecycle of ${row.misconception_id}: ${row.lifecycle}`);
  }

  // A wrong request throws an error carrying the library's message.
  try {
    tutor.submit({
      tenant: 'district-7',
      student: 's-0192',
      problem_id: 'no_such_problem',
      answer: '1',
      idempotency_key: 's-0192/answer/2',
    });
  } catch (err) {
    if (!(err instanceof tutorcore.NotFoundError)) throw err;
    console.log(`refused (${err.code}):`, err.message);
  }

  // Long work returns Promises and runs on a worker thread.
  const { profile } = await tutor.profile('district-7', 's-0192');
  console.log('profile: error pattern', profile.error_pattern, 'over', profile.responses, 'response(s)');
  // Synthetic answers simulated from known parameters (skill_a: prior 0.3,
  // learn 0.15, guess 0.1, slip 0.1).
  // onProgress runs on the JS thread; returning false would cancel the fit.
  let progress = '';
  const fit = await tutorcore.bktFit(
    { train_csv: path.join(repo, 'tests', 'fixtures', 'tracing', 'train.csv'), seed: 7 },
    { onProgress: (done, total) => void (progress = `${done}/${total}`) },
  );
  console.log(`fit: ${fit.skills} skills from ${fit.responses} answers (progress ${progress})`);
  const model = tutorcore.BktModel.fromFit(fit);
  const params = model.params('skill_a');
  const known = tutorcore.bktUpdate(params.p_init, true, params); // after one right answer
  console.log(
    `skill_a: prior ${params.p_init.toFixed(2)}, learn ${params.p_learn.toFixed(2)}, ` +
      `guess ${params.p_guess.toFixed(2)}, slip ${params.p_slip.toFixed(2)}; ` +
      `P(known) after a right answer ${known.toFixed(2)}`,
  );
  model.close();

  console.log('events in the log:', store.lastId());
} finally {
  store.close(); // closes the tutor first
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
