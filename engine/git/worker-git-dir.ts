import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeGitDir } from './repo.js';
import { runGit } from './run-git.js';
import type { Workspace } from './workspace.js';
import { removeWithin } from '../util/remove-tree.js';
import { writeFreshFile } from '../util/open-own-file.js';

const CONFIG = '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n';

/**
 * Writes the worker's own `.git` of a workspace: HEAD on the run's branch at `headSha` (none
 * for an unborn branch), the user's objects borrowed read-only, the shared paths excluded, a
 * config of the engine's, and `index` (default: a copy of the engine's index, an index of
 * `headSha`'s tree when it was just read out; the caller makes it one otherwise). Impure
 * (writes files).
 */
export function writeWorkerGitDir(ws: Workspace, headSha: string | null, index?: Buffer): void {
  const own = path.join(ws.dir, '.git');
  const ref = `refs/heads/${ws.branch}`;
  writeGitDir(own, { head: ref, alternates: [path.join(ws.repo.commonDir, 'objects')], exclude: ws.shared.map((p) => `/${p}`), config: CONFIG });
  if (headSha === null) return;
  mkdirSync(path.dirname(path.join(own, ref)), { recursive: true });
  writeFreshFile(path.join(own, ref), `${headSha}\n`);
  writeFreshFile(path.join(own, 'index'), index ?? readFileSync(path.join(ws.gitDir, 'index')));
}

/** The largest checkpoint index kept in memory for the next review; a larger one is made by `read-tree` then. */
const MAX_KEPT_INDEX_BYTES = 8 * 2 ** 20;

/**
 * Keeps the engine's index for the reviewer's next `.git` once `tree` is committed as `commit`:
 * when the index the engine last wrote a tree from (`ws.indexAt`) is of that very tree, it is
 * the checkpoint's index, stat data and all, and resetWorkerGitDir takes it instead of running
 * `read-tree`. Otherwise (git wrote the tree, another tree was committed) nothing is kept and
 * the next review makes its index with `read-tree`. Held in this process only: a resumed run
 * makes its first review's index again. Impure (the workspace object).
 */
export function keepCheckpointIndex(ws: Workspace, commit: string, tree: string): void {
  const at = ws.indexAt;
  ws.checkpointIndex = at && at.tree === tree && at.bytes.length <= MAX_KEPT_INDEX_BYTES ? { commit, bytes: at.bytes } : undefined;
}

/**
 * Puts the worker's `.git` back to what the engine knows before a worker judges the change
 * with it (the reviewer is told to look with `git diff HEAD` and `git status`): HEAD at the
 * last checkpoint and an index of its tree with the milestone's new files (`newPaths`) added
 * as intended, so git there shows the milestone's change and nothing else. The worker's `.git` is the worker's to use and the engine never reads it: an
 * implementer that committed its change there, or hid a new file with its own excludes or
 * config (`status.showUntrackedFiles`, a `diff.external`), showed the reviewer an empty or
 * partial change while the engine committed all of it. Removed whole, never through a link put
 * in its place, and written again; the index is the engine's own: the one it committed the
 * checkpoint from, when this process did (keepCheckpointIndex), else its current one put back
 * to the checkpoint by `read-tree -m` (stat data kept where a file's content is the
 * checkpoint's, so git need not read every file again).
 * Resolves with why the old one could not be removed, else null. Impure (files, git).
 */
export async function resetWorkerGitDir(ws: Workspace, headSha: string | null, newPaths: readonly string[]): Promise<string | null> {
  try {
    removeWithin(ws.dir, '.git');
  } catch (error) {
    // What cannot be removed (a process left running without the OS sandbox keeps filling it) stays as the worker left it.
    return `its .git could not be removed: ${error instanceof Error ? error.message : String(error)}`;
  }
  // The checkpoint's own index when this process committed it (keepCheckpointIndex): no git to make it.
  const kept = headSha !== null && ws.checkpointIndex?.commit === headSha ? ws.checkpointIndex.bytes : undefined;
  writeWorkerGitDir(ws, headSha, kept);
  // The engine's git on its own git dir, reading and writing the worker's index only.
  const target = { gitDir: ws.gitDir, workTree: ws.dir };
  const env = { GIT_INDEX_FILE: path.join(ws.dir, '.git', 'index') };
  if (headSha !== null && kept === undefined) await runGit(target, ['read-tree', '-m', headSha], { env });
  if (newPaths.length === 0) return null;
  // The new files as intended to be added: `git diff HEAD` shows their content, where an
  // untracked file is only a name in `git status` (a payload in a new file beside a one-line
  // `require` of it). A path gone since (a process left running) fails the whole add: the
  // reviewer then sees them untracked, as before.
  // Named on the command line when they are few (git then runs from the engine's long-lived
  // shell, not a fork of the engine); many, on its stdin.
  const specs = newPaths.map((p) => `:(literal)${p}`);
  const add = ['add', '--intent-to-add', '--force'];
  if (specs.reduce((n, s) => n + s.length + 1, 0) <= MAX_ARGV_BYTES) await runGit(target, [...add, '--', ...specs], { env, okCodes: [128] });
  else await runGit(target, [...add, '--pathspec-from-file=-', '--pathspec-file-nul'], { env, input: specs.map((s) => `${s}\0`).join(''), okCodes: [128] });
  return null;
}

/** The most bytes of paths given to git as arguments: well under any system's limit on a command line. */
const MAX_ARGV_BYTES = 32 * 1024;
