import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createActor } from 'xstate';
import type { TimelineEvent } from '../generated/event.js';
import { buildMachine } from '../compile/machine.js';
import { TimelineWriter, readTimeline, type NewEvent } from '../store/timeline.js';
import { rewriteFile } from '../store/atomic.js';
import { fileRecord, partsRecord } from '../store/run-records.js';
import { RunningKpis } from '../kpi/compute.js';
import { explainGuard } from './guards.js';
import { runningCounters } from './counters.js';
import type { RunContext } from '../vocabulary/run-context.js';
import type { Runtime } from './types.js';
import { engineVersion } from '../version.js';
import { redactDeep, runSecrets } from './run-secrets.js';
import { redactText } from '../workers/redact.js';
import { outsideTrees, pathsOf, takeBaselines, userPolicyTree, watchOutside } from './watch-outside.js';
import { dependencyTrees, findDependencyDirs } from './watch-dependencies.js';
import { hiddenPathFolders, onNewGrant, sandboxKeptOut } from '../sandbox/wrap-command.js';
import { decideSandbox } from '../sandbox/sandbox-status.js';
import type { BwrapProbe } from '../sandbox/probe-bwrap.js';
import { userConfigTrees } from './user-config.js';
import type { UserConfigPlace } from '../workers/types.js';
import { keptPlaces } from './kept-places.js';
import { packageRoot } from '../paths.js';
import { readRunRecordText } from '../util/read-run-record.js';

/** What start and resume know before the runtime exists: the Runtime's own inputs. */
export type OpenRuntimeOptions = Pick<Runtime, 'ir' | 'pipelineDir' | 'policy' | 'task' | 'repo' | 'ws' | 'headTree' | 'identity' | 'paths' | 'state' | 'env' | 'childEnv' | 'modelEndpoint' | 'signal'> & {
  /** Every event as it is appended (progress display, --json output). */
  onEvent?: (e: TimelineEvent) => void;
  /** What the bubblewrap probe found (null: not probed, as for `sandbox.mode: off`). */
  sandboxProbe: BwrapProbe | null;
  /** The user's own CLI config the workers reach (userConfigOf), watched after every step. */
  userConfig?: readonly UserConfigPlace[];
};

/**
 * Wire a run's machine, actor, timeline and state record together. The actor starts from the
 * persisted snapshot in state.machine when there is one (resume), from the start step
 * otherwise. Impure (opens the timeline).
 */
export function openRuntime(o: OpenRuntimeOptions): Runtime {
  const bound = (b: number | string): number => (typeof b === 'number' ? b : Number(valueAtPath(o.policy, b)));
  const guard = (name: string, ctx: RunContext): boolean => explainGuard(name, ctx, { policy: o.policy, taskKind: o.task.kind }).ok;
  const machine = buildMachine(o.ir, bound, guard);
  const hasSnapshot = o.state.machine && Object.keys(o.state.machine).length > 0;
  const actor = createActor(machine, hasSnapshot ? { snapshot: o.state.machine as never } : {});
  actor.start();
  const events = readTimeline(o.paths.timeline);
  const secrets = runSecrets(o.policy.transcripts.redact, o.childEnv, o.ir);
  const timeline = new TimelineWriter(
    o.paths.timeline,
    () => o.env.now(),
    (e) => {
      events.push(e);
      o.onEvent?.(e);
    },
    (e) => redactDeep(e, secrets),
  );

  // A snapshot stages no file larger than this (a sparse terabyte costs a worker an instant).
  o.ws.maxFileBytes = o.policy.governance.max_file_mb * 2 ** 20;
  // A linked worktree's or a submodule's git dirs lie outside its top: readable for the
  // worker's own git, and kept out of every write grant.
  const gitDirs = [o.ws.repo.gitDir, o.ws.repo.commonDir];
  const readable = [o.pipelineDir, o.repo, ...gitDirs, o.paths.dir, packageRoot, ...pathsNamedBy(o.ir), ...hiddenPathFolders(o.childEnv)];
  const workspacesRoot = path.dirname(path.dirname(o.ws.dir));
  // Checked again at every spawn (wrapCommand); the workspaces' root is not among them there:
  // the workers' homes, and the CLIs' state dirs in them, are inside it.
  const kept = keptPlaces(o.repo, path.dirname(o.paths.dir), workspacesRoot, gitDirs).filter((k) => k.path !== workspacesRoot);
  const sandbox = decideSandbox(o.policy.sandbox, o.policy.sandbox.mode === 'off' ? null : o.sandboxProbe, readable, kept);
  const rt: Runtime = {
    ir: o.ir,
    pipelineDir: o.pipelineDir,
    policy: o.policy,
    task: o.task,
    repo: o.repo,
    ws: o.ws,
    headTree: o.headTree,
    identity: o.identity,
    // The baseline is taken here, when the session begins: what changed before is not a step's doing.
    // Under the OS sandbox the shared paths are on a read-only filesystem: no need to walk them;
    // a tree no grant reaches yet gets its baseline when one first does (below).
    // The install's runtime dependencies too: the engine loads code from them (watch-dependencies.ts).
    outside: watchOutside([...outsideTrees(o.ws, packageRoot, !sandbox.active, [...userConfigTrees(o.userConfig ?? []), ...userPolicyTree(process.env)], path.dirname(o.paths.dir)), ...dependencyTrees(findDependencyDirs(packageRoot))], (t) => sandboxKeptOut(sandbox, pathsOf(t))),
    paths: o.paths,
    state: o.state,
    events,
    timeline,
    machine,
    actor,
    env: o.env,
    childEnv: o.childEnv,
    modelEndpoint: o.modelEndpoint,
    sandbox,
    cliVersions: {},
    signal: o.signal,
    secrets,
    scrub: (text: string) => redactText(text, secrets),
    sessionElapsed: o.env.timer(),
    elapsedBeforeMs: o.state.counters.elapsed_ms,
    append: (...e: NewEvent[]) => timeline.append(...e),
    persist: (durable?: boolean) => persistState(rt, durable),
    records: [],
    stateParts: null,
  };
  onNewGrant(sandbox, () => takeBaselines(rt.outside));
  rt.records.push(
    { file: o.paths.timeline, name: 'timeline.jsonl', digest: () => timeline.digest, restore: () => timeline.restore() },
    partsRecord(o.paths.state, 'state.json', () => rt.stateParts),
  );
  // On resume env.json is there already: it is owned as found (start-run adds it once written).
  if (existsSync(o.paths.env)) {
    const env = readRunRecordText(o.paths.env);
    rt.records.push(fileRecord(o.paths.env, 'env.json', () => env));
  }
  return rt;
}

