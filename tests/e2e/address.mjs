// The address bar holds the plan as it is now (issue 18, item 2): typing replaces the history
// entry, moving to another step makes a new one (Back returns to it, quietly), a reload and a
// copied address open the latest plan, and the explicit "Copy share link" stays.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT_MS, serveAndLaunch, watch } from './support/browser.mjs';
import { goStep, sel } from './support/wizard.mjs';

const s = serveAndLaunch({ before, after });

async function typeOver(page, p, text) {
  await page.locator(sel(p)).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

/** Wait until the address bar's fragment changes from `from` and settles (typing paused), and
 * return it. */
async function nextHash(page, from) {
  await page.waitForFunction((h) => location.hash.startsWith('#p=1.') && location.hash !== h, from, { timeout: TIMEOUT_MS });
  for (;;) {
    const h = await page.evaluate(() => location.hash);
    await page.waitForTimeout(700);
    if ((await page.evaluate(() => location.hash)) === h) return h;
  }
}

test('the address bar follows the plan; Back steps between steps; reload and copied address open the latest', async () => {
  const ctx = await s.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  const problems = watch(page, s.baseUrl);
  await page.goto(s.baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  assert.equal(new URL(page.url()).hash, '', 'a blank plan keeps the bare address');

  await typeOver(page, 'name', 'addrbar');
  await page.locator('#add-site-aws').click();
  await page.locator('#add-site-azure').click();
  const h1 = await nextHash(page, '');
  const length1 = await page.evaluate(() => history.length);

  // Typing on the same step replaces the entry: the hash follows, history does not grow.
  await typeOver(page, 'description', 'first');
  const h2 = await nextHash(page, h1);
  await typeOver(page, 'description', 'second');
  const h3 = await nextHash(page, h2);
  assert.equal(await page.evaluate(() => history.length), length1, 'no entry per keystroke');

  // Another step, then an edit there: a new entry.
  await goStep(page, 'addressing');
  await typeOver(page, 'sites[0].address_spaces[0]', '10.77.0.0/16');
  const h4 = await nextHash(page, h3);
  assert.ok((await page.evaluate(() => history.length)) > length1, 'a new step made a new entry');

  // The address a user copies from the bar opens the latest plan elsewhere.
  const ctx2 = await s.browser.newContext();
  const p2 = await ctx2.newPage();
  const problems2 = watch(p2, s.baseUrl);
  await p2.goto(s.baseUrl + h4, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await p2.locator('[data-testid=notice]', { hasText: 'Opened a shared plan' }).waitFor({ timeout: TIMEOUT_MS });
  await goStep(p2, 'sites');
  assert.equal(await p2.locator(sel('description')).inputValue(), 'second');
  await goStep(p2, 'addressing');
  assert.equal(await p2.locator(sel('sites[0].address_spaces[0]')).inputValue(), '10.77.0.0/16');
  assert.deepEqual(problems2, []);
  await ctx2.close();

  // Back: the Sites step's state, quietly (no "opened a shared plan"), keys kept.
  await page.goBack();
  await page.waitForFunction(() => location.hash !== '' , null, { timeout: TIMEOUT_MS });
  await goStep(page, 'addressing');
  await page.waitForFunction(
    (id) => document.getElementById(id)?.value === '10.1.0.0/16',
    'f-sites-0-address_spaces-0',
    { timeout: TIMEOUT_MS },
  );
  assert.equal(await page.locator('[data-testid=notice]', { hasText: 'Opened a shared plan' }).count(), 0);
  await page.goForward();
  await page.waitForFunction(
    (id) => document.getElementById(id)?.value === '10.77.0.0/16',
    'f-sites-0-address_spaces-0',
    { timeout: TIMEOUT_MS },
  );

  // A reload of the address is the draft: same plan, keys still made here, no notice.
  await page.waitForTimeout(400);
  await page.reload({ waitUntil: 'load' });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await goStep(page, 'security');
  assert.match(await page.locator('#keys-status').textContent(), /made in this browser/);
  assert.equal(await page.locator('[data-testid=notice]').count(), 0);

  // The explicit button is still there and copies the same plan.
  await page.locator('#share-top').click();
  await page.locator('.top-status', { hasText: 'Link copied' }).waitFor({ timeout: TIMEOUT_MS });
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(new URL(copied).hash, new URL(page.url()).hash);
  // "Link copied" goes away by itself.
  await page.locator('.top-status', { hasText: 'Link copied' }).waitFor({ state: 'detached', timeout: 10_000 });
  assert.deepEqual(problems, []);
  await ctx.close();
});
