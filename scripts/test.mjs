#!/usr/bin/env node
// `npm test`: runs tap with the arguments given (the config in package.json applies), then
// lists the slowest test files of this run from tap's saved results (.tap/test-results/),
// so the suite's own cost stays in sight. The exit code is tap's.
//
// Given no test file, it runs every test file but the end-to-end ones (`--e2e`: those alone,
// `npm run test:e2e`; `--all`: both; scripts/group-tests.mjs, listPart), the light ones
// several to a process (group files in .tap/groups/); `TEST_GROUPS=0` runs each in its own.
//
// Coverage is off by default: recording it costs every test process about a fifth more CPU,
// and a whole run writes hundreds of MB of records that tap merges at the end. It asserts
// nothing (incomplete coverage is allowed); `TEST_COVERAGE=1 npm test` turns it on and
// prints its summary.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneCompiled, warmCompiled } from '../test/helpers/esbuild-hooks.mjs';
import { expandTestFolders, listPart, namesTestFiles, writeGroups } from './group-tests.mjs';
import { openRunGroup, readAccounts, removeGroup } from './cpu-groups.mjs';
import { buildTapWhenStale } from './tap-build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOW = Number(process.env.TEST_SLOWEST ?? 10);
const started = Date.now();
const tapBin = path.join(root, 'node_modules', '.bin', 'tap');
// What esbuild made of each test source is kept (test/helpers/esbuild-hooks.mjs): a week at most.
pruneCompiled(7 * 24 * 3600 * 1000);
// Compiled here once, before three test processes at a time would each compile the same files.
await warmCompiled([path.join(root, 'engine'), path.join(root, 'test')]);
// Before the runner starts, so that the first run after an install loads no plugin that is off (scripts/tap-build.mjs).
buildTapWhenStale(root);
// The suite makes no TLS connection (models, proxies and the browser are on 127.0.0.1, over
// http), but every Node process reads and parses each certificate in NODE_EXTRA_CA_CERTS as it
// starts. Where that names the system bundle (as on the machines this runs on), it cost each of
// the suite's thousands of node processes about 37 ms of CPU (`node -e 0`: 57 → 21 ms).
delete process.env.NODE_EXTRA_CA_CERTS;
const coverage = process.env.TEST_COVERAGE === '1' ? ['--no-disable-coverage'] : [];
const PARTS = { '--e2e': 'e2e', '--all': 'all' };
const part = PARTS[process.argv.slice(2).find((a) => Object.hasOwn(PARTS, a))] ?? 'main';
const args = expandTestFolders(root, process.argv.slice(2).filter((a) => !Object.hasOwn(PARTS, a)));
const given = namesTestFiles(args);
const groupsDir = path.join(root, '.tap', part === 'main' ? 'groups' : `groups-${part}`);
const testFiles = given ? [] : process.env.TEST_GROUPS === '0' ? listPart(root, part) : writeGroups(root, groupsDir, { part });
// Each test file's CPU with everything it started, where a control group can count it (scripts/cpu-groups.mjs).
const cpuGroup = openRunGroup(`engine-tests-${process.pid}`);
const cpuOut = path.join(root, '.tap', `cpu-${process.pid}.jsonl`);
const env = cpuGroup ? { ...process.env, ENGINE_TEST_CPU_GROUP: cpuGroup, ENGINE_TEST_CPU_OUT: cpuOut } : process.env;
const r = spawnSync(tapBin, [...coverage, ...args, ...testFiles], { cwd: root, stdio: 'inherit', env });

/** Every `.tap` result file under dir written since `since`, with the time its last line gives. */
function results(dir, since) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...results(file, since));
    else if (e.name.endsWith('.tap') && statSync(file).mtimeMs >= since) {
      const times = [...readFileSync(file, 'utf8').matchAll(/^# time=([\d.]+)ms$/gm)];
      if (times.length) out.push({ file: path.relative(path.join(root, '.tap', 'test-results'), file).replace(/\.tap$/, ''), ms: Number(times.at(-1)[1]) });
    }
  }
  return out;
}

/** A result's test file, or for a group file the files it ran (their `// test file:` lines). */
function labelOf(file) {
  let text;
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch {
    return file;
  }
  const inside = [...text.matchAll(/^\/\/ test file: (.+)$/gm)].map((m) => m[1]);
  if (inside.length === 1) return inside[0];
  return inside.length ? `${file} (${inside.length} files: ${inside.map((f) => path.basename(f, '.test.ts')).join(', ')})` : file;
}

const files = results(path.join(root, '.tap', 'test-results'), started - 1000).sort((a, b) => b.ms - a.ms);
if (files.length > 1) {
  const total = files.reduce((s, f) => s + f.ms, 0);
  // The machine is shared: the load average says how far the times are from its own.
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`\nslowest test files (${Math.min(SHOW, files.length)} of ${files.length}; ${(total / 1000).toFixed(1)} s summed over files, ${((Date.now() - started) / 1000).toFixed(1)} s wall, load average ${load} at the end):`);
  for (const f of files.slice(0, SHOW)) console.log(`  ${(f.ms / 1000).toFixed(1).padStart(7)} s  ${(100 * f.ms / total).toFixed(0).padStart(3)} %  ${labelOf(f.file)}`);
}
if (cpuGroup) {
  const accounts = readAccounts(cpuOut).sort((a, b) => b.cpu_ms - a.cpu_ms);
  rmSync(cpuOut, { force: true });
  removeGroup(cpuGroup);
  if (accounts.length > 1) {
    const cpu = accounts.reduce((s, a) => s + a.cpu_ms, 0);
    const own = accounts.reduce((s, a) => s + a.own_ms, 0);
    // On two cores, a suite whose files need this much CPU cannot end sooner than half of it.
    // The test process's own part (tap, the TypeScript loader, runs driven in its own heap,
    // checks) beside the whole: the rest is the engines, workers, CLIs and gits it started.
    console.log(`\nmost CPU (${Math.min(SHOW, accounts.length)} of ${accounts.length}; ${(cpu / 1000).toFixed(1)} s of CPU in all test files, with every process they started, sandboxed ones too, ${(own / 1000).toFixed(1)} s of it in the test processes themselves; ${os.cpus().length} cores):`);
    for (const a of accounts.slice(0, SHOW)) console.log(`  ${(a.cpu_ms / 1000).toFixed(1).padStart(7)} s  ${(100 * a.cpu_ms / cpu).toFixed(0).padStart(3)} %  (own ${(a.own_ms / 1000).toFixed(1).padStart(5)} s)  ${labelOf(path.relative(root, a.file))}`);
  }
}
process.exitCode = r.status ?? 1;
