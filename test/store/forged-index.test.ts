import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { isIndexEntry } from '../../engine/store/check-index-entry.js';
import { loadStoreRuns } from '../../engine/store/index-runs.js';
import { formatIndexLine, parseIndexLine, readRunIndex, recentRunsFromIndex, RUN_INDEX, type RunIndexEntry } from '../../engine/store/run-index.js';

// Without the OS sandbox a worker can append a line to the store's index.jsonl, its sha256
// and all (the hash has no key). A hostile probe appended one whose `repo` was a number and
// `milestones` a string: the run's next `tier: auto` step, its resume, every later run on the
// repo and `engine report` exited 70 until someone deleted the file. Every field of a real
// entry, given each wrong kind of value or removed, must leave the readers standing: the line
// counts as damaged and the run is read from its directory.

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, '..', 'fixtures', 'report-store', 'runs');

/** The paths of every value in `value` (object keys and array positions), depth first. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [at];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => pathsOf((value as Record<string | number, unknown>)[k], [...at, k]))];
}

/** A copy of `value` with the value at `at` replaced (or removed, for `undefined`). */
function withValue(value: unknown, at: (string | number)[], next: unknown): unknown {
  if (at.length === 0) return next;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  const [k, ...rest] = at;
  if (rest.length === 0 && next === undefined) {
    if (Array.isArray(copy)) copy.splice(k as number, 1);
    else delete copy[k!];
  } else copy[k!] = withValue(copy[k!], rest, next);
  return copy;
}

t.test('a forged index line of any shape is a damaged line: run, report and tier0_fast history do not crash', async (t) => {
  const store = mkdtempSync(path.join(os.tmpdir(), 'engine-forged-index-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  cpSync(fixture, store, { recursive: true });
  await loadStoreRuns(store); // writes the index from the runs' directories
  const honest = readFileSync(path.join(store, RUN_INDEX), 'utf8');
  const entries = [...readRunIndex(store).entries.values()];
  t.ok(entries.length >= 3, 'the fixture store is indexed');
  t.ok(entries.every((e) => isIndexEntry(e)), 'every entry the engine writes passes the check');
  // The entry with the most in it: milestones, verification, samples, repeat facts.
  const richest = entries.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
  t.ok(richest.milestones.length > 0 && richest.repeat, 'a run with milestones and repeat facts');

  const wrong = [5, 'x', null, [], {}, undefined, true];
  let tried = 0;
  let refused = 0;
  const crashed: string[] = [];
  for (const at of pathsOf(richest).filter((p) => p.length > 0)) {
    for (const value of wrong) {
      const forged = withValue(richest, at, value) as RunIndexEntry;
      const line = formatIndexLine(forged);
      if (line === formatIndexLine(richest)) continue;
      tried++;
      if (!parseIndexLine(line.trimEnd())) refused++;
      writeFileSync(path.join(store, RUN_INDEX), honest + line);
      const what = `${at.join('.')} = ${JSON.stringify(value)}`;
      try {
        recentRunsFromIndex(store, richest.repo, 'another-run', 5);
        await loadStoreRuns(store);
      } catch (error) {
        crashed.push(`${what}: ${(error as Error).message}`);
        continue;
      }
      if (tried % 25 !== 0) continue;
      // The whole report through the CLI, for a sample of them (each costs a report).
      writeFileSync(path.join(store, RUN_INDEX), honest + line);
      const io = memoryIo();
      const code = await main(['report', '--all', '--store', store, '--json'], io);
      if (code === 70) crashed.push(`${what}: report exited 70: ${io.err.join('')}`);
    }
  }
  t.same(crashed, [], `no reader crashed (${tried} forged lines)`);
  t.ok(refused > tried / 2, `most forged lines are refused as entries (${refused} of ${tried}); the rest are shapes the engine writes too (an optional field removed, an empty list)`);

  // The probe's own line: report, then the index is rewritten without it.
  const probe = { ...richest, run_id: 'forged', dir: 'forged', repo: 5, milestones: 'x' } as unknown as RunIndexEntry;
  writeFileSync(path.join(store, RUN_INDEX), honest + formatIndexLine(probe));
  const io = memoryIo();
  t.equal(await main(['report', '--all', '--store', store], io), 0, io.err.join(''));
  t.notMatch(readFileSync(path.join(store, RUN_INDEX), 'utf8'), /"forged"/, 'the report rewrote the index without the forged line');
});

// The hash is no signature: a line can say what no run measured. A milestone of -5000 s was
// `ok` against every time target and a cost of $-1,000,000 took from every run it was pooled
// with. The engine measures no negative time, count, size or price: such a line is damaged,
// and the run is read from its directory.
t.test('an index line with a negative time, count, size or cost is a damaged line', async (t) => {
  const store = mkdtempSync(path.join(os.tmpdir(), 'engine-forged-index-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  cpSync(fixture, store, { recursive: true });
  await loadStoreRuns(store);
  const entries = [...readRunIndex(store).entries.values()];
  const done = entries.find((e) => e.samples.milestone_ms.length > 0 && e.milestones.some((m) => m.checkpoint))!;
  t.ok(done, 'a run with a finished milestone and a checkpoint');
  const m = done.milestones.findIndex((x) => x.checkpoint);
  const forgeries: [string, unknown][] = [
    ['samples.milestone_ms', [-5_000_000]],
    ['samples.cost_usd', -1_000_000],
    ['samples.worker_calls', -3],
    ['samples.tokens', { input: -10, output: 0 }],
    ['samples.verify_ms', { tier0: [-1] }],
    ['milestones.duration_s', -5000],
    ['milestones.checkpoint.added', -100],
    ['run_verify.duration_s', -1],
  ];
  for (const [at, value] of forgeries) {
    const parts = at.split('.');
    const forged: any = structuredClone(done);
    if (parts[0] === 'milestones') {
      if (parts[1] === 'checkpoint') forged.milestones[m].checkpoint[parts[2]!] = value;
      else forged.milestones[m][parts[1]!] = value;
    } else if (parts[0] === 'run_verify') forged.run_verify = [{ tier: 'tier2', pass: true, skipped: false, duration_s: value }];
    else forged.samples[parts[1]!] = value;
    t.equal(isIndexEntry(forged), false, `${at} = ${JSON.stringify(value)} is refused`);
  }
  const forged = structuredClone(done);
  forged.samples.milestone_ms = [-5_000_000];
  writeFileSync(path.join(store, RUN_INDEX), formatIndexLine(forged));
  const io = memoryIo();
  t.equal(await main(['report', done.run_id, '--store', store, '--json'], io), 0, io.err.join(''));
  const kpis = JSON.parse(io.out.join('')).runs[0].kpis;
  t.ok(kpis.milestone_s.median >= 0, `the run's milestone time is its timeline's (${kpis.milestone_s.median})`);
});
