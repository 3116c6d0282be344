import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * The absolute path with links resolved in its deepest part that exists (what a bind of it
 * would reach once the rest is made). Impure (resolves links).
 */
export function resolveLinks(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(resolveLinks(parent), path.basename(abs));
  }
}
