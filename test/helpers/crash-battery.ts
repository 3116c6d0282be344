import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine, engineHere, readJsonl } from './run-fixture.js';
import { spawnEngine } from '../e2e/helpers/spawn-engine.js';
import { groupAlive } from '../../engine/proc/spawn-group.js';

/**
 * Kill the engine (SIGKILL, through the fault hook) right after one write of a happy-path
 * run's timeline is durable, resume, and check that the run completes with nothing lost. A
 * battery of such kills over the writes a `choose` picks (test/runtime/crash-resume.test.ts:
 * one of each kind; test/e2e/crash-every-write.test.ts: the rest, so that the two together
 * kill at every write).
 *
 * Events given to one append land in one write and the hook kills after the whole write
 * (store/timeline.ts), so killing at any event of a write leaves the same files: one kill per
 * write covers every event. The stepping clock (ENGINE_FAKE_CLOCK) gives each write its own
 * timestamp, which tells the writes of the reference run apart; the killed runs use it too,
 * so each one retraces the reference run up to its kill.
 *
 * The killed run is an engine process; the resume after it is the CLI kernel in this process
 * (`engineHere`, as a resume is run for every other runtime test), one at a time while the
 * next killed runs go on beside it.
 */

/** One write of the reference run: its first event (type and count), the types the write holds, and the step it is in (null between steps). */
export interface KillPoint {
  type: string;
  n: number;
  write: string[];
  step: string | null;
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: size }, async () => {
    while (queue.length) await fn(queue.shift()!);
  }));
}

const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };

let resuming: Promise<unknown> = Promise.resolve();
/** `engine resume` in this process, after the one before it has ended: a command has the process's signal handlers to itself. */
function resumeHere(args: string[], cwd: string): ReturnType<typeof engineHere> {
  const r = resuming.then(() => engineHere(args, { cwd }));
  resuming = r.catch(() => {});
  return r;
}

/** The writes of a reference run, in order (it is run here, in a process of its own). */
export function referenceWrites(t: Test): KillPoint[] {
  const ref = makeFixture();
  const refRun = engine(['run', ref.pipelineFile, '--repo', ref.repo, '--goal', 'g', '--policy', ref.policyFile, '--run-id', 'ref', '--no-progress'], { cwd: ref.dir, env: clock });
  t.equal(refRun.code, 0, 'the reference run completes');
  const refEvents = readJsonl(path.join(ref.repo, '.engine', 'runs', 'ref', 'timeline.jsonl'));
  const points: KillPoint[] = [];
  const seen = new Map<string, number>();
  let step: string | null = null;
  for (const [i, e] of refEvents.entries()) {
    const n = (seen.get(e.type) ?? 0) + 1;
    seen.set(e.type, n);
    if (e.type === 'step.started') step = e.step;
    if (i > 0 && refEvents[i - 1].ts === e.ts) points.at(-1)!.write.push(e.type);
    else points.push({ type: e.type, n, write: [e.type], step });
    if (e.type === 'step.finished' || e.type === 'step.skipped') step = null;
  }
  t.ok(points.length > 20 && points.length < refEvents.length, `${refEvents.length} events in ${points.length} writes`);
  return points;
}

/**
 * The first write of each kind (the step it is in, and the event types it holds, in order),
 * and the last write: a resume from each state a step's writes can leave. The writes left
 * out are the same ones again in a later milestone. Pure.
 */
export function firstOfEachKind(points: readonly KillPoint[]): KillPoint[] {
  const kinds = new Set<string>();
  return points.filter((p, i) => {
    const kind = `${p.step ?? ''}:${p.write.join(',')}`;
    const first = !kinds.has(kind);
    kinds.add(kind);
    return first || i === points.length - 1;
  });
}

/** Kill after each of `points`, resume, check. */
export async function killAndResume(t: Test, points: readonly KillPoint[]): Promise<void> {
  // Three killed runs at a time: each mostly waits on its engine, workers and git.
  await pool([...points], 3, (p) => killOnce(t, p));
}

async function killOnce(t: Test, { type, n, write }: KillPoint): Promise<void> {
  const label = `kill@${type}#${n}`;
  const f = makeFixture();
  const args = ['--repo', f.repo, '--no-progress'];
  const killed = await spawnEngine(['run', f.pipelineFile, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'k', ...args], { cwd: f.dir, env: { ...clock, ENGINE_FAULT: label } });
  t.equal(killed.signal, 'SIGKILL', `${label}: the engine died where told`);
  const runDir = path.join(f.repo, '.engine', 'runs', 'k');
  const before = readJsonl(path.join(runDir, 'timeline.jsonl'));
  // The kill comes right after the write that held the event; events closing a step share
  // that write (and its timestamp) with step.finished.
  const hit = before.filter((e) => e.type === type)[n - 1];
  t.ok(hit, `${label}: the event is durable`);
  t.same(before.slice(before.indexOf(hit)).map((e) => e.ts), before.slice(before.indexOf(hit)).map(() => hit.ts), `${label}: nothing after the event but its own write`);
  t.same(before.slice(before.indexOf(hit)).map((e) => e.type), write, `${label}: the whole write is durable: ${write.join(', ')}`);

  const resumed = await resumeHere(['resume', 'k', ...args], f.dir);
  t.equal(resumed.code, 0, `${label}: resume completes\n${resumed.stderr}`);
  const after = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.same(after.slice(0, before.length), before, `${label}: nothing recorded before the crash is lost or changed`);
  t.same(after.map((e) => e.seq), after.map((_, i) => i + 1), `${label}: seq continuous`);
  t.equal(after.at(-1).type, 'run.finished', `${label}: ends with run.finished`);
  t.equal(after.at(-1).stop_reason, 'completed', `${label}: completed`);
  t.equal(f.git('rev-list', '--count', 'main..engine/k'), '2', `${label}: exactly 2 checkpoint commits`);
  t.equal(f.git('show', 'engine/k:src/a.txt'), 'alpha', `${label}: milestone 1's work is in the branch`);
  t.equal(f.git('show', 'engine/k:src/b.txt'), 'beta', `${label}: milestone 2's work is in the branch`);
  if (type !== 'run.finished') {
    const r = after.find((e) => e.type === 'run.resumed');
    t.ok(r, `${label}: run.resumed recorded`);
    const lastCp = before.filter((e) => e.type === 'checkpoint.created').at(-1);
    t.equal(r?.checkpoint ?? null, lastCp?.sha ?? null, `${label}: run.resumed names the last checkpoint`);
  }
  checkFinalState(t, label, runDir, after);
}

function checkFinalState(t: Test, label: string, runDir: string, after: any[]): void {
  const checkpoints = after.filter((e) => e.type === 'checkpoint.created').map((e) => e.milestone);
  t.same([...new Set(checkpoints)], [1, 2], `${label}: each milestone checkpointed`);
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.equal(state.status, 'completed');
  t.equal(state.inflight, null);
  // Every call made counts once, the one the kill cut short (repeated on resume) too.
  const calls = after.filter((e) => e.type === 'worker.started').length;
  t.equal(state.kpis.worker_calls, calls, `${label}: the KPIs count the ${calls} calls made`);
  t.equal(state.counters.worker_calls, calls, `${label}: so do the counters`);
  for (const e of after.filter((x) => x.type === 'worker.started')) {
    const meta = JSON.parse(readFileSync(path.join(runDir, e.call, 'meta.json'), 'utf8').toString() || '{}');
    if (meta.pid) t.notOk(groupAlive(meta.pid), `${label}: no worker process of ${e.call} is left`);
  }
}
