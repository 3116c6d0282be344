import type { Dirent } from 'node:fs';

/** The files git opens and reads in every directory it stages. */
const READ_BY_GIT = new Set(['.gitignore', '.gitattributes', '.gitmodules']);

/** Whether git reads a file of this name in every directory it stages (ignored or not). Pure. */
export function readByGitAlways(name: string): boolean {
  return READ_BY_GIT.has(name);
}

/**
 * A file that is neither a regular file, a link nor a directory where git opens and reads:
 * a `.gitignore`, `.gitattributes` or `.gitmodules` in any directory it stages, a `.git` (a
 * gitfile naming a nested repository's git dir), or anything inside a nested `.git` (git
 * reads its HEAD to decide whether the directory is a repository). A FIFO there blocks git
 * until someone writes to it (for ever, the engine waiting on git; a socket or a device is no
 * better). None can be part of a tree anyway: the snapshot's walk of the workspace
 * (stat-record.ts, walkWorkspace) removes each before git looks, and the caller reports it.
 * `rel`: the entry's path relative to the workspace. Pure.
 */
export function blocksGit(entry: Dirent, rel: string): boolean {
  if (entry.isFile() || entry.isSymbolicLink() || entry.isDirectory()) return false;
  return READ_BY_GIT.has(entry.name) || entry.name === '.git' || /(^|\/)\.git\//.test(rel);
}
