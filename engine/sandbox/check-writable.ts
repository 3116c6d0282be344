import { isWithin } from '../util/is-within.js';
import { resolveLinks } from '../util/resolve-links.js';

/** A place no sandboxed process may write, and what to call it in a message. */
export interface KeptPlace {
  path: string;
  what: string;
}

/**
 * The `sandbox.writable` entries that would hand a worker a place the sandbox keeps read-only
 * (contract §5: the user's repository, the run store, the engine's install), because they are
 * that place, lie inside it, or hold it: `/home/me` as a package cache holds the checkout of
 * `/home/me/project`, and a worker could then write the user's files and plant what their
 * tools run. One message per entry and place. Links are resolved where the path exists.
 * Impure (resolves links).
 */
export function refusedWritable(writable: readonly string[], kept: readonly KeptPlace[]): string[] {
  return writable.flatMap((entry) => keptOverlaps(entry, kept).map((how) => `sandbox.writable ${entry} ${how}, which the sandbox keeps read-only`));
}

/**
 * How a path meets the places kept read-only: `is inside <what> <path>` or `holds <what>
 * <path>`, one for each it meets. Links are resolved where the path exists. Impure (resolves
 * links).
 */
export function keptOverlaps(entry: string, kept: readonly KeptPlace[]): string[] {
  const out: string[] = [];
  const w = resolveLinks(entry);
  for (const k of kept) {
    const p = resolveLinks(k.path);
    if (isWithin(w, p)) out.push(`is inside ${k.what} ${k.path}`);
    else if (isWithin(p, w)) out.push(`holds ${k.what} ${k.path}`);
  }
  return out;
}
