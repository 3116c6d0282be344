import type { Runtime } from '../types.js';

/**
 * Record (or clear) the process a step is running in state.json, so that a resume after a
 * crash can end its group. Impure (writes state).
 */
export function recordInflight(rt: Runtime, inflight: Runtime['state']['inflight']): void {
  rt.state.inflight = inflight;
  rt.persist();
}
