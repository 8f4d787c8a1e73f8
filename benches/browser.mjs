// `make bench`, browser rows: the app (dist/) and the reference page (target/bench/reference-dist/),
// served by the same static server (tests/e2e/support/browser.mjs) on two ports, in headless
// Debian Chromium through playwright-core. Writes target/bench/browser.json; benches/report.mjs
// turns it into rows. Each part records its own error and the others still run, so the script
// exits 0 whenever it could write its file.
//
//   first load  a fresh context loads the page until `app-interactive` and network idle; every
//               request to the page's origin is recorded (report.mjs sizes them with brotli)
//   start       navigation start → the `app-interactive` mark, 15 fresh contexts each (after one
//               unrecorded warm-up load each), interleaved app, reference, app, … to share noise
//   keystroke   the largest plan opened from its share link, its keys generated (no error left),
//               then the Addressing step: an input event on an address space, then the time until
//               both #findings-body and [data-testid="preview"] show the result (MutationObserver),
//               5 warm-up edits then 50 measured; the reference page the same way (type into #name
//               until #out shows it)
//   memory      a fresh browser with --enable-precise-memory-info and --expose-gc: the same edits,
//               globalThis.tunnelsmithMemory() after 50 and after 200 of them (after gc())

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TIMEOUT_MS, launch, serveDist } from '../tests/e2e/support/browser.mjs';
import { APP_DIST, CLI, LARGEST_PLAN, REF_DIST, ROOT, writeResult } from './support/bench.mjs';

const LOADS = 15;
const WARMUP_EDITS = 5;
const MEASURED_EDITS = 50;
const MEMORY_EDITS = [50, 200];
/** One edit that is not shown after this long counts as a failure of the row. */
const EDIT_TIMEOUT_MS = 10_000;
const PREVIEW = '[data-testid="preview"]';
const CONTRACT = 'the DOM contract of docs/PERFORMANCE.md';

const result = { date: new Date().toISOString() };

/** Run one part, keeping its error as its result. */
async function part(name, fn) {
  const t0 = Date.now();
  try {
    result[name] = await fn();
  } catch (err) {
    result[name] = { error: String(err?.message ?? err).split('\n')[0] };
  }
  console.log(`[bench] ${name}: ${result[name]?.error ? 'error: ' + result[name].error : 'done'} (${Date.now() - t0} ms)`);
}

async function serve(dist, what) {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error(`${path.relative(ROOT, dist)}/index.html is missing: ${what}`);
  const server = await serveDist(dist);
  return { server, base: `http://127.0.0.1:${server.address().port}/` };
}

/**
 * A new page (in a new context when `target` is the browser) at `url`, once it has set the
 * `app-interactive` mark; fails at the page's first error instead of waiting for the timeout.
 * Returns the page, the mark's time (ms since navigation start) and the page's errors.
 */
async function load(target, url, options = {}) {
  const page = await target.newPage(options);
  const errors = [];
  let failed;
  const failure = new Promise((_, reject) => (failed = reject));
  failure.catch(() => {});
  page.on('pageerror', (err) => {
    errors.push(`page error: ${err.message}`);
    failed(new Error(`${url.split('#')[0]} failed: ${errors.join(' | ')}`));
  });
  page.on('console', (msg) => msg.type() === 'error' && errors.push(`console error: ${msg.text()}`));
  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
  const mark = page.waitForFunction(() => performance.getEntriesByName('app-interactive').length > 0, null, {
    timeout: TIMEOUT_MS,
  });
  mark.catch(() => {});
  await Promise.race([mark, failure]);
  const interactiveMs = await page.evaluate(() => performance.getEntriesByName('app-interactive')[0].startTime);
  return { page, interactiveMs, errors };
}

/** The same-origin URL paths a fresh load fetches until app-interactive and network idle. */
async function firstLoad(browser, base) {
  const context = await browser.newContext();
  const fetched = [];
  context.on('response', (res) => {
    const u = new URL(res.url());
    if (u.origin + '/' === base) fetched.push({ path: u.pathname, status: res.status() });
  });
  try {
    const { page, interactiveMs } = await load(context, base);
    await page.waitForLoadState('networkidle', { timeout: TIMEOUT_MS });
    return { interactiveMs, fetched };
  } finally {
    await context.close();
  }
}

async function startTime(browser, base) {
  const context = await browser.newContext();
  try {
    return (await load(context, base)).interactiveMs;
  } finally {
    await context.close();
  }
}

async function start(browser, app, ref) {
  const times = { app: [], ref: [] };
  await startTime(browser, app);
  await startTime(browser, ref);
  for (let i = 0; i < LOADS; i++) {
    times.app.push(await startTime(browser, app));
    times.ref.push(await startTime(browser, ref));
  }
  return times;
}

