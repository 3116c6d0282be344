import type { KpiSamples } from './collect-samples.js';
import { MEASURES } from './definitions.js';
import { mergeSamples } from './merge-samples.js';
import { statOf } from './stats.js';
import { exceeds, targetText, type KpiTargets } from './targets.js';

/**
 * What a KPI over its target makes the engine do (the seed: "every KPI must directly inform a
 * guardrail or scheduling decision"). Each decision is a `kpi.decision` event in the timeline
 * and a line of the summary; docs/kpis.md lists them all.
 */
export interface KpiDecision {
  kpi: keyof KpiTargets;
  value: number;
  target: number;
  decision: 'require_review' | 'structured_output' | 'doctor_live' | 'suspend_tier0_fast' | 'smaller_milestones';
  detail: string;
}

/** Fewest parse failures in a run before their rate is judged: one is what a repair prompt is for. */
export const MIN_PARSE_FAILURES = 2;
/** Finished runs on the repo whose pooled retry rate the planner's prompt reads. */
export const RETRY_WINDOW = 5;

/**
 * A milestone that took more worker calls than `calls_p90`, or longer than
 * `milestone_p90_s`, makes the next one careful: its implement prompt carries what went wrong
 * (trimmed) and its reviewer is required (no auto-approve). Calls are judged first. Pure.
 */
export function milestoneDecision(m: { index: number; calls: number; seconds: number }, t: KpiTargets): KpiDecision | null {
  const next = `milestone ${m.index + 1}`;
  if (exceeds('calls_p90', m.calls, t)) {
    return { kpi: 'calls_p90', value: m.calls, target: t.calls_p90, decision: 'require_review', detail: `milestone ${m.index} took ${m.calls} worker calls (target ${targetText('calls_p90', t)}): ${next} gets its failure context and a required review` };
  }
  if (exceeds('milestone_p90_s', m.seconds, t)) {
    return { kpi: 'milestone_p90_s', value: m.seconds, target: t.milestone_p90_s, decision: 'require_review', detail: `milestone ${m.index} took ${m.seconds} s (target ${targetText('milestone_p90_s', t)}): ${next} gets its failure context and a required review` };
  }
  return null;
}

/**
 * The run's parse failures per 100 calls against `parse_failures_per_100` (strict, "< 1 per
 * 100"), judged once there are at least MIN_PARSE_FAILURES: a worker whose CLI has native
 * structured output (`nativeStructured`, its plugin's `structuredOutput`: claude, codex)
 * switches to it for the rest of the run; any other worker stops the step (parse_failed)
 * for `doctorLive` (the run's `engine doctor <pipeline> --repo <repo> --live`). Null while the rate holds or
 * when the worker already uses structured output and still fails (the repairs decide). Pure.
 */
export function parseDecision(run: { parse_failures: number; worker_calls: number }, worker: { name: string; use: string; structured: boolean; nativeStructured: boolean }, t: KpiTargets, doctorLive: string): KpiDecision | null {
  if (run.parse_failures < MIN_PARSE_FAILURES || run.worker_calls === 0) return null;
  const rate = Math.round((run.parse_failures / run.worker_calls) * 100 * 1000) / 1000;
  if (!exceeds('parse_failures_per_100', rate, t)) return null;
  const base = { kpi: 'parse_failures_per_100' as const, value: rate, target: t.parse_failures_per_100 };
  if (worker.nativeStructured) {
    if (worker.structured) return null;
    return { ...base, decision: 'structured_output', detail: `${run.parse_failures} parse failures in ${run.worker_calls} calls (${rate} per 100, target ${targetText('parse_failures_per_100', t)}): worker ${worker.name} uses native structured output from now on` };
  }
  return { ...base, decision: 'doctor_live', detail: `${run.parse_failures} parse failures in ${run.worker_calls} calls (${rate} per 100, target ${targetText('parse_failures_per_100', t)}) and worker ${worker.name} (${worker.use}) has no native structured output: run \`${doctorLive}\` before resuming` };
}

/**
 * tier0_fast exists to be fast: when its own p90 over the recent runs on the repo exceeds
 * `tier0_p90_s`, it buys no time and proves less than tier0, so `tier: auto` runs tier0
 * until the history shows it fast again. Pure.
 */
export function tier0FastDecision(history: readonly { samples?: KpiSamples }[], t: KpiTargets): KpiDecision | null {
  const times = history.flatMap((h) => h.samples?.verify_ms.tier0_fast ?? []).map((ms) => ms / 1000);
  const p90 = statOf(times).p90;
  if (p90 === null || !exceeds('tier0_p90_s', p90, t)) return null;
  return { kpi: 'tier0_p90_s', value: p90, target: t.tier0_p90_s, decision: 'suspend_tier0_fast', detail: `tier0_fast p90 over the last ${history.length} run(s) is ${p90} s (tier0 target ${targetText('tier0_p90_s', t)}): tier0_fast is suspended, tier0 runs` };
}

/**
 * The pooled retry rate of the recent runs on the repo against `retry_rate` (strict, "< 20 %
 * of milestones"): over it, the planner is asked for smaller milestones (the `smaller_milestones`
 * variable of the plan prompt). Pure.
 */
export function retryDecision(history: readonly { samples?: KpiSamples }[], t: KpiTargets): KpiDecision | null {
  const pooled = mergeSamples(history.flatMap((h) => (h.samples ? [h.samples] : [])));
  const rate = MEASURES.retry_rate.of(pooled);
  if (rate === null || !exceeds('retry_rate', rate, t)) return null;
  return { kpi: 'retry_rate', value: rate, target: t.retry_rate, decision: 'smaller_milestones', detail: `${pooled.retried_milestones} of ${pooled.milestones_started} milestones of the last ${history.length} run(s) needed a retry (rate ${rate}, target ${targetText('retry_rate', t)}): the planner is asked for smaller milestones` };
}

/**
 * What the previous milestone went through, for the next one's prompt: its failed
 * verifications' output, the review requests and parse errors, each trimmed, at most
 * `limit` characters in all (the newest kept). Pure.
 */
export function carriedFailure(items: readonly string[], limit = 1500): string {
  const trimmed = items.map((s) => (s.length > 500 ? `…${s.slice(-499)}` : s)).filter(Boolean);
  const out: string[] = [];
  let size = 0;
  for (let i = trimmed.length - 1; i >= 0; i--) {
    if (size + trimmed[i]!.length > limit) break;
    out.unshift(trimmed[i]!);
    size += trimmed[i]!.length;
  }
  return out.join('\n---\n');
}
