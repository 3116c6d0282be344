import picomatch from 'picomatch';

/** Whether a repo-relative path matches. */
export type GlobMatcher = (path: string) => boolean;

const compiled = new Map<string, GlobMatcher>();
const KEEP = 512;

/**
 * A matcher of one glob or any of several (`dot: true`, so dotfiles match; with `basename`, a
 * glob without a slash matches the file name in any directory). Each distinct glob list is
 * compiled once per process: governance, the plan check, the risk triggers and the
 * auto-approve guardrail ask with the policy's same globs at every step, and compiling them
 * cost more than matching. Pure (memoised).
 */
export function globMatcher(patterns: string | readonly string[], opts: { basename?: boolean } = {}): GlobMatcher {
  const key = `${opts.basename ? 'b' : 'p'}\0${typeof patterns === 'string' ? patterns : patterns.join('\0')}`;
  let m = compiled.get(key);
  if (!m) {
    m = compile(patterns, opts.basename === true);
    if (compiled.size >= KEEP) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, m);
  }
  return m;
}

/** The first of the globs that matches a path, or null. Pure (memoised). */
export function firstGlob(patterns: readonly string[], opts: { basename?: boolean } = {}): (path: string) => string | null {
  const matchers = patterns.map((pattern) => [pattern, globMatcher(pattern, opts)] as const);
  return (p) => matchers.find(([, m]) => m(p))?.[0] ?? null;
}

function compile(patterns: string | readonly string[], basename: boolean): GlobMatcher {
  if (typeof patterns !== 'string' && patterns.length === 0) return () => false;
  const m = picomatch(typeof patterns === 'string' ? patterns : [...patterns], basename ? { dot: true, basename: true } : { dot: true });
  // One argument only: picomatch's second is `returnObject`, which a caller such as
  // Array.prototype.find would fill with an index.
  return (p) => m(p);
}
