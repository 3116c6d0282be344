import type { RunState } from '../generated/state.js';
import { shellWord } from '../util/shell-quote.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

/**
 * The doctor command for a run's pipeline, repo and policy: the policy files and `--set`s the
 * run was given (without them doctor judged the repo's policy alone: the demo's said its tier0
 * had no commands, which the run's own policy had), then `more` (`--live`). A bare `engine
 * doctor` checks the repo's .engine/pipeline.yaml, not the run's. Pure.
 */
export function doctorCommand(state: Pick<RunState, 'pipeline' | 'repo' | 'policy'>, more = ''): string {
  return engineCommandAnywhere(`doctor ${shellWord(state.pipeline.path)} --repo ${shellWord(state.repo)}${policyWords(state)}${more ? ` ${more}` : ''}`);
}

/**
 * ` --policy FILE… --set K=V…` as the run was given them (empty when none, or for a state.json
 * from before they were recorded, which a report of an old store renders). Pure.
 */
export function policyWords(state: Pick<RunState, 'policy'>): string {
  const given = state.policy as Partial<RunState['policy']> | undefined;
  return [...(given?.files ?? []).map((f) => ` --policy ${shellWord(f)}`), ...(given?.sets ?? []).map((s) => ` --set ${shellWord(s)}`)].join('');
}
