import { buildCommandEnv, withheldNames } from '../workers/worker-env.js';
import type { Runtime } from './types.js';

/**
 * The environment of a run's verification, set-up and command-step commands (buildCommandEnv
 * with the run's policy), and the names it leaves out, for their logs: a test that needs one
 * fails with its name in the log, and `verification.env_pass` passes it. Pure.
 */
export function commandEnvOf(rt: Pick<Runtime, 'childEnv' | 'policy'>): { env: NodeJS.ProcessEnv; withheld: string[] } {
  const env = buildCommandEnv(rt.childEnv, rt.policy.verification.env_pass ?? [], rt.policy.transcripts.redact);
  return { env, withheld: withheldNames(rt.childEnv, env) };
}
