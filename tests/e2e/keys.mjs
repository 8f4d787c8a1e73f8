// Keys with active-active Azure (issue 18, items 5 and 6): an on-premises strongSwan site and an
// active-active Azure gateway form two tunnels over one Azure connection, so one shared key. The
// Security step lists it once, saying which tunnels use it; its count, secrets.env and an import
// agree. Whoever opens the share link downloads every file but secrets.env at once, with a note
// on where the keys come from.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { TIMEOUT_MS, serveAndLaunch, watch } from './support/browser.mjs';
import { goStep, sel, waitErrors } from './support/wizard.mjs';

const s = serveAndLaunch({ before, after });

async function download(page, trigger) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT_MS }), trigger()]);
  return { name: dl.suggestedFilename(), text: (await readFile(await dl.path())).toString('utf8') };
}

test('one key per Azure connection, counted once everywhere; a shared plan downloads without keys', async () => {
  const ctx = await s.browser.newContext({ acceptDownloads: true, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  const problems = watch(page, s.baseUrl);
  await page.goto(s.baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await page.locator(sel('name')).fill('keys');
  await page.locator('#add-site-onprem').click();
  await page.locator('#add-site-azure').click();
  await page.locator(sel('sites[0].gateway.public_ip')).fill('203.0.113.10');
  await waitErrors(page, 0);

  await goStep(page, 'security');
  const listed = await page.locator('ul.psks li').allTextContents();
  assert.equal(listed.length, 1, listed.join(' | '));
  assert.match(listed[0], /onprem-azure-t1 and onprem-azure-t2 \(one Azure connection, so one key\)/);
  assert.match(await page.locator('#keys-status').textContent(), /^1 key made in this browser/);
  const env = await download(page, () => page.locator('#download-secrets').click());
  const names = [...env.text.matchAll(/^(PSK_[A-Z0-9_]+)=/gm)].map((m) => m[1]);
  assert.deepEqual(names, ['PSK_ONPREM_AZURE_T1']);
  await page.locator('.paste summary').click();
  await page.locator('#secrets-paste').fill(env.text);
  await page.getByRole('button', { name: 'Import pasted keys' }).click();
  await page.locator('.keys .status', { hasText: 'Imported 1 key from the pasted text.' }).waitFor({ timeout: TIMEOUT_MS });

  // The share link, opened with empty storage: no keys, every file downloadable but secrets.env.
  await page.locator('#share-top').click();
  await page.locator('.top-status', { hasText: 'Link copied' }).waitFor({ timeout: TIMEOUT_MS });
  const link = await page.evaluate(() => navigator.clipboard.readText());
  const ctx2 = await s.browser.newContext({ acceptDownloads: true });
  const p2 = await ctx2.newPage();
  const problems2 = watch(p2, s.baseUrl);
  await p2.goto(link, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await p2.locator('[data-testid=notice]', { hasText: 'Opened a shared plan' }).waitFor({ timeout: TIMEOUT_MS });
  const errs = await p2.locator('aside.findings li.finding-error').allTextContents();
  assert.equal(errs.length, 1, 'one missing key, not one per tunnel');
  await goStep(p2, 'files');
  await p2.locator('[data-testid=keys-elsewhere]').waitFor({ timeout: TIMEOUT_MS });
  assert.match(await p2.locator('[data-testid=keys-elsewhere]').textContent(), /No file here holds a key.*share link/);
  assert.equal(await p2.locator('[data-testid=files-blocked]').count(), 0);
  assert.equal(await p2.locator('#download-secrets-files').isDisabled(), true);
  assert.equal(await p2.locator('#zip-secrets').isDisabled(), true);
  const zip = await download(p2, () => p2.locator('#download-zip').click());
  assert.equal(zip.name, 'keys.zip');
  await p2.locator('[role=tab][data-path$="install.sh"]').first().click();
  const script = await download(p2, () => p2.locator('#download-file').click());
  assert.equal(script.name, 'install.sh');
  assert.ok(!script.text.includes(env.text.match(/='([^']+)'/)[1]), 'no key in a script');
  assert.deepEqual(problems2, []);
  assert.deepEqual(problems, []);
  await ctx2.close();
  await ctx.close();
});
