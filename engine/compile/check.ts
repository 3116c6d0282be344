import type { EnginePipeline, Target } from '../generated/pipeline.js';
import type { DocPath, Rule, RuleContext } from '../vocabulary/rule-context.js';
import { GUARD_NAMES } from '../vocabulary/guard-names.js';
import { didYouMean } from '../util/did-you-mean.js';
import { outcomesOf, type StepType, type WorkerPhase } from './ir.js';
import { NUMERIC_POLICY_KEYS } from './policy-keys.js';

/**
 * Stage-3 rules of a pipeline (beyond its schema): names resolve, every outcome is handled,
 * every step is reachable and can reach a stop, and every loop has a bound. Each rule is a
 * tiny named function that reports through the context. Pure.
 */
export function pipelineRules(): Rule<EnginePipeline>[] {
  return [checkDuplicateSteps, checkWorkerNames, checkGuardNames, checkTargets, checkOutcomes, checkRetryBounds, checkGraph];
}

/** A step with every step type's keys, optional: the rules may look at any of them. */
type AnyStep = EnginePipeline['steps'][number];
type KeysOf<T> = T extends unknown ? keyof T : never;
type ValueOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
export type Step = Pick<AnyStep, 'id' | 'type'> & { [K in Exclude<KeysOf<AnyStep>, 'id' | 'type'>]?: ValueOf<AnyStep, K> };
/** The steps of a pipeline as `Step`s. Pure. */
export const stepsOf = (p: EnginePipeline): readonly Step[] => p.steps;
type Ctx = RuleContext<EnginePipeline>;

function checkDuplicateSteps(ctx: Ctx): void {
  const seen = new Set<string>();
  stepsOf(ctx.data).forEach((s, i) => {
    if (seen.has(s.id)) ctx.report('E_DUPLICATE_STEP', ['steps', i, 'id'], `step id "${s.id}" is used twice`);
    seen.add(s.id);
  });
}

function checkWorkerNames(ctx: Ctx): void {
  const names = Object.keys(ctx.data.workers);
  stepsOf(ctx.data).forEach((s, i) => {
    if (s.type !== 'worker' || s.worker === undefined) return;
    if (!names.includes(s.worker)) {
      ctx.report('E_UNKNOWN_WORKER', ['steps', i, 'worker'], `step "${s.id}" names worker "${s.worker}", which is not declared under workers`, didYouMean(s.worker, names) ?? `declared: ${names.join(', ')}`);
    }
  });
}

function checkGuardNames(ctx: Ctx): void {
  const check = (name: string | undefined, path: DocPath): void => {
    if (name !== undefined && !(GUARD_NAMES as readonly string[]).includes(name)) {
      ctx.report('E_UNKNOWN_GUARD', path, `unknown guard "${name}"`, didYouMean(name, GUARD_NAMES) ?? `guards: ${GUARD_NAMES.join(', ')}`);
    }
  };
  stepsOf(ctx.data).forEach((s, i) => {
    check(s.when, ['steps', i, 'when']);
    s.branches?.forEach((b, j) => check(b.if, ['steps', i, 'branches', j, 'if']));
  });
}

function checkTargets(ctx: Ctx): void {
  const ids = stepsOf(ctx.data).map((s) => s.id);
  if (!ids.includes(ctx.data.start)) {
    ctx.report('E_UNKNOWN_STEP', ['start'], `start names step "${ctx.data.start}", which does not exist`, didYouMean(ctx.data.start, ids));
  }
  for (const { target, path } of writtenTargets(ctx.data)) {
    forEachGoto(target, path, (step, at) => {
      if (!ids.includes(step)) ctx.report('E_UNKNOWN_STEP', at, `no step has the id "${step}"`, didYouMean(step, ids));
    });
  }
}