/**
 * In the page: edit an input `values.length` times, each time waiting (MutationObserver, and a
 * check right after the event) until `shown(value, previous)` holds; returns each edit's time in
 * ms from just before the input event. Runs in the browser: everything it needs is an argument.
 */
async function editLoop({ kind, inputId, values, timeoutMs, usePreview }) {
  const shown = (v, prev) => {
    if (kind === 'ref') return (document.getElementById('out')?.textContent ?? '').includes(`Hello ${v},`);
    // The app: the overlap finding appears for an overlapping value (its message names the
    // value) and disappears for a clean one; the preview shows the new value, not the previous.
    const body = document.getElementById('findings-body');
    const overlap = body?.querySelector('[data-code="E_CIDR_OVERLAP"]');
    if (v.overlaps ? !overlap || !body.textContent.includes(v.text) : overlap) return false;
    if (!usePreview) return true;
    const text = document.querySelector('[data-testid="preview"]')?.textContent ?? '';
    return text.includes(v.text) && (v.text.includes(prev) || !text.includes(prev));
  };
  const times = [];
  let prev = document.getElementById(inputId).value;
  for (const v of values) {
    const text = kind === 'ref' ? v : v.text;
    const input = document.getElementById(inputId);
    if (!input) throw new Error(`#${inputId} disappeared`);
    let t0 = 0;
    const t1 = await new Promise((resolve, reject) => {
      let done = false;
      const finish = (ok) => {
        if (done) return;
        done = true;
        observer.disconnect();
        clearTimeout(timer);
        if (ok) resolve(performance.now());
        else reject(new Error(`the page did not show ${JSON.stringify(text)} within ${timeoutMs} ms of the input event`));
      };
      const observer = new MutationObserver(() => shown(v, prev) && finish(true));
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      const timer = setTimeout(() => finish(shown(v, prev)), timeoutMs);
      t0 = performance.now();
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      if (shown(v, prev)) finish(true);
    });
    times.push(t1 - t0);
    prev = text;
    // Let the frame render before the next edit.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  }
  return times;
}

/**
 * The app on the largest plan, at the Addressing step, with the site whose address space the
 * preview shows: the input to edit and the values to type (an overlap with the next site, then
 * the original again, and so on; every overlapping value is new text).
 */
async function openLargestPlan(target, base, { needPreview }) {
  const link = execFileSync(CLI, ['link', LARGEST_PLAN, '--base', base], { encoding: 'utf8' }).trim();
  const plan = JSON.parse(readFileSync(LARGEST_PLAN, 'utf8'));
  const { page, errors: problems } = await load(target, link, { viewport: { width: 1280, height: 900 } });
  // A link carries no keys: generate them (Security step), so the plan starts without errors.
  await page.locator('#step-security').click({ timeout: TIMEOUT_MS });
  if (await page.locator('#generate-keys').count()) await page.locator('#generate-keys').click();
  const clean = () => !document.querySelector('#findings-body [data-code^="E_"]');
  if (!(await page.waitForFunction(clean, null, { timeout: TIMEOUT_MS }).catch(() => false))) {
    const codes = await page.$$eval('#findings-body [data-code^="E_"]', (els) => [...new Set(els.map((e) => e.dataset.code))]);
    throw new Error(`the largest plan still shows errors after generating its keys: ${codes.join(', ')}`);
  }
  await page.locator('#step-addressing').click({ timeout: TIMEOUT_MS });
  await page.locator('#f-sites-0-address_spaces-0').waitFor({ timeout: TIMEOUT_MS });
  const spaces = plan.sites.map((s) => s.address_spaces[0]);
  let site = 0;
  let usePreview = false;
  // The preview is a closed <details> until opened, as a user opens it (#preview-card); its text
  // may appear a moment later (its module loads lazily).
  const card = page.locator('#preview-card');
  if ((await card.count()) && !(await card.evaluate((d) => d.open))) await card.locator('summary').click();
  const hasPreview = await page.locator(PREVIEW).first().waitFor({ timeout: 10_000 }).then(() => true, () => false);
  if (!hasPreview) {
    if (needPreview) {
      throw new Error(`no ${PREVIEW} element on the Addressing step (the live preview of the open artifact; ${CONTRACT})`);
    }
  } else {
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.length > 0, PREVIEW, { timeout: TIMEOUT_MS });
    const text = await page.locator(PREVIEW).first().textContent();
    site = spaces.findIndex((s) => text.includes(s));
    if (site < 0) {
      throw new Error(`${PREVIEW} shows no site's address space (it starts ${JSON.stringify(text.slice(0, 60))}): an edit could not be seen in it`);
    }
    usePreview = true;
  }
  const inputId = `f-sites-${site}-address_spaces-0`;
  if ((await page.locator(`#${inputId}`).count()) === 0) throw new Error(`no #${inputId} on the Addressing step (${CONTRACT})`);
  const other = spaces[(site + 1) % spaces.length].split('.');
  const values = (n) =>
    Array.from({ length: n }, (_, k) =>
      k % 2 === 0
        ? { text: `${other[0]}.${other[1]}.${100 + ((k >> 1) % 100)}.0/24`, overlaps: true }
        : { text: spaces[site], overlaps: false },
    );
  return { page, problems, site, inputId, usePreview, values };
}