/** Each runtime's KPIs, brought up to date from the events appended since its last write. */
const runningKpis = new WeakMap<Runtime, RunningKpis>();

/** Refresh state.json from the actor and counters and write it atomically. Impure. */
export function persistState(rt: Runtime, durable = false): void {
  const snap = rt.actor.getSnapshot();
  const ctx = snap.context as RunContext;
  const s = rt.state;
  s.engine_version = engineVersion;
  s.milestones = ctx.milestones.length ? ctx.milestones : s.milestones;
  const step = snap.status === 'done' ? null : String(snap.value);
  s.position = { step, milestone: ctx.milestone > 0 ? ctx.milestone : null, attempt: step ? (ctx.attempts[step] ?? null) : null };
  Object.assign(s.counters, runningCounters(rt.events, ctx.milestone));
  let kpis = runningKpis.get(rt);
  if (!kpis) runningKpis.set(rt, (kpis = new RunningKpis()));
  s.kpis = kpis.of(rt.events);
  // The machine moves only at a step's end: the persists in between (a child's start and end) reuse its snapshot.
  s.machine = persistedMachine(rt);
  s.last_seq = rt.timeline.lastSeq;
  const digest = rt.timeline.digest;
  s.timeline_bytes = digest.bytes;
  s.timeline_sha256 = digest.sha256;
  s.updated_at = rt.env.now().toISOString();
  rt.stateParts = stateParts(rt, s);
  // state.json is derived from the timeline (the write-ahead log, fsynced per step): it is
  // replaced without blocking on the disk, its content synced only at a step's end.
  rewriteFile(rt.paths.state, rt.stateParts, { syncData: durable });
}

const machines = new WeakMap<Runtime, { snapshot: unknown; persisted: Record<string, unknown> }>();

/**
 * The fields of state.json whose encoded text is kept while the same value stands: the two
 * that grow with the plan, and the KPIs (a new object only when a sample changed: RunningKpis).
 */
const GROWING = ['milestones', 'machine', 'kpis'] as const;
const fragments = new WeakMap<Runtime, Map<string, { value: unknown; parts: Buffer[] }>>();

/**
 * toRecordJson(redactDeep(state)), byte for byte, as the parts state.json is written from,
 * without serialising or encoding the plan again at every write: `milestones`, `machine` and
 * `kpis` are replaced, never changed in place, so their encoded text is kept while the same
 * value stands (a child's start and end rewrite state.json with all three unchanged; at 200
 * milestones they were most of its 80 KB, and joining them into one string and encoding it
 * again at each of a dozen writes per milestone was the largest part of a write). The machine
 * changes at every step, but its context holds the same plan (steps return patches, never
 * edit the context): the plan's encoded text stands in it between the machine's own. The
 * other fields are encoded together, a part between two kept ones. Pure apart from the cache.
 */
