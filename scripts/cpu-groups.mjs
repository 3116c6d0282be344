// CPU time of each test file with everything it started, sandboxed processes included. Time
// as a parent process measures it (getrusage, /usr/bin/time) misses a sandboxed worker: its
// bubblewrap init is reaped by the machine's init, not by the test. A control group counts
// every process that ever ran in it, wherever it was reaped: `npm test` makes one per run when
// it may (root, and a cgroup v1 `cpuacct` or a hybrid machine's v2 hierarchy), and each test
// process moves itself into a group of its own (test/helpers/account-cpu.mjs). Where no group
// can be made, nothing is measured and nothing changes.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The hierarchies tried, and how each reports a group's CPU time in ns. */
const KINDS = [
  { root: '/sys/fs/cgroup/cpuacct', usageNs: (dir) => Number(readFileSync(path.join(dir, 'cpuacct.usage'), 'utf8')) },
  // A hybrid machine's cgroup v2 hierarchy (no resource control of its own). A machine on
  // cgroup v2 alone keeps its limits there: the tests are not moved out of their group.
  { root: '/sys/fs/cgroup/unified', usageNs: v2Usage },
];

function v2Usage(dir) {
  const m = /^usage_usec (\d+)$/m.exec(readFileSync(path.join(dir, 'cpu.stat'), 'utf8'));
  return m ? Number(m[1]) * 1000 : NaN;
}

/** A group for this run of the tests, or null when none can be made here. */
export function openRunGroup(name) {
  for (const kind of KINDS) {
    const dir = path.join(kind.root, name);
    try {
      mkdirSync(dir);
    } catch {
      continue;
    }
    try {
      if (Number.isFinite(kind.usageNs(dir))) return dir;
    } catch {
      /* not a hierarchy that counts CPU */
    }
    removeGroup(dir);
  }
  return null;
}

/**
 * Moves this process into a new group under `runGroup` named for `label`; appends its CPU at
 * exit to `out`: `cpu_ms`, everything the group counted plus what this process had spent
 * before it joined (node, tap and the TypeScript loader start a test process: 0.5 to 1 s of
 * CPU a group alone never saw), and `own_ms`, this process's own part of it (the rest is what
 * it started).
 */
export function accountThisProcess(runGroup, out, label) {
  const kind = KINDS.find((k) => runGroup.startsWith(`${k.root}/`));
  if (!kind) return;
  const dir = path.join(runGroup, `p${process.pid}`);
  try {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
  } catch {
    return;
  }
  const started = Date.now();
  const before = cpuMs(process.cpuUsage());
  process.on('exit', () => {
    try {
      const own = cpuMs(process.cpuUsage());
      appendFileSync(out, `${JSON.stringify({ file: label, cpu_ms: Math.round(kind.usageNs(dir) / 1e6 + before), own_ms: Math.round(own), wall_ms: Date.now() - started })}\n`);
    } catch {
      /* the figure is lost, the test is not */
    }
  });
}

/** User and system time of a `process.cpuUsage()`, in ms. Pure. */
function cpuMs(u) {
  return (u.user + u.system) / 1000;
}

/** The figures the test processes wrote. */
export function readAccounts(out) {
  try {
    return readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

/** Removes a run's group and the empty groups in it (one still holding a process stays). */
export function removeGroup(dir) {
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeGroup(path.join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    /* a process left in it; the machine's next boot clears it */
  }
}
