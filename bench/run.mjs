#!/usr/bin/env node
// Runs every bench/*.bench.mjs, prints a table and writes bench/results/latest.json.
// A bench module default-exports { name, target_ms, run: async () => ({ median_ms, runs, samples_ms }) }.
import { readdir, mkdir, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// `--figures`: print issue 12's table from the last results (bench/results/*.json), run nothing.
if (process.argv[2] === '--figures') {
  const { readFileSync, existsSync } = await import('node:fs');
  const load = (f) => (existsSync(path.join(here, 'results', f)) ? JSON.parse(readFileSync(path.join(here, 'results', f), 'utf8')) : null);
  const m = load('milestone.json');
  const rep = load('report.json');
  const demo = load('demo.json');
  printIssue12([
    ...(m ? [{ file: 'milestone.bench.mjs', summary: m.summary }] : []),
    ...(rep ? [{ file: 'report.bench.mjs', summary: rep }] : []),
    ...(demo ? [{ file: 'demo.bench.mjs', summary: demo.summary }] : []),
  ]);
  for (const [name, r] of [['milestone', m], ['report', rep], ['demo', demo]]) if (r) console.log(`${name}: ${r.date}, commit ${r.commit}, load average ${r.env?.loadavg?.map((x) => x.toFixed(1)).join(' ') ?? '-'}`);
  process.exit(0);
}
const only = process.argv.slice(2);
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.mjs') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();

const results = [];
for (const f of files) {
  const bench = (await import(pathToFileURL(path.join(here, f)).href)).default;
  const r = await bench.run();
  // A bench may set its target from what it measured (the demo's: 5 % of its own wall).
  const target = r.target_ms ?? bench.target_ms;
  results.push({ file: f, name: bench.name, ...r, target_ms: target, pass: r.median_ms <= target });
}

const fmt = (x) => (typeof x === 'number' ? x.toFixed(1) : '-');
const rows = [
  ['bench', 'median ms', 'min ms', 'max ms', 'node -e 0 ms', 'overhead ms', 'runs', 'target ms', 'ok'],
  ...results.map((r) => [r.name, fmt(r.median_ms), fmt(Math.min(...r.samples_ms)), fmt(Math.max(...r.samples_ms)), fmt(r.node_baseline_ms), fmt(r.engine_overhead_ms), String(r.runs), fmt(r.target_ms), r.pass ? 'yes' : 'NO']),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));

printIssue12(results);

/**
 * Every figure issue 12 accepts on, from the benches that ran, with its target and the bare
 * `node -e 0` each bench measured beside it. A figure whose bench did not run shows '-'.
 */