export function stateParts(rt: Runtime, state: Runtime['state']): Buffer[] {
  let cache = fragments.get(rt);
  if (!cache) fragments.set(rt, (cache = new Map()));
  let texts = fieldTexts.get(rt);
  if (!texts) fieldTexts.set(rt, (texts = new Map()));
  const parts: Buffer[] = [];
  let text = '';
  let fields = 0;
  const keys = Object.keys(state);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value: unknown = state[key as keyof typeof state];
    if (value === undefined || typeof value === 'function') continue;
    text += fields++ ? ',\n' : '{\n';
    if (!(GROWING as readonly string[]).includes(key)) {
      text += fieldText(rt, texts, key, value);
      continue;
    }
    text += `  ${JSON.stringify(redactText(key, rt.secrets))}: `;
    let kept = cache.get(key);
    if (!kept || kept.value !== value) cache.set(key, (kept = { value, parts: key === 'machine' ? machineParts(rt, value, state.milestones, cache) : [Buffer.from(jsonAt(rt, value, '  '))] }));
    parts.push(Buffer.from(text), ...kept.parts);
    text = '';
  }
  parts.push(Buffer.from(fields ? `${text}\n}\n` : '{}\n'));
  return parts;
}

const fieldTexts = new WeakMap<Runtime, Map<string, { value: unknown; text: string }>>();

/**
 * One field of state.json as it stands there (`  "key": value`, redacted): for a string,
 * number, boolean or null kept while the same value stands, since most fields (the run's ids,
 * paths and shas) are the same at every write and redacting them again cost each write a scan
 * per secret. An object is encoded anew: counters are changed in place. Pure apart from the cache.
 */
function fieldText(rt: Runtime, texts: Map<string, { value: unknown; text: string }>, key: string, value: unknown): string {
  const primitive = value === null || typeof value !== 'object';
  const kept = texts.get(key);
  if (primitive && kept && kept.value === value) return kept.text;
  const text = `  ${JSON.stringify(redactText(key, rt.secrets))}: ${jsonAt(rt, value, '  ')}`;
  if (primitive) texts.set(key, { value, text });
  return text;
}

/** state.json's text as stateParts gives it (tests compare it with the whole state serialised). Pure apart from the cache. */
export function stateJson(rt: Runtime, state: Runtime['state']): string {
  return Buffer.concat(stateParts(rt, state)).toString('utf8');
}

/** A value's redacted JSON as it stands in a record, its lines after the first indented by `indent`. Pure. */
function jsonAt(rt: Runtime, value: unknown, indent: string): string {
  return JSON.stringify(redactDeep(value, rt.secrets), null, 2).replace(/\n/g, `\n${indent}`);
}

/** Stands for the plan in the machine's text while it is serialised; no worker can guess it. */
const PLAN_MARK = `engine-plan-${randomUUID()}`;

/** The machine's encoded text, its context's plan (the same array as state.milestones) the encoded text kept for that plan. */
function machineParts(rt: Runtime, machine: unknown, plan: unknown, cache: Map<string, { value: unknown; parts: Buffer[] }>): Buffer[] {
  const ctx = (machine as { context?: { milestones?: unknown } } | null)?.context;
  const whole = (): Buffer[] => [Buffer.from(jsonAt(rt, machine, '  '))];
  if (!Array.isArray(plan) || plan.length === 0 || !ctx || ctx.milestones !== plan) return whole();
  const text = jsonAt(rt, { ...(machine as object), context: { ...ctx, milestones: PLAN_MARK } }, '  ');
  const at = text.indexOf(`"${PLAN_MARK}"`);
  if (at < 0) return whole();
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const indent = /^ */.exec(text.slice(lineStart))![0];
  const key = `plan@${indent.length}`;
  let kept = cache.get(key);
  if (!kept || kept.value !== plan) cache.set(key, (kept = { value: plan, parts: [Buffer.from(jsonAt(rt, plan, indent))] }));
  return [Buffer.from(text.slice(0, at)), ...kept.parts, Buffer.from(text.slice(at + PLAN_MARK.length + 2))];
}

/** The actor's persisted snapshot, made again only when the actor's snapshot changed (xstate snapshots are immutable). */
function persistedMachine(rt: Runtime): Record<string, unknown> {
  const snapshot = rt.actor.getSnapshot();
  const known = machines.get(rt);
  if (known && known.snapshot === snapshot) return known.persisted;
  const persisted = rt.actor.getPersistedSnapshot() as Record<string, unknown>;
  machines.set(rt, { snapshot, persisted });
  return persisted;
}

/**
 * The absolute paths a pipeline's workers name (their bin, args and env values): under the OS
 * sandbox's private /tmp, /run and /dev each stays readable, itself alone. Its folder came
 * back with it once, and with the folder every socket in it: SSH_AUTH_SOCK named as
 * /run/user/<uid>/ssh-agent.socket brought back the session's bus and systemd's sockets
 * (systemd-run from inside the sandbox), and a read-only mount does not stop a connect().
 * Elsewhere the read-only root shows them anyway. Pure.
 */
export function pathsNamedBy(ir: OpenRuntimeOptions['ir']): string[] {
  const out = new Set<string>();
  for (const w of Object.values(ir.workers)) {
    for (const v of [w.bin, ...(w.args ?? []), ...Object.values(w.env ?? {})]) {
      if (typeof v === 'string' && path.isAbsolute(v)) out.add(path.normalize(v));
    }
  }
  return [...out];
}

/** The value at a dotted key path of an object, or undefined. Pure. */
export function valueAtPath(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}
