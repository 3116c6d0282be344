import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { GitIdentity } from './identity.js';
import { commitEnv } from './identity.js';
import { gitBytes, gitText, retryOnLock, runGit } from './run-git.js';
import { workspaceTarget, type Workspace } from './workspace.js';

export interface CommitCheckpointOptions {
  ws: Workspace;
  /** The tree the gate checked: exactly this is committed, never a fresh look at the files. */
  tree: string;
  /** The run branch's current commit (the last checkpoint or the base); null on an unborn branch. */
  parent: string | null;
  /** Message fields; each is made a single line (see renderCheckpointMessage). */
  message: CheckpointMessage;
  /** Author and committer both. */
  author: GitIdentity;
  /** Author and committer date both (whole seconds, UTC). */
  date: Date;
  /**
   * The objects `tree` has that the parent's tree does not (from the diff the gate read):
   * copied as files into the user's object store. Without them, a pack is piped across.
   */
  newObjects?: readonly string[];
}

export interface CheckpointMessage {
  title: string;
  runId: string;
  milestone: string;
  step: string;
}

/**
 * Commits `tree` on the run's branch: `commit-tree` in the engine's git dir (no hook, no
 * signing; the same inputs give the same commit id), then the new objects are copied into the
 * user's repository and `refs/heads/engine/<run-id>` is moved from `parent` by compare-and-
 * swap — a branch that moved meanwhile fails the update rather than being overwritten.
 * Resolves with the commit id. Impure (git).
 */
export async function commitCheckpoint(o: CommitCheckpointOptions): Promise<string> {
  const engineGit = workspaceTarget(o.ws);
  const args = ['commit-tree', '--no-gpg-sign', o.tree, ...(o.parent ? ['-p', o.parent] : []), '-F', '-'];
  const sha = await gitText(engineGit, args, { env: commitEnv(o.author, o.date), input: renderCheckpointMessage(o.message) });
  const user = { gitDir: o.ws.repo.gitDir };
  if (o.newObjects) {
    copyLooseObjects(path.join(o.ws.gitDir, 'objects'), path.join(o.ws.repo.commonDir, 'objects'), [...o.newObjects, sha]);
  } else {
    const pack = await gitBytes(engineGit, ['pack-objects', '--stdout', '--revs', '--quiet'], { input: `${sha}\n${o.parent ? `^${o.parent}\n` : ''}` });
    await retryOnLock(() => runGit(user, ['unpack-objects', '-q'], { input: pack }));
  }
  await retryOnLock(() => runGit(user, ['update-ref', '-m', 'engine: checkpoint', `refs/heads/${o.ws.branch}`, sha, o.parent ?? '']));
  return sha;
}

/**
 * Copies the loose objects among `ids` from the engine's object store to the user's, each
 * written to a temp name and renamed into place (as git does), skipping any the user's store
 * has. An id that is not loose in the engine's store was never written there: git found it
 * in the user's store through the alternates. Impure (files).
 */
export function copyLooseObjects(fromDir: string, toDir: string, ids: readonly string[]): number {
  let copied = 0;
  for (const id of new Set(ids)) {
    const rel = path.join(id.slice(0, 2), id.slice(2));
    const src = path.join(fromDir, rel);
    const dst = path.join(toDir, rel);
    if (!existsSync(src) || existsSync(dst)) continue;
    mkdirSync(path.dirname(dst), { recursive: true });
    const tmp = path.join(path.dirname(dst), `tmp_obj_engine_${process.pid}_${id.slice(2, 10)}`);
    copyFileSync(src, tmp);
    renameSync(tmp, dst);
    copied++;
  }
  return copied;
}

/**
 * The checkpoint message: a title line and `Engine-*` trailers, each field folded to one
 * line without control characters, so nothing a planner wrote (a milestone id with newlines,
 * say) can add a line — no `Signed-off-by:` or other trailer can be injected. Pure.
 */
export function renderCheckpointMessage(m: CheckpointMessage): string {
  const title = cap(oneLine(m.title), 72) || 'engine checkpoint';
  return [
    `engine: ${title}`,
    '',
    `Engine-Run: ${oneLine(m.runId)}`,
    `Engine-Milestone: ${cap(oneLine(m.milestone), 200) || '-'}`,
    `Engine-Step: ${cap(oneLine(m.step), 200)}`,
    '',
  ].join('\n');
}

/** Text folded to one line: control characters and line breaks become spaces, runs collapse. Pure. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
