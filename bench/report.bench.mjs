#!/usr/bin/env node
// What history costs: `engine report --all` over a store of 1,000 and 10,000 runs, and a
// `tier: auto` verify step in a store of 1 / 1,000 / 10,000 runs.
// The store is made quickly: one real run (2 milestones, instant command workers), then
// copies of its state.json and timeline.jsonl under new ids, created earlier (make-store.mjs).
//   - report: wall and CPU of `engine report --all` (stdout discarded): the first one after
//     the copies are made (nothing indexed them: it reads every run and builds the index
//     where the engine has one) and then the median of BENCH_REPEAT (3) more;
//   - tier: one more real run of 2 milestones in that repo; for each `tier: auto` verify step,
//     the time between its `step.started` and its `verify.selected` (reading the run history
//     and choosing the tier), from the run's own timeline.
// Beside them: a bare `node -e 0`. BENCH_REPORT_SIZES=1000 picks the sizes.
// Writes bench/results/report.json. Runs alone (`node bench/report.bench.mjs`).
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { copyRuns } from './fixtures/make-store.mjs';
import { makeScratchRepo, writeInstantPipeline } from './fixtures/instant-run.mjs';
import { childEnv } from './fixtures/child-env.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const engineBin = path.join(root, 'bin', 'engine.js');
const SIZES = (process.env.BENCH_REPORT_SIZES ?? '1000,10000').split(',').map(Number);
const TIER_SIZES = (process.env.BENCH_TIER_SIZES ?? '1,1000,10000').split(',').map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);


function makeRepo() {
  const { dir, repo } = makeScratchRepo('engine-bench-report-', { 'README.md': '# target\n', '.gitignore': '.engine/\n' });
  const pipelineFile = writeInstantPipeline(dir, { BENCH_MILESTONES: '2' });
  const policyFile = path.join(dir, 'bench.policy.yaml');
  writeFileSync(policyFile, stringify({ apiVersion: 'engine/v1', kind: 'Policy', auto_approve: { enabled: false }, explore: { mode: 'off' }, verification: { tiers: { tier0: { commands: ['true'] }, tier0_fast: { commands: ['true'] }, tier2: { commands: ['true'] } } } }));
  return { dir, repo, store: path.join(repo, '.engine', 'runs'), pipelineFile, policyFile };
}

/** One real run; its id and directory. */
function realRun(f, id) {
  const r = spawnSync(process.execPath, [engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'bench report', '--policy', f.policyFile, '--run-id', id, '--no-progress'], { cwd: f.dir, env: childEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`engine run exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return path.join(f.store, id);
}

function timed(args, cwd) {
  const out = path.join(os.tmpdir(), `engine-bench-time-${process.pid}`);
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%U %S %M', process.execPath, ...args], { cwd, env: childEnv(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wall = performance.now() - started;
  const [user, sys, rss] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(/\s+/).map(Number);
  rmSync(out, { force: true });
  return { status: r.status, stderr: r.stderr, wall_ms: wall, cpu_ms: (user + sys) * 1000, rss_mib: rss / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Per `tier: auto` verify step of a run: ms from its step.started to its verify.selected. */
function tierGaps(runDir) {
  const events = readFileSync(path.join(runDir, 'timeline.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const gaps = [];
  let started = null;
  for (const e of events) {
    if (e.type === 'step.started' && e.step === 'verify') started = Date.parse(e.ts);
    if (e.type === 'verify.selected' && e.step === 'verify' && started !== null) {
      gaps.push(Date.parse(e.ts) - started);
      started = null;
    }
  }
  return gaps;
}

export async function runReportBench({ print = true } = {}) {
  const f = makeRepo();
  const base = timed(['-e', '0'], f.dir);
  const report = [];
  const tier = [];
  try {
    const source = realRun(f, 'bench-source-run');
    let have = 1;
    const sizes = [...new Set([...SIZES, ...TIER_SIZES])].sort((a, b) => a - b);
    let n = 0;
    for (const size of sizes) {
      if (size > have) {
        copyRuns(source, f.store, size - have, { startAt: have });
        have = size;
      }
      if (SIZES.includes(size)) {
        const args = [engineBin, 'report', '--all', '--repo', f.repo];
        const first = timed(args, f.dir);
        if (first.status !== 0) throw new Error(`engine report exited ${first.status}: ${first.stderr.slice(-2000)}`);
        const again = Array.from({ length: REPEAT }, () => timed(args, f.dir));
        report.push({ runs: size, first: { wall_ms: first.wall_ms, cpu_ms: first.cpu_ms, rss_mib: first.rss_mib }, wall_ms: median(again.map((r) => r.wall_ms)), cpu_ms: median(again.map((r) => r.cpu_ms)), rss_mib: median(again.map((r) => r.rss_mib)), samples_ms: again.map((r) => r.wall_ms) });
        if (print) console.error(`report bench: report --all over ${size} runs done`);
      }
      if (TIER_SIZES.includes(size)) {
        const dir = realRun(f, `tier-${++n}`);
        // That run is now in the store too: one more than `size` for the next size.
        have += 1;
        tier.push({ runs: size, step_ms: tierGaps(dir) });
        if (print) console.error(`report bench: tier: auto step in a store of ${size} runs done`);
      }
    }
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
  const summary = { baseline: { wall_ms: base.wall_ms, cpu_ms: base.cpu_ms }, report, tier };
  if (print) printTables(summary);
  writeResults(summary);
  return summary;
}

function printTables(s) {
  const f = (x) => (typeof x === 'number' ? x.toFixed(0) : '-');
  const table = (cells) => {
    const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => String(row[i]).length)));
    for (const row of cells) console.log(row.map((c, i) => String(c).padEnd(widths[i])).join('  '));
  };
  console.log('\nreport bench: `engine report --all` over a store of synthetic runs (target < 1000 ms at 10,000)');
  table([['runs', 'first: wall / CPU ms', `then (median of ${REPEAT}): wall ms`, 'CPU ms', 'peak RSS MiB', 'node -e 0 wall / CPU ms'], ...s.report.map((r) => [r.runs, `${f(r.first.wall_ms)} / ${f(r.first.cpu_ms)}`, f(r.wall_ms), f(r.cpu_ms), f(r.rss_mib), `${f(s.baseline.wall_ms)} / ${f(s.baseline.cpu_ms)}`])]);
  console.log('\n`tier: auto` verify step: ms from step.started to verify.selected, each step of one 2-milestone run (target: independent of the store)');
  table([['runs in store', 'ms per step'], ...s.tier.map((t) => [t.runs, t.step_ms.join(', ')])]);
}

function writeResults(summary) {
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  const env = { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, loadavg: os.loadavg() };
  writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify({ date: new Date().toISOString(), commit, env, ...summary }, null, 2)}\n`);
}

export default {
  name: 'report --all, 10,000 runs (wall)',
  target_ms: 1000,
  async run() {
    const s = await runReportBench();
    const big = s.report.at(-1);
    return { median_ms: big?.wall_ms ?? null, runs: big?.samples_ms.length ?? 0, samples_ms: big?.samples_ms ?? [], node_baseline_ms: s.baseline.wall_ms, engine_overhead_ms: big ? big.wall_ms - s.baseline.wall_ms : null, summary: s };
  },
};

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) await runReportBench();
