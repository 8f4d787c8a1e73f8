// Shared by the browser journeys (tests/e2e/*.mjs): a static server for the release bundle in
// dist/ on 127.0.0.1, Debian's Chromium through playwright-core, and a page watcher that records
// every console error, page error, failed request and request off the page's origin.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DIST = process.env.E2E_DIST || path.join(ROOT, 'dist');
export const SHOTS = path.join(ROOT, 'target', 'e2e');
export const TIMEOUT_MS = 60_000;
/** A split chunk of the main module, by URL path (the names scripts/build-web.sh's wasm-split-cli
 * writes: `split_<point>.wasm`, and `chunk_<n>.wasm` for code split points share). */
export const SPLIT_CHUNK = /\/(split_\w+|chunk_\d+)\.wasm$/;

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

/** The engine's knowledge-base date, read from the source so the tests follow it. */
export async function kbDate() {
  const src = await readFile(path.join(ROOT, 'src', 'kb', 'mod.rs'), 'utf8');
  const m = src.match(/pub const KB_DATE: &str = "([^"]+)"/);
  assert.ok(m, 'KB_DATE not found in src/kb/mod.rs');
  return m[1];
}

/**
 * A static file server for dist/ (or another bundle folder, e.g. the bench's reference page) on
 * 127.0.0.1 at a free port; never serves outside that folder.
 */
export function serveDist(dist = DIST) {
  const root = path.resolve(dist);
  assert.ok(
    existsSync(path.join(root, 'index.html')),
    `${root}/index.html is missing: run \`make build\` (trunk build --release) first`,
  );
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith('/')) rel += 'index.html';
      const file = path.resolve(root, '.' + rel);
      if (file !== root && !file.startsWith(root + path.sep)) {
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

/** Debian's Chromium, headless, with a fresh temporary profile (Playwright's own), and extra flags. */
export function launch(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: TIMEOUT_MS });
}

/**
 * Record what must never happen on a page: console errors, page errors, failed requests and
 * requests to anything but the page's own origin. Returns the list (it fills as the page runs).
 */
export function watch(page, baseUrl) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    // A download's blob: URL is handed to the download manager, which Playwright reports as
    // an aborted request; it is not a network request.
    if (req.url().startsWith('blob:')) return;
    // Chromium fetches the favicon after the load event; a test that closes or reloads the page
    // right then cancels it. Not a problem of the page.
    if (req.url().endsWith('/favicon.svg') && req.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(baseUrl) && !u.startsWith('data:') && !u.startsWith('blob:' + baseUrl.replace(/\/$/, ''))) {
      problems.push(`request off the page's origin: ${u}`);
    }
  });
  return problems;
}

/**
 * For a test file: serve dist/ and launch Chromium before its tests, close both after. Returns
 * an object whose `browser` and `baseUrl` are set once `before` has run.
 */
export function serveAndLaunch({ before, after }) {
  const s = { server: null, browser: null, baseUrl: '' };
  before(async () => {
    s.server = await serveDist();
    s.baseUrl = `http://127.0.0.1:${s.server.address().port}/`;
    s.browser = await launch();
  });
  after(async () => {
    await s.browser?.close();
    await new Promise((resolve) => (s.server ? s.server.close(resolve) : resolve()));
  });
  return s;
}
