// What a user notices (issue 18, items 7 and 10): a removed link's warning goes once hub and
// spoke is marked as intended, and the mark survives a reload and the share link; the overlap
// finding comes before the subnets it strands and offers a free range in one click; a name
// against the rule is fixed in one click; the self-managed "Gateway kind" text is shown whole at
// 1280 and 375 px; fields and choices are named with their context; choosing a step moves focus
// to its heading; a jump's highlight ends once the field is fixed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TIMEOUT_MS, serveAndLaunch, watch } from './support/browser.mjs';
import { findings, goStep, sel, waitErrors, waitFinding } from './support/wizard.mjs';

const s = serveAndLaunch({ before, after });

async function open(width = 1280, url = s.baseUrl) {
  const ctx = await s.browser.newContext({ viewport: { width, height: 800 } });
  const page = await ctx.newPage();
  const problems = watch(page, s.baseUrl);
  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  return { ctx, page, problems };
}

/** aws, azure, gcp: a full mesh of three links, kept as proposed. */
async function threeClouds(page, name) {
  await page.locator(sel('name')).fill(name);
  await page.locator('#add-site-aws').click();
  await page.locator('#add-site-azure').click();
  await page.locator('#add-site-gcp').click();
  await page.locator('#keep-proposed').click();
  await waitErrors(page, 0);
}

test('a removed link: mark hub and spoke as intended, the warning goes, and stays gone after a reload and in the share link', async () => {
  const { ctx, page, problems } = await open();
  await threeClouds(page, 'hubspoke');
  await goStep(page, 'links');
  await page.getByRole('button', { name: 'Remove link aws ↔ gcp' }).click();
  await waitFinding(page, 'W_TOPOLOGY_MISSING_LINK', 'links');
  const box = page.locator(sel('topology'));
  assert.equal(await box.isChecked(), false);
  // The warning's own fix says how to silence it.
  const warning = page.locator('aside.findings li[data-code=W_TOPOLOGY_MISSING_LINK]');
  assert.match(await warning.textContent(), /mark hub and spoke as intended/);

  await box.check();
  await waitFinding(page, 'W_TOPOLOGY_MISSING_LINK', 'links', false);
  await waitFinding(page, 'I_TOPOLOGY_UNLINKED', 'links');
  assert.match(await page.locator('#missing-heading').textContent(), /on purpose/);

  // The address bar follows the plan once typing pauses; a reload keeps the mark.
  await page.waitForFunction(() => location.hash.startsWith('#p=1.'), null, { timeout: TIMEOUT_MS });
  await page.waitForTimeout(800);
  const link = page.url();
  await page.reload({ waitUntil: 'load' });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await goStep(page, 'links');
  assert.equal(await page.locator(sel('topology')).isChecked(), true, 'still marked after a reload');
  await waitFinding(page, 'I_TOPOLOGY_UNLINKED', 'links');
  assert.deepEqual(problems, []);
  await ctx.close();

  // Someone else opens the share link: still marked, no warning.
  const other = await open(1280, link);
  await other.page.locator('[data-testid=notice]', { hasText: 'Opened a shared plan' }).waitFor({ timeout: TIMEOUT_MS });
  await goStep(other.page, 'links');
  assert.equal(await other.page.locator(sel('topology')).isChecked(), true, 'marked in the shared link');
  await waitFinding(other.page, 'I_TOPOLOGY_UNLINKED', 'links');
  assert.equal((await findings(other.page)).filter((f) => f.code === 'W_TOPOLOGY_MISSING_LINK').length, 0);
  // Unmarking brings the warning back.
  await other.page.locator(sel('topology')).uncheck();
  await waitFinding(other.page, 'W_TOPOLOGY_MISSING_LINK', 'links');
  assert.deepEqual(other.problems, []);
  await other.ctx.close();
});

test('an overlap is listed before the subnets it strands, and its free range is one click away', async () => {
  const { ctx, page, problems } = await open();
  await threeClouds(page, 'overlap');
  await goStep(page, 'addressing');
  const taken = await page.locator(sel('sites[0].address_spaces[0]')).inputValue();
  const space = page.locator(sel('sites[1].address_spaces[0]'));
  await space.fill(taken);
  await waitFinding(page, 'E_CIDR_OVERLAP', 'sites[1].address_spaces[0]');
  const codes = (await findings(page)).filter((f) => f.severity === 'error').map((f) => f.code);
  assert.ok(codes.includes('E_SUBNET_OUTSIDE'), `the subnets are left outside: ${codes}`);
  assert.ok(codes.indexOf('E_CIDR_OVERLAP') < codes.indexOf('E_SUBNET_OUTSIDE'), `cause first: ${codes}`);

  // The fix names a free range of the same size, and a button beside the field uses it.
  const fix = await page.locator('aside.findings li[data-code=E_CIDR_OVERLAP] .fix').textContent();
  const free = fix.match(/use '([0-9./]+)'/)?.[1];
  assert.ok(free, fix);
  assert.equal(free.split('/')[1], taken.split('/')[1]);
  const others = [];
  for (const k of [0, 2]) others.push(await page.locator(sel(`sites[${k}].address_spaces[0]`)).inputValue());
  assert.ok(!others.includes(free), `${free} is used by another site`);
  await page.locator(`${sel('sites[1].address_spaces[0]')}-notes button.use-suggestion`).click();
  await waitFinding(page, 'E_CIDR_OVERLAP', 'sites[1].address_spaces[0]', false);
  assert.equal(await space.inputValue(), free);
  // Subnets left outside follow it in one more click (issue 18 item 3); when the free range is
  // the site's own former one, they are inside already. Either way no error is left.
  if (await page.locator('#follow-1-0').count()) await page.locator('#follow-1-0').click();
  await waitErrors(page, 0);
  assert.deepEqual(problems, []);
  await ctx.close();
});

