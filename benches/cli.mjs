// `make bench`, CLI row: the whole `tunnelsmith generate` process on the seed 004 plan, into an
// emptied folder each run. With hyperfine (Debian package; scripts/install-bench-tools.sh):
// 3 warm-up runs, 30 timed runs, no intermediate shell (-N), the folder removed by --prepare.
// Without it: the same runs timed here around spawnSync (which includes node's process spawn,
// a little more than hyperfine counts). Writes target/bench/cli.json:
// { tool, command, times: [seconds…] }.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CLI, OUT, ROOT, toolVersion, writeResult } from './support/bench.mjs';

const WARMUP = 3;
const RUNS = 30;
const PLAN = path.join(ROOT, 'examples', '004-aws-azure-gcp-bgp.json');
const DIR = path.join(OUT, 'cli-generate');
const args = ['generate', PLAN, '--out', DIR, '--force'];
const command = [CLI, ...args].join(' ');

function viaHyperfine(version) {
  const exported = path.join(OUT, 'cli-hyperfine.json');
  const r = spawnSync(
    'hyperfine',
    ['-N', '--warmup', `${WARMUP}`, '--runs', `${RUNS}`, '--prepare', `rm -rf ${DIR}`, '--export-json', exported, command],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`hyperfine exited with ${r.status}`);
  return { tool: version, command, times: JSON.parse(readFileSync(exported, 'utf8')).results[0].times };
}

function viaSpawn() {
  const times = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    rmSync(DIR, { recursive: true, force: true });
    const t0 = process.hrtime.bigint();
    const r = spawnSync(CLI, args, { stdio: 'ignore' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${command} exited with ${r.status}`);
    if (i >= WARMUP) times.push(s);
  }
  return { tool: 'repeated runs (node spawnSync; hyperfine not installed)', command, times };
}

let result;
try {
  const hyperfine = toolVersion('hyperfine');
  result = hyperfine ? viaHyperfine(hyperfine) : viaSpawn();
} catch (err) {
  result = { error: String(err?.message ?? err), command };
}
rmSync(DIR, { recursive: true, force: true });
console.log(`[bench] wrote ${path.relative(ROOT, writeResult('cli.json', result))}`);
