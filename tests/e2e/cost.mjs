// Review shows the monthly cost estimate (issue 22): per site, at a traffic the user changes,
// with the date of the prices and the unverified ones marked. Seed 002 (an Azure VPN gateway
// VpnGw1AZ and an AWS VPN connection, one link) is imported; its figures are the runbook's
// (tests/golden/002-aws-vgw-to-azure-static/RUNBOOK.md, "Cost estimate"):
//   at 100 GB each way: azure $142.35 running + $8.70 sent, aws $36.50 + $9.00, $196.55 in all;
//   at 1000 GB each way: azure + $87.00, aws + $90.00, $355.85 in all.
// Every price seed 002 uses is unverified ([?]) in this knowledge base.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, TIMEOUT_MS, serveAndLaunch, watch } from './support/browser.mjs';
import { importPlan } from './support/wizard.mjs';

const PLAN = path.join(ROOT, 'examples', '002-aws-vgw-to-azure-static.json');

const s = serveAndLaunch({ before, after });

/** The text of the cost cell `testid` in the row of `site` (or the total row without a site). */
async function cell(page, site, testid) {
  const row = site ? page.locator(`[data-testid=cost-site][data-site="${site}"]`) : page.locator('[data-testid=cost-table] tfoot');
  return (await row.locator(`[data-testid=${testid}]`).textContent()).trim();
}

test('Review reads a cost per site and per month, and it follows the traffic', async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const problems = watch(page, s.baseUrl);
  await page.goto(s.baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await importPlan(page, await readFile(PLAN, 'utf8'));

  const cost = page.locator('[data-testid=cost]');
  await cost.waitFor({ timeout: TIMEOUT_MS });
  assert.doesNotMatch(await cost.textContent(), /not available/i);
  assert.equal(await page.locator('#cost-traffic').inputValue(), '100');
  assert.equal(await cell(page, 'azure', 'cost-site-total'), '$151.05 [?]');
  assert.equal(await cell(page, 'aws', 'cost-site-total'), '$45.50 [?]');
  assert.equal(await cell(page, null, 'cost-total'), '$196.55 [?]');
  const note = await page.locator('[data-testid=cost-date]').textContent();
  assert.match(note, /taken on \d{4}-\d{2}-\d{2}/, note);
  assert.match(note, /\[\?\]: a price that could not be checked/, note);

  // The user's traffic: ten times as much data each way; only the data columns move.
  await page.locator('#cost-traffic').fill('1000');
  await page.waitForFunction(
    () => document.querySelector('[data-testid=cost-total]')?.textContent.trim() === '$355.85 [?]',
    null,
    { timeout: 5_000 },
  );
  assert.equal(await cell(page, 'azure', 'cost-site-total'), '$229.35 [?]');
  assert.equal(await cell(page, 'aws', 'cost-site-total'), '$126.50 [?]');

  // Nothing sent: what runs around the clock is left.
  await page.locator('#cost-traffic').fill('0');
  await page.waitForFunction(
    () => document.querySelector('[data-testid=cost-total]')?.textContent.trim() === '$178.85 [?]',
    null,
    { timeout: 5_000 },
  );

  assert.deepEqual(problems, []);
  await ctx.close();
});
