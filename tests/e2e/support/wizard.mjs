// A page object for the wizard (as Leptos' own end-to-end examples do): the few ways a journey
// reads and drives the page, named for what a user does. Shared by tests/e2e/*.mjs.

import { TIMEOUT_MS } from './browser.mjs';

export const STEPS = ['sites', 'addressing', 'links', 'security', 'review', 'files'];

/** The DOM id of the field at a plan path, as the app derives it (src/web/state.rs field_id). */
export function fieldId(p) {
  return 'f-' + p.replace(/[[.]/g, '-').replace(/]/g, '').replace(/[^A-Za-z0-9_-]/g, '_');
}

export const sel = (p) => `#${fieldId(p)}`;

/** The step that shows the field at `p` (src/web/state.rs Step::of_path). */
export function stepOf(p) {
  if (p.startsWith('secrets.') || (p.startsWith('links[') && p.includes('].crypto'))) return 'security';
  if (p.startsWith('links')) return 'links';
  if (p.startsWith('sites[') && (p.includes('].address_spaces') || p.includes('].subnets'))) return 'addressing';
  return 'sites';
}

/** `p` and every enclosing path, most specific first (src/web/state.rs enclosing_paths). */
export function enclosingPaths(p) {
  const out = [p];
  let q = p;
  for (;;) {
    const cut = Math.max(q.lastIndexOf('.'), q.lastIndexOf('['));
    if (cut <= 0) break;
    q = q.slice(0, cut);
    out.push(q);
  }
  return out;
}

/** The findings in the panel: `{ code, path, severity }`. */
export function findings(page) {
  return page.$$eval('aside.findings li.finding', (els) =>
    els.map((e) => ({
      code: e.dataset.code,
      path: e.querySelector('button.goto').dataset.path,
      severity: [...e.classList].find((c) => c.startsWith('finding-')).slice('finding-'.length),
    })),
  );
}

export async function errors(page) {
  return (await findings(page)).filter((f) => f.severity === 'error');
}

export async function waitErrors(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('aside.findings li.finding-error').length === n, n, {
    timeout: TIMEOUT_MS,
  });
}

export async function waitFinding(page, code, p, present = true) {
  const q = `aside.findings li[data-code="${code}"] button.goto[data-path="${p}"]`;
  await page.locator(q).first().waitFor({ state: present ? 'attached' : 'detached', timeout: TIMEOUT_MS });
}

/** Choose a step in the stepper and wait for it to show. */
export async function goStep(page, name) {
  await page.locator(`#step-${name}`).click();
  await waitStep(page, name);
}

export async function waitStep(page, name) {
  await page.locator(`main .step-body[data-step="${name}"]`).waitFor({ timeout: TIMEOUT_MS });
}

/** In the page: whether focus is on the first of `ids` that exists, or inside it. */
function focusWithin(ids) {
  const a = document.activeElement;
  for (const id of ids) {
    const el = document.getElementById(id);
    if (el) return el === a || el.contains(a);
  }
  return false;
}

/** Wait until focus is on the field at `p` or inside its nearest enclosing group on the page. */
export function waitFocusAt(page, p, timeout = 5_000) {
  return page.waitForFunction(focusWithin, enclosingPaths(p).map(fieldId), { timeout });
}

/** Import a plan file's text through the Files step's paste box; the app shows its review. */
export async function importPlan(page, text) {
  await goStep(page, 'files');
  // The plan-file reader is part of the generators module: wait until it is there.
  await page.locator('[data-testid=files-loading]').waitFor({ state: 'detached', timeout: TIMEOUT_MS });
  await page.locator('#import-paste').fill(text);
  await page.locator('#import-pasted').click();
  await waitStep(page, 'review');
}
