// Findings jump to their fields from every step, and the app stays alive (issue 18, item 1).
//
// A plan with errors on every step (Sites, Addressing, Links, Security) is imported; then, from
// each of the six steps, every finding of the panel is clicked in turn (and, on the Links step,
// every "BGP sessions … AS …" link): the field's step shows and focus lands on the field (or its
// nearest enclosing group). Then a field is edited and the findings, the stepper's counts and
// the draft follow it. At 1280 px for the full sweep, at 375 px (the findings as a bar) for one
// jump from every step. No console error, page error (a wasm panic is both) or failed request.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, TIMEOUT_MS, serveAndLaunch, watch } from './support/browser.mjs';
import {
  STEPS,
  fieldId,
  findings,
  goStep,
  importPlan,
  sel,
  stepOf,
  waitFinding,
  waitFocusAt,
  waitStep,
} from './support/wizard.mjs';

const PLAN = path.join(ROOT, 'tests', 'e2e', 'fixtures', 'errors-on-every-step.json');

const s = serveAndLaunch({ before, after });

async function freshPage(width) {
  const ctx = await s.browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  const problems = watch(page, s.baseUrl);
  await page.goto(s.baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await importPlan(page, await readFile(PLAN, 'utf8'));
  return { ctx, page, problems };
}

/** The stepper's error count of each step with fields. */
async function stepErrors(page) {
  const out = {};
  for (const s of STEPS.slice(0, 4)) {
    const t = (await page.locator(`#step-${s} .count .sr-only`).textContent().catch(() => null)) ?? '';
    out[s] = Number((t.match(/(\d+) error/) ?? [0, 0])[1]);
  }
  return out;
}

/** Click `button` (a jump to the field at its `data-path`) and check the step and the focus. */
async function jump(page, button, problems, from) {
  const p = await button.getAttribute('data-path');
  await button.click();
  await waitStep(page, stepOf(p));
  await waitFocusAt(page, p).catch(() => assert.fail(`from ${from}: focus did not reach ${p} (or a group around it)`));
  assert.deepEqual(problems, [], `from ${from}, after the jump to ${p}`);
  return p;
}

test('every finding jumps to its field from every step, then edits still reach the plan', { timeout: 600_000 }, async () => {
  const { ctx, page, problems } = await freshPage(1280);
  const before = await stepErrors(page);
  for (const s of ['sites', 'addressing', 'links', 'security']) assert.ok(before[s] > 0, `the plan has an error on ${s}: ${JSON.stringify(before)}`);

  let jumps = 0;
  for (const from of STEPS) {
    const n = (await findings(page)).length;
    assert.ok(n > 10, `${n} findings`);
    for (let k = 0; k < n; k++) {
      await goStep(page, from);
      await jump(page, page.locator('aside.findings li.finding button.goto').nth(k), problems, from);
      jumps++;
    }
  }
  // The Links step's "BGP sessions … AS …" buttons go to the Sites step's ASN fields.
  await goStep(page, 'links');
  const bgp = page.locator('.bgp button.linkish');
  const nb = await bgp.count();
  assert.ok(nb >= 6, `${nb} BGP session links`);
  for (let k = 0; k < nb; k++) {
    await goStep(page, 'links');
    assert.match(await jump(page, bgp.nth(k), problems, 'links (BGP)'), /^sites\[\d\]\.gateway\.asn$/);
    jumps++;
  }

  // The app is alive: fixing the overlap (by the finding's own jump) clears it everywhere.
  await goStep(page, 'sites');
  const overlap = page.locator('aside.findings li[data-code=E_CIDR_OVERLAP] button.goto').first();
  const at = await overlap.getAttribute('data-path');
  await overlap.click();
  await waitStep(page, 'addressing');
  await page.waitForFunction((id) => document.activeElement?.id === id, fieldId(at));
  await page.keyboard.press('Control+A');
  await page.keyboard.type('192.168.0.0/16');
  await page.locator('aside.findings li[data-code=E_CIDR_OVERLAP]').waitFor({ state: 'detached', timeout: TIMEOUT_MS });
  // ... and that site's subnet, now outside, is an error on Addressing instead.
  await waitFinding(page, 'E_SUBNET_OUTSIDE', at.replace('address_spaces[0]', 'subnets[0].cidr'));
  // The stepper follows too.
  await goStep(page, 'links');
  await goStep(page, 'addressing');
  assert.equal(await page.locator('main .step-body').getAttribute('data-step'), 'addressing');
  // And the draft: after a reload the edit is there.
  await page.waitForTimeout(500);
  await page.reload({ waitUntil: 'load' });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await goStep(page, 'addressing');
  assert.equal(await page.locator(sel(at)).inputValue(), '192.168.0.0/16');
  assert.deepEqual(problems, []);
  console.log(JSON.stringify({ jumps, step_errors_before: before }));
  await ctx.close();
});

test('on a phone, a finding from every step jumps to its field', { timeout: 300_000 }, async () => {
  const { ctx, page, problems } = await freshPage(375);
  for (const from of STEPS) {
    await goStep(page, from);
    // The findings are a bar at the bottom: open it, then follow the first error.
    const toggle = page.locator('aside.findings .toggle');
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    await jump(page, page.locator('aside.findings li.finding-error button.goto').first(), problems, `${from} (375 px)`);
  }
  assert.deepEqual(problems, []);
  await ctx.close();
});
