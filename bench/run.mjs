#!/usr/bin/env node
// Runs every bench/*.bench.mjs, prints a table and writes bench/results/latest.json.
// A bench module default-exports { name, target_ms, run: async () => ({ median_ms, runs, samples_ms }) }.
import { readdir, mkdir, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.mjs') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();

const results = [];
for (const f of files) {
  const bench = (await import(pathToFileURL(path.join(here, f)).href)).default;
  const r = await bench.run();
  results.push({ file: f, name: bench.name, target_ms: bench.target_ms, ...r, pass: r.median_ms <= bench.target_ms });
}

const fmt = (x) => (typeof x === 'number' ? x.toFixed(1) : '-');
const rows = [
  ['bench', 'median ms', 'min ms', 'max ms', 'node -e 0 ms', 'overhead ms', 'runs', 'target ms', 'ok'],
  ...results.map((r) => [r.name, fmt(r.median_ms), fmt(Math.min(...r.samples_ms)), fmt(Math.max(...r.samples_ms)), fmt(r.node_baseline_ms), fmt(r.engine_overhead_ms), String(r.runs), String(r.target_ms), r.pass ? 'yes' : 'NO']),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));

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
