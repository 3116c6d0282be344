import { lstatSync } from 'node:fs';

/**
 * A directory at `dir` itself, not a link to one (false when nothing is there or it cannot be
 * looked at): without the OS sandbox a worker can put a link where the engine expects a
 * directory of its own, and what the link names is not the engine's. Impure.
 */
export function isOwnDirectory(dir: string): boolean {
  try {
    return lstatSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}