async function keystrokeApp(browser, base) {
  const o = await openLargestPlan(browser, base, { needPreview: true });
  const args = { kind: 'app', inputId: o.inputId, timeoutMs: EDIT_TIMEOUT_MS, usePreview: o.usePreview };
  const all = await o.page.evaluate(editLoop, { ...args, values: o.values(WARMUP_EDITS + MEASURED_EDITS) });
  await o.page.close();
  return { field: o.inputId, warmup: WARMUP_EDITS, times: all.slice(WARMUP_EDITS), pageErrors: o.problems };
}

async function keystrokeRef(browser, base) {
  const { page } = await load(browser, base);
  const values = Array.from({ length: WARMUP_EDITS + MEASURED_EDITS }, (_, k) => `x${k}`);
  const all = await page.evaluate(editLoop, { kind: 'ref', inputId: 'name', values, timeoutMs: EDIT_TIMEOUT_MS });
  await page.close();
  return { field: 'name', warmup: WARMUP_EDITS, times: all.slice(WARMUP_EDITS) };
}

/** Before the app loads: note every wasm memory instantiated (a cross-check of the contract). */
function hookWasmMemories() {
  const memories = (globalThis.__benchWasmMemories = []);
  const note = (r) => {
    const instance = r instanceof WebAssembly.Instance ? r : r?.instance;
    for (const e of Object.values(instance?.exports ?? {})) if (e instanceof WebAssembly.Memory) memories.push(e);
    return r;
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const orig = WebAssembly[name];
    WebAssembly[name] = (...args) => orig.apply(WebAssembly, args).then(note);
  }
}

async function memory(base) {
  const browser = await launch(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
  try {
    const context = await browser.newContext();
    await context.addInitScript(hookWasmMemories);
    const o = await openLargestPlan(context, base, { needPreview: false });
    const readings = [];
    let done = 0;
    for (const n of MEMORY_EDITS) {
      const args = { kind: 'app', inputId: o.inputId, timeoutMs: EDIT_TIMEOUT_MS, usePreview: o.usePreview };
      await o.page.evaluate(editLoop, { ...args, values: o.values(n).slice(done) });
      done = n;
      readings.push(
        await o.page.evaluate(async (edits) => {
          globalThis.gc?.();
          await new Promise((r) => setTimeout(r, 100));
          globalThis.gc?.();
          const contract = typeof globalThis.tunnelsmithMemory === 'function' ? globalThis.tunnelsmithMemory() : null;
          const hooked = globalThis.__benchWasmMemories.reduce((sum, m) => sum + m.buffer.byteLength, 0);
          return {
            edits,
            contract,
            hookedWasm: hooked,
            hookedModules: globalThis.__benchWasmMemories.length,
            jsHeap: performance.memory?.usedJSHeapSize ?? null,
          };
        }, n),
      );
    }
    return { field: o.inputId, previewUsed: o.usePreview, readings, pageErrors: o.problems };
  } finally {
    await browser.close();
  }
}

const servers = [];
try {
  const app = await serve(APP_DIST, 'run `make build` (trunk build --release)').then((s) => (servers.push(s.server), s.base));
  const ref = await serve(REF_DIST, 'build the reference page (make bench does)').then((s) => (servers.push(s.server), s.base));
  if (!existsSync(CLI)) throw new Error(`${path.relative(ROOT, CLI)} is missing: cargo build --release --bin tunnelsmith`);
  const browser = await launch();
  result.chromium = browser.version();
  try {
    await part('firstLoad', async () => ({ app: await firstLoad(browser, app), ref: await firstLoad(browser, ref) }));
    await part('start', () => start(browser, app, ref));
    await part('keystrokeRef', () => keystrokeRef(browser, ref));
    await part('keystroke', () => keystrokeApp(browser, app));
  } finally {
    await browser.close();
  }
  await part('memory', () => memory(app));
} catch (err) {
  result.error = String(err?.message ?? err);
  console.log(`[bench] browser: error: ${result.error}`);
} finally {
  for (const s of servers) await new Promise((r) => s.close(r));
}
console.log(`[bench] wrote ${path.relative(ROOT, writeResult('browser.json', result))}`);
