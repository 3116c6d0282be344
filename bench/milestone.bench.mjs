#!/usr/bin/env node
// What a milestone costs the engine: full `engine run`s of the default pipeline with instant
// fake `command` workers (bench/fixtures/instant-agent.sh, a shell script of about 2 ms; a plan of N milestones, each
// writing one file), N = 2 / 10 / 50 / 200. For each N:
//   - counted once under `strace -f` (the counts do not vary run to run): git processes
//     (successful execve of git), fsync + fdatasync calls, split by the program that made them;
//   - measured without tracing, median of BENCH_REPEAT (5) runs: CPU time of the whole process
//     tree (user + sys of the engine and everything it waited for, from /usr/bin/time) minus
//     the fake workers' own CPU (each worker reports it), wall time, peak RSS (the largest
//     single process of the tree: the engine), and the tree's minor page faults minus the
//     workers' (counted by the kernel, so steadier than CPU when the machine's speed drifts).
// Per milestone and fixed per run come from a least-squares line over N (weighted 1/N²); the growth is the
// slope from 50 to 200 against the slope from 10 to 50 (0 % = flat). Beside every figure: the
// machine's baseline, a bare `node -e 0` (CPU, wall, RSS, page faults), measured in between
// the runs; what one page fault costs here (the first touch of fresh memory, timed); and the
// floor of a milestone: the same children and git commands started from a shell
// (fixtures/milestone-floor.sh), what a milestone would cost if the engine cost nothing.
//
// The growth is taken round by round: the sizes take turns (2, 10, 50, 200, 2, 10, …), each
// round's own 10, 50 and 200 give that round's growth, and the median of the rounds' is the
// figure (the machine's speed drifts by more than 10 % over minutes: the medians of sizes
// measured minutes apart mixed that drift into the growth).
//
// Default (`npm run bench`, a few minutes once a milestone is cheap): N = 2 and 10 five times
// each, 50 and 200 three times; traced at 2 and 10. BENCH_FULL=1: every size five times and traced.
// BENCH_MILESTONES=2,10 picks the sizes, BENCH_REPEAT the repeats; BENCH_REPO_FILES (5000; 0: none) the
// files of the repo a run of 2 and 12 milestones is measured in again (a real project's size).
// Writes bench/results/milestone.json. Runs alone (`node bench/milestone.bench.mjs`).
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childEnv } from './fixtures/child-env.mjs';
import { engineArgs, makeFixture } from './fixtures/instant-run.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const agent = path.join(here, 'fixtures', 'instant-agent.sh');
const FULL = process.env.BENCH_FULL === '1';
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const SIZES = (process.env.BENCH_MILESTONES ?? '2,10,50,200').split(',').map(Number);
/** Sizes measured in fewer rounds by default (the rest: REPEAT times). */
const FEWER = FULL ? new Set() : new Set([50, 200]);
const FEWER_ROUNDS = 3;
/** The files a steady workspace's milestones take turns at (measure's `workspaceFiles`). */
const STEADY_FILES = 5;
/** Files of the large repo (BENCH_REPO_FILES; 0: not measured), its larger run's milestones and its rounds. */
const REPO_FILES = Number(process.env.BENCH_REPO_FILES ?? 5000);
const LARGE_N = 12;
const LARGE_ROUNDS = Math.min(3, REPEAT);
/** Sizes left out of the strace pass by default (tracing doubles the run time). */
const UNTRACED = FULL ? new Set() : new Set([50, 200]);
const hasStrace = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
const hasTime = existsSync('/usr/bin/time');
// Under the OS sandbox a worker's CPU goes to whoever reaps bubblewrap's init after bwrap has
// exited: the machine's init, unless the measuring process is a child subreaper. So the tree is
// measured through fixtures/reap-time.py when python3 is there (else /usr/bin/time, which then
// leaves the sandboxed workers and commands out of the tree and the engine's figure too low).
const reaper = path.join(here, 'fixtures', 'reap-time.py');
// Python's own path, not a launcher's (pyenv's shim is a shell script that runs helpers first:
// about 130 ms of wall time in every measurement).
const python = process.platform === 'linux' ? spawnSync('python3', ['-c', 'import ctypes, os, sys; os.waitstatus_to_exitcode; print(sys.executable)'], { encoding: 'utf8' }) : null;
const hasReaper = python?.status === 0 && python.stdout.trim() !== '';
const pythonBin = hasReaper ? python.stdout.trim() : null;
/** Whether `timed` can measure here (the reaper or /usr/bin/time). */
export const canTime = hasReaper || hasTime;

// compare.mjs takes the fixtures and the environment from here.
export { childEnv, engineArgs, makeFixture };

/**
 * The workers' calls in one run and their CPU: each logged call at its phase's measured cost
 * (`calibrateWorker`; explore, plan, implement and review differ, the plan with N).
 */
