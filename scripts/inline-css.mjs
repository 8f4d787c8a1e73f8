// Puts the page's stylesheet into index.html as a <style> element, allowed by its hash in the
// Content-Security-Policy (`style-src 'self' 'sha256-…'`; still no 'unsafe-inline').
//
// A linked stylesheet is one more request on the first load, and the page's module scripts wait
// for it: inline, the app starts about 7 to 11 ms sooner on this project's build machine
// (docs/PERFORMANCE.md, "Start"). The stylesheet is 4 KiB brotli; the page is served no-store, so
// a separate file would not be cached on its own either.
//
//   node scripts/inline-css.mjs   Trunk's post_build hook (scripts/build-web.sh): every
//                                 <link rel="stylesheet" href="/…"> of $TRUNK_STAGING_DIR/index.html
//                                 whose file is in the staging directory
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function fail(message) {
  console.error(`inline-css: ${message}`);
  process.exit(1);
}

/** The stylesheet's relative `url(…)`s, which resolved against its own address, made absolute
 * (inline, they would resolve against the page's). */
function rebase(css, href) {
  const base = new URL(href, 'http://x/');
  return css.replace(/url\(\s*(["']?)([^"')]+)\1\s*\)/g, (all, quote, ref) => {
    if (/^([a-z][a-z0-9+.-]*:|\/|#)/i.test(ref)) return all;
    const u = new URL(ref, base);
    return `url(${quote}${u.pathname}${u.search}${u.hash}${quote})`;
  });
}

const staging = process.env.TRUNK_STAGING_DIR || fail('runs as a Trunk hook (TRUNK_STAGING_DIR)');
const page = path.join(staging, 'index.html');
let html = readFileSync(page, 'utf8');
const hashes = [];
html = html.replace(/<link rel="stylesheet" href="\/([^"]+)"\s*\/?>/g, (_, href) => {
  const file = path.join(staging, href);
  let css = readFileSync(file, 'utf8');
  // "</style" inside would end the element early: not in a stylesheet of ours, but say so.
  if (/<\/style/i.test(css)) fail(`${href} contains "</style": cannot inline it`);
  css = rebase(css, href);
  rmSync(file);
  hashes.push(`'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`);
  console.log(`inline-css: ${href}: ${css.length} bytes into index.html`);
  return `<style>${css}</style>`;
});
if (hashes.length) {
  const csp = /(http-equiv="Content-Security-Policy"\s+content="[^"]*\bstyle-src 'self')/;
  if (!csp.test(html)) fail(`${page}: no "style-src 'self'" in a Content-Security-Policy meta element`);
  html = html.replace(csp, `$1 ${hashes.join(' ')}`);
  writeFileSync(page, html);
}
