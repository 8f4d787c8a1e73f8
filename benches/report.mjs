// `make bench`, the last stage: reads every measurement of the run, prints one table (row |
// figure | budget | result), writes the same to target/bench.json and exits 1 when a row fails.
// A row whose measurement is missing or broken fails with the reason below the table.
//
// Reads: dist/ and target/bench/reference-dist/ (bundle sizes, brotli -q 11), target/bench/
// browser.json (benches/browser.mjs), target/criterion/{engine,overlap}/*/new/estimates.json
// (criterion medians), target/bench/overlap-naive-100000.json (benches/overlap.rs), target/bench/
// cli.json (benches/cli.mjs), and `tunnelsmith link` of every preset. See docs/PERFORMANCE.md.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  APP_DIST,
  CLI,
  LARGEST_PLAN,
  OUT,
  REF_DIST,
  ROOT,
  SPLIT_CHUNK,
  firstLoadPaths,
  median,
  readResult,
  sizeOf,
  toolVersion,
} from './support/bench.mjs';

const KiB = 1024;
const FIRST_LOAD_BUDGET = 200 * KiB; // "200 KB" read as 200 KiB = 204,800 bytes
const WASM_MEMORY_BUDGET = 16 * KiB * KiB; // "16 MB" read as 16 MiB
const WASM_PAGE = 64 * KiB; // memory grows in 64 KiB pages: at most one page of growth
const LAZY = /tunnelsmith-render(_bg\.wasm|\.js)$/;
// Share-link budgets of issue 7 (fragment `p=1.…`); the rest: the app's long-link warning (LONG_LINK).
const LINK_BUDGETS = { '002-aws-vgw-to-azure-static': 250, '004-aws-azure-gcp-bgp': 700 };
const LONG_LINK = 2000;

const rows = [];

/** A row; `budget` is [limit, text] (pass when value <= limit) or a text for rows checked otherwise. */
function row(name, value, unit, budget = null, detail = '', pass = undefined) {
  const limit = Array.isArray(budget) ? budget[0] : null;
  const verdict = pass !== undefined ? pass : value == null ? false : limit == null ? null : value <= limit;
  rows.push({ name, value, unit, budget: Array.isArray(budget) ? budget[1] : budget, pass: verdict, detail });
}

function failed(name, unit, budget, error) {
  row(name, null, unit, budget, `not measured: ${error}`, false);
}