test('a name against the rule is fixed in one click from the findings panel', async () => {
  const { ctx, page, problems } = await open();
  await threeClouds(page, 'names');
  await page.locator(sel('sites[0].name')).fill('My AWS');
  await waitFinding(page, 'E_SITE_NAME', 'sites[0].name');
  const use = page.locator('aside.findings li[data-code=E_SITE_NAME] button.use-suggestion');
  const label = await use.textContent();
  const suggested = label.replace(/^Use /, '');
  assert.match(suggested, /^[a-z][a-z0-9-]*$/, label);
  await use.click();
  await waitErrors(page, 0);
  assert.equal(await page.locator(sel('sites[0].name')).inputValue(), suggested);
  // Links follow the renamed site.
  await goStep(page, 'links');
  assert.ok((await page.locator('section.link h3').allTextContents()).some((t) => t.includes(suggested)));
  assert.deepEqual(problems, []);
  await ctx.close();
});

for (const width of [1280, 375]) {
  test(`the self-managed gateway kind is shown whole (${width} px)`, async () => {
    const { ctx, page, problems } = await open(width);
    await page.locator(sel('name')).fill('kinds');
    await page.locator('#add-site-onprem').click();
    await page.locator('#add-site-azure').click();
    const select = page.locator(sel('sites[0].gateway.kind'));
    await select.waitFor({ timeout: TIMEOUT_MS });
    const fit = await select.evaluate((el) => {
      const cs = getComputedStyle(el);
      const ctx2d = document.createElement('canvas').getContext('2d');
      ctx2d.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      // Room for the text: the box minus its padding and the drop-down arrow (about 1.5em).
      const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 1.5 * parseFloat(cs.fontSize);
      return [...el.options].map((o) => ({ text: o.text, width: ctx2d.measureText(o.text).width, room }));
    });
    for (const o of fit) assert.ok(o.width <= o.room, `"${o.text}" is ${o.width.toFixed(0)} px in ${o.room.toFixed(0)} px`);
    // What the short label leaves out is said beside it.
    assert.match(await page.locator(`${sel('sites[0].gateway.kind')}-hint`).textContent(), /Libreswan, strongSwan or VyOS/);
    assert.deepEqual(problems, []);
    await ctx.close();
  });
}

test('names carry their context, a chosen step takes focus, a highlight ends once fixed', async () => {
  const { ctx, page, problems } = await open();
  await threeClouds(page, 'context');
  // One "Name" per site, each named for its site.
  for (const site of ['aws', 'azure', 'gcp']) {
    assert.equal(await page.getByRole('textbox', { name: `Site ${site}: Name`, exact: true }).count(), 1, site);
  }
  // Choosing a step moves focus to its heading.
  await goStep(page, 'links');
  await page.waitForFunction(() => document.activeElement?.id === 'step-heading', null, { timeout: 5_000 });
  // Badges are words of their own in a choice's name.
  const names = await page.locator(`${sel('links[0].routing')} input[type=radio]`).evaluateAll((els) =>
    els.map((e) => document.querySelector(`label[for="${e.id}"]`).textContent),
  );
  assert.ok(names.some((n) => /^BGP recommended/.test(n)), names.join(' | '));
  assert.ok(!names.some((n) => /[a-zA-Z]recommended/.test(n)), names.join(' | '));

  // A jump highlights its field; fixing it ends the highlight.
  await goStep(page, 'sites');
  await page.locator(sel('sites[2].region')).fill('');
  await waitFinding(page, 'E_REGION_MISSING', 'sites[2].region');
  await page.locator('aside.findings li[data-code=E_REGION_MISSING] button.goto').click();
  const wrapper = page.locator(sel('sites[2].region')).locator('xpath=ancestor::*[contains(@class, "field")][1]');
  await page.waitForFunction((id) => document.getElementById(id).closest('.field').classList.contains('is-target'), 'f-sites-2-region');
  await page.locator(sel('sites[2].region')).fill('us-central1');
  await waitErrors(page, 0);
  assert.doesNotMatch((await wrapper.getAttribute('class')) ?? '', /is-target/);
  assert.deepEqual(problems, []);
  await ctx.close();
});
