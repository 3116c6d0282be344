#!/usr/bin/env node
// This engine against another build of it, run by run: `node bench/compare.mjs OTHER_ROOT`
// (OTHER_ROOT: a checkout of another commit, built with `npm run build`, e.g. made with
// `git worktree add ../engine-before <commit> && (cd ../engine-before && npm ci && npm run build)`).
// For each N in BENCH_MILESTONES (default 2,10,40) it makes one fixture per engine (the
// milestone bench's: a repo, with BENCH_REPO_FILES more files, the default pipeline with instant fake workers), then runs the
// two alternately, BENCH_REPEAT (default 6) pairs, each timed as the milestone bench times a
// run (fixtures/reap-time.py: CPU of the whole process tree, fake workers included, and peak RSS). Alternating keeps the ratio
// meaningful when the machine's speed drifts; the medians and the median of the pairwise
// ratios are printed, and the per-milestone and fixed CPU of each engine from a line through
// the sizes (the workers' own CPU, which both runs share, taken out). Writes nothing.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, engineArgs, fitLine, makeFixture, median, timed, workerTotals } from './milestone.bench.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const other = process.argv[2] ? path.resolve(process.argv[2]) : null;
if (!other || !existsSync(path.join(other, 'bin', 'engine.js'))) {
  console.error('usage: node bench/compare.mjs OTHER_ROOT   (a built checkout of another commit)');
  process.exit(2);
}
const SIZES = (process.env.BENCH_MILESTONES ?? '2,10,40').split(',').map(Number);
const PAIRS = Number(process.env.BENCH_REPEAT ?? 6);
/** Files added to each fixture's repo (BENCH_REPO_FILES, default none): a snapshot's cost per file. */
const FILES = Number(process.env.BENCH_REPO_FILES ?? 0);

/** One run of `bin` on fixture `f`: tree CPU ms, peak RSS MiB, the workers' own CPU ms. */
function runOnce(bin, f) {
  const args = engineArgs(f);
  args[0] = bin;
  rmSync(f.workerLog, { force: true });
  const r = timed(process.execPath, args, { cwd: f.dir, env: childEnv() });
  if (r.status !== 0) throw new Error(`${bin} exited ${r.status}: ${r.stderr.slice(-1500)}`);
  return { cpu_ms: r.cpu_ms, rss_mib: r.rss_kb / 1024, worker_ms: workerTotals(f).cpu_ms };
}

const engines = { this: path.join(here, '..', 'bin', 'engine.js'), other: path.join(other, 'bin', 'engine.js') };
const rows = [];
for (const n of SIZES) {
  const fixtures = { this: makeFixture(n, undefined, FILES), other: makeFixture(n, undefined, FILES) };
  const runs = { this: [], other: [] };
  const ratios = [];
  try {
    for (let i = 0; i < PAIRS; i++) {
      const a = runOnce(engines.this, fixtures.this);
      const b = runOnce(engines.other, fixtures.other);
      runs.this.push(a);
      runs.other.push(b);
      ratios.push(a.cpu_ms / b.cpu_ms);
    }
  } finally {
    for (const f of Object.values(fixtures)) rmSync(f.dir, { recursive: true, force: true });
  }
  const pick = (side, key) => median(runs[side].map((r) => r[key]));
  rows.push({ n, this: { cpu_ms: pick('this', 'cpu_ms'), engine_ms: pick('this', 'cpu_ms') - pick('this', 'worker_ms'), rss_mib: pick('this', 'rss_mib') }, other: { cpu_ms: pick('other', 'cpu_ms'), engine_ms: pick('other', 'cpu_ms') - pick('other', 'worker_ms'), rss_mib: pick('other', 'rss_mib') }, ratio: median(ratios) });
  console.error(`compare: N=${n} done (${PAIRS} pairs)`);
}
const f = (x, d = 0) => x.toFixed(d);
console.log(`this engine: ${engines.this}\nother engine: ${engines.other}\n`);
console.log('N    CPU ms tree (this / other)   engine CPU ms, tree − workers (this / other)   peak RSS MiB (this / other)   this / other (median of pairs)');
for (const r of rows) console.log(`${String(r.n).padEnd(4)} ${`${f(r.this.cpu_ms)} / ${f(r.other.cpu_ms)}`.padEnd(28)} ${`${f(r.this.engine_ms)} / ${f(r.other.engine_ms)}`.padEnd(46)} ${`${f(r.this.rss_mib, 1)} / ${f(r.other.rss_mib, 1)}`.padEnd(29)} ${f(r.ratio, 3)}`);
if (rows.length >= 2) {
  for (const side of ['this', 'other']) {
    const line = fitLine(rows.map((r) => ({ n: r.n, y: r[side].engine_ms })));
    console.log(`${side}: ${f(line.per, 1)} ms CPU per milestone, ${f(line.fixed)} ms fixed per run (tree − workers)`);
  }
}
