import type { WorkerSpec } from '../generated/pipeline.js';
import type { StopReason } from '../vocabulary/stop-reasons.js';

/**
 * The checked intermediate form of a pipeline: every transition resolved, every outcome of
 * every step mapped. The machine builder and the runner read only this, never the YAML.
 */
export type StepType = 'worker' | 'verify' | 'command' | 'checkpoint' | 'advance' | 'decide';
export type WorkerPhase = 'explore' | 'plan' | 'implement' | 'review';
export type Tier = 'tier0' | 'tier0_fast' | 'tier1' | 'tier2';

export type IrTarget =
  | { kind: 'step'; step: string; attempts?: number | string; exhausted?: IrTarget }
  | { kind: 'stop'; reason: StopReason };

export interface IrStep {
  id: string;
  type: StepType;
  /** Guard that must hold for the step to run; otherwise outcome `skipped`. */
  when?: string;
  worker?: string;
  phase?: WorkerPhase;
  template?: string;
  readOnly: boolean;
  tier?: Tier | 'auto';
  run?: string;
  timeoutS?: number;
  /** Every outcome of the step → where it goes. */
  transitions: Record<string, IrTarget>;
  /** decide steps: guards tried in order; `transitions.else` when none holds. */
  branches?: { guard: string; target: IrTarget }[];
}

export interface CompiledPipeline {
  name: string;
  start: string;
  workers: Record<string, WorkerSpec>;
  /** Steps in file order. */
  steps: IrStep[];
  /** sha256 of the canonical IR: stable across comments, formatting and key order. */
  hash: string;
}

/** The outcomes each kind of step can end with (besides implicit worker failure stops). Pure. */
export function outcomesOf(type: StepType, phase?: WorkerPhase): string[] {
  switch (type) {
    case 'worker':
      if (phase === 'implement') return ['done', 'blocked', 'no_changes_needed', 'framework_fix_needed'];
      if (phase === 'review') return ['approve', 'request_changes', 'reject'];
      return ['ok'];
    case 'verify':
    case 'command':
      return ['pass', 'fail'];
    case 'checkpoint':
      return ['ok'];
    case 'advance':
      return ['more', 'done'];
    case 'decide':
      return [];
  }
}
