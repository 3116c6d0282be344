import type { Dirent } from 'node:fs';

/** The files git opens and reads in every directory it stages. */
const READ_BY_GIT = new Set(['.gitignore', '.gitattributes', '.gitmodules']);

/** Whether git reads a file of this name in every directory it stages (ignored or not). Pure. */
export function readByGitAlways(name: string): boolean {
  return READ_BY_GIT.has(name);
}

/**
 * A file that is neither a regular file, a link nor a directory: a FIFO, a socket or a device,
 * anywhere in the workspace. None can be part of a tree. Where git opens and reads (a
 * `.gitignore`, `.gitattributes` or `.gitmodules` in any directory it stages, a `.git`, anything
 * inside a nested `.git`: its HEAD tells git whether the directory is a repository) a FIFO
 * blocks git until someone writes to it (for ever, the engine waiting on git); at a tracked
 * path `git add` refuses it ("can only add regular files, symbolic links or git-directories"),
 * which ended the engine with its own error, on every resume too. The snapshot's walk of the
 * workspace (stat-record.ts, walkWorkspace) removes each before git looks, and the caller
 * reports it. Pure.
 */
export function blocksGit(entry: Dirent): boolean {
  return entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice();
}