const fmt = {
  B: (v) => (v >= KiB * KiB ? `${(v / KiB / KiB).toFixed(2)} MiB` : `${(v / KiB).toFixed(1)} KiB`),
  ms: (v) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(v < 10 ? 2 : 1)} ms`),
  x: (v) => `${v.toFixed(2)}×`,
  chars: (v) => `${v} chars`,
};

// --- bundle -----------------------------------------------------------------------------------

function bundle(dist, which) {
  const paths = firstLoadPaths(dist);
  const files = paths.map((p) => sizeOf(dist, p));
  const sum = (list, key) => list.reduce((s, f) => s + f[key], 0);
  return { which, files, raw: sum(files, 'raw'), brotli: sum(files, 'brotli') };
}

const list = (files) => files.map((f) => `${f.path} ${f.brotli} B br / ${f.raw} B raw${f.missing ? ' (missing)' : ''}`).join('; ');

function bundleRows(browser) {
  const budget = [FIRST_LOAD_BUDGET, '<= 200 KiB br'];
  if (!existsSync(path.join(APP_DIST, 'index.html'))) {
    failed('bundle: first load, brotli (index.html)', 'B', budget, 'dist/index.html is missing');
  } else {
    const app = bundle(APP_DIST, 'app');
    row('bundle: first load, brotli (index.html)', app.brotli, 'B', budget, `brotli -q 11 of: ${list(app.files)}`);
    row('bundle: first load, raw (index.html)', app.raw, 'B', null, `${app.files.length} files`);
    // The stylesheet is inline in index.html (scripts/inline-css.mjs).
    const kinds = { wasm: /\.wasm$/, js: /\.m?js$/, 'html+css+icons': /\.(html|css|svg|ico|png)$/ };
    for (const [kind, re] of Object.entries(kinds)) {
      const fs = app.files.filter((f) => re.test(f.path));
      const br = fs.reduce((s, f) => s + f.brotli, 0);
      const raw = fs.reduce((s, f) => s + f.raw, 0);
      row(`bundle: first load ${kind}, brotli`, br, 'B', null, `raw ${fmt.B(raw)}: ${fs.map((f) => f.path).join(', ')}`);
    }
    const fetched = browser.firstLoad?.app?.fetched?.map((f) => f.path) ?? [];
    const lazyRow = (name, pattern, files, none) => {
      const early = [...app.files.map((f) => f.path), ...fetched].filter((p) => pattern.test(p));
      if (files.length === 0) {
        row(name, null, 'B', 'lazy', none, null);
        return;
      }
      const sized = files.map((f) => sizeOf(APP_DIST, f));
      const br = sized.reduce((s, f) => s + f.brotli, 0);
      const why = early.length ? `fetched on first load: ${[...new Set(early)].join(', ')}` : 'not fetched on first load';
      row(name, br, 'B', 'lazy', `${why}; ${list(sized)}`, early.length === 0);
    };
    const top = readdirSync(APP_DIST);
    lazyRow(
      'bundle: lazy module, brotli',
      LAZY,
      top.filter((f) => LAZY.test(f)).map((f) => '/' + f),
      'no tunnelsmith-render.js / _bg.wasm in dist/: the app is not split yet',
    );
    const webDir = top.find((f) => /^web-[0-9a-f]+$/.test(f));
    lazyRow(
      'bundle: lazy chunks, brotli',
      SPLIT_CHUNK,
      webDir ? readdirSync(path.join(APP_DIST, webDir)).filter((f) => SPLIT_CHUNK.test('/' + f)).map((f) => `/${webDir}/${f}`) : [],
      'no split chunks in dist/web-*/ (scripts/build-web.sh splits the release module)',
    );
  }
  const fl = browser.firstLoad;
  if (!fl || fl.error) {
    failed('bundle: first load, brotli (browser)', 'B', budget, fl?.error ?? browser.error ?? 'no browser result');
  } else {
    const paths = [...new Set(fl.app.fetched.map((f) => f.path))];
    const files = paths.map((p) => sizeOf(APP_DIST, p));
    const statics = existsSync(path.join(APP_DIST, 'index.html')) ? firstLoadPaths(APP_DIST) : [];
    const norm = (p) => (p === '/' ? '/index.html' : p);
    const extra = paths.map(norm).filter((p) => !statics.includes(p));
    const unused = statics.filter((p) => !paths.map(norm).includes(p));
    const notes = [extra.length && `fetched but not in index.html's set: ${extra.join(', ')}`, unused.length && `in index.html's set but not fetched: ${unused.join(', ')}`];
    const bad = fl.app.fetched.filter((f) => f.status >= 400).map((f) => `${f.path} ${f.status}`);
    const gone = files.filter((f) => f.missing).map((f) => f.path);
    const detail = [
      `until app-interactive and network idle: ${paths.join(', ')}`,
      ...notes,
      bad.length && `failed: ${bad.join(', ')}`,
      gone.length && `not in dist/ any more (rebuilt since?): ${gone.join(', ')}`,
    ];
    const total = files.reduce((s, f) => s + f.brotli, 0);
    const ok = bad.length || gone.length ? false : undefined;
    row('bundle: first load, brotli (browser)', total, 'B', budget, detail.filter(Boolean).join('; '), ok);
  }
  if (!existsSync(path.join(REF_DIST, 'index.html'))) {
    failed('reference: first load, brotli', 'B', null, 'target/bench/reference-dist/index.html is missing');
  } else {
    const ref = bundle(REF_DIST, 'reference');
    row('reference: first load, brotli', ref.brotli, 'B', null, `raw ${fmt.B(ref.raw)}: ${list(ref.files)}`);
  }
}

// --- browser timings and memory -------------------------------------------------------------------

const spread = (xs) => `n=${xs.length}, min ${fmt.ms(Math.min(...xs))}, max ${fmt.ms(Math.max(...xs))}`;

function startRows(browser) {
  const s = browser.start;
  const budget = [1.5, '<= 1.5× reference'];
  if (!s || s.error) {
    const why = s?.error ?? browser.error ?? 'no browser result';
    failed('start: app, median', 'ms', null, why);
    failed('reference: start, median', 'ms', null, why);
    failed('start: app / reference', 'x', budget, why);
    return;
  }
  const app = median(s.app);
  const ref = median(s.ref);
  row('start: app, median', app, 'ms', null, `navigation start → app-interactive, fresh contexts, ${spread(s.app)}`);
  row('reference: start, median', ref, 'ms', null, spread(s.ref));
  row('start: app / reference', app / ref, 'x', budget, 'medians of interleaved loads');
}

function keystrokeRows(browser) {
  const k = browser.keystroke;
  if (!k || k.error) {
    const why = k?.error ?? browser.error ?? 'no browser result';
    failed('keystroke: median of 50', 'ms', [16, '<= 16 ms'], why);
    failed('keystroke: worst of 50', 'ms', [50, '<= 50 ms'], why);
  } else {
    const errors = k.pageErrors?.length ? `; page errors: ${k.pageErrors.join(' | ')}` : '';
    row('keystroke: median of 50', median(k.times), 'ms', [16, '<= 16 ms'], `#${k.field}, largest plan: ${spread(k.times)}${errors}`);
    row('keystroke: worst of 50', Math.max(...k.times), 'ms', [50, '<= 50 ms'], `after ${k.warmup} warm-up edits`);
  }
  const r = browser.keystrokeRef;
  if (!r || r.error) failed('reference: keystroke, median', 'ms', null, r?.error ?? browser.error ?? 'no browser result');
  else row('reference: keystroke, median', median(r.times), 'ms', null, `#name → #out: ${spread(r.times)}`);
}

