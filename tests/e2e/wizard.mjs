// The wizard's journeys against the release bundle in dist/ (run by `make test-e2e`), one test
// each, each in a fresh browser context (so the first failure hides no other):
//
// 1. Build seed 004 (AWS + Azure + Google Cloud, BGP full mesh) from a blank plan through the
//    steps, by keyboard and mouse, fixing every error the app raises on the way by following
//    its finding to the field, until no error is left; reload and find the draft; the plan file
//    it offers equals examples/004.
// 2. Seed 004 (opened from its link, new keys): download each file and the zip and compare them,
//    byte for byte, with the engine's golden files (tests/golden/004-aws-azure-gcp-bgp/; whatever
//    exists there, so the test follows the set as it grows); the keys come separately.
// 3. Copy the share link, open it in a fresh context (empty storage): same plan, keys asked for,
//    golden files once new keys are generated.
// 4. Import a broken plan file (picker and paste) and see the error with line, column, field.
// 5. Back and forward move between shared states; a bad link keeps the plan and says why; start
//    over clears the draft.
// 6. A link of an unknown format in a fresh context.
// 7. Screenshots of every step at 1280 and 375 px.
//
// No console error, page error, failed request or request off the page's origin on any page (the
// last test). Screenshots go to target/e2e/ (test output); figures (steps,
// timings, files compared) to target/e2e/wizard-figures.json.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, SHOTS, TIMEOUT_MS, launch, serveDist, watch } from './support/browser.mjs';
import { readZip } from './support/zip.mjs';
import { STEPS, errors, fieldId, goStep as goStepIn, sel, waitErrors, waitFinding } from './support/wizard.mjs';

const GOLDEN = path.join(ROOT, 'tests', 'golden', '004-aws-azure-gcp-bgp');
const EXAMPLE = path.join(ROOT, 'examples', '004-aws-azure-gcp-bgp.json');

let server;
let browser;
let baseUrl;
const problems = [];
const figures = { steps: [], fixed: [], timings: {}, compared: {} };

before(async () => {
  server = await serveDist();
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  browser = await launch();
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  await writeFile(path.join(SHOTS, 'wizard-figures.json'), JSON.stringify(figures, null, 2));
});

// --- helpers --------------------------------------------------------------------------------------

async function timed(name, fn) {
  const t0 = performance.now();
  const out = await fn();
  figures.timings[name] = Math.round(performance.now() - t0);
  return out;
}

async function newPage(context, width = 1280) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const list = watch(page, baseUrl);
  page.on('close', () => problems.push(...list.map((p) => `${page.url()}: ${p}`)));
  return page;
}

async function open(page, url = baseUrl) {
  const t0 = performance.now();
  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  return Math.round(performance.now() - t0);
}

/** Replace the text of the field at `path` by typing, one key at a time (each re-checked). */
async function typeInto(page, p, text) {
  await page.locator(sel(p)).focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

async function goStep(page, name) {
  await goStepIn(page, name);
  figures.steps.push(name);
}

/**
 * Follow the error `code` at `p` from the findings panel (a mouse click), check that focus
 * moved to the field and that it is highlighted with the message beside it, then fix it by
 * typing `value` and check that the error is gone.
 */
async function fixVia(page, code, p, value) {
  await waitFinding(page, code, p);
  await page.locator(`aside.findings li[data-code="${code}"] button.goto[data-path="${p}"]`).first().click();
  await page.waitForFunction((id) => document.activeElement?.id === id, fieldId(p), { timeout: TIMEOUT_MS });
  const wrapper = page.locator(`${sel(p)}`).locator('xpath=..');
  assert.match((await wrapper.getAttribute('class')) ?? '', /is-target/, `${p} is highlighted`);
  assert.ok((await page.locator(`${sel(p)}-notes`).textContent()).length > 0, `${p} shows its message`);
  await page.keyboard.press('Control+A');
  await page.keyboard.type(value);
  await waitFinding(page, code, p, false);
  figures.fixed.push(`${code} at ${p} → ${value}`);
}

// Chromium drops a download that follows ten others within a second or two (a throttle no
// person clicking meets): pause after every eight.
let downloads = 0;

async function download(page, trigger) {
  if (++downloads % 8 === 0) await page.waitForTimeout(2_500);
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT_MS }), trigger()]);
  return { name: dl.suggestedFilename(), data: await readFile(await dl.path()) };
}

