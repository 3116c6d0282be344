import picomatch from 'picomatch';

/** Whether a repo-relative path matches. */
export type GlobMatcher = (path: string) => boolean;

/**
 * `basename`: a glob without a slash matches the file name in any directory. `nocase`: letters
 * match in either case — for the lists that forbid (protected paths, lockfiles, framework
 * paths): on a file system that folds case (macOS, Windows) `.ENGINE/policy.yaml` is
 * `.engine/policy.yaml`, and a branch carrying it overwrites the team's policy where it is merged.
 */
export interface GlobOptions {
  basename?: boolean;
  nocase?: boolean;
}

const compiled = new Map<string, GlobMatcher>();
const KEEP = 512;

/**
 * A matcher of one glob or any of several (`dot: true`, so dotfiles match; with `basename`, a
 * glob without a slash matches the file name in any directory). Each distinct glob list is
 * compiled once per process: governance, the plan check, the risk triggers and the
 * auto-approve guardrail ask with the policy's same globs at every step, and compiling them
 * cost more than matching. Pure (memoised).
 */
export function globMatcher(patterns: string | readonly string[], opts: GlobOptions = {}): GlobMatcher {
  const key = `${opts.basename ? 'b' : 'p'}${opts.nocase ? 'i' : 'c'}\0${typeof patterns === 'string' ? patterns : patterns.join('\0')}`;
  let m = compiled.get(key);
  if (!m) {
    m = compile(patterns, opts);
    if (compiled.size >= KEEP) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, m);
  }
  return m;
}

/** The first of the globs that matches a path, or null. Pure (memoised). */
export function firstGlob(patterns: readonly string[], opts: GlobOptions = {}): (path: string) => string | null {
  const matchers = patterns.map((pattern) => [pattern, globMatcher(pattern, opts)] as const);
  return (p) => matchers.find(([, m]) => m(p))?.[0] ?? null;
}

function compile(patterns: string | readonly string[], opts: GlobOptions): GlobMatcher {
  if (typeof patterns !== 'string' && patterns.length === 0) return () => false;
  const m = picomatch(typeof patterns === 'string' ? patterns : [...patterns], { dot: true, ...(opts.basename ? { basename: true } : {}), ...(opts.nocase ? { nocase: true } : {}) });
  // One argument only: picomatch's second is `returnObject`, which a caller such as
  // Array.prototype.find would fill with an index.
  return (p) => m(p);
}
