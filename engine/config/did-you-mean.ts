import { closest } from '../util/closest.js';

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
  return allowed.length <= 12 ? `allowed: ${allowed.map((k) => `\`${k}\``).join(', ')}` : undefined;
}
