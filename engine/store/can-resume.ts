import type { RunState } from '../generated/state.js';

/**
 * Whether `engine resume` takes a run: one stopped by a budget, an interrupt or a failure, or
 * left running by a crash. Not a completed run, not one blocked before its first step, and not
 * one that ended at a stop of its pipeline (a `stop:` target: verification_failed,
 * review_rejected, framework_fix_needed from a worker's status, …), whose machine is in a final
 * state: there is no step to repeat. The memo, the summary and `engine clean` say what resume
 * does. Pure.
 */
export function canResume(s: Pick<RunState, 'status' | 'stop_reason' | 'position'>): boolean {
  if (s.status === 'completed') return false;
  if (s.status === 'stopped' && s.stop_reason === 'doctor_blocked') return false;
  return !(s.status === 'stopped' && s.stop_reason && s.position?.step === null);
}
