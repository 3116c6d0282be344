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

/**
 * Whether a name below the folder `dir` could match `glob` by what `dir` itself is called:
 * true for `.github` and `.github/workflows/**`, or `config/x` and `config/*\/prod.yml`;
 * false for `src` there, and for `lib` and `**\/secrets/**` (a leading `**` that takes all of
 * `dir` leaves the match to the names inside, which match under their own folder too). For a
 * link, which gives a folder's content new names. A part of the glob whose braces or groups
 * hold a `/` counts as any number of folders (it may call for the reviewer more than it
 * need). Pure (memoised matchers).
 */
export function leadsInto(dir: string, glob: string, opts: GlobOptions = {}): boolean {
  const parts = splitGlob(glob);
  const names = dir.split('/');
  const tried = new Map<string, boolean>();
  const from = (i: number, j: number, anchored: boolean): boolean => {
    if (i === names.length) return anchored;
    if (j === parts.length) return false;
    const key = `${i} ${j} ${anchored}`;
    let r = tried.get(key);
    if (r === undefined) {
      const part = parts[j]!;
      if (part === '**') r = from(i, j + 1, anchored) || from(i + 1, j, anchored);
      else if (part.includes('/')) r = from(i, j + 1, true) || from(i + 1, j, true);
      else r = globMatcher(part, opts)(names[i]!) && from(i + 1, j + 1, true);
      tried.set(key, r);
    }
    return r;
  };
  return from(0, 0, false);
}

/** A glob's folder parts, split at each `/` outside braces, brackets and groups. Pure. */
function splitGlob(glob: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let part = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      part += c + glob[++i]!;
      continue;
    }
    if (c === '{' || c === '(' || c === '[') depth++;
    else if ((c === '}' || c === ')' || c === ']') && depth > 0) depth--;
    if (c === '/' && depth === 0) {
      parts.push(part);
      part = '';
    } else part += c;
  }
  parts.push(part);
  return parts;
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
