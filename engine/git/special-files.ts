import { readdirSync } from 'node:fs';
import path from 'node:path';
import { removeFile } from '../util/remove-tree.js';

/** The files git opens and reads in every directory it stages. */
const READ_BY_GIT = new Set(['.gitignore', '.gitattributes', '.gitmodules']);

/**
 * Removes, anywhere in the workspace (its own `.git` aside), each `.gitignore`,
 * `.gitattributes` or `.gitmodules` that is neither a regular file, a link nor a directory:
 * git opens those as it stages, and a FIFO there blocks it until someone writes to it (for
 * ever, the engine waiting on git; a socket or a device is no better). They can never be part
 * of a tree anyway. Returns their paths, relative to the workspace, for the caller to report.
 * Links are not followed. Impure (reads and removes files).
 */
export function removeSpecialGitFiles(root: string): string[] {
  const found: string[] = [];
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(rel ? path.join(root, rel) : root, { withFileTypes: true });
    } catch {
      continue; // gone, or not a directory any more: git will say what it finds
    }
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!(rel === '' && e.name === '.git')) stack.push(child);
      } else if (READ_BY_GIT.has(e.name) && !e.isFile() && !e.isSymbolicLink()) {
        removeFile(path.join(root, child));
        found.push(child);
      }
    }
  }
  return found.sort();
}
