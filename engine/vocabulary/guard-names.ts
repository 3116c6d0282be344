/**
 * Guards a pipeline may name in `when:` and decide `if:`. The implementations live in
 * runtime/guards.ts; this list is what the compiler checks names against.
 */
export const GUARD_NAMES = [
  'explore_enabled',
  'auto_approve',
  'has_changes',
  'no_changes',
  'greenfield',
  'incremental',
  'always',
  'never',
] as const;

export type GuardName = (typeof GUARD_NAMES)[number];
