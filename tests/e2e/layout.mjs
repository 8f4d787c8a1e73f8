// What a user sees (issue 18): on a phone (375 px) nothing focused hides under the sticky
// stepper or findings bar and CIDR fields show their prefix length (item 8); the diagram's text
// is 12 px or more at 1280 and 375 px, opens full size and downloads (item 4); a third site's
// links are shown as proposed and can be declined (item 7).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { TIMEOUT_MS, serveAndLaunch, watch } from './support/browser.mjs';
import { goStep, sel, waitErrors } from './support/wizard.mjs';

const s = serveAndLaunch({ before, after });

async function threeSites(width) {
  const ctx = await s.browser.newContext({ viewport: { width, height: 800 }, acceptDownloads: true });
  const page = await ctx.newPage();
  const problems = watch(page, s.baseUrl);
  await page.goto(s.baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await page.locator(sel('name')).fill('layout');
  await page.locator('#add-site-onprem').click();
  await page.locator('#add-site-gcp').click();
  await page.locator('#add-site-azure').click();
  await page.locator(sel('sites[0].gateway.public_ip')).fill('203.0.113.10');
  await waitErrors(page, 0);
  return { ctx, page, problems };
}

test('phone: Tab through a step, nothing focused is covered; CIDRs show their prefix', async () => {
  const { ctx, page, problems } = await threeSites(375);
  await goStep(page, 'addressing');
  // Every CIDR field shows its whole text.
  const cut = await page.$$eval('input.mono', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.id}=${e.value}`));
  assert.deepEqual(cut, [], 'CIDR inputs cut off');
  // Keyboard: from the heading, Tab through every control of the step.
  await page.locator('#step-heading').focus();
  const covered = [];
  for (let k = 0; k < 60; k++) {
    await page.keyboard.press('Tab');
    const r = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a || !document.querySelector('main').contains(a)) return null;
      const box = a.getBoundingClientRect();
      const over = ['nav.stepper', 'aside.findings'].map((q) => document.querySelector(q).getBoundingClientRect());
      const hidden = over.some((o) => box.top < o.bottom && box.bottom > o.top && box.left < o.right && box.right > o.left);
      return { id: a.id || a.textContent.trim().slice(0, 30), hidden };
    });
    if (r?.hidden) covered.push(r.id);
  }
  assert.deepEqual(covered, [], 'focused controls under the sticky stepper or findings bar');
  // "+ Subnet" (the control the issue found hidden) is reachable and visible when focused.
  const plus = page.getByRole('button', { name: '+ Subnet' }).last();
  await plus.focus();
  assert.ok(await plus.isVisible());
  // A jump from the open findings bar closes it, so the field is not under it.
  await page.locator(sel('sites[1].address_spaces[0]')).fill('10.1.0.0/16');
  await page.locator('aside.findings .toggle').click();
  await page.locator('aside.findings li[data-code=E_CIDR_OVERLAP] button.goto').first().click();
  await page.waitForFunction(() => document.querySelector('aside.findings .toggle').getAttribute('aria-expanded') === 'false');
  assert.deepEqual(problems, []);
  await ctx.close();
});

for (const width of [1280, 375]) {
  test(`the diagram is legible, opens full size and downloads, with public addresses (${width} px)`, async () => {
    const { ctx, page, problems } = await threeSites(width);
    await goStep(page, 'review');
    const img = page.locator('img.diagram');
    await img.waitFor({ timeout: TIMEOUT_MS });
    const { shown, drawn } = await img.evaluate((i) => ({ shown: i.getBoundingClientRect().width, drawn: i.naturalWidth }));
    const px = (13 * shown) / drawn;
    assert.ok(px >= 12, `diagram text at ${px.toFixed(1)} px`);
    assert.match(await page.locator('#diagram-open').getAttribute('href'), /^blob:/);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#diagram-download').click()]);
    assert.equal(dl.suggestedFilename(), 'layout-topology.svg');
    const svg = (await readFile(await dl.path())).toString('utf8');
    assert.match(svg, /public IP 203\.0\.113\.10/);
    assert.match(svg, /2 public IPs, known after deploy/);
    assert.deepEqual(problems, []);
    await ctx.close();
  });
}

test('a third site: its links are proposed, and can be declined (hub and spoke)', async () => {
  const ctx = await s.browser.newContext();
  const page = await ctx.newPage();
  const problems = watch(page, s.baseUrl);
  await page.goto(s.baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await page.locator('#add-site-aws').click();
  await page.locator('#add-site-azure').click();
  assert.equal(await page.locator('[data-testid=proposed-links]').count(), 0, 'a second site: its one link is the point');
  await page.locator('#add-site-gcp').click();
  const note = page.locator('[data-testid=proposed-links]');
  await note.waitFor({ timeout: TIMEOUT_MS });
  assert.match(await note.textContent(), /Proposed links: aws ↔ gcp, azure ↔ gcp\./);
  await page.locator('#drop-proposed').click();
  await note.waitFor({ state: 'detached' });
  await goStep(page, 'links');
  assert.deepEqual(await page.locator('section.link h3').allTextContents(), ['Link 1: aws ↔ azure']);
  assert.deepEqual(problems, []);
  await ctx.close();
});