function memoryRows(browser) {
  const m = browser.memory;
  const names = ['memory: wasm after 200 edits', 'memory: wasm growth, edits 50→200', 'memory: JS heap after 200 edits'];
  const budgets = [[WASM_MEMORY_BUDGET, '<= 16 MiB'], [WASM_PAGE, '<= 64 KiB (1 page)'], null];
  if (!m || m.error) {
    names.forEach((n, i) => failed(n, 'B', budgets[i], m?.error ?? browser.error ?? 'no browser result'));
    return;
  }
  const [at50, at200] = m.readings;
  const hooked = `loader hook: ${fmt.B(at50.hookedWasm)} after 50, ${fmt.B(at200.hookedWasm)} after 200 edits (${at200.hookedModules} memories)`;
  if (!at200.contract) {
    const why = `globalThis.tunnelsmithMemory() is not defined (docs/PERFORMANCE.md, DOM contract); ${hooked}`;
    names.slice(0, 2).forEach((n, i) => failed(n, 'B', budgets[i], why));
    row(names[2], at200.jsHeap, 'B', null, `performance.memory.usedJSHeapSize; ${fmt.B(at50.jsHeap)} after 50 edits`);
    return;
  }
  row(names[0], at200.contract.wasm, 'B', budgets[0], `globalThis.tunnelsmithMemory().wasm; ${hooked}`);
  row(names[1], at200.contract.wasm - at50.contract.wasm, 'B', budgets[1], `${fmt.B(at50.contract.wasm)} → ${fmt.B(at200.contract.wasm)}`);
  row(names[2], at200.contract.js, 'B', null, `${fmt.B(at50.contract.js)} after 50 edits, after gc()`);
}

// --- engine (criterion) -----------------------------------------------------------------------------

/** Criterion's median of `group/id` in ms, or `{ error }`. */
function criterion(id) {
  const r = readResult(path.join(ROOT, 'target', 'criterion', ...id.split('/'), 'new', 'estimates.json'));
  return r.error ? r : { ms: r.median.point_estimate / 1e6 };
}

function engineRows() {
  const stems = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  const cases = [...stems.map((s) => [s, `engine: ${s}`, null]), ['largest-plan', 'engine: largest plan', [5, '< 5 ms']]];
  cases.push(['largest-plan-analyze', 'engine: largest plan, check+resolve only', null]);
  for (const [id, name, budget] of cases) {
    const c = criterion(`engine/${id}`);
    if (c.error) failed(name, 'ms', budget, c.error);
    else row(name, c.ms, 'ms', budget, 'criterion median, check::analyze + render::render');
  }
  const t = {};
  for (const kind of ['fast', 'naive']) {
    for (const n of [1000, 10000, 100000]) {
      const name = `overlap: ${kind}, ${n / 1000}k prefixes`;
      const budget = kind === 'fast' && n === 100000 ? [100, '< 100 ms'] : null;
      let c = criterion(`overlap/${kind}/${n}`);
      let how = 'criterion median';
      if (kind === 'naive' && n === 100000) {
        const once = readResult(path.join(OUT, 'overlap-naive-100000.json'));
        c = once.error ? once : { ms: once.ns / 1e6 };
        how = `one run outside criterion (about 5·10⁹ pair tests), ${once.pairs ?? '?'} pairs`;
      }
      if (c.error) failed(name, 'ms', budget, c.error);
      else row(name, c.ms, 'ms', budget, how);
      t[`${kind}${n}`] = c.ms;
    }
  }
  const growth = t.fast100000 / t.fast10000;
  const naive = t.naive100000 / t.naive10000;
  const detail = `n log n predicts 12.5, n² 100; naive: ${Number.isFinite(naive) ? fmt.x(naive) : '?'}`;
  if (Number.isFinite(growth)) row('overlap: fast growth, t(100k) / t(10k)', growth, 'x', [20, '<= 20×'], detail);
  else failed('overlap: fast growth, t(100k) / t(10k)', 'x', [20, '<= 20×'], 'the fast 10k or 100k figure is missing');
}

