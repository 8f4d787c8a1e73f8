// First impression (issue 18, item 9), at 1280 and 375 px: a fresh page shows no error before
// any input; presets are named by what they build; an emptied name is an error with a fix that
// asks for a name; leaving the Sites step counts what is still missing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT_MS, serveAndLaunch, watch } from './support/browser.mjs';
import { findings, goStep, sel, waitFinding } from './support/wizard.mjs';

const s = serveAndLaunch({ before, after });

for (const width of [1280, 375]) {
  test(`a fresh page greets without errors or jargon (${width} px)`, async () => {
    const ctx = await s.browser.newContext({ viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    const problems = watch(page, s.baseUrl);
    await page.goto(s.baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
    await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });

    assert.equal(await page.locator('nav.stepper .count').count(), 0, 'no error count on any step');
    assert.deepEqual(await findings(page), [], 'no finding before any input');
    assert.match(await page.locator('aside.findings .counts').textContent(), /^0 errors/);
    const presets = await page.locator('[data-testid=presets]').textContent();
    assert.doesNotMatch(presets, /seed|field report/i);
    for (const t of await page.locator('[data-testid=presets] button.preset').allTextContents()) {
      assert.match(t, /(AWS|Azure|Google|VyOS|Libreswan|strongSwan|Blank)/, t);
    }

    // Typed, then emptied: now it is an error, and its fix asks for a name.
    await page.locator(sel('name')).click();
    await page.keyboard.type('x');
    await page.keyboard.press('Backspace');
    await waitFinding(page, 'E_PLAN_NAME', 'name');
    const fix = await page.locator('aside.findings li[data-code=E_PLAN_NAME] .fix').textContent();
    assert.doesNotMatch(fix, /'site'/);
    assert.match(fix, /type a short name/);
    // No site yet is not an error while the user is still on Sites; once they leave, it is.
    assert.equal(await page.locator('aside.findings li[data-code=E_SITE_COUNT]').count(), 0);
    await goStep(page, 'addressing');
    await waitFinding(page, 'E_SITE_COUNT', 'sites');
    assert.deepEqual(problems, []);
    await ctx.close();
  });
}