export function workerTotals(f, cost = workerCost(f.n)) {
  if (!existsSync(f.workerLog)) return { calls: 0, cpu_ms: 0, faults: 0 };
  const lines = readFileSync(f.workerLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const sum = (key) => lines.reduce((s, l) => s + (cost[l.phase] ?? cost.other)[key], 0);
  return { calls: lines.length, cpu_ms: sum('cpu_ms'), faults: sum('faults') };
}

const costs = new Map();
/** The fake worker's CPU ms and page faults per phase for a plan of n milestones, measured once per n. */
export function workerCost(n) {
  if (!costs.has(n)) costs.set(n, calibrateWorker(n));
  return costs.get(n);
}

/**
 * The fake worker's own cost, phase by phase: the script run alone under the same meter as the
 * engine (the reaper or /usr/bin/time), on a prompt of that phase, in a scratch repo dir; the
 * median of 9 runs each. What the engine pays around a call (its sandbox, its records) stays
 * the engine's.
 */
export function calibrateWorker(n, runs = 9) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-bench-worker-'));
  try {
    const cost = {};
    for (const phase of ['explore', 'plan', 'implement', 'review']) {
      const samples = [];
      for (let i = 0; i < runs; i++) {
        const input = `engine-phase: ${phase}\nengine-contract: 1\nengine-step: s\nengine-milestone: ${i + 1}\nengine-attempt: 1\n`;
        const r = timed('/bin/sh', [agent], { cwd: dir, input, env: childEnv({ BENCH_MILESTONES: String(n) }) });
        if (r.status !== 0) throw new Error(`bench: the fake worker failed (${phase}): ${r.stderr}`);
        samples.push(r);
      }
      cost[phase] = { cpu_ms: median(samples.map((r) => r.cpu_ms)), faults: median(samples.map((r) => r.faults)) };
    }
    const phases = Object.values(cost);
    cost.other = { cpu_ms: Math.max(...phases.map((c) => c.cpu_ms)), faults: Math.max(...phases.map((c) => c.faults)) };
    return cost;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One command under the reaper (or /usr/bin/time): wall ms, CPU ms of it and its descendants, peak RSS KiB, their minor page faults. */
export function timed(cmd, args, opts) {
  const out = path.join(os.tmpdir(), `engine-bench-time-${process.pid}`);
  const started = performance.now();
  const argv = hasReaper ? [pythonBin, [reaper, out, cmd, ...args]] : ['/usr/bin/time', ['-o', out, '-f', '%U %S %M %R', cmd, ...args]];
  const r = spawnSync(argv[0], argv[1], { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall = performance.now() - started;
  const [user, sys, rss, faults] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(/\s+/).map(Number);
  rmSync(out, { force: true });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, wall_ms: wall, cpu_ms: (user + sys) * 1000, rss_kb: rss, faults };
}

/** How often a sampled run's CPU is read (ms): a tenth of a milestone's wall or less. */
const SAMPLE_MS = 20;

/**
 * `timed`, for a run whose CPU is also read as it goes (Linux, under the reaper only): every
 * SAMPLE_MS, the CPU its tree has used so far (the engine's own and that of the children it has
 * waited for, from /proc/<pid>/stat, and that of the orphans the reaper has reaped: bubblewrap's
 * inits) beside how many `milestone.finished` its timeline holds. Each milestone's first
 * sample goes to `samples`: { milestone, cpu_ms, faults }. A process still running when read (a worker
 * just started) is counted at its end, one sample later: a few ms at each end of a span of
 * dozens of milestones. `runsDir`: the run store, where the run's timeline will appear.
 */
export async function timedSampled(cmd, args, opts, runsDir) {
  const out = path.join(os.tmpdir(), `engine-bench-time-${process.pid}`);
  const started = performance.now();
  const child = spawn(pythonBin, [reaper, out, cmd, ...args], { ...opts, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const samples = [];
  let enginePid = null;
  let timeline = null;
  let offset = 0;
  let finished = 0;
  let rest = '';
  let status = null;
  const ended = new Promise((resolve) => child.on('close', (code) => resolve((status = code ?? 1))));
  while (status === null) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    enginePid ??= readChildPid(child.pid);
    timeline ??= findTimeline(runsDir);
    if (enginePid === null || timeline === null) continue;
    const text = readFrom(timeline, offset);
    offset += Buffer.byteLength(text);
    const lines = (rest + text).split('\n');
    rest = lines.pop();
    const now = finished + lines.filter((l) => l.includes('"type":"milestone.finished"')).length;
    if (now === finished) continue;
    const used = treeUsage(child.pid, enginePid);
    if (used === null) continue;
    for (let k = finished + 1; k <= now; k++) samples.push({ milestone: k, ...used });
    finished = now;
  }
  await ended;
  const wall = performance.now() - started;
  const [user, sys, rss, faults] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(/\s+/).map(Number);
  rmSync(out, { force: true });
  return { status, stderr, wall_ms: wall, cpu_ms: (user + sys) * 1000, rss_kb: rss, faults, samples };
}

/** The first child of a process, or null (/proc/<pid>/task/<pid>/children). */
function readChildPid(pid) {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : null;
  } catch {
    return null;
  }
}

/** The one run's timeline under a run store, once it exists. */
function findTimeline(runsDir) {
  try {
    const id = readdirSync(runsDir, { withFileTypes: true }).find((d) => d.isDirectory())?.name;
    const file = id ? path.join(runsDir, id, 'timeline.jsonl') : null;
    return file && existsSync(file) ? file : null;
  } catch {
    return null;
  }
}

/** What a file holds past `offset` (bytes), as text. */
function readFrom(file, offset) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const TICK_MS = 1000 / 100;
/**
 * What a reaper's tree has used so far, { cpu_ms, faults }: CPU and minor page faults, the
 * engine's own (every thread) and its waited-for children's, and the reaper's waited-for
 * children's (the engine is not one until it exits). null once the engine is gone.
 */
function treeUsage(reaperPid, enginePid) {
  const stat = (pid) => {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  };
  try {
    const e = stat(enginePid);
    const r = stat(reaperPid);
    // After the command's name: state is field 3, minflt 10, cminflt 11, utime 14, stime 15, cutime 16, cstime 17.
    return { cpu_ms: (e[11] + e[12] + e[13] + e[14] + r[13] + r[14]) * TICK_MS, faults: e[7] + e[8] + r[8] };
  } catch {
    return null;
  }
}

/**
 * The growth inside one run: its CPU per milestone from milestone 50 to its last (200) against
 * from 10 to 50, each less the workers' share per milestone, less one (0 = flat). Unlike the
 * rounds of separate runs, both slopes come from the same minutes of the same process, so the
 * machine's drift between runs stays out of it. `samples`: { milestone, cpu_ms, faults } in
 * order; `key` the figure read (`faults`: the page faults, counted by the kernel, so steadier
 * than CPU when the machine's speed drifts). Pure.
 */
export function growthInRun(samples, workerPerMilestone, key = 'cpu_ms') {
  const at = (k) => samples.find((s) => s.milestone === k)?.[key];
  const last = samples.at(-1);
  if (!last || last.milestone <= 50 || at(10) === undefined || at(50) === undefined) return null;
  const s1 = (at(50) - at(10)) / 40 - workerPerMilestone;
  const s2 = (last[key] - at(50)) / (last.milestone - 50) - workerPerMilestone;
  return s1 > 0 ? s2 / s1 - 1 : null;
}

/**
 * What one minor page fault costs this machine, in µs: a fresh node process touches each page
 * of 64 MiB it has just allocated (the first touch of each faults, and the kernel zeroes it),
 * timed, divided by the faults the kernel counted meanwhile; the median of three. On a
 * virtual machine this can be ten times a bare one's, and every process start, fork and fresh
 * heap page pays it: it is why the same counts cost more CPU in one hour than another.
 */
export function faultCostUs() {
  const probe = `const n = 64 << 20, b = Buffer.allocUnsafeSlow(n), f0 = process.resourceUsage().minorPageFault, t0 = process.hrtime.bigint();
for (let i = 0; i < n; i += 4096) b[i] = 1;
const us = Number(process.hrtime.bigint() - t0) / 1000, f = process.resourceUsage().minorPageFault - f0;
process.stdout.write(String(f > 0 ? us / f : 0));`;
  const samples = [0, 1, 2].map(() => Number(execFileSync(process.execPath, ['-e', probe], { env: childEnv(), encoding: 'utf8' })));
  return median(samples);
}

function baseline() {
  return timed(process.execPath, ['-e', '0'], { env: childEnv() });
}

const floorScript = path.join(here, 'fixtures', 'milestone-floor.sh');
/** Milestones per floor measurement. */
const FLOOR_MILESTONES = 10;
let bwrapRuns = null;
/** Whether the engine's `auto` sandbox is bubblewrap here: it is when bwrap runs (asked once, when a floor is first measured). */
function bwrapWorks() {
  bwrapRuns ??= spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-pid', '--', '/bin/true'], { stdio: 'ignore' }).status === 0;
  return bwrapRuns;
}

/**
 * The second baseline: CPU ms per milestone of the processes a milestone needs (three
 * children, sandboxed as the run's are, and the engine's four git commands) started from a
 * small shell with no engine around them (fixtures/milestone-floor.sh), in a repo like the
 * run's. What the engine costs above it is its own doing.
 */
function floor(sandbox) {
  const f = makeFixture(2, sandbox);
  try {
    const sandboxed = sandbox === 'off' ? '0' : sandbox === 'auto' ? (bwrapWorks() ? '1' : '0') : '1';
    const r = timed('/bin/sh', [floorScript, f.repo, String(FLOOR_MILESTONES), sandboxed], { env: childEnv() });
    if (r.status !== 0) throw new Error(`bench: the floor script failed: ${r.stderr}`);
    return r.cpu_ms / FLOOR_MILESTONES;
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
}

/** Whether a run's CPU can be read as it goes (`timedSampled`): the reaper, and /proc's list of a process's children. */
export const canSample = hasReaper && existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

/**
 * One measured run of N milestones (untraced), in a repo with `files` more files. A run of
 * more than 50 milestones is also read as it goes, for its growth inside the run
 * (`in_run_growth`, `in_run_fault_growth`). Each milestone writes a file of its own, so the
 * workspace grows with the run; with `workspaceFiles` (K) they take turns at K files, and
 * what grows is the run's history alone.
 */
async function measure(n, sandbox, files = 0, workspaceFiles = 0) {
  const f = makeFixture(n, sandbox, files, workspaceFiles);
  try {
    const base = baseline();
    const sampled = n > 50 && canSample;
    const opts = { cwd: f.dir, env: childEnv() };
    const r = sampled ? await timedSampled(process.execPath, engineArgs(f), opts, path.join(f.repo, '.engine', 'runs')) : timed(process.execPath, engineArgs(f), opts);
    if (r.status !== 0) throw new Error(`engine run (N=${n}) exited ${r.status}: ${r.stderr.slice(-2000)}`);
    const w = workerTotals(f);
    const cost = workerCost(n);
    const inRun = sampled ? growthInRun(r.samples, cost.implement.cpu_ms + cost.review.cpu_ms) : null;
    const inRunFaults = sampled ? growthInRun(r.samples, cost.implement.faults + cost.review.faults, 'faults') : null;
    const floorMs = floor(sandbox ?? process.env.BENCH_SANDBOX ?? 'auto');
    return { wall_ms: r.wall_ms, cpu_tree_ms: r.cpu_ms, worker_cpu_ms: w.cpu_ms, worker_calls: w.calls, cpu_ms: r.cpu_ms - w.cpu_ms, rss_mib: r.rss_kb / 1024, faults: r.faults - w.faults, base_cpu_ms: base.cpu_ms, base_wall_ms: base.wall_ms, base_rss_mib: base.rss_kb / 1024, base_faults: base.faults, floor_ms: floorMs, in_run_growth: inRun, in_run_fault_growth: inRunFaults };
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
}

/** One run of N milestones under strace: git processes and fsyncs, by program. */
function count(n) {
  const f = makeFixture(n);
  const trace = path.join(f.dir, 'strace.out');
  try {
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'signal=none', '-e', 'trace=execve,fsync,fdatasync,clone,clone3,fork,vfork', '-o', trace, process.execPath, ...engineArgs(f)], { cwd: f.dir, env: childEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`engine run under strace (N=${n}) exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return parseTrace(readFileSync(trace, 'utf8'), process.pid);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
}

/**
 * Counts from `strace -f -o` text: successful execve per program, fsync/fdatasync per program
 * (the program a pid last exec'd; the first pid is the engine), and the processes the engine
 * forked (`engine_forks`: node's spawn copies the whole engine, its page tables and every page
 * it writes after, then the copy is torn down by the child's exec; a thread is no fork). Pure.
 */
export function parseTrace(text) {
  const program = new Map();
  const pendingExec = new Map();
  const execs = {};
  const fsyncs = {};
  let first = null;
  let forks = 0;
  const nameOf = (file) => {
    const base = path.basename(file);
    return base === path.basename(process.execPath) ? 'node' : base;
  };
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = m[1];
    const rest = m[2];
    first ??= pid;
    let call = rest;
    // Its flags are on the first line of a call strace split in two: counted there.
    if (pid === first && isFork(rest)) forks++;
    if (rest.startsWith('<... ')) {
      const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
      if (!resumed) continue;
      if (resumed[1] === 'execve') {
        const file = pendingExec.get(pid);
        pendingExec.delete(pid);
        if (file && /= 0\s*$/.test(resumed[2])) {
          program.set(pid, nameOf(file));
          execs[nameOf(file)] = (execs[nameOf(file)] ?? 0) + 1;
        }
        continue;
      }
      call = `${resumed[1]}(${resumed[2]}`;
    }
    const exec = /^execve\("([^"]*)"/.exec(call);
    if (exec) {
      if (call.includes('<unfinished ...>')) pendingExec.set(pid, exec[1]);
      else if (/= 0\s*$/.test(call)) {
        program.set(pid, nameOf(exec[1]));
        execs[nameOf(exec[1])] = (execs[nameOf(exec[1])] ?? 0) + 1;
      }
      continue;
    }
    if (/^(fsync|fdatasync)\(/.test(call) && !call.includes('<unfinished ...>')) {
      const who = pid === first ? 'engine' : (program.get(pid) ?? 'engine-thread');
      fsyncs[who] = (fsyncs[who] ?? 0) + 1;
    }
  }
  // Threads of the engine (libuv's pool does fs work) never exec: they are the engine.
  if (fsyncs['engine-thread']) {
    fsyncs.engine = (fsyncs.engine ?? 0) + fsyncs['engine-thread'];
    delete fsyncs['engine-thread'];
  }
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  // The engine itself is the first node exec; workers are the other node processes.
  return { git_processes: execs.git ?? 0, execs, fsyncs: sum(fsyncs), fsyncs_by: fsyncs, engine_forks: forks };
}

/** A call that makes a process, not a thread, as strace prints it (whole, or the first line of a split one). Pure. */
export function isFork(call) {
  if (!/^(clone|clone3|fork|vfork)\(/.test(call) || call.includes('CLONE_THREAD')) return false;
  return call.includes('<unfinished ...>') || !/= -1 /.test(call);
}

/**
 * Least-squares line y = fixed + per · n over the points, each weighted by 1/n² (the noise of
 * a run's figure grows with its size, so the small runs pin the fixed part). Pure.
 */
export function fitLine(points) {
  const w = points.map((p) => 1 / Math.max(p.n, 1) ** 2);
  const sw = w.reduce((a, b) => a + b, 0);
  const mx = points.reduce((s, p, i) => s + w[i] * p.n, 0) / sw;
  const my = points.reduce((s, p, i) => s + w[i] * p.y, 0) / sw;
  const sxx = points.reduce((s, p, i) => s + w[i] * (p.n - mx) ** 2, 0);
  const per = sxx === 0 ? 0 : points.reduce((s, p, i) => s + w[i] * (p.n - mx) * (p.y - my), 0) / sxx;
  return { per, fixed: my - per * mx };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/**
 * The growth of each round that measured 10, 50 and 200 milestones: its slope 50 → 200
 * against its slope 10 → 50, less one (0 = flat). `measured`: the samples of each size in
 * round order. Pure.
 */
export function growthByRound(measured) {
  const [a, b, c] = [10, 50, 200].map((n) => measured.get(n) ?? []);
  const out = [];
  for (let r = 0; r < Math.min(a.length, b.length, c.length); r++) {
    const s1 = (b[r].cpu_ms - a[r].cpu_ms) / 40;
    const s2 = (c[r].cpu_ms - b[r].cpu_ms) / 150;
    if (s1 > 0) out.push(s2 / s1 - 1);
  }
  return out;
}

/** Slope between two sizes of a figure (per added milestone). */
function slope(rows, key, a, b) {
  const ra = rows.find((r) => r.n === a);
  const rb = rows.find((r) => r.n === b);
  return ra && rb && ra[key] !== null && rb[key] !== null ? (rb[key] - ra[key]) / (b - a) : null;
}

export async function runMilestoneBench({ print = true } = {}) {
  if (!hasTime && !hasReaper) throw new Error('the milestone bench needs python3 (Linux) or /usr/bin/time');
  const rows = [];
  // The sizes take turns, round by round (2, 10, 50, 200, 2, 10, …): the machine's speed drifts
  // over minutes, and the growth compares sizes, so each size must see the same machine.
  const timesOf = (n) => (FEWER.has(n) ? Math.min(FEWER_ROUNDS, REPEAT) : REPEAT);
  const measured = new Map(SIZES.map((n) => [n, []]));
  // Each round's run of 200 again with a workspace that keeps its size (milestones take
  // turns at five files): what grows with the run's history alone, apart from its workspace.
  const steady = [];
  for (let round = 0; round < Math.max(...SIZES.map(timesOf)); round++) {
    for (const n of SIZES) if (round < timesOf(n)) measured.get(n).push(await measure(n));
    if (SIZES.includes(200) && round < timesOf(200) && canSample) steady.push(await measure(200, undefined, 0, STEADY_FILES));
  }
  for (const n of SIZES) {
    const times = timesOf(n);
    const samples = measured.get(n);
    const counted = hasStrace && !UNTRACED.has(n) ? count(n) : null;
    const pick = (k) => median(samples.map((s) => s[k]));
    rows.push({
      n,
      runs: times,
      cpu_ms: pick('cpu_ms'),
      cpu_tree_ms: pick('cpu_tree_ms'),
      worker_cpu_ms: pick('worker_cpu_ms'),
      worker_calls: samples[0].worker_calls,
      wall_ms: pick('wall_ms'),
      rss_mib: pick('rss_mib'),
      faults: pick('faults'),
      git_processes: counted?.git_processes ?? null,
      fsyncs: counted?.fsyncs ?? null,
      engine_forks: counted?.engine_forks ?? null,
      fsyncs_by: counted?.fsyncs_by ?? null,
      execs: counted?.execs ?? null,
      baseline: { cpu_ms: pick('base_cpu_ms'), wall_ms: pick('base_wall_ms'), rss_mib: pick('base_rss_mib'), faults: pick('base_faults'), floor_ms: pick('floor_ms') },
      samples,
    });
    if (print) console.error(`milestone bench: N=${n} done (${times} run${times === 1 ? '' : 's'}${counted ? ', traced' : ''})`);
  }
  // The same at 2 and 10 milestones with the OS sandbox off: what bubblewrap itself costs (a
  // supervisor without a sandbox does not pay it), shown apart.
  const offRows = [];
  if (!process.env.BENCH_SANDBOX) {
    for (const n of SIZES.filter((x) => x <= 10)) {
      const samples = [];
      for (let i = 0; i < REPEAT; i++) samples.push(await measure(n, 'off'));
      offRows.push({ n, runs: REPEAT, cpu_ms: median(samples.map((x) => x.cpu_ms)), wall_ms: median(samples.map((x) => x.wall_ms)), rss_mib: median(samples.map((x) => x.rss_mib)), samples });
      if (print) console.error(`milestone bench: N=${n} without the OS sandbox done (${REPEAT} runs)`);
    }
  }
  const offFit = offRows.length >= 2 ? fitLine(offRows.map((r) => ({ n: r.n, y: r.cpu_ms }))) : null;
  // The same in a repo of REPO_FILES files (a real project's size, where a snapshot stats every
  // file): 2 and LARGE_N milestones, taking turns, LARGE_ROUNDS each.
  const largeRows = [];
  if (REPO_FILES > 0) {
    const samples = new Map([[2, []], [LARGE_N, []]]);
    for (let round = 0; round < LARGE_ROUNDS; round++) for (const n of samples.keys()) samples.get(n).push(await measure(n, undefined, REPO_FILES));
    for (const [n, xs] of samples) largeRows.push({ n, runs: xs.length, cpu_ms: median(xs.map((x) => x.cpu_ms)), wall_ms: median(xs.map((x) => x.wall_ms)), rss_mib: median(xs.map((x) => x.rss_mib)), samples: xs });
    if (print) console.error(`milestone bench: N=2, ${LARGE_N} in a repo of ${REPO_FILES} files done (${LARGE_ROUNDS} runs each)`);
  }
  const largeFit = largeRows.length >= 2 ? fitLine(largeRows.map((r) => ({ n: r.n, y: r.cpu_ms }))) : null;
  const fit = (key) => {
    const pts = rows.filter((r) => r[key] !== null).map((r) => ({ n: r.n, y: r[key] }));
    return pts.length >= 2 ? fitLine(pts) : null;
  };
  const figures = {};
  for (const key of ['cpu_ms', 'wall_ms', 'git_processes', 'fsyncs', 'engine_forks', 'rss_mib', 'faults']) figures[key] = fit(key);
  const s1 = slope(rows, 'cpu_ms', 10, 50);
  const s2 = slope(rows, 'cpu_ms', 50, 200);
  const rounds = growthByRound(measured);
  const growth = rounds.length ? median(rounds) : s1 && s2 !== null ? s2 / s1 - 1 : null;
  const inRunOf = (xs, key) => xs.map((x) => x[key]).filter((g) => typeof g === 'number');
  const inRun = inRunOf([...measured.values()].flat(), 'in_run_growth');
  const inRunFaults = inRunOf([...measured.values()].flat(), 'in_run_fault_growth');
  const steadyCpu = inRunOf(steady, 'in_run_growth');
  const steadyFaults = inRunOf(steady, 'in_run_fault_growth');
  const base = { cpu_ms: median(rows.map((r) => r.baseline.cpu_ms)), wall_ms: median(rows.map((r) => r.baseline.wall_ms)), rss_mib: median(rows.map((r) => r.baseline.rss_mib)), faults: median(rows.map((r) => r.baseline.faults)), fault_us: faultCostUs(), floor_ms: median(rows.map((r) => r.baseline.floor_ms)) };
  const rss200 = rows.find((r) => r.n === 200)?.rss_mib ?? null;
  const summary = {
    per_milestone: { cpu_ms: figures.cpu_ms?.per ?? null, wall_ms: figures.wall_ms?.per ?? null, git_processes: figures.git_processes?.per ?? null, fsyncs: figures.fsyncs?.per ?? null, engine_forks: figures.engine_forks?.per ?? null, faults: figures.faults?.per ?? null },
    per_run: { cpu_ms: figures.cpu_ms?.fixed ?? null, wall_ms: figures.wall_ms?.fixed ?? null, git_processes: figures.git_processes?.fixed ?? null, fsyncs: figures.fsyncs?.fixed ?? null, engine_forks: figures.engine_forks?.fixed ?? null, faults: figures.faults?.fixed ?? null },
    cpu_slope_ms: { '10-50': s1, '50-200': s2 },
    cpu_growth: growth,
    cpu_growth_by_round: rounds,
    cpu_growth_in_run: inRun.length ? median(inRun) : null,
    cpu_growth_in_run_by_run: inRun,
    faults_growth_in_run: inRunFaults.length ? median(inRunFaults) : null,
    faults_growth_in_run_by_run: inRunFaults,
    // The same with a workspace of STEADY_FILES files all along: the run's history alone.
    steady_workspace: steady.length ? { files: STEADY_FILES, cpu_growth_in_run: steadyCpu.length ? median(steadyCpu) : null, cpu_growth_in_run_by_run: steadyCpu, faults_growth_in_run: steadyFaults.length ? median(steadyFaults) : null, faults_growth_in_run_by_run: steadyFaults } : null,
    peak_rss_mib_200: rss200,
    baseline: base,
    large_repo: largeFit ? { files: REPO_FILES, per_milestone_cpu_ms: largeFit.per, per_run_cpu_ms: largeFit.fixed, per_file_us: figures.cpu_ms ? ((largeFit.per - figures.cpu_ms.per) / REPO_FILES) * 1000 : null, rows: largeRows.map(({ samples, ...r }) => r) } : null,
    sandbox_off: offFit ? { per_milestone_cpu_ms: offFit.per, per_run_cpu_ms: offFit.fixed, floor_ms: median(offRows.flatMap((r) => r.samples.map((x) => x.floor_ms))), rows: offRows.map(({ samples, ...r }) => r) } : null,
  };
  const targets = { per_milestone: { cpu_ms: 40, git_processes: 6, fsyncs: 8 }, per_run: { cpu_ms: 250, git_processes: 12, fsyncs: 16 }, cpu_growth: 0.1, peak_rss_mib_200: 90 };
  if (print) printTables(rows, summary, targets);
  await writeResults({ rows, offRows, largeRows, summary, targets });
  return { rows, summary, targets };
}

function printTables(rows, summary, targets) {
  const f = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : '-');
  const table = (cells) => {
    const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => String(row[i]).length)));
    for (const row of cells) console.log(row.map((c, i) => String(c).padEnd(widths[i])).join('  '));
  };
  console.log('\nmilestone bench: one `engine run` of N milestones (instant command workers)');
  table([
    ['N', 'runs', 'CPU ms (engine)', 'CPU ms (tree)', 'CPU ms (workers)', 'calls', 'wall ms', 'peak RSS MiB', 'page faults (tree − workers)', 'git procs', 'fsyncs', 'node -e 0: CPU / wall ms, RSS MiB, faults', 'floor CPU ms per milestone'],
    ...rows.map((r) => [r.n, r.runs, f(r.cpu_ms), f(r.cpu_tree_ms), f(r.worker_cpu_ms), r.worker_calls, f(r.wall_ms), f(r.rss_mib), f(r.faults, 0), r.git_processes ?? '-', r.fsyncs ?? '-', `${f(r.baseline.cpu_ms)} / ${f(r.baseline.wall_ms)}, ${f(r.baseline.rss_mib)}, ${f(r.baseline.faults, 0)}`, f(r.baseline.floor_ms)]),
  ]);
  const s = summary;
  console.log('');
  table([
    ['figure', 'per milestone', 'fixed per run', 'target (milestone / run)'],
    ['CPU ms (tree minus workers)', f(s.per_milestone.cpu_ms), f(s.per_run.cpu_ms), `${targets.per_milestone.cpu_ms} / ${targets.per_run.cpu_ms}`],
    ['wall ms', f(s.per_milestone.wall_ms), f(s.per_run.wall_ms), '-'],
    ['git processes', f(s.per_milestone.git_processes), f(s.per_run.git_processes), `${targets.per_milestone.git_processes} / ${targets.per_run.git_processes}`],
    ['fsyncs', f(s.per_milestone.fsyncs), f(s.per_run.fsyncs), `${targets.per_milestone.fsyncs} / ${targets.per_run.fsyncs}`],
    ['processes the engine forks (node\'s spawn)', f(s.per_milestone.engine_forks), f(s.per_run.engine_forks), '-'],
    ['page faults (tree minus workers)', f(s.per_milestone.faults, 0), f(s.per_run.faults, 0), '-'],
  ]);
  const faultMs = (n) => (typeof n === 'number' ? f((n * s.baseline.fault_us) / 1000) : '-');
  console.log(`a page fault costs ${f(s.baseline.fault_us, 2)} µs here (the first touch of fresh memory): the faults alone are about ${faultMs(s.per_milestone.faults)} ms of CPU per milestone and ${faultMs(s.per_run.faults)} per run; node -e 0 takes ${f(s.baseline.faults, 0)} of them`);
  console.log(`floor of a milestone (its three sandboxed children and four git commands started from a shell, fixtures/milestone-floor.sh): ${f(s.baseline.floor_ms)} ms of CPU; the engine above it: ${s.per_milestone.cpu_ms === null ? '-' : f(s.per_milestone.cpu_ms - s.baseline.floor_ms)} ms per milestone`);
  const pct = (g) => `${g >= 0 ? '+' : ''}${(g * 100).toFixed(0)} %`;
  const byRound = s.cpu_growth_by_round.length ? `, the median of the rounds' ${s.cpu_growth_by_round.map(pct).join(', ')}` : '';
  console.log(`CPU slope per milestone 10→50: ${f(s.cpu_slope_ms['10-50'])} ms, 50→200: ${f(s.cpu_slope_ms['50-200'])} ms (medians); growth ${s.cpu_growth === null ? '-' : pct(s.cpu_growth)}${byRound} (target within ±${targets.cpu_growth * 100} %)`);
  if (s.cpu_growth_in_run !== null) console.log(`growth inside each run of more than 50 milestones (its CPU read at each milestone.finished, milestones 50→last against 10→50, the workers' share taken off): ${pct(s.cpu_growth_in_run)}, the median of ${s.cpu_growth_in_run_by_run.map(pct).join(', ')}`);
  if (s.faults_growth_in_run != null) console.log(`  its page faults (counted): ${pct(s.faults_growth_in_run)}, the median of ${s.faults_growth_in_run_by_run.map(pct).join(', ')}`);
  const st = s.steady_workspace;
  if (st?.cpu_growth_in_run != null) console.log(`  the same runs with a workspace that keeps its size (${st.files} files, written in turn): CPU ${pct(st.cpu_growth_in_run)} (${st.cpu_growth_in_run_by_run.map(pct).join(', ')}), page faults ${st.faults_growth_in_run == null ? '-' : pct(st.faults_growth_in_run)} (${st.faults_growth_in_run_by_run.map(pct).join(', ')})`);
  if (s.sandbox_off) console.log(`without the OS sandbox (N=${s.sandbox_off.rows.map((r) => r.n).join(', ')}): CPU ms per milestone ${f(s.sandbox_off.per_milestone_cpu_ms)} (its floor ${f(s.sandbox_off.floor_ms)}), fixed per run ${f(s.sandbox_off.per_run_cpu_ms)} (the difference is bubblewrap's own cost)`);
  if (s.large_repo) console.log(`in a repo of ${s.large_repo.files} files (N=${s.large_repo.rows.map((r) => r.n).join(', ')}): CPU ms per milestone ${f(s.large_repo.per_milestone_cpu_ms)}, fixed per run ${f(s.large_repo.per_run_cpu_ms)}; each file adds ${f(s.large_repo.per_file_us, 2)} µs to a milestone`);
  console.log(`peak RSS at 200 milestones: ${f(s.peak_rss_mib_200)} MiB (target ≤ ${targets.peak_rss_mib_200}); baseline node -e 0: CPU ${f(s.baseline.cpu_ms)} ms, wall ${f(s.baseline.wall_ms)} ms, RSS ${f(s.baseline.rss_mib)} MiB`);
  const by = rows.filter((r) => r.fsyncs_by).at(-1);
  if (by) console.log(`fsyncs at N=${by.n} by program: ${JSON.stringify(by.fsyncs_by)}; processes started: ${JSON.stringify(by.execs)}`);
}

async function writeResults(result) {
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  })();
  const env = { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, loadavg: os.loadavg() };
  writeFileSync(path.join(dir, 'milestone.json'), `${JSON.stringify({ date: new Date().toISOString(), commit, env, full: FULL, cpu_of_tree: hasReaper ? 'reap-time.py (child subreaper)' : '/usr/bin/time', ...result }, null, 2)}\n`);
}

export default {
  name: 'milestone (CPU ms per milestone)',
  target_ms: 40,
  async run() {
    const { rows, summary } = await runMilestoneBench();
    return {
      median_ms: summary.per_milestone.cpu_ms,
      runs: rows.reduce((s, r) => s + r.runs, 0),
      samples_ms: [summary.per_milestone.cpu_ms],
      node_baseline_ms: summary.baseline.cpu_ms,
      engine_overhead_ms: summary.per_milestone.cpu_ms,
      summary,
    };
  },
};

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) await runMilestoneBench();
