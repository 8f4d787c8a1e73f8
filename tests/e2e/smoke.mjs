// Smoke test of the release bundle: serves dist/ on 127.0.0.1, opens it in headless Debian
// Chromium through playwright-core, waits for the app to render, and fails on any console error
// or page error. Run by `make test-e2e` (after `make build`) as `node --test tests/e2e/*.mjs`.
// Leaves screenshots in target/e2e/shell.png and target/e2e/shell-dark.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, SHOTS, SPLIT_CHUNK, TIMEOUT_MS, kbDate, launch, serveDist, watch } from './support/browser.mjs';

let server;
let browser;
let baseUrl;

before(async () => {
  server = await serveDist();
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

test('the release bundle loads under its CSP, renders the wizard and logs no error', async () => {
  const date = await kbDate();
  const page = await browser.newPage({ viewport: { width: 1024, height: 720 } });
  const problems = watch(page, baseUrl);
  const violations = [];
  await page.exposeFunction('__cspViolation', (v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI}`),
    );
  });

  const response = await page.goto(baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  assert.equal(response?.status(), 200);

  // Rendered by the wasm app, not by index.html: proves the bundle loaded and ran.
  await page.getByText(date, { exact: true }).waitFor({ state: 'visible', timeout: TIMEOUT_MS });
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Tunnelsmith');
  assert.equal(await page.locator('main').count(), 1);
  assert.equal(await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button').count(), 6);

  // The page carries a CSP that allows only its own files, and no inline script exists.
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  // The stylesheet is inline (scripts/inline-css.mjs), allowed by its hash alone.
  assert.match(csp, /style-src 'self' 'sha256-[A-Za-z0-9+/]{43}='/);
  assert.equal(await page.locator('link[rel="stylesheet"]').count(), 0);
  assert.equal(await page.locator('script:not([src])').count(), 0, 'an inline script would need unsafe-inline');

  // The first step takes input: the performance mark issue 9 measures is set.
  const marks = await page.evaluate(() => performance.getEntriesByName('app-interactive').length);
  assert.equal(marks, 1);

  // The stylesheet from public/ applied (the wizard lays out the step beside the findings).
  const columns = await page.locator('.layout').evaluate((el) => getComputedStyle(el).gridTemplateColumns);
  assert.ok(columns.split(' ').length === 2, `public/style.css was not applied (${columns})`);

  await mkdir(SHOTS, { recursive: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: path.join(SHOTS, 'shell.png'), fullPage: true });
  const lightBg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(SHOTS, 'shell-dark.png'), fullPage: true });
  const darkBg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.notEqual(lightBg, darkBg, 'the page has no dark scheme');

  assert.deepEqual(violations, []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the server serves wasm as application/wasm', async () => {
  const html = await (await fetch(baseUrl)).text();
  const m = html.match(/["']([^"']+\.wasm)["']/);
  assert.ok(m, 'no .wasm referenced by dist/index.html');
  const res = await fetch(new URL(m[1], baseUrl));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/wasm');
  await res.arrayBuffer();
});

test('the file generators load only when a file is first needed, and the preview follows typing', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watch(page, baseUrl);
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  await page.waitForLoadState('networkidle');
  assert.ok(!fetched.some((p) => p.includes('tunnelsmith-render')), `the first load fetched the generators: ${fetched}`);

  // A preset, then the preview: opening it loads the generators once and shows a file.
  await page.locator('[data-preset="004-aws-azure-gcp-bgp"] button').click();
  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /Addressing/ }).click();
  await page.locator('#preview-card > summary').click();
  const preview = page.locator('[data-testid=preview]');
  await preview.waitFor({ timeout: TIMEOUT_MS });
  assert.equal(fetched.filter((p) => p.endsWith('tunnelsmith-render_bg.wasm')).length, 1);

  // Typing an address space changes the file on screen (a script that names it).
  const files = await page.locator('#preview-file option').allTextContents();
  assert.ok(files.length > 5, `preview lists ${files.length} files`);
  const input = page.locator('#f-sites-0-address_spaces-0');
  const before = await input.inputValue();
  const script = files.find((f) => f.startsWith('aws/') && f.endsWith('.sh'));
  await page.locator('#preview-file').selectOption(script);
  await page.waitForFunction(
    (v) => document.querySelector('[data-testid=preview]')?.textContent.includes(v), before, { timeout: TIMEOUT_MS });
  await input.fill('10.99.0.0/16');
  await page.waitForFunction(
    () => document.querySelector('[data-testid=preview]')?.textContent.includes('10.99.0.0/16'), null, { timeout: TIMEOUT_MS });
  assert.ok(!(await preview.textContent()).includes(before), 'the old address space is still in the preview');
  assert.equal(fetched.filter((p) => p.endsWith('tunnelsmith-render_bg.wasm')).length, 1, 'the generators were fetched again');

  // The page reports its wasm memories (app + generators) for make bench.
  const mem = await page.evaluate(() => globalThis.tunnelsmithMemory());
  assert.ok(mem.wasm >= 2 * 65536, JSON.stringify(mem));
  assert.deepEqual(problems, []);
  await page.close();
});


test('past the Addressing step the generators are fetched ahead of Review and Files', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watch(page, baseUrl);
  await page.goto(baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-heading').waitFor({ timeout: TIMEOUT_MS });
  const fetched = page.waitForRequest((r) => r.url().includes('tunnelsmith-render_bg.wasm'), { timeout: TIMEOUT_MS });
  await page.locator('#step-links').click();
  await fetched;
  // Review then shows the diagram (an image only the generators can draw) with no new fetch.
  await page.locator('#step-review').click();
  await page.locator('[data-testid=topology] img.diagram').waitFor({ timeout: TIMEOUT_MS });
  const again = [];
  page.on('request', (r) => r.url().includes('tunnelsmith-render') && again.push(r.url()));
  await page.locator('#step-files').click();
  await page.locator('[role=tab][data-path]').first().waitFor({ timeout: TIMEOUT_MS });
  assert.deepEqual(again, [], 'the generators were fetched again');
  assert.deepEqual(problems, []);
  await page.close();
});

/**
 * A page whose storage holds a draft as an earlier build left it (`key`, the plan field `plan`),
 * seeded before the app first runs (and not again on reload), then opened.
 */
async function openWithOldDraft(key, plan) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watch(page, baseUrl);
  await page.addInitScript(([k, p]) => {
    if (sessionStorage.getItem('seeded')) return;
    sessionStorage.setItem('seeded', '1');
    localStorage.setItem(k, JSON.stringify({
      plan: p, raw: {}, step: 1, secrets: null, keep_secrets: false, keys_exported: false, origin: null,
    }));
  }, [key, plan]);
  await page.goto(baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  return { page, problems };
}

test('a draft saved by an earlier build (plan-file JSON) opens, and is kept in the current format', async () => {
  const plan = JSON.parse(await readFile(path.join(ROOT, 'examples', '002-aws-vgw-to-azure-static.json'), 'utf8'));
  const { page, problems } = await openWithOldDraft('tunnelsmith.draft.v1', plan);
  // The Addressing step of the saved plan, its first address space as saved.
  const input = page.locator('#f-sites-0-address_spaces-0');
  await input.waitFor({ timeout: TIMEOUT_MS });
  await page.waitForFunction((v) => document.querySelector('#f-sites-0-address_spaces-0')?.value === v,
    plan.sites[0].address_spaces[0], { timeout: TIMEOUT_MS });
  // Read once: the old draft is gone and the current one holds the plan (after the write pause).
  await page.waitForFunction(() => localStorage.getItem('tunnelsmith.draft.v1') === null
    && (localStorage.getItem('tunnelsmith.draft.v2') || '').includes('"body":"'), null, { timeout: TIMEOUT_MS });
  // A reload now opens the same plan without the generators' plan reader.
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction((v) => document.querySelector('#f-sites-0-address_spaces-0')?.value === v,
    plan.sites[0].address_spaces[0], { timeout: TIMEOUT_MS });
  assert.ok(!fetched.some((p) => p.includes('tunnelsmith-render')), `fetched ${fetched}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a draft of the build before (plan as a link fragment) opens through the codec, and is kept as a body', async () => {
  // Preset 002's link is the fragment that build stored; the codec chunk reads it.
  const presets = await readFile(path.join(ROOT, 'src', 'presets.rs'), 'utf8');
  const fragment = presets.match(/id: "002-aws-vgw-to-azure-static",[\s\S]*?link: "(p=1\.[^"]+)"/)[1];
  const plan = JSON.parse(await readFile(path.join(ROOT, 'examples', '002-aws-vgw-to-azure-static.json'), 'utf8'));
  const { page, problems } = await openWithOldDraft('tunnelsmith.draft.v2', fragment);
  await page.waitForFunction((v) => document.querySelector('#f-sites-0-address_spaces-0')?.value === v,
    plan.sites[0].address_spaces[0], { timeout: TIMEOUT_MS });
  await page.waitForFunction(() => {
    const d = JSON.parse(localStorage.getItem('tunnelsmith.draft.v2') || '{}');
    return typeof d.body === 'string' && d.plan === undefined;
  }, null, { timeout: TIMEOUT_MS });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the first load fetches no split chunk; the first key press fetches them, and the later steps show', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watch(page, baseUrl);
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  const chunks = () => fetched.filter((p) => SPLIT_CHUNK.test(p));
  await page.goto(baseUrl, { waitUntil: 'networkidle', timeout: TIMEOUT_MS });
  await page.locator('#f-name').waitFor({ timeout: TIMEOUT_MS });
  assert.deepEqual(chunks(), [], 'a visit that only looks fetches no chunk');
  // Typing the plan's name: the chunks come while the user types, the name is taken as typed.
  await page.locator('#f-name').focus();
  await page.keyboard.type('lazy');
  await page.waitForFunction(() => performance.getEntriesByType('resource')
    .filter((e) => /\/split_later\.wasm$/.test(e.name) && e.responseEnd > 0).length === 1, null, { timeout: TIMEOUT_MS });
  assert.ok(chunks().some((p) => /split_codec\./.test(p)), `the codec chunk was fetched too: ${chunks()}`);
  assert.equal(await page.locator('#f-name').inputValue(), 'lazy');
  // A later step and a site card render from the chunk.
  await page.locator('#step-addressing').click();
  await page.getByText('No sites yet: add them on the Sites step.').waitFor({ timeout: TIMEOUT_MS });
  await page.locator('#step-sites').click();
  await page.locator('#add-site-aws').click();
  await page.locator('section.site').first().waitFor({ timeout: TIMEOUT_MS });
  const n = chunks().length;
  assert.equal(new Set(chunks()).size, n, `each chunk fetched once: ${chunks()}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a chunk that cannot be fetched is said so, with a retry that works once it can', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watch(page, baseUrl);
  let offline = true;
  await page.route(/\/split_later\.wasm$/, (route) => (offline ? route.abort('internetdisconnected') : route.continue()));
  await page.goto(baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('#step-addressing').click();
  const alert = page.locator('[data-testid=not-loaded]');
  await alert.waitFor({ timeout: TIMEOUT_MS });
  assert.match(await alert.textContent(), /could not be loaded/);
  // Back online, "Try again" shows the step; the page kept working throughout.
  offline = false;
  await page.locator('[data-testid=not-loaded] button').click();
  await page.getByText('No sites yet: add them on the Sites step.').waitFor({ timeout: TIMEOUT_MS });
  await page.locator('#step-sites').click();
  await page.locator('#f-name').fill('still-here');
  assert.equal(await page.locator('#f-name').inputValue(), 'still-here');
  // The failed fetch and the loader's console report are all that went wrong: no panic.
  const other = problems.filter((p) => !/split_later\.wasm|failed to load resource|failed to fetch/i.test(p));
  assert.deepEqual(other, [], problems.join('\n'));
  assert.ok(!problems.some((p) => /panicked|unreachable/.test(p)), problems.join('\n'));
  await page.close();
});