// The goldens carry the share link at this address (tests/golden.rs); the app stamps its own page's.
const GOLDEN_LINK_BASE = 'https://tunnelsmith.example/#p=';

/** The golden files, their share links pointing at this page as the app's do. */
async function goldenFiles(dir = GOLDEN, base = GOLDEN) {
  const out = new Map();
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) for (const [k, v] of await goldenFiles(full, base)) out.set(k, v);
    else {
      const text = (await readFile(full, 'utf8')).replaceAll(GOLDEN_LINK_BASE, `${baseUrl}#p=`);
      out.set(path.relative(base, full).split(path.sep).join('/'), Buffer.from(text, 'utf8'));
    }
  }
  return out;
}

/** A plan as JSON with the defaults the serializer writes made explicit, for comparison. */
function normalise(plan) {
  const p = structuredClone(plan);
  p.description ??= '';
  p.links ??= [];
  for (const s of p.sites) {
    s.subnets ??= [];
    s.network ??= { mode: 'new' };
    if (s.gateway.kind === 'azure_vpn_gateway') {
      s.gateway.active_active ??= false;
      s.gateway.vpn_type ??= 'route_based';
    }
  }
  for (const l of p.links) l.routing ??= 'static';
  return p;
}

/** Every file of the Files step: click each tab, download it. Map path → bytes. */
async function downloadEachFile(page) {
  const files = new Map();
  const tabs = page.locator('[role=tab][data-path]');
  const n = await tabs.count();
  for (let k = 0; k < n; k++) {
    const tab = tabs.nth(k);
    const p = await tab.getAttribute('data-path');
    await tab.click();
    await page.locator(`#file-panel[data-path="${p}"]`).waitFor({ timeout: TIMEOUT_MS });
    const dl = await download(page, () => page.locator('#download-file').click());
    assert.equal(dl.name, p.split('/').pop());
    files.set(p, dl.data);
  }
  return files;
}

