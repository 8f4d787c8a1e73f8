// Shared by the `make bench` scripts (benches/*.mjs): where results go, medians, brotli sizes,
// and the files a page's first load fetches according to its index.html.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DIST, ROOT, SPLIT_CHUNK } from '../../tests/e2e/support/browser.mjs';

export { ROOT, SPLIT_CHUNK };
/** Every measurement file of a run (and bench.json) lives here. */
export const OUT = path.join(ROOT, 'target', 'bench');
/** The app's release bundle (`trunk build --release`; E2E_DIST overrides it) and the reference page's. */
export const APP_DIST = DIST;
export const REF_DIST = path.join(OUT, 'reference-dist');
/** The release CLI, built by `make bench`. */
export const CLI = path.join(ROOT, 'target', 'release', 'tunnelsmith');
/** The largest plan: 8 sites, full mesh of 28 links, BGP, 4 tunnels per link. */
export const LARGEST_PLAN = path.join(ROOT, 'benches', 'largest-plan.json');
/** Written first by `make bench`: a result older than this was not measured in this run. */
export const RUN_STAMP = path.join(OUT, 'run-started');

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function writeResult(name, data) {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, name);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

/** A result file of this run, or `{ error }` saying why there is none. */
export function readResult(file) {
  if (!existsSync(file)) return { error: `${path.relative(ROOT, file)} is missing (its stage did not run)` };
  if (existsSync(RUN_STAMP) && statSync(file).mtimeMs < statSync(RUN_STAMP).mtimeMs) {
    return { error: `${path.relative(ROOT, file)} is from an earlier run (its stage did not run this time)` };
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Bytes of `brotli -q 11` of a file (Debian's brotli, as the budget says). */
export function brotliSize(file) {
  const r = spawnSync('brotli', ['-q', '11', '-c', file], { maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) throw new Error(`brotli -q 11 ${file} failed: ${r.error ?? r.stderr}`);
  return r.stdout.length;
}

/** Size, raw and brotli, of a file of a bundle folder by its URL path. */
export function sizeOf(dist, urlPath) {
  const rel = decodeURIComponent(urlPath).replace(/^\/+/, '') || 'index.html';
  const file = path.join(dist, rel.endsWith('/') ? rel + 'index.html' : rel);
  if (!existsSync(file)) return { path: '/' + rel, raw: 0, brotli: 0, missing: true };
  return { path: '/' + rel, raw: statSync(file).size, brotli: brotliSize(file) };
}

const ATTR = /\b(?:src|href|data-js|data-wasm)\s*=\s*"([^"]+)"/g;
// Static imports and re-exports of a JS module (dynamic import() is lazy: not followed).
const IMPORT = /(?:^|[;\s])(?:import|export)\s*(?:[\w*${}\s,]+?\s*from\s*)?["']([^"']+)["']/g;

/**
 * The URL paths the first page load fetches, read from the bundle itself: index.html, every
 * src/href/data-js/data-wasm in it (script and link tags, the loader's module and wasm), and the
 * static imports of every JS file among them. Paths off the page's origin are ignored.
 */
export function firstLoadPaths(dist) {
  const seen = new Set(['/index.html']);
  const queue = ['/index.html'];
  while (queue.length) {
    const p = queue.shift();
    const file = path.join(dist, p);
    if (!existsSync(file)) continue;
    const html = p.endsWith('.html');
    const pattern = html ? ATTR : p.endsWith('.js') || p.endsWith('.mjs') ? IMPORT : null;
    if (!pattern) continue;
    // HTML comments may name files the page never loads.
    const text = readFileSync(file, 'utf8').replace(html ? /<!--[\s\S]*?-->/g : /$^/, '');
    for (const m of text.matchAll(pattern)) {
      const u = new URL(m[1], new URL(p, 'http://page.invalid/'));
      if (u.origin !== 'http://page.invalid' || seen.has(u.pathname)) continue;
      seen.add(u.pathname);
      queue.push(u.pathname);
    }
  }
  return [...seen];
}

export function toolVersion(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : null;
}