function checkOutcomes(ctx: Ctx): void {
  stepsOf(ctx.data).forEach((s, i) => {
    if (s.type === 'decide') return;
    const outcomes = outcomesOf(s.type as StepType, s.phase as WorkerPhase | undefined);
    for (const key of Object.keys(s.on ?? {})) {
      if (!outcomes.includes(key)) {
        ctx.report('E_UNKNOWN_OUTCOME', ['steps', i, 'on', key], `a ${describe(s)} step has no outcome "${key}"`, `its outcomes: ${outcomes.join(', ')}`);
      }
    }
    if (s.next !== undefined) return;
    const missing = outcomes.filter((o) => s.on?.[o] === undefined);
    if (s.when !== undefined) missing.push('skipped (when the guard is false)');
    if (missing.length) {
      ctx.report('E_UNHANDLED_OUTCOME', ['steps', i, s.on ? 'on' : 'id'], `step "${s.id}" does not say where to go for: ${missing.join(', ')}`, 'add them under `on:` or give a `next:`');
    }
  });
}

function checkRetryBounds(ctx: Ctx): void {
  for (const { target, path } of writtenTargets(ctx.data)) visit(target, path);
  function visit(t: Target, path: DocPath): void {
    if (typeof t === 'string') return;
    if (t.stop !== undefined && (t.goto !== undefined || t.attempts !== undefined || t.exhausted !== undefined)) {
      ctx.report('E_TARGET', path, 'a target either stops the run (`stop:`) or goes to a step (`goto:`), not both');
    }
    if (t.stop === undefined && t.goto === undefined) ctx.report('E_TARGET', path, 'a target needs `goto:` or `stop:`');
    if ((t.attempts === undefined) !== (t.exhausted === undefined)) {
      ctx.report('E_RETRY_BOUND', path, '`attempts` and `exhausted` go together: the bound and where to go when it is spent');
    }
    if (typeof t.attempts === 'string' && !NUMERIC_POLICY_KEYS.includes(t.attempts)) {
      ctx.report('E_UNKNOWN_POLICY_KEY', [...path, 'attempts'], `"${t.attempts}" is not a whole-number policy key`, didYouMean(t.attempts, NUMERIC_POLICY_KEYS));
    }
    if (t.exhausted !== undefined) visit(t.exhausted, [...path, 'exhausted']);
  }
}

/**
 * Graph checks, once every name resolves: reachability from start, a path to a stop from
 * every step, and no cycle that avoids every bounded edge. Bounded edges: a transition with
 * `attempts`, and an advance step's `more` (bounded by the number of milestones).
 */
function checkGraph(ctx: Ctx): void {
  const steps = stepsOf(ctx.data);
  const ids = new Set(steps.map((s) => s.id));
  if (!ids.has(ctx.data.start)) return;
  const edges = new Map<string, { to: string; bounded: boolean }[]>();
  const stops = new Set<string>();
  let broken = false;
  for (const s of steps) {
    const out: { to: string; bounded: boolean }[] = [];
    for (const { target, outcome } of targetsOfStep(s)) {
      collect(target, false, (to, bounded) => {
        if (!ids.has(to)) broken = true;
        out.push({ to, bounded: bounded || (s.type === 'advance' && outcome === 'more') });
      }, () => stops.add(s.id));
    }
    edges.set(s.id, out);
  }
  if (broken) return;
  const index = new Map(steps.map((s, i) => [s.id, i]));

  const reachable = new Set<string>([ctx.data.start]);
  const queue = [ctx.data.start];
  while (queue.length) for (const e of edges.get(queue.shift()!) ?? []) if (!reachable.has(e.to)) (reachable.add(e.to), queue.push(e.to));
  for (const s of steps) {
    if (!reachable.has(s.id)) ctx.report('E_UNREACHABLE_STEP', ['steps', index.get(s.id)!, 'id'], `step "${s.id}" can never run: no transition leads to it from "${ctx.data.start}"`);
  }

  const canStop = new Set(stops);
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of steps) {
      if (!canStop.has(s.id) && (edges.get(s.id) ?? []).some((e) => canStop.has(e.to))) (canStop.add(s.id), (changed = true));
    }
  }
  for (const s of steps) {
    if (reachable.has(s.id) && !canStop.has(s.id)) ctx.report('E_NO_TERMINAL', ['steps', index.get(s.id)!, 'id'], `from step "${s.id}" the run can never end: no path leads to a stop`);
  }

  // Every loop with no bound that shares no step with one already said: one report each.
  const left = new Set(steps.map((s) => s.id));
  for (;;) {
    const cycle = findCycle([...left], (id) => (edges.get(id) ?? []).filter((e) => !e.bounded && left.has(e.to)).map((e) => e.to));
    if (!cycle) break;
    ctx.report('E_UNBOUNDED_LOOP', ['steps', index.get(cycle[0]!)!, 'id'], `the loop ${[...cycle, cycle[0]].join(' → ')} has no bound`, 'give one of its transitions `attempts:` and `exhausted:`');
    for (const id of cycle) left.delete(id);
  }
}

