import { lstatSync } from 'node:fs';
import path from 'node:path';

/**
 * The first of `base` and the paths under it to `rel`, component by component, that is a
 * symbolic link; null when none is (a component that does not exist ends the walk: nothing
 * past it is reached at all). Other errors of lstat are thrown. Impure (lstat).
 */
export function firstLink(base: string, rel: string): string | null {
  let at = base;
  for (const part of ['', ...rel.split('/')]) {
    at = part ? path.join(at, part) : at;
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (!st) return null;
    if (st.isSymbolicLink()) return at;
  }
  return null;
}
