import path from 'node:path';
import { runVerification } from '../../verify/index.js';
import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';
import { recordInflight } from './inflight.js';
import { selectTier, type PastRun } from '../select-tier.js';
import { listRuns } from '../../store/list-runs.js';

/** Run a verification tier in the worktree. Outcome pass or fail. Impure. */
export async function runVerifyStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  const { tier, reason } = selectTier(step.tier, ctx.changes, rt.policy, step.tier === 'auto' ? pastRuns(rt) : []);
  rt.append({ type: 'verify.selected', ...fields, tier, reason });
  const tierPolicy = rt.policy.verification.tiers[tier];
  const n = rt.events.filter((e) => e.type === 'verify.finished').length + 1;
  const logRel = path.join('verify', `${String(n).padStart(4, '0')}-${tier}.log`);
  const result = await runVerification({
    tier,
    commands: tierPolicy.commands,
    cwd: path.resolve(rt.state.worktree, rt.policy.verification.cwd),
    timeoutS: tierPolicy.timeout_s,
    logPath: path.join(rt.paths.dir, logRel),
    env: rt.childEnv,
    onSpawn: (pid) => recordInflight(rt, { pid, pgid: pid, step: step.id, call: null }),
    signal: rt.signal,
    secrets: rt.secrets,
    sandbox: rt.sandbox,
    workspace: rt.state.worktree,
  });
  recordInflight(rt, null);
  const durationMs = result.results.reduce((s, r) => s + rt.env.duration(r.durationMs), 0);
  const pass = result.pass || result.skipped;
  const tail = result.results.filter((r) => r.exitCode !== 0).map((r) => `$ ${r.command}\n${r.outputTail}`).join('\n');
  return {
    outcome: pass ? 'pass' : 'fail',
    patch: { verify: { tier, pass, log: logRel, output_tail: tail } },
    events: [
      {
        type: 'verify.finished',
        ...fields,
        tier,
        pass: result.pass,
        skipped: result.skipped,
        duration_ms: durationMs,
        log: logRel,
        commands: result.results.map((r) => ({ command: r.command, exit_code: r.exitCode, timed_out: r.timedOut, duration_ms: rt.env.duration(r.durationMs) })),
      },
    ],
  };
}

/**
 * The finished runs on this repo before this one, oldest first, from the run store this run
 * lives in (runs still going, or left running by a crash, do not count). Impure.
 */
function pastRuns(rt: Runtime): PastRun[] {
  return listRuns(path.dirname(rt.paths.dir))
    .filter((r) => r.state.run_id !== rt.state.run_id && r.state.status !== 'running' && path.resolve(r.state.repo) === path.resolve(rt.repo))
    .map((r) => ({ run_id: r.state.run_id, stop_reason: r.state.stop_reason }));
}
