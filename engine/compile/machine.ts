import { setup, assign, type AnyStateMachine } from 'xstate';
import type { CompiledPipeline, IrStep, IrTarget } from './ir.js';
import { initialContext, type RunContext, type StepDoneEvent } from '../vocabulary/run-context.js';
import type { StopReason } from '../vocabulary/stop-reasons.js';

/** Resolves a bound written as a number or a policy key path. */
export type BoundResolver = (bound: number | string) => number;
/** Decides a named guard on the context (runtime/guards.ts supplies it). */
export type GuardEvaluator = (name: string, context: RunContext) => boolean;

type Transition = { target: string; guard?: unknown; actions: unknown[] };

/**
 * Build the xstate machine of a compiled pipeline. One state per step and one final state per
 * stop reason; every step ends with a `step.done` event carrying its outcome and a context
 * patch. Guards and actions are supplied by name through `setup`, the machine only refers to
 * them. Pure: the same IR, bounds and guards give the same machine.
 */
export function buildMachine(ir: CompiledPipeline, resolveBound: BoundResolver, evaluateGuard: GuardEvaluator): AnyStateMachine {
  const stopStates = new Set<StopReason>();
  const states: Record<string, unknown> = {};
  for (const step of ir.steps) {
    states[step.id] = {
      entry: [{ type: 'enterStep', params: { step: step.id } }],
      on: { 'step.done': transitionsOf(step) },
    };
  }
  for (const reason of stopStates) {
    states[stopState(reason)] = { type: 'final' };
  }

  return setup({
    types: {} as { context: RunContext; events: StepDoneEvent },
    guards: {
      outcome: ({ event }, params: { outcome: string }) => event.outcome === params.outcome,
      outcomeWithin: ({ context, event }, params: { outcome: string; step: string; bound: number | string }) =>
        event.outcome === params.outcome && (context.attempts[params.step] ?? 0) < resolveBound(params.bound),
      check: ({ context }, params: { name: string }) => evaluateGuard(params.name, context),
    },
    actions: {
      applyPatch: assign(({ context, event }) => ({ ...context, ...event.patch })),
      enterStep: assign(({ context }, params: { step: string }) => ({
        attempts: { ...context.attempts, [params.step]: (context.attempts[params.step] ?? 0) + 1 },
      })),
      recordStop: assign((_, params: { reason: StopReason; step: string; outcome: string }) => ({ stop: params })),
    },
  }).createMachine({
    id: 'run',
    initial: ir.start,
    context: initialContext(),
    states: states as never,
  }) as unknown as AnyStateMachine;

  function transitionsOf(step: IrStep): Transition[] {
    const out: Transition[] = [];
    if (step.type === 'decide') {
      for (const b of step.branches ?? []) out.push(...edge(step, 'branch', b.target, { type: 'check', params: { name: b.guard } }));
      out.push(...edge(step, 'else', step.transitions.else!, undefined));
      return out;
    }
    for (const [outcome, target] of Object.entries(step.transitions)) {
      out.push(...edge(step, outcome, target, { type: 'outcome', params: { outcome } }));
    }
    return out;
  }

  /** One written target → xstate transitions, a bounded one followed by its exhausted branch. */
  function edge(step: IrStep, outcome: string, target: IrTarget, guard: unknown): Transition[] {
    if (target.kind === 'stop') {
      stopStates.add(target.reason);
      const actions = ['applyPatch', { type: 'recordStop', params: { reason: target.reason, step: step.id, outcome } }];
      return [{ target: stopState(target.reason), ...(guard ? { guard } : {}), actions }];
    }
    if (target.attempts === undefined || target.exhausted === undefined) {
      return [{ target: target.step, ...(guard ? { guard } : {}), actions: ['applyPatch'] }];
    }
    // A bounded edge is only ever keyed by an outcome (decide branches carry no bound).
    const bounded = { type: 'outcomeWithin', params: { outcome, step: step.id, bound: target.attempts } };
    return [{ target: target.step, guard: bounded, actions: ['applyPatch'] }, ...edge(step, outcome, target.exhausted, guard)];
  }
}

/** Name of the final state of a stop reason (`:` cannot appear in a step id). Pure. */
export function stopState(reason: StopReason): string {
  return `stop:${reason}`;
}
