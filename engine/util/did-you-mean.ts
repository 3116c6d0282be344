import { closest } from './closest.js';

/** "did you mean `allowed_roots`?" when a candidate is a likely typo of `name`. Pure. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const near = closest(name, candidates);
  return near !== undefined && near !== name ? `did you mean \`${near}\`?` : undefined;
}

/** A did-you-mean hint, else the list of what is allowed (when short enough to read). Pure. */
export function keyHint(name: string, allowed: readonly string[]): string | undefined {
  const hint = didYouMean(name, allowed);
  if (hint) return hint;
  if (allowed.length === 0) return undefined;
  return allowed.length <= 16 ? `allowed: ${allowed.map((k) => `\`${k}\``).join(', ')}` : undefined;
}

/**
 * A hint for a key that is a habit from GitHub Actions workflows (`if`, `timeout-minutes`,
 * `name`, `run:` in a worker step), given the keys allowed where it was written and the
 * mapping that holds it; undefined when the key is no such habit. Pure.
 */
export function habitHint(key: string, allowed: readonly string[], container: unknown): string | undefined {
  const type = container !== null && typeof container === 'object' ? (container as Record<string, unknown>)['type'] : undefined;
  if (key === 'if' && allowed.includes('when')) return 'did you mean `when`? A step runs only when its guard holds: `when: <guard>`';
  if (key === 'timeout-minutes' || key === 'timeout_minutes' || key === 'timeout') {
    if (allowed.includes('timeout_s')) return 'did you mean `timeout_s`? Limits are in seconds';
    if (allowed.includes('when')) return 'a step of this type has no time limit of its own: set `timeout_s` (seconds) on the worker under `workers:`, or per tier in the policy';
  }
  if (key === 'name' && allowed.includes('id') && allowed.includes('description')) return 'a step is named by its `id`; `description` says what it is for';
  if (key === 'run' && type === 'worker') return 'a worker step calls a worker; to run a shell command, add a step of its own: `type: command` with `run:`';
  return undefined;
}