function printIssue12(all) {
  const by = (file) => all.find((r) => r.file === file)?.summary ?? null;
  const m = by('milestone.bench.mjs');
  const rep = by('report.bench.mjs');
  const demo = by('demo.bench.mjs');
  if (!m && !rep && !demo) return;
  const f = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : '-');
  const ok = (x, limit) => (typeof x === 'number' ? (x <= limit ? 'yes' : 'NO') : '-');
  const mBase = m ? `CPU ${f(m.baseline.cpu_ms, 0)} ms, RSS ${f(m.baseline.rss_mib, 0)} MiB` : '-';
  // The floor: the milestone's own children and git commands started from a shell (older results have none).
  const mFloor = m?.baseline.floor_ms != null ? `${mBase}; floor ${f(m.baseline.floor_ms, 0)} ms per milestone` : mBase;
  // What a page fault costs the machine, and how many a milestone and a run take (older results have neither).
  const mFaults = m?.baseline.fault_us != null ? `${mFloor}; page fault ${f(m.baseline.fault_us, 1)} µs, ${f(m.per_milestone.faults, 0)} / ${f(m.per_run.faults, 0)} faults` : mFloor;
  const big = rep?.report.at(-1);
  const tierSteps = (rep?.tier ?? []).map((t) => `${t.runs}: ${t.step_ms.map((x) => f(x, 0)).join('/')}`).join('; ');
  const rows = [
    ['figure (issue 12)', 'measured', 'target', 'ok', 'node -e 0'],
    ['git processes per milestone / fixed per run', `${f(m?.per_milestone.git_processes)} / ${f(m?.per_run.git_processes)}`, '≤ 6 / ≤ 12', ok(m?.per_milestone.git_processes, 6), '-'],
    ['fsyncs per milestone / fixed per run', `${f(m?.per_milestone.fsyncs)} / ${f(m?.per_run.fsyncs)}`, '≤ 8 / ≤ 16', ok(m?.per_milestone.fsyncs, 8), '-'],
    // Each costs the engine a copy of itself (its page tables, then a fault on each page it writes): not a target, where the CPU goes (older results have none).
    ['processes the engine forks per milestone / fixed per run', m?.per_milestone.engine_forks == null ? '-' : `${f(m.per_milestone.engine_forks)} / ${f(m.per_run.engine_forks)}`, '-', '-', '-'],
    ['CPU ms per milestone / fixed per run (tree − workers)', `${f(m?.per_milestone.cpu_ms)} / ${f(m?.per_run.cpu_ms)}`, '≤ 40 / ≤ 250', ok(m?.per_milestone.cpu_ms, 40), mFaults],
    ['CPU growth, slope 50→200 against 10→50', m?.cpu_growth == null ? '-' : `${(m.cpu_growth * 100).toFixed(0)} %`, 'within ±10 %', m?.cpu_growth == null ? '-' : Math.abs(m.cpu_growth) <= 0.1 ? 'yes' : 'NO', '-'],
    // The same inside each 200-milestone run, read as it goes (older results have none).
    ['CPU growth inside a run of 200 (median of the runs)', m?.cpu_growth_in_run == null ? '-' : `${(m.cpu_growth_in_run * 100).toFixed(0)} % (${m.cpu_growth_in_run_by_run.map((g) => `${(g * 100).toFixed(0)}`).join(', ')})`, 'within ±10 %', m?.cpu_growth_in_run == null ? '-' : Math.abs(m.cpu_growth_in_run) <= 0.1 ? 'yes' : 'NO', '-'],
    // Its page faults, counted; and both again with a workspace that keeps its size (older results have none).
    ['page-fault growth inside a run of 200 (median)', m?.faults_growth_in_run == null ? '-' : `${(m.faults_growth_in_run * 100).toFixed(0)} % (${m.faults_growth_in_run_by_run.map((g) => `${(g * 100).toFixed(0)}`).join(', ')})`, '-', '-', '-'],
    [`the same, workspace kept at ${m?.steady_workspace?.files ?? '-'} files: CPU / page faults`, m?.steady_workspace?.cpu_growth_in_run == null ? '-' : `${(m.steady_workspace.cpu_growth_in_run * 100).toFixed(0)} % / ${m.steady_workspace.faults_growth_in_run == null ? '-' : `${(m.steady_workspace.faults_growth_in_run * 100).toFixed(0)} %`}`, 'within ±10 %', m?.steady_workspace?.cpu_growth_in_run == null ? '-' : Math.abs(m.steady_workspace.cpu_growth_in_run) <= 0.1 ? 'yes' : 'NO', '-'],
    [`CPU ms per milestone, repo of ${m?.large_repo?.files ?? '-'} files (µs per file)`, m?.large_repo ? `${f(m.large_repo.per_milestone_cpu_ms)} (${f(m.large_repo.per_file_us, 2)})` : '-', '-', '-', '-'],
    ['peak RSS MiB at 200 milestones', f(m?.peak_rss_mib_200), '≤ 90', ok(m?.peak_rss_mib_200, 90), mBase],
    [`report --all, ${big?.runs ?? '-'} runs: wall ms (CPU ms)`, big ? `${f(big.wall_ms, 0)} (${f(big.cpu_ms, 0)})` : '-', '< 1000', ok(big?.wall_ms, 1000), rep ? `wall ${f(rep.baseline.wall_ms, 0)} ms, CPU ${f(rep.baseline.cpu_ms, 0)} ms` : '-'],
    ['tier: auto step ms, by store size', tierSteps || '-', 'independent of the store', '-', '-'],
    ['engine share of the demo wall', demo ? `${(demo.share * 100).toFixed(1)} % (${f(demo.engine_ms, 0)} of ${f(demo.wall_ms, 0)} ms)` : '-', '< 5 %', demo ? (demo.share < 0.05 ? 'yes' : 'NO') : '-', demo ? `wall ${f(demo.baseline.wall_ms, 0)} ms` : '-'],
  ];
  console.log('');
  const w = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  for (const row of rows) console.log(row.map((c, i) => String(c).padEnd(w[i])).join('  '));
}

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
})();
await mkdir(path.join(here, 'results'), { recursive: true });
const env = { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null };
await writeFile(path.join(here, 'results', 'latest.json'), `${JSON.stringify({ date: new Date().toISOString(), commit, env, results }, null, 2)}\n`);
process.exitCode = results.every((r) => r.pass) ? 0 : 1;
