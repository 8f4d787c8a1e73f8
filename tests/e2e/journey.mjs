// The journey of issue 18, measured: from a blank page to an on-premises strongSwan site, a
// Google Cloud VPC and an active-active Azure VNet with no error, by keyboard and mouse, at 1280
// and 375 px. Every key press is counted (a typed character is one, Ctrl+A is one); clicks are
// counted apart. The figures go to target/e2e/journey-figures.json and the test's output; the
// issue's baseline was 217 key presses.
//
// The user's own values: the plan's name, the on-premises gateway's public address, and the
// on-premises network's real range (172.20.0.0/16), whose subnet follows it in one click.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SHOTS, TIMEOUT_MS, serveAndLaunch, watch } from './support/browser.mjs';
import { errors, goStep, sel, waitErrors } from './support/wizard.mjs';

const s = serveAndLaunch({ before, after });
const figures = {};

after(async () => {
  await mkdir(SHOTS, { recursive: true });
  await writeFile(path.join(SHOTS, 'journey-figures.json'), JSON.stringify(figures, null, 2));
});

/** The page's keyboard and mouse, counted. */
class CountingUser {
  constructor(page) {
    this.page = page;
    this.keys = 0;
    this.clicks = 0;
    this.log = [];
  }
  async click(selector) {
    await this.page.locator(selector).click();
    this.clicks++;
    this.log.push(`click ${selector}`);
  }
  async type(text) {
    await this.page.keyboard.type(text);
    this.keys += [...text].length;
    this.log.push(`type ${JSON.stringify(text)}`);
  }
  async press(key) {
    await this.page.keyboard.press(key);
    this.keys++;
    this.log.push(`press ${key}`);
  }
  /** Click into a field, select what is there (Ctrl+A) and type over it. */
  async replace(selector, text) {
    await this.click(selector);
    await this.press('Control+A');
    await this.type(text);
  }
}

for (const width of [1280, 375]) {
  test(`blank page to on-premises strongSwan + Google Cloud + active-active Azure, 0 errors (${width} px)`, async () => {
    const ctx = await s.browser.newContext({ viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    const problems = watch(page, s.baseUrl);
    await page.goto(s.baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
    await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
    const u = new CountingUser(page);

    // Sites: a name, then the three sites; the on-premises gateway needs its public address.
    await u.click(sel('name'));
    await u.type('hybrid');
    await u.click('#add-site-onprem');
    await u.click('#add-site-gcp');
    await u.click('#add-site-azure');
    assert.equal(await page.locator(sel('sites[0].gateway.software')).inputValue(), 'strongswan');
    assert.equal(await page.locator(sel('sites[2].gateway.active_active')).isChecked(), true);
    await u.click(sel('sites[0].gateway.public_ip'));
    await u.type('203.0.113.10');

    // Addressing: the on-premises network is 172.20.0.0/16; its subnet follows in one click.
    await goStep(page, 'addressing');
    u.clicks++;
    await u.replace(sel('sites[0].address_spaces[0]'), '172.20.0.0/16');
    await u.click('#follow-0-0');
    assert.equal(await page.locator(sel('sites[0].subnets[0].cidr')).inputValue(), '172.20.1.0/24');

    // Links: every link BGP (the appliance runs FRR), as the issue asks.
    await goStep(page, 'links');
    u.clicks++;
    for (let k = 0; k < 3; k++) {
      assert.equal(await page.locator(`${sel(`links[${k}].routing`)} input[value=bgp]`).isChecked(), true, `link ${k} BGP`);
    }
    await waitErrors(page, 0).catch(async () => assert.fail(`errors left: ${JSON.stringify(await errors(page))}`));
    figures[`${width}px`] = { key_presses: u.keys, clicks: u.clicks, baseline_key_presses: 217, actions: u.log };
    console.log(`journey at ${width} px: ${u.keys} key presses, ${u.clicks} clicks (baseline 217 key presses)`);
    assert.ok(u.keys < 217, `${u.keys} key presses`);
    assert.deepEqual(problems, []);
    await ctx.close();
  });
}
