import type { EnginePipeline } from '../generated/pipeline.js';
import { hashOf } from '../util/canonical-json.js';
import type { CompiledPipeline, IrStep, IrTarget, StepType, Tier, WorkerPhase } from './ir.js';
import { toIrTarget } from './targets.js';
import { stepsOf, targetsOfStep } from './check.js';

/** Phases whose workers may not change files unless the step says otherwise. */
const READ_ONLY_PHASES: readonly WorkerPhase[] = ['explore', 'plan', 'review'];

/**
 * Turn a pipeline that passed its schema and rules (check.ts) into the IR. Pure: the same
 * pipeline, however formatted, gives the same IR and hash.
 */
export function compilePipeline(p: EnginePipeline): CompiledPipeline {
  const steps: IrStep[] = stepsOf(p).map((s) => {
    const transitions: Record<string, IrTarget> = {};
    for (const { outcome, target } of targetsOfStep(s)) {
      if (!outcome.startsWith('if:')) transitions[outcome] = toIrTarget(target);
    }
    const step: IrStep = {
      id: s.id,
      type: s.type as StepType,
      readOnly: s.type === 'worker' ? (s.read_only ?? READ_ONLY_PHASES.includes(s.phase as WorkerPhase)) : false,
      transitions,
    };
    if (s.when !== undefined) step.when = s.when;
    if (s.worker !== undefined) step.worker = s.worker;
    if (s.phase !== undefined) step.phase = s.phase;
    if (s.template !== undefined) step.template = s.template;
    if (s.tier !== undefined) step.tier = s.tier as Tier | 'auto';
    if (s.run !== undefined) step.run = s.run;
    if (s.timeout_s !== undefined) step.timeoutS = s.timeout_s;
    if (s.type === 'decide') step.branches = (s.branches ?? []).map((b) => ({ guard: b.if, target: toIrTarget(b.goto) }));
    return step;
  });
  const body = { name: p.name ?? 'pipeline', start: p.start, workers: p.workers, steps };
  return { ...body, hash: hashOf(body) };
}