async function shoot(page, name) {
  // From the top, so the sticky stepper and findings bar sit where a reader first sees them.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// --- starting points ---------------------------------------------------------------------------------

/** Seed 004's share link as the golden files carry it, pointing at this page. */
async function seedLink() {
  const runbook = await readFile(path.join(GOLDEN, 'RUNBOOK.md'), 'utf8');
  const m = runbook.match(/https:\/\/tunnelsmith\.example\/#p=(1\.[A-Za-z0-9_-]+)/);
  assert.ok(m, 'the golden runbook carries the plan link');
  return `${baseUrl}#p=${m[1]}`;
}

/** A page in a context of its own (empty storage), closed when the test `t` ends. */
async function freshPage(t, options = {}, width = 1280) {
  const ctx = await browser.newContext({ acceptDownloads: true, ...options });
  t.after(() => ctx.close());
  return newPage(ctx, width);
}

/** Seed 004 opened from its link in a fresh context, with new keys: where journeys 2-6 start. */
async function openSeed(t, options = {}) {
  const page = await freshPage(t, options);
  await open(page, await seedLink());
  await page.locator('[data-testid=notice]', { hasText: 'Opened a shared plan' }).waitFor({ timeout: TIMEOUT_MS });
  await page.locator('#step-security').click();
  await page.locator('#generate-keys').click();
  await waitErrors(page, 0);
  return page;
}

/** Each file of the Files step equals its golden file; returns the files. */
async function assertGoldenFiles(page) {
  await page.locator('#step-files').click();
  const each = await downloadEachFile(page);
  const golden = await goldenFiles();
  let same = 0;
  for (const [p, bytes] of golden) {
    assert.ok(each.has(p), `the app does not offer ${p}, which the golden files have`);
    assert.ok(bytes.equals(each.get(p)), `${p} differs from tests/golden/004-aws-azure-gcp-bgp/${p}`);
    same++;
  }
  figures.compared.files_downloaded = each.size;
  figures.compared.identical_to_golden = same;
  figures.compared.without_golden = [...each.keys()].filter((p) => !golden.has(p) && p !== 'tunnelsmith-plan.json');
  return each;
}

// --- the journeys: one test each, each from a fresh context, so one failure hides no other -------

test('1. seed 004 from a blank plan, every error fixed through its finding; the draft survives a reload', { timeout: 300_000 }, async (t) => {
  const page = await freshPage(t);
  figures.timings.first_load = await open(page);
  figures.timings.app_interactive_mark = Math.round(
    await page.evaluate(() => performance.getEntriesByName('app-interactive')[0]?.startTime ?? -1),
  );
  assert.ok(figures.timings.app_interactive_mark > 0, 'the app-interactive mark is set');
  await shoot(page, 'start-1280');

  // Blank: an empty plan is where every plan starts, not an error (issue 18).
  assert.deepEqual(await errors(page), []);

  await timed('sites', async () => {
    figures.steps.push('sites');
    // Keyboard: the plan name is the first field; the description follows with Tab.
    await typeInto(page, 'name', 'multicloud');
    await page.keyboard.press('Tab');
    await page.keyboard.type('AWS, Azure and Google Cloud, BGP full mesh');
    // Three sites: AWS by keyboard (Enter on the button), Azure and Google Cloud by mouse.
    await page.locator('#add-site-aws').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => document.activeElement?.id === id, fieldId('sites[0].name'));
    await waitFinding(page, 'E_SITE_COUNT', 'sites');
    await page.locator('#add-site-azure').click();
    await page.locator('#add-site-gcp').click();
    await waitFinding(page, 'E_SITE_COUNT', 'sites', false);
    figures.fixed.push('E_SITE_COUNT at sites → added aws, azure, gcp');
    // The third site's links are proposed: keep them (the full mesh).
    await page.locator('#keep-proposed').click();
    await waitErrors(page, 0);
    // Regions and ASNs, typed (whatever the defaults are).
    await typeInto(page, 'sites[0].region', 'us-east-1');
    await typeInto(page, 'sites[1].region', 'eastus');
    await typeInto(page, 'sites[2].region', 'us-east1');
    await typeInto(page, 'sites[0].gateway.asn', '65002');
    await typeInto(page, 'sites[1].gateway.asn', '65001');
    await typeInto(page, 'sites[2].gateway.asn', '65003');
    await waitErrors(page, 0);
    // Azure starts active-active with VpnGw1AZ: BGP with AWS needs it.
    assert.equal(await page.locator(sel('sites[1].gateway.active_active')).isChecked(), true);
    assert.equal(await page.locator(sel('sites[1].gateway.sku')).inputValue(), 'VpnGw1AZ');
  });

  await timed('addressing', async () => {
    await goStep(page, 'addressing');
    await typeInto(page, 'sites[0].address_spaces[0]', '172.16.0.0/16');
    await shoot(page, 'addressing-with-errors-1280');
    await fixVia(page, 'E_SUBNET_OUTSIDE', 'sites[0].subnets[0].cidr', '172.16.1.0/24');
    await typeInto(page, 'sites[1].address_spaces[0]', '192.168.0.0/16');
    await fixVia(page, 'E_SUBNET_OUTSIDE', 'sites[1].subnets[0].cidr', '192.168.0.0/24');
    await fixVia(page, 'E_SUBNET_OUTSIDE', 'sites[1].subnets[1].cidr', '192.168.1.0/27');
    await typeInto(page, 'sites[2].address_spaces[0]', '10.0.1.0/24');
    await fixVia(page, 'E_SUBNET_OUTSIDE', 'sites[2].subnets[0].cidr', '10.0.1.0/24');
    await waitErrors(page, 0);
  });

  await timed('links', async () => {
    await goStep(page, 'links');
    const heads = () => page.locator('section.link h3').allTextContents();
    assert.deepEqual(await heads(), ['Link 1: aws ↔ azure', 'Link 2: aws ↔ gcp', 'Link 3: azure ↔ gcp']);
    // The seed orders its links aws-azure, gcp-azure, aws-gcp: swap by keyboard, move by mouse.
    await page.locator('#link-2-swap').focus();
    await page.keyboard.press('Enter');
    await page.locator('#link-2-up').click();
    await page.waitForFunction(() => document.querySelectorAll('section.link h3')[1]?.textContent === 'Link 2: gcp ↔ azure');
    assert.deepEqual(await heads(), ['Link 1: aws ↔ azure', 'Link 2: gcp ↔ azure', 'Link 3: aws ↔ gcp']);
    for (let k = 0; k < 3; k++) {
      assert.equal(await page.locator(`${sel(`links[${k}].routing`)} input[value=bgp]`).isChecked(), true);
    }
    // 10 tunnels, each with an allocated inside /30.
    assert.equal(await page.locator('table.tunnels tbody tr').count(), 10);
    assert.match(await page.locator(sel('links[0].inside[0]')).getAttribute('placeholder'), /^169\.254\.21\.0\/30/);
  });

  await timed('security', async () => {
    await goStep(page, 'security');
    assert.match(await page.locator('#keys-status').textContent(), /10 keys made in this browser/);
    assert.equal(await page.locator(`${sel('links[0].crypto')} input[value=recommended]`).isChecked(), true);
  });

  await timed('review', async () => {
    await goStep(page, 'review');
    await page.locator('[data-testid=ready]').waitFor({ timeout: TIMEOUT_MS });
    assert.match(await page.locator('[data-testid=topology]').textContent(), /aws ↔ azure: BGP routing, 4 tunnels/);
  });

  // The draft survives a reload.
  await timed('reload', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.locator('main .step-body[data-step=review]').waitFor({ timeout: TIMEOUT_MS });
    await waitErrors(page, 0);
    await goStep(page, 'sites');
    assert.equal(await page.locator(sel('name')).inputValue(), 'multicloud');
    assert.equal(await page.locator('section.site').count(), 3);
  });

  // What was built is seed 004 (journey 2 shows seed 004's files equal the golden files).
  await goStep(page, 'files');
  await page.locator('[role=tab][data-path="tunnelsmith-plan.json"]').click();
  await page.locator('#file-panel[data-path="tunnelsmith-plan.json"]').waitFor({ timeout: TIMEOUT_MS });
  const planFile = await download(page, () => page.locator('#download-file').click());
  const example = JSON.parse(await readFile(EXAMPLE, 'utf8'));
  assert.deepEqual(normalise(JSON.parse(planFile.data.toString('utf8'))), normalise(example));
});

