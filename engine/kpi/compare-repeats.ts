import type { TimelineEvent } from '../generated/event.js';

/** What must be identical across repeats of one task and seed (contract §8, determinism). */
export interface RepeatFacts {
  planned_paths: string[][];
  test_outcomes: { tier: string; pass: boolean; exit_codes: (number | null)[] }[];
  checkpoint_trees: string[];
}

export interface Determinism {
  /** Repeats compared (runs that produced a timeline). */
  compared: number;
  planned_paths: boolean;
  test_outcomes: boolean;
  checkpoint_trees: boolean;
  /** For each facet that differs: the first repeat that differs from repeat 1. */
  differences: string[];
}

/** The facts of one run's timeline that repeats must share. Pure. */
export function factsOf(events: readonly TimelineEvent[]): RepeatFacts {
  const facts: RepeatFacts = { planned_paths: [], test_outcomes: [], checkpoint_trees: [] };
  for (const e of events) {
    if (e.type === 'plan.accepted') facts.planned_paths = e.milestones.map((m) => [...m.files_expected].sort());
    if (e.type === 'verify.finished') facts.test_outcomes.push({ tier: e.tier, pass: e.pass, exit_codes: e.commands.map((c) => c.exit_code) });
    if (e.type === 'checkpoint.created') facts.checkpoint_trees.push(e.tree);
  }
  return facts;
}

/**
 * Whether repeats agree, facet by facet, each compared with the first. `repeats` names them
 * (default 1, 2, …): a shard runs some repeats of a task, e.g. 2 and 3. Pure.
 */
export function compareRepeats(all: readonly RepeatFacts[], repeats: readonly number[] = all.map((_, i) => i + 1)): Determinism {
  const facets = ['planned_paths', 'test_outcomes', 'checkpoint_trees'] as const;
  const result: Determinism = { compared: all.length, planned_paths: true, test_outcomes: true, checkpoint_trees: true, differences: [] };
  const [first, ...rest] = all;
  if (!first) return result;
  for (const facet of facets) {
    const at = rest.findIndex((f) => JSON.stringify(f[facet]) !== JSON.stringify(first[facet]));
    if (at >= 0) {
      result[facet] = false;
      result.differences.push(`${facet.replace('_', ' ')}: repeat ${repeats[at + 1] ?? at + 2} differs from repeat ${repeats[0] ?? 1}`);
    }
  }
  return result;
}
