// Bundles a wasm-bindgen loader and the ES modules it imports into one minified file, in place
// (esbuild, npm, pinned in package.json).
//
// A page load waits for every module of the loader's import graph: wasm-bindgen's JS glue imports
// its snippets and, split, wasm-split's chunk loader, each a request of its own that the browser
// only makes once it has the file importing it (or a modulepreload). One file, like the
// reference page's, starts the app about 15 to 20 ms sooner on this project's build machine
// (docs/PERFORMANCE.md, "Start").
//
//   node scripts/bundle-js.mjs FILE.js   bundle FILE.js and delete the modules merged into it
//                                        (scripts/build-web.sh, before the folder is hashed)
//   node scripts/bundle-js.mjs --page    Trunk's post_build hook of the bench's reference page:
//                                        the file the loader names (data-js) in
//                                        $TRUNK_STAGING_DIR, and its integrity hash in index.html
//
// Only the loader is touched: the wasm, and the names and URLs the code uses (import.meta.url,
// the chunks' file names), stay as they are.
import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';

function fail(message) {
  console.error(`bundle-js: ${message}`);
  process.exit(1);
}

/** Bundles `file` in place; returns the other files merged into it (absolute paths). */
function bundle(file) {
  const result = buildSync({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    minify: true,
    legalComments: 'none',
    metafile: true,
    write: true,
    logLevel: 'warning',
    // wasm-bindgen names the chunk loader's module twice in its imports object (the same
    // namespace, once per import of it): harmless, and not ours to change.
    logOverride: { 'duplicate-object-key': 'silent' },
  });
  const entry = path.resolve(file);
  return Object.keys(result.metafile.inputs)
    .map((p) => path.resolve(p))
    .filter((p) => p !== entry);
}

/** Removes now-empty folders from `dir` upwards to (not including) `stop`. */
function pruneEmpty(dir, stop) {
  for (let d = dir; d.startsWith(stop + path.sep); d = path.dirname(d)) {
    if (readdirSync(d).length) break;
    rmdirSync(d);
  }
}

const args = process.argv.slice(2);
if (args.length === 1 && args[0] !== '--page') {
  const file = path.resolve(args[0]);
  const root = path.dirname(file);
  const merged = bundle(file);
  for (const m of merged) {
    if (!m.startsWith(root + path.sep)) fail(`${m} is outside ${root}: not deleting it`);
    rmSync(m);
    pruneEmpty(path.dirname(m), root);
  }
  const rel = merged.map((m) => path.relative(root, m)).join(', ') || 'nothing';
  console.log(`bundle-js: ${path.relative(process.cwd(), file)}: ${readFileSync(file).length} bytes, merged ${rel}`);
} else if (args.length === 1) {
  const staging = process.env.TRUNK_STAGING_DIR || fail('--page runs as a Trunk hook (TRUNK_STAGING_DIR)');
  const page = path.join(staging, 'index.html');
  let html = readFileSync(page, 'utf8');
  const href = /\bdata-js="([^"]+)"/.exec(html)?.[1] || fail(`${page}: no loader with data-js`);
  const file = path.join(staging, href.replace(/^\//, ''));
  const merged = bundle(file);
  if (merged.length) fail(`${href} imports ${merged.join(', ')}: --page expects one file`);
  const sri = 'sha384-' + createHash('sha384').update(readFileSync(file)).digest('base64');
  // Trunk's modulepreload of the file carries the hash of the file it wrote.
  const link = new RegExp(`(<link[^>]*href="${href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*integrity=")[^"]*(")`);
  if (link.test(html)) html = html.replace(link, `$1${sri}$2`);
  writeFileSync(page, html);
  console.log(`bundle-js: ${href}: ${readFileSync(file).length} bytes`);
} else {
  fail('usage: bundle-js.mjs FILE.js | --page');
}
