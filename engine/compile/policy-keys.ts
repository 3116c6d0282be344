/**
 * Policy keys that hold whole numbers, which a retry bound (`attempts:`) may name. Kept in
 * step with schemas/policy.schema.json by test/compile/policy-keys.test.ts.
 */
export const NUMERIC_POLICY_KEYS: string[] = [
  'verification.max_attempts',
  'tier0_fast.max_files',
  'tier0_fast.max_loc',
  'tier0_fast.require_green_runs',
  'auto_approve.max_files',
  'auto_approve.max_loc',
  'budgets.max_ticks',
  'budgets.time_min',
  'budgets.worker_calls_per_milestone',
  'budgets.parse_retries',
  'budgets.review_rounds',
];
