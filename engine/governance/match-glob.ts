import picomatch from 'picomatch';

/** Whether a repo-relative path matches. */
export type GlobMatcher = (path: string) => boolean;

/**
 * `basename`: a glob without a slash matches the file name in any directory. `fold`: names
 * match as a file system that folds them compares them — letters in either case, and a
 * letter composed or decomposed alike (both sides put in Unicode's NFC first) — for the lists
 * that forbid (protected paths, lockfiles, framework paths): on macOS or Windows
 * `.ENGINE/policy.yaml` is `.engine/policy.yaml`, and on macOS `prod-cafe\u0301` (NFD) is
 * `prod-café` (NFC); a branch carrying either overwrites the protected file where it is checked out.
 */
export interface GlobOptions {
  basename?: boolean;
  fold?: boolean;
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
  const key = `${opts.basename ? 'b' : 'p'}${opts.fold ? 'f' : 'c'}\0${typeof patterns === 'string' ? patterns : patterns.join('\0')}`;
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
  const list = typeof patterns === 'string' ? [patterns] : [...patterns];
  const m = picomatch(opts.fold ? list.map(toNfc) : list, { dot: true, ...(opts.basename ? { basename: true } : {}), ...(opts.fold ? { nocase: true } : {}) });
  // One argument only: picomatch's second is `returnObject`, which a caller such as
  // Array.prototype.find would fill with an index.
  return opts.fold ? (p) => m(toNfc(p)) : (p) => m(p);
}

function toNfc(text: string): string {
  return text.normalize('NFC');
}
