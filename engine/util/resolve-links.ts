import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * The absolute path with links resolved in its deepest part that exists (what a bind of it
 * would reach once the rest is made). The system's realpath (one readlink per part), not
 * Node's own (an lstat and a Stats object per part): the sandbox asks for a dozen paths at
 * every sandboxed start, 2-3 ms of a milestone the other way. Impure (resolves links).
 */
export function resolveLinks(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync.native(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(resolveLinks(parent), path.basename(abs));
  }
}
