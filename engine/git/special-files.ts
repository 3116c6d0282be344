import type { Dirent } from 'node:fs';

/** The files git opens and reads in every directory it stages. */
const READ_BY_GIT = new Set(['.gitignore', '.gitattributes', '.gitmodules']);

/**
 * A `.gitignore`, `.gitattributes` or `.gitmodules` that is neither a regular file, a link nor
 * a directory: git opens those as it stages, and a FIFO there blocks it until someone writes
 * to it (for ever, the engine waiting on git; a socket or a device is no better). They can
 * never be part of a tree anyway: the snapshot's walk of the workspace (stat-record.ts,
 * walkWorkspace) removes each before git looks, and the caller reports it. Pure.
 */
export function blocksGit(entry: Dirent): boolean {
  return READ_BY_GIT.has(entry.name) && !entry.isFile() && !entry.isSymbolicLink() && !entry.isDirectory();
}
