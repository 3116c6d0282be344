import type { Dirent } from 'node:fs';

/** The files git opens and reads in every directory it stages. */
const READ_BY_GIT = new Set(['.gitignore', '.gitattributes', '.gitmodules']);

/** Whether git reads a file of this name in every directory it stages (ignored or not). Pure. */
export function readByGitAlways(name: string): boolean {
  return READ_BY_GIT.has(name);
}

/**
 * A FIFO, socket or device where git would open it as it stages: a `.gitignore`,
 * `.gitattributes` or `.gitmodules` in any directory, a `.git` (a gitfile naming a nested
 * repository's git dir), anything inside a nested `.git` (git reads its HEAD to decide whether
 * the directory is a repository) — there a FIFO blocks git until someone writes to it (for ever,
 * the engine waiting on git) — or a path the engine's index tracks (`tracked`): there `git add`
 * refuses it ("can only add regular files, symbolic links or git-directories"), which ended
 * the engine with its own error, on every resume too. One at a new or ignored path git skips
 * without a word (a test server's socket under tmp/): it is left. None of those it would block
 * can be part of a tree: the snapshot's walk of the workspace (stat-record.ts, walkWorkspace)
 * removes each before git looks, and the caller reports it. `rel`: the entry's path relative
 * to the workspace. Pure (given `tracked`).
 */
export function blocksGit(entry: Dirent, rel: string, tracked: (rel: string) => boolean): boolean {
  if (!(entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice())) return false;
  return READ_BY_GIT.has(entry.name) || entry.name === '.git' || /(^|\/)\.git\//.test(rel) || tracked(rel);
}
