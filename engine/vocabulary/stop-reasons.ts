import { EXIT } from './exit-codes.js';

/** Every way a run can end (contract §7, plus `review_loop`: docs/runs.md, "Loops"). */
export const STOP_REASONS = [
  'completed',
  'framework_fix_needed',
  'governance_violation',
  'verification_failed',
  'review_rejected',
  'parse_failed',
  'worker_failed',
  'budget_exhausted',
  'review_loop',
  'doctor_blocked',
  'interrupted',
] as const;

export type StopReason = (typeof STOP_REASONS)[number];

/** The one exit code of each stop reason (contract §2). Pure. */
export function exitCodeFor(reason: StopReason): number {
  switch (reason) {
    case 'completed':
      return EXIT.ok;
    case 'framework_fix_needed':
    case 'governance_violation':
      return EXIT.governance;
    case 'doctor_blocked':
      return EXIT.doctor;
    case 'interrupted':
      return EXIT.interrupted;
    default:
      return EXIT.stopped;
  }
}

/**
 * Stops that leave the run at a step it can repeat: `engine resume` continues there.
 * Stops reached through the pipeline graph (a `stop:` target) end the machine.
 */
export function isRepeatableStop(reason: StopReason): boolean {
  return reason === 'budget_exhausted' || reason === 'interrupted' || reason === 'worker_failed' || reason === 'parse_failed' || reason === 'review_loop';
}
