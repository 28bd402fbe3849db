// The teacher dashboard end to end in a real browser (Debian's chromium,
// driven by playwright-core): start tutorcore-server with a simulated class,
// open the page, check the heat map and the pending approvals, click
// Approve on one, and check the approval was recorded as events.
//
// usage: node approve.mjs SERVER_BINARY DOMAIN_DIR WORK_DIR [SCREENSHOT.png|.jpg]
import { spawn } from 'node:child_process';
import { rmSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [server, domain, work, screenshot] = process.argv.slice(2);
const key = 'browser-test-key';
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const proc = spawn(server, ['--domain', domain, '--data', work, '--port', '0', '--students', '12',
  '--live-rate', '0', '--api-key', key], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60000);
  proc.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/listening: (http:\/\/[0-9.]+:[0-9]+)\//);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
  proc.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
});

const api = async (path) => (await fetch(base + path, { headers: { 'X-API-Key': key } })).json();

let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/?key=${key}`);

  // The heat map: one row per student, one cell per concept.
  await page.waitForSelector('#heatmap tbody tr');
  const rows = await page.locator('#heatmap tbody tr').count();
  assert.equal(rows, 12, 'one heat-map row per simulated student');

  // A pending approval, approved with a click.
  const first = page.locator('#approvals tbody tr').first();
  await first.waitFor();
  const student = await first.getAttribute('data-student');
  const misconception = await first.getAttribute('data-misconception');
  const before = await api(`/api/events?type=intervention.approved&student=${student}`);
  await first.locator('button.approve').click();
  await page.locator('#approvals .done').first().waitFor();

  const after = await api(`/api/events?type=intervention.approved&student=${student}`);
  assert.equal(after.events.length, before.events.length + 1, 'the click appended one approval');
  const approved = after.events[after.events.length - 1];
  assert.equal(approved.payload.misconception_id, misconception);
  assert.equal(approved.author, 'teacher:dashboard');
  const assigned = await api(`/api/events?type=intervention.assigned&student=${student}`);
  assert.ok(assigned.events.some((e) => e.payload.misconception_id === misconception));

  // The pre-class plan, acknowledged from the page.
  await page.locator('#plan', { hasText: "Today's plan" }).waitFor();
  await page.locator('#plan-ack').click();
  await page.locator('#plan-status.done').waitFor();
  const acks = await api('/api/events?type=coaching.plan_acknowledged');
  assert.equal(acks.events.length, 1, 'the acknowledgment was recorded');
  assert.equal(acks.events[0].author, 'teacher:dashboard');

  // A live alert arrives while the page is open.
  await fetch(`${base}/api/responses`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ student: 'walk-in', problem_id: 'ias_01', answer: '-10', idempotency_key: 'walk-in/1' }),
  });
  await page.locator('#alerts li', { hasText: 'walk-in' }).first().waitFor({ timeout: 15000 });
  await page.waitForSelector('#effectiveness tbody tr');
  assert.deepEqual(errors, [], 'no script errors on the page');
  if (screenshot) {
    const jpeg = screenshot.endsWith('.jpg');
    await page.screenshot({ path: screenshot, clip: { x: 0, y: 0, width: 1280, height: 1500 }, ...(jpeg ? { type: 'jpeg', quality: 60 } : {}) });
  }
  console.log(`dashboard: approved ${misconception} for ${student} in the browser; event recorded`);
} finally {
  if (browser) await browser.close();
  proc.kill('SIGTERM');
}
