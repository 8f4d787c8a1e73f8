// Smoke test of the release bundle: serves dist/ on 127.0.0.1, opens it in headless Debian
// Chromium through playwright-core, waits for the app to render, and fails on any console error
// or page error. Run by `make test-e2e` (after `make build`) as `node --test tests/e2e/*.mjs`.
// Leaves screenshots in target/e2e/shell.png and target/e2e/shell-dark.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SHOTS, TIMEOUT_MS, kbDate, launch, serveDist, watch } from './support/browser.mjs';

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