test('2. each file and the zip equal the golden files; the keys come separately', { timeout: 300_000 }, async (t) => {
  const page = await openSeed(t);
  await timed('files', async () => {
    await page.locator('#step-files').click();
    // Day two: the Files step says in one line how a changed plan reaches the clouds.
    const later = await page.locator('#cli-later').textContent();
    assert.ok(later.includes('tunnelsmith plan') && later.includes('tunnelsmith apply'), later);
    const each = await assertGoldenFiles(page);
    const golden = await goldenFiles();

    // The plan file is seed 004.
    const plan = JSON.parse(each.get('tunnelsmith-plan.json').toString('utf8'));
    const example = JSON.parse(await readFile(EXAMPLE, 'utf8'));
    assert.deepEqual(normalise(plan), normalise(example));

    // The zip: every file under multicloud/, golden bytes, scripts executable, no keys.
    const zip = await download(page, () => page.locator('#download-zip').click());
    assert.equal(zip.name, 'multicloud.zip');
    const entries = readZip(zip.data);
    const names = entries.map((e) => e.name);
    assert.ok(!names.some((n) => n.endsWith('secrets.env')), 'no keys in the zip unless asked');
    assert.equal(names.at(-1), 'multicloud/tunnelsmith-plan.json');
    for (const e of entries) {
      const p = e.name.replace(/^multicloud\//, '');
      assert.ok(each.get(p)?.equals(e.data), `${e.name} in the zip differs from its download`);
      if (golden.has(p)) assert.ok(golden.get(p).equals(e.data), `${e.name} differs from its golden file`);
      // Scripts are executable; nothing is group- or world-writable.
      if (p.endsWith('.sh')) assert.equal(e.mode, 0o755, `${e.name} mode ${e.mode.toString(8)}`);
      else assert.ok([0o644, 0o755].includes(e.mode), `${e.name} mode ${e.mode.toString(8)}`);
    }
    figures.compared.zip_entries = entries.length;

    // The keys, separately: one per tunnel, in no other file.
    const secrets = await download(page, () => page.locator('#download-secrets-files').click());
    assert.equal(secrets.name, 'secrets.env');
    const keys = [...secrets.data.toString('utf8').matchAll(/^(PSK_[A-Z0-9_]+)='([^']+)'$/gm)];
    assert.equal(keys.length, 10);
    for (const [, , key] of keys) {
      assert.equal(key.length, 32);
      for (const [p, bytes] of each) assert.ok(!bytes.toString('utf8').includes(key), `${p} contains a key`);
    }
  });
});

test('3. a copied link opens the same plan in a fresh context: keys asked for, the same files once made', { timeout: 300_000 }, async (t) => {
  const page = await openSeed(t, { permissions: ['clipboard-read', 'clipboard-write'] });
  const link = await timed('share', async () => {
    await page.locator('#step-files').click();
    await page.locator('#copy-link').click();
    await page.locator('.status', { hasText: 'Link copied' }).first().waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(copied.startsWith(baseUrl + '#p=1.'), copied);
    assert.equal(new URL(page.url()).hash, new URL(copied).hash, 'the page URL is the shared state');
    figures.compared.link_characters = copied.length;
    return copied;
  });

  await timed('open_link_fresh_context', async () => {
    const p2 = await freshPage(t);
    figures.timings.open_link_load = await open(p2, link);
    await p2.locator('[data-testid=notice]', { hasText: 'Opened a shared plan' }).waitFor();
    assert.match(await p2.locator('[data-testid=notice]').first().textContent(), /never travel in a link/);
    assert.equal(await p2.locator('main .step-body').getAttribute('data-step'), 'review');
    // The same plan; its keys did not travel: every tunnel lacks one until the user decides.
    const errs = await errors(p2);
    assert.equal(errs.length, 10);
    assert.ok(errs.every((e) => e.code === 'E_PSK_MISSING'));
    await p2.locator('#step-security').click();
    assert.match(await p2.locator('#keys-status').textContent(), /opened from a share link/);
    await p2.locator('#generate-keys').click();
    await waitErrors(p2, 0);
    const again = await assertGoldenFiles(p2);
    figures.compared.identical_across_contexts = again.size;
    await shoot(p2, 'opened-link-files-1280');
  });
});

test('4. a broken plan file, pasted or picked, says where and why, and the plan stays', { timeout: 120_000 }, async (t) => {
  const page = await openSeed(t);
  await page.locator('#step-files').click();
  await page.locator('#import-paste').fill('{\n  "version": 1,\n  "name": "x",,\n}');
  await page.locator('#import-pasted').click();
  const pasted = await page.locator('[data-testid=import-error]').textContent();
  assert.match(pasted, /line 3, column \d+: .*not valid JSON.*Your plan was not changed/);
  const broken = (await readFile(EXAMPLE, 'utf8')).replace('"region": "us-east-1"', '"regoin": "us-east-1"');
  await page.locator('#import-file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(broken) });
  await page.locator('[data-testid=import-error]', { hasText: 'broken.json' }).waitFor();
  const picked = await page.locator('[data-testid=import-error]').textContent();
  assert.match(picked, /line \d+, column \d+: sites\[0\]\.regoin: unknown field `regoin`/);
  await shoot(page, 'import-error-1280');
  await page.locator('#step-sites').click();
  assert.equal(await page.locator(sel('name')).inputValue(), 'multicloud');
});

test('5. back and forward move between shared states; a damaged link keeps the plan; start over clears it', { timeout: 120_000 }, async (t) => {
  const page = await openSeed(t, { permissions: ['clipboard-read', 'clipboard-write'] });
  await timed('history', async () => {
    // The state the user shares first (copying the link makes it the page's URL).
    await page.locator('#step-files').click();
    await page.locator('#copy-link').click();
    await page.locator('.status', { hasText: 'Link copied' }).first().waitFor();
    const first = new URL(page.url()).hash;
    await page.locator('#step-sites').click();
    await typeInto(page, 'description', 'second version');
    await page.locator('#share-top').click();
    await page.waitForFunction((h) => location.hash !== h, first);
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('#f-description')?.value === 'AWS, Azure and Google Cloud, BGP full mesh');
    await page.goForward();
    await page.waitForFunction(() => document.querySelector('#f-description')?.value === 'second version');
    await page.goto(baseUrl + '#p=1.@@not-a-link');
    await page.locator('[data-testid=notice]', { hasText: 'could not be opened' }).waitFor();
    assert.match(await page.locator('[data-testid=notice]', { hasText: 'could not be opened' }).textContent(), /damaged/);
    assert.equal(await page.locator(sel('name')).inputValue(), 'multicloud');

    // Start over clears the draft: a reload finds a blank plan.
    await page.locator('#start-over').click();
    await page.locator('#start-over-confirm').click();
    await page.waitForFunction(() => document.querySelectorAll('section.site').length === 0);
    await page.reload({ waitUntil: 'load' });
    await page.locator('#step-heading').waitFor();
    assert.equal(await page.locator(sel('name')).inputValue(), '');
    assert.equal(await page.locator('section.site').count(), 0);
  });
});

test('6. a link of an unknown format in a fresh context: a clear message and a blank plan', { timeout: 60_000 }, async (t) => {
  const page = await freshPage(t, {}, 375);
  await open(page, baseUrl + '#p=9.AAAA');
  assert.match(await page.locator('[data-testid=notice]').textContent(), /format 9/);
  assert.equal(await page.locator(sel('name')).inputValue(), '');
  await shoot(page, 'bad-link-375');
});

test('7. every step at 1280 and 375 px, the findings panel open, dark mode', { timeout: 180_000 }, async (t) => {
  const page = await openSeed(t);
  await timed('screenshots', async () => {
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      for (const s of STEPS) {
        await page.locator(`#step-${s}`).click();
        await page.locator(`main .step-body[data-step="${s}"]`).waitFor();
        await shoot(page, `${STEPS.indexOf(s) + 1}-${s}-${width}`);
      }
    }
    await page.setViewportSize({ width: 375, height: 900 });
    await page.locator('aside.findings .toggle').click();
    await shoot(page, 'findings-open-375');
    await page.locator('aside.findings .toggle').click();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.locator('#step-security').click();
    await page.locator(`${sel('links[0].crypto')} input[value=custom]`).click();
    await shoot(page, 'security-custom-dark-1280');
    await page.locator(`${sel('links[0].crypto')} input[value=recommended]`).click();
    await page.emulateMedia({ colorScheme: 'light' });
    await waitErrors(page, 0);
  });
});

// Last: every page of every journey above has been closed (each test closes its contexts).
test('no page had a console error, page error, failed request or request off its origin', () => {
  console.log(JSON.stringify(figures, null, 2));
  assert.deepEqual(problems, []);
});
