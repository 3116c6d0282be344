import path from 'node:path';
import picomatch from 'picomatch';
import { runVerification, type VerifyTier } from '../../verify/index.js';
import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../context.js';
import { stepFields, type Runtime, type StepResult, type RunPolicy } from '../types.js';
import { recordInflight } from './inflight.js';

const ORDER: VerifyTier[] = ['tier0_fast', 'tier0', 'tier1', 'tier2'];

/**
 * Which tier a verify step runs, and why. A fixed tier runs as written, raised by a risk
 * trigger that names a higher tier; `auto` runs tier0 (tier0_fast selection from run
 * history is not enabled yet, so auto never picks it). Pure.
 */
export function selectTier(stepTier: IrStep['tier'], changedPaths: readonly string[], policy: RunPolicy): { tier: VerifyTier; reason: string } {
  let tier: VerifyTier = stepTier === 'auto' || stepTier === undefined ? 'tier0' : stepTier;
  let reason = stepTier === 'auto' ? 'auto: tier0 (tier0_fast needs run history, not tracked yet)' : `step asks for ${tier}`;
  for (const trigger of policy.verification.risk_triggers) {
    const wanted = trigger.tier as VerifyTier;
    const hit = changedPaths.find((p) => picomatch(trigger.paths, { dot: true })(p));
    if (hit && ORDER.indexOf(wanted) > ORDER.indexOf(tier)) {
      tier = wanted;
      reason = `risk trigger ${trigger.name} fired on ${hit}: ${wanted}`;
    }
  }
  return { tier, reason };
}

/** Run a verification tier in the worktree. Outcome pass or fail. Impure. */
export async function runVerifyStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  const { tier, reason } = selectTier(step.tier, ctx.changes?.paths ?? [], rt.policy);
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
