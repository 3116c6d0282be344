import { isDeepStrictEqual } from 'node:util';
import type { RunState } from '../generated/state.js';
import type { CompiledPipeline } from '../compile/ir.js';
import { buildMachine } from '../compile/machine.js';

type MachineFacts = Pick<RunState, 'machine' | 'position' | 'milestones'>;

/**
 * Where state.json says the run's machine stands, against the pipeline the run resumes with
 * and against state.json's own fields that the engine writes from the same snapshot
 * (persistState): the machine's state is a step of this pipeline (or, a run whose machine
 * reached a stop of it, one of its stops), `position` is what the machine says, the current
 * milestone is one of the plan's, and the plan is the one state.json lists. A state.json
 * edited by hand or by a worker without the OS sandbox, or a pipeline taken with
 * --reload-config that lacks the step the run stands at, is refused before anything of the
 * run is written. Returns what is wrong, or null. Pure.
 */
export function checkRunMachine(state: MachineFacts, ir: CompiledPipeline): string | null {
  const m = state.machine as Record<string, unknown>;
  const pos = state.position;
  if (Object.keys(m).length === 0) {
    // Written at start, before the first step ran: the machine starts afresh.
    if (pos.step !== ir.start || pos.milestone !== null || state.milestones.length > 0) return `state.json has no machine, but its position (step ${String(pos.step)}) is not the start of a run (step ${ir.start})`;
    return null;
  }
  const ctx = (m['context'] ?? null) as Record<string, unknown> | null;
  if (ctx === null || typeof ctx !== 'object') return 'state.json has a machine without its context';
  return checkMachineStep(m, pos, ctx, ir) ?? checkMachinePlan(state, ctx);
}

/** The machine's state against the pipeline, and `position` against the machine. Pure. */
function checkMachineStep(m: Record<string, unknown>, pos: RunState['position'], ctx: Record<string, unknown>, ir: CompiledPipeline): string | null {
  const value = m['value'];
  if (typeof value !== 'string') return `state.json's machine stands at no single step (${JSON.stringify(value)})`;
  if (m['status'] === 'active') {
    if (!ir.steps.some((s) => s.id === value)) return `step \`${value}\`, where the run stands, is not in the pipeline \`${ir.name}\` it resumes with`;
  } else if (m['status'] === 'done') {
    const stops = buildMachine(ir, () => 0, () => false).states as Record<string, { type?: string } | undefined>;
    if (stops[value]?.type !== 'final') return `\`${value}\`, the stop where the run's machine ended, is not a stop of the pipeline \`${ir.name}\` it resumes with`;
  } else return `state.json's machine has the status ${JSON.stringify(m['status'])}, not one the engine writes`;
  const step = m['status'] === 'done' ? null : value;
  const attempts = ctx['attempts'];
  if (attempts === null || typeof attempts !== 'object' || Array.isArray(attempts)) return "state.json's machine counts no attempts";
  const attempt = step === null ? null : ((attempts as Record<string, unknown>)[step] ?? null);
  const milestone = typeof ctx['milestone'] === 'number' && ctx['milestone'] > 0 ? ctx['milestone'] : null;
  if (pos.step !== step || pos.attempt !== attempt || pos.milestone !== milestone) {
    return `state.json's position (step ${String(pos.step)}, milestone ${String(pos.milestone)}, attempt ${String(pos.attempt)}) is not where its machine stands (step ${String(step)}, milestone ${String(milestone)}, attempt ${String(attempt)})`;
  }
  return null;
}

/** The machine's plan and milestone against state.json's `milestones`. Pure. */
function checkMachinePlan(state: MachineFacts, ctx: Record<string, unknown>): string | null {
  const planned = ctx['milestones'];
  const at = ctx['milestone'];
  if (!Array.isArray(planned) || !isDeepStrictEqual(planned, state.milestones)) return "state.json's machine has another plan than its `milestones`";
  if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at > planned.length) return `state.json's machine stands at milestone ${JSON.stringify(at)}, not one of the ${planned.length} planned`;
  return null;
}
