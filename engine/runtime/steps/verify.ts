import path from 'node:path';
import { runVerification } from '../../verify/index.js';
import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../../vocabulary/run-context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';
import { recordInflight } from './inflight.js';
import { selectTier } from '../select-tier.js';
import { pastRunsOf } from '../index-run.js';
import { commandEnvOf } from '../command-env.js';
import { tier0FastDecision } from '../../kpi/decide.js';
import { eventsOfType } from '../events-by.js';
import { diffOf } from '../tree-diffs.js';
import { measureChanges } from './measure-changes.js';
import { clearIgnored, describeRemovedIgnored } from '../clear-ignored.js';

/** Run a verification tier in the worktree. Outcome pass or fail. Impure. */
export async function runVerifyStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  const history = step.tier === 'auto' ? await pastRunsOf(rt) : [];
  const { tier, reason } = selectTier(step.tier, ctx.changes, rt.policy, history);
  // tier0_fast suspended by its own p90 is a KPI decision (docs/kpis.md).
  const suspended = reason.includes('(suspended: ') ? tier0FastDecision(history.slice(-rt.policy.tier0_fast.require_green_runs), rt.policy.kpi_targets) : null;
  if (suspended) rt.append({ type: 'kpi.decision', ...fields, ...suspended });
  rt.append({ type: 'verify.selected', ...fields, tier, reason });
  const tierPolicy = rt.policy.verification.tiers[tier];
  // Numbered by the verifications begun (this one's verify.selected is in): one an interrupt
  // or a crash cut short keeps its log, and its repetition on resume writes the next.
  const n = eventsOfType(rt.events, 'verify.selected').length;
  const logRel = path.join('verify', `${String(n).padStart(4, '0')}-${tier}.log`);
  const commandEnv = commandEnvOf(rt);
  // Run on the committed tree and what the set-up left, never on an ignored file a worker wrote.
  const removed = await clearIgnored(rt);
  const result = await runVerification({
    capBytes: rt.policy.transcripts.raw_cap_bytes,
    tier,
    commands: tierPolicy.commands,
    cwd: path.resolve(rt.state.workspace, rt.policy.verification.cwd),
    timeoutS: tierPolicy.timeout_s,
    logPath: path.join(rt.paths.dir, logRel),
    // The user's environment less the worker provider keys and secret-named variables.
    env: commandEnv.env,
    withheld: commandEnv.withheld,
    head: describeRemovedIgnored(removed),
    onSpawn: (pid) => recordInflight(rt, { pid, pgid: pid, step: step.id, call: null }),
    signal: rt.signal,
    secrets: rt.secrets,
    sandbox: rt.sandbox,
    workspace: rt.state.workspace,
  });
  recordInflight(rt, null);
  const durationMs = result.results.reduce((s, r) => s + rt.env.duration(r.durationMs), 0);
  const pass = result.pass || result.skipped;
  const tail = result.results.filter((r) => r.exitCode !== 0).map((r) => `$ ${r.command}\n${r.outputTail}`).join('\n');
  return {
    outcome: pass ? 'pass' : 'fail',
    patch: { verify: { tier, pass, log: logRel, output_tail: tail, ...(result.skipped ? { skipped: true } : {}) } },
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
        ...(removed ? { ignored_removed: removed } : {}),
      },
    ],
  };
}

/**
 * A verification whose own commands changed the workspace (a test's exit hook rewriting a
 * source, removing tests, adding files): the checkpoint commits the tree after it, which is
 * not the tree the verification ran on or the change auto-approve would judge. The milestone's
 * change is measured again on that tree, and the files the verification changed are kept in
 * its facts: auto-approve refuses them (guards.ts), so the reviewer sees what is committed.
 * Impure (git, only when the tree moved).
 */
export async function withVerifyChanges(rt: Runtime, result: Extract<StepResult, { outcome: string }>, before: string | null, after: string): Promise<StepResult> {
  const verify = result.patch.verify;
  if (!verify || before === after) return result;
  const [{ files }, measured] = await Promise.all([diffOf(rt, before, after), measureChanges(rt, after)]);
  if (files.length === 0) return result;
  return { ...result, patch: { ...result.patch, changes: measured.changes, verify: { ...verify, changed: files.map((f) => f.path) } } };
}
