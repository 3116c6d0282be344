import { globMatcher } from '../governance/match-glob.js';
import type { IrStep } from '../compile/ir.js';
import type { VerifyTier } from '../verify/index.js';
import type { RunContext } from '../vocabulary/run-context.js';
import type { RunPolicy } from './types.js';
import type { KpiSamples } from '../kpi/collect-samples.js';
import { tier0FastDecision } from '../kpi/decide.js';

const ORDER: VerifyTier[] = ['tier0_fast', 'tier0', 'tier1', 'tier2'];

/** A finished earlier run on the same repo, oldest first. */
export interface PastRun {
  run_id: string;
  stop_reason: string | null;
  /** Its KPI samples (from the store's index), which tier0_fast's suspension reads. */
  samples?: KpiSamples;
}

/**
 * Which tier a verify step runs, and why (the reason goes into `verify.selected`). A fixed
 * tier runs as written. `auto` runs tier0_fast only when every gate holds — enabled, with
 * commands, a change of at most `max_files` files and `max_loc` lines, no risk trigger, and
 * the last `require_green_runs` finished runs on this repo completed — and tier0 otherwise.
 * A risk trigger that names a higher tier raises either. Pure.
 */
export function selectTier(stepTier: IrStep['tier'], changes: RunContext['changes'], policy: RunPolicy, history: readonly PastRun[]): { tier: VerifyTier; reason: string } {
  const fired = firedRiskTriggers(changes?.paths ?? [], policy);
  let tier: VerifyTier;
  let reason: string;
  if (stepTier === 'auto' || stepTier === undefined) {
    const gate = fastGate(changes, policy, history, fired.length > 0);
    tier = gate.ok ? 'tier0_fast' : 'tier0';
    reason = `auto: ${tier} (${gate.why})`;
  } else {
    tier = stepTier;
    reason = `step asks for ${tier}`;
  }
  for (const { trigger, hit } of fired) {
    const wanted = trigger.tier as VerifyTier;
    if (ORDER.indexOf(wanted) > ORDER.indexOf(tier)) {
      tier = wanted;
      reason = `risk trigger ${trigger.name} fired on ${hit}: ${wanted}`;
    }
  }
  return { tier, reason };
}

/**
 * The risk triggers that fire on these paths, in policy order, each with the first path it
 * matched. Verification tiers and the auto-approve guardrail read the same list. Pure.
 */
export function firedRiskTriggers(paths: readonly string[], policy: RunPolicy): { trigger: RunPolicy['verification']['risk_triggers'][number]; hit: string }[] {
  const fired: { trigger: RunPolicy['verification']['risk_triggers'][number]; hit: string }[] = [];
  for (const trigger of policy.verification.risk_triggers) {
    const hit = paths.find(globMatcher(trigger.paths));
    if (hit !== undefined) fired.push({ trigger, hit });
  }
  return fired;
}

/** Whether tier0_fast may stand in for tier0, with the first gate that fails or why all hold. Pure. */
export function fastGate(changes: RunContext['changes'], policy: RunPolicy, history: readonly PastRun[], riskFired: boolean): { ok: boolean; why: string } {
  const g = policy.tier0_fast;
  const files = changes?.files ?? 0;
  const loc = changes?.loc ?? 0;
  const need = g.require_green_runs;
  if (!g.enabled) return { ok: false, why: 'tier0_fast.enabled is false' };
  if (policy.verification.tiers.tier0_fast.commands.length === 0) return { ok: false, why: 'tier0_fast has no commands' };
  if (files > g.max_files) return { ok: false, why: `${files} files changed, more than tier0_fast.max_files ${g.max_files}` };
  if (loc > g.max_loc) return { ok: false, why: `${loc} lines changed, more than tier0_fast.max_loc ${g.max_loc}` };
  if (riskFired) return { ok: false, why: 'a risk trigger fired' };
  const recent = need === 0 ? [] : history.slice(-need);
  if (recent.length < need) return { ok: false, why: `${history.length} finished run(s) on this repo, tier0_fast.require_green_runs is ${need}` };
  const red = recent.find((r) => r.stop_reason !== 'completed');
  if (red) return { ok: false, why: `run ${red.run_id} ended ${red.stop_reason ?? 'without a stop reason'}; the last ${need} must have completed` };
  const suspended = tier0FastDecision(recent, policy.kpi_targets);
  if (suspended) return { ok: false, why: `suspended: ${suspended.detail}` };
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return { ok: true, why: `${plural(files, 'file')}, ${plural(loc, 'line')}; the last ${need} runs completed` };
}