/** Every (outcome, target) of a step as written. Pure. */
export function targetsOfStep(s: Step): { outcome: string; target: Target }[] {
  const out: { outcome: string; target: Target }[] = [];
  if (s.type === 'decide') {
    s.branches?.forEach((b) => out.push({ outcome: `if:${b.if}`, target: b.goto }));
    if (s.else !== undefined) out.push({ outcome: 'else', target: s.else });
    return out;
  }
  const outcomes = outcomesOf(s.type as StepType, s.phase as WorkerPhase | undefined);
  for (const o of outcomes) {
    const t = s.on?.[o] ?? s.next;
    if (t !== undefined) out.push({ outcome: o, target: t });
  }
  if (s.when !== undefined && s.next !== undefined) out.push({ outcome: 'skipped', target: s.next });
  return out;
}

function collect(t: Target, bounded: boolean, onStep: (to: string, bounded: boolean) => void, onStop: () => void): void {
  if (typeof t === 'string') return onStep(t, bounded);
  if (t.stop !== undefined) return onStop();
  if (t.goto !== undefined) onStep(t.goto, bounded || t.attempts !== undefined);
  if (t.exhausted !== undefined) collect(t.exhausted, bounded, onStep, onStop);
}

function writtenTargets(p: EnginePipeline): { target: Target; path: DocPath }[] {
  const out: { target: Target; path: DocPath }[] = [];
  stepsOf(p).forEach((s, i) => {
    if (s.next !== undefined) out.push({ target: s.next, path: ['steps', i, 'next'] });
    for (const [k, t] of Object.entries(s.on ?? {})) out.push({ target: t, path: ['steps', i, 'on', k] });
    s.branches?.forEach((b, j) => out.push({ target: b.goto, path: ['steps', i, 'branches', j, 'goto'] }));
    if (s.else !== undefined) out.push({ target: s.else, path: ['steps', i, 'else'] });
  });
  return out;
}

function forEachGoto(t: Target, path: DocPath, fn: (step: string, path: DocPath) => void): void {
  if (typeof t === 'string') return fn(t, path);
  if (t.goto !== undefined) fn(t.goto, [...path, 'goto']);
  if (t.exhausted !== undefined) forEachGoto(t.exhausted, [...path, 'exhausted'], fn);
}

/** A cycle in the graph (as a list of nodes), or null. Iterative DFS. Pure. */
function findCycle(nodes: string[], next: (id: string) => string[]): string[] | null {
  const state = new Map<string, 1 | 2>();
  for (const root of nodes) {
    if (state.has(root)) continue;
    const stack: { id: string; i: number; out: string[] }[] = [{ id: root, i: 0, out: next(root) }];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.i >= top.out.length) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const to = top.out[top.i++]!;
      if (state.get(to) === 1) {
        const from = stack.findIndex((f) => f.id === to);
        return stack.slice(from).map((f) => f.id);
      }
      if (!state.has(to)) {
        state.set(to, 1);
        stack.push({ id: to, i: 0, out: next(to) });
      }
    }
  }
  return null;
}

function describe(s: Step): string {
  return s.type === 'worker' && s.phase ? `${s.phase} worker` : s.type;
}