// --- CLI and share links ---------------------------------------------------------------------------

function cliRows() {
  const c = readResult(path.join(OUT, 'cli.json'));
  const name = 'cli: generate seed 004, median';
  if (c.error) return failed(name, 'ms', [50, '< 50 ms'], c.error);
  row(name, median(c.times) * 1000, 'ms', [50, '< 50 ms'], `${c.tool}: ${c.times.length} runs, ${spread(c.times.map((s) => s * 1000))}`);
}

function linkRows() {
  const plans = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).sort();
  const cases = [...plans.map((f) => [f.slice(0, -5), path.join(ROOT, 'examples', f)]), ['largest plan', LARGEST_PLAN]];
  for (const [id, file] of cases) {
    const limit = id === 'largest plan' ? null : LINK_BUDGETS[id] ?? LONG_LINK;
    const budget = limit && [limit, `<= ${limit} chars`];
    const name = `share link: ${id}`;
    try {
      const link = execFileSync(CLI, ['link', file], { encoding: 'utf8' }).trim();
      row(name, link.length - link.indexOf('#') - 1, 'chars', budget, 'fragment p=1.… of `tunnelsmith link`');
    } catch (err) {
      failed(name, 'chars', budget, String(err.message).split('\n')[0]);
    }
  }
}

// --- the table ------------------------------------------------------------------------------------------

function machine(browser) {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.+)/)?.[1] ?? os.cpus()[0]?.model;
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8').match(/PRETTY_NAME="([^"]+)"/)?.[1] : null;
  return {
    cpu,
    cores: os.cpus().length,
    mem: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${release ?? os.type()} (Linux ${os.release()})`,
    chromium: browser.chromium ? `Chromium ${browser.chromium}` : toolVersion('/usr/bin/chromium'),
    rustc: toolVersion('rustc'),
  };
}

const browser = readResult(path.join(OUT, 'browser.json'));
bundleRows(browser);
startRows(browser);
keystrokeRows(browser);
memoryRows(browser);
engineRows();
cliRows();
linkRows();

const figure = (r) => (r.value == null ? '—' : (fmt[r.unit] ?? ((v) => `${v} ${r.unit}`))(r.value));
const verdict = (r) => (r.pass === true ? 'pass' : r.pass === false ? (r.value == null ? 'FAIL (not measured)' : 'FAIL') : 'info');
const cols = [
  ['row', (r) => r.name],
  ['figure', figure],
  ['budget', (r) => r.budget ?? '—'],
  ['result', verdict],
];
const widths = cols.map(([h, f]) => Math.max(h.length, ...rows.map((r) => f(r).length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
const m = machine(browser);
console.log(`\nmake bench, ${new Date().toISOString()}: ${m.cpu}, ${m.cores} cores, ${m.mem}, ${m.os}`);
console.log(`${m.chromium}; ${m.rustc}\n`);
console.log(line(cols.map(([h]) => h)));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(cols.map(([, f]) => f(r))));
const bad = rows.filter((r) => r.pass === false);
if (bad.length) {
  console.log(`\n${bad.length} of ${rows.length} rows failed:`);
  for (const r of bad) console.log(`  ${r.name}: ${r.value == null ? r.detail : `${figure(r)} against ${r.budget}; ${r.detail}`}`);
}
const json = path.join(ROOT, 'target', 'bench.json');
writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), machine: m, rows }, null, 2) + '\n');
console.log(`\nwrote ${path.relative(ROOT, json)}`);
process.exit(bad.length ? 1 : 0);
