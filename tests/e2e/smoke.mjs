// Smoke test of the release bundle: serves dist/ on 127.0.0.1, opens it in headless Debian
// Chromium through playwright-core, waits for the app to render, and fails on any console error
// or page error. Run by `make test-e2e` (after `make build`) as `node --test tests/e2e/*.mjs`.
// Leaves screenshots in target/e2e/shell.png and target/e2e/shell-dark.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(ROOT, 'dist');
const SHOTS = path.join(ROOT, 'target', 'e2e');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
const TIMEOUT_MS = 30_000;

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** The engine's knowledge-base date, read from the source so the test follows it. */
async function kbDate() {
  const src = await readFile(path.join(ROOT, 'src', 'kb', 'mod.rs'), 'utf8');
  const m = src.match(/pub const KB_DATE: &str = "([^"]+)"/);
  assert.ok(m, 'KB_DATE not found in src/kb/mod.rs');
  return m[1];
}

/** A static file server for dist/ on 127.0.0.1 at a free port; never serves outside dist/. */
function serveDist() {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith('/')) rel += 'index.html';
      const file = path.resolve(DIST, '.' + rel);
      if (file !== DIST && !file.startsWith(DIST + path.sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const info = await stat(file).catch(() => null);
      if (!info || !info.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME[path.extname(file)] || 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

let server;
let browser;
let baseUrl;

before(async () => {
  assert.ok(
    existsSync(path.join(DIST, 'index.html')),
    'dist/index.html is missing: run `make build` (trunk build --release) first',
  );
  server = await serveDist();
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  // Playwright gives the browser a fresh, temporary profile of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    timeout: TIMEOUT_MS,
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

test('the release bundle loads, renders the shell and logs no error', async () => {
  const date = await kbDate();
  const page = await browser.newPage({ viewport: { width: 1024, height: 720 } });
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) =>
    problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`),
  );
  // Nothing on the page may talk to the network beyond its own origin.
  page.on('request', (req) => {
    if (!req.url().startsWith(baseUrl) && !req.url().startsWith('data:')) {
      problems.push(`request off the page's origin: ${req.url()}`);
    }
  });

  const response = await page.goto(baseUrl, { waitUntil: 'load', timeout: TIMEOUT_MS });
  assert.equal(response?.status(), 200);

  // Rendered by the wasm app, not by index.html: proves the bundle loaded and ran.
  await page.getByText(date, { exact: true }).waitFor({ state: 'visible', timeout: TIMEOUT_MS });
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Tunnelsmith');
  assert.equal(await page.locator('main').count(), 1);
  const presets = await page.getByRole('heading', { name: 'Presets' }).count();
  assert.equal(presets, 1);

  // The stylesheet from public/ applied (the shell is a centred column).
  const maxWidth = await page.locator('main').evaluate((el) => getComputedStyle(el).maxWidth);
  assert.notEqual(maxWidth, 'none', 'public/style.css was not applied');

  await mkdir(SHOTS, { recursive: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: path.join(SHOTS, 'shell.png'), fullPage: true });
  const lightBg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(SHOTS, 'shell-dark.png'), fullPage: true });
  const darkBg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.notEqual(lightBg, darkBg, 'the page has no dark scheme');

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
