import { globMatcher } from '../governance/match-glob.js';
import { firedRiskTriggers } from './select-tier.js';
import type { RunContext } from '../vocabulary/run-context.js';
import type { GuardName } from '../vocabulary/guard-names.js';
import type { RunPolicy } from './types.js';
import { plural } from '../util/plural.js';

export interface GuardEnv {
  policy: RunPolicy;
  taskKind: 'greenfield' | 'incremental';
}

export interface GuardVerdict {
  ok: boolean;
  /** Why, in words that go into the timeline (e.g. `review_skipped_reason`). */
  reason: string;
}

/** Files whose change is a configuration change: never auto-approved. */
const CONFIG_FILES = ['package.json', '**/package.json', 'tsconfig*.json', '**/tsconfig*.json', '.github/**', '.engine/**', '**/*.config.{js,cjs,mjs,ts}'];
export const TEST_FILES = ['**/*.test.*', '**/*.spec.*', '**/test/**', '**/tests/**', 'test/**', 'tests/**', '**/__tests__/**'];

/** Decide a guard on the run's context, with the reason. Pure. */
export function explainGuard(name: string, ctx: RunContext, env: GuardEnv): GuardVerdict {
  switch (name as GuardName) {
    case 'always':
      return { ok: true, reason: 'always' };
    case 'never':
      return { ok: false, reason: 'never' };
    case 'greenfield':
      return { ok: env.taskKind === 'greenfield', reason: `task is ${env.taskKind}` };
    case 'incremental':
      return { ok: env.taskKind === 'incremental', reason: `task is ${env.taskKind}` };
    case 'explore_enabled': {
      const mode = env.policy.explore.mode;
      if (mode === 'on' || mode === 'off') return { ok: mode === 'on', reason: `explore.mode is ${mode}` };
      return { ok: env.taskKind === 'greenfield', reason: `explore.mode is auto and the task is ${env.taskKind}` };
    }
    case 'has_changes':
      return { ok: (ctx.changes?.files ?? 0) > 0, reason: `${plural(ctx.changes?.files ?? 0, 'file')} changed` };
    case 'no_changes':
      return { ok: (ctx.changes?.files ?? 0) === 0, reason: `${plural(ctx.changes?.files ?? 0, 'file')} changed` };
    case 'auto_approve':
      return explainAutoApprove(ctx, env.policy);
  }
  return { ok: false, reason: `unknown guard ${name}` };
}

/** Why a change of `files` files and `loc` lines is too large to auto-approve, or null. Pure. */
export function sizeRefusal(files: number, loc: number, a: RunPolicy['auto_approve']): string | null {
  if (files > a.max_files) return `${plural(files, 'file')} changed (max ${a.max_files})`;
  if (loc > a.max_loc) return `${loc} lines changed (max ${a.max_loc})`;
  return null;
}

/**
 * The reviewer may be skipped only when every guardrail holds: auto-approve on, verification
 * green, a small diff, no risk trigger, no new file the plan did not expect, no config change,
 * no test file removed and none left with fewer tests or more skipped (measure-changes.ts).
 * The first guardrail that fails is the reason. Pure.
 */
export function explainAutoApprove(ctx: RunContext, policy: RunPolicy): GuardVerdict {
  const a = policy.auto_approve;
  const no = (reason: string): GuardVerdict => ({ ok: false, reason });
  if (!a.enabled) return no('auto_approve.enabled is false');
  if (ctx.kpi?.require_review) return no(`a KPI requires the review: ${ctx.kpi.require_review}`);
  if (!ctx.verify?.pass) return no('verification is not green');
  const c = ctx.changes;
  if (!c) return no('the change is unknown');
  const size = sizeRefusal(c.files, c.loc, a);
  if (size) return no(size);
  const [fired] = firedRiskTriggers(c.paths, policy);
  if (fired) return no(`risk trigger ${fired.trigger.name} fired on ${fired.hit}`);
  const expected = ctx.milestones[ctx.milestone - 1]?.files_expected ?? [];
  const unexpected = c.new_paths.find((p) => !expected.includes(p));
  if (unexpected) return no(`new file ${unexpected} was not in the plan`);
  const config = c.paths.find(globMatcher(CONFIG_FILES));
  if (config) return no(`configuration changed: ${config}`);
  const removedTest = (c.deleted_paths ?? []).find(globMatcher(TEST_FILES));
  if (removedTest) return no(`test file removed: ${removedTest}`);
  const fewer = c.fewer_tests?.[0];
  if (fewer) return no(`test-count regression: ${fewer.path} (${fewer.change})`);
  return { ok: true, reason: `verification green, ${plural(c.files, 'file')} and ${plural(c.loc, 'line')} (≤ ${a.max_files}/${a.max_loc}), no risk trigger, only planned new files` };
}
