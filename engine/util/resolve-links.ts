import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * The path with every link resolved, as `fs.realpathSync` gives it, or its error. Asked of the
 * C library's realpath (one readlink per part), not Node's own walk (an lstat and a Stats
 * object per part): the sandbox resolves a dozen paths at every sandboxed start, 2-3 ms of a
 * milestone the other way. Kept to Node's answers: the path is resolved as text first (`..`
 * after a link, a trailing slash, '' for the current directory), and a name that is not UTF-8
 * (the C library's answer would come back with U+FFFD in it, naming nothing) is left to Node's
 * walk, which fails on it as it always did. Impure (resolves links).
 */
export function realPath(p: string): string {
  const abs = path.resolve(p);
  const real = realpathSync.native(abs);
  return real.includes('\uFFFD') ? realpathSync(abs) : real;
}

/**
 * The absolute path with links resolved in its deepest part that exists (what a bind of it
 * would reach once the rest is made). Impure (resolves links).
 */
export function resolveLinks(p: string): string {
  const abs = path.resolve(p);
  try {
    return realPath(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(resolveLinks(parent), path.basename(abs));
  }
}
