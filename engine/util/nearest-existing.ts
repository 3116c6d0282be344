import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The path itself when it is there, else its nearest parent that is (where a missing folder
 * would be made). Links are followed: one that leads nowhere is not there, and its parent is
 * where a folder would be made in its place. Impure (reads the file system).
 */
export function nearestExisting(p: string): string {
  let dir = p;
  while (!existsSync(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dir;
}
