import type { EnginePolicy } from '../../generated/policy.js';

/** Every key required, recursively (lists and nullable leaves kept as they are). */
type Complete<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]-?: Complete<NonNullable<T[K]>> | Extract<T[K], null> }
    : T;

/**
 * A policy after layering: every key of schemas/policy.schema.json present (the built-in
 * defaults supply what no layer sets), `.git/**` and `.engine/**` in governance.protected.
 */
export type ResolvedPolicy = Complete<Omit<EnginePolicy, '$schema'>>;

/** One policy layer as written: a source name and, for files, the file. */
export interface PolicyLayerInfo {
  /** `default`, `user`, `repo`, `--policy` or `--set`. */
  source: string;
  file?: string;
}

/** Where an effective value came from. */
export interface Provenance {
  source: string;
  file?: string;
  line?: number;
  col?: number;
  /** For `--set`: the flag as given (`budgets.max_ticks=40`). */
  flag?: string;
}

/** Paths that stay protected whatever the layers say. */
export const ALWAYS_PROTECTED = ['.git/**', '.engine/**'] as const;
