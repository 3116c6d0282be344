import { existsSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import type { GitIdentity } from './identity.js';
import { commitEnv } from './identity.js';
import { GitError, gitBytes, gitText, isLockContention, retryOnLock, runGit } from './run-git.js';
import { branchLockIn, lockPath } from './stale-locks.js';
import { BranchLockedError } from './branch-locked.js';

export { BranchLockedError };
import { assertRunBranch, workspaceTarget, type Workspace } from './workspace.js';
import { branchSha } from './repo.js';
import { deflateObject, holdsObject, looseObjectPath, objectId, readOrNull, writeObjectFile } from './loose-objects.js';
import { readRegularFileSync } from '../util/read-or-null.js';

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
 * Commits `tree` on the run's branch: the commit object (no hook, no signing; the same inputs
 * give the same commit id) is written in the engine's git dir — by the engine itself when the
 * new objects are known and every input is plain (writeCommitObject), else by `commit-tree`
 * — then the new objects are copied into the user's repository and
 * `refs/heads/engine/<run-id>` is moved from `parent` by compare-and-swap — a branch that
 * moved meanwhile fails the update rather than being overwritten. Resolves with the commit
 * id. Impure (git).
 */
export async function commitCheckpoint(o: CommitCheckpointOptions): Promise<string> {
  assertRunBranch(o.ws.branch);
  const engineGit = workspaceTarget(o.ws);
  const user = { gitDir: o.ws.repo.gitDir };
  // With the new objects known, the commit object is written here, as git would write it.
  const made = o.newObjects ? writeCommitObject(o) : null;
  const sha = made ?? (await gitText(engineGit, commitTreeArgs(o), { env: commitEnv(o.author, o.date), input: renderCheckpointMessage(o.message) }));
  if (o.newObjects) {
    // No object the gate passed is larger than a file may be (a tree of the largest folder aside: 64 MiB is room for a million entries).
    const limit = o.ws.maxFileBytes;
    const most = limit !== undefined && Number.isFinite(limit) && limit > 0 ? Math.max(limit, 64 * 2 ** 20) + 1024 : undefined;
    copyLooseObjects(path.join(o.ws.gitDir, 'objects'), path.join(o.ws.repo.commonDir, 'objects'), [...o.newObjects, sha], most);
  } else {
    const pack = await gitBytes(engineGit, ['pack-objects', '--stdout', '--revs', '--quiet'], { input: `${sha}\n${o.parent ? `^${o.parent}\n` : ''}` });
    await retryOnLock(() => runGit(user, ['unpack-objects', '-q'], { input: pack }));
  }
  try {
    await retryOnLock(() => runGit(user, ['update-ref', '-m', 'engine: checkpoint', `refs/heads/${o.ws.branch}`, sha, o.parent ?? '']));
  } catch (error) {
    // An engine stopped after the branch moved and before the checkpoint was recorded (a
    // second Ctrl-C, a kill, a crash) repeats this step on resume, at another time: the branch
    // already holds this very checkpoint, under another commit id.
    const head = await branchSha({ gitDir: o.ws.repo.gitDir }, o.ws.branch);
    if (head !== null && (await isThisCheckpoint(o, head))) return head;
    if (head !== o.parent) throw new BranchMovedError(o.ws.branch, o.parent, head);
    if (isLockContention(error)) {
      const lock = branchLockIn(o.ws.repo.commonDir, o.ws.branch)[0];
      throw new BranchLockedError(o.ws.branch, lock ? lockPath(lock) : null, (error as GitError).stderr.split('\n')[0] ?? '');
    }
    throw error;
  }
  return sha;
}

/** `git commit-tree` making the checkpoint's commit, its message on stdin. Pure. */
function commitTreeArgs(o: Pick<CommitCheckpointOptions, 'tree' | 'parent'>): string[] {
  return ['commit-tree', '--no-gpg-sign', o.tree, ...(o.parent ? ['-p', o.parent] : []), '-F', '-'];
}

/**
 * Whether `head` (the run's branch) is, byte for byte, the checkpoint `o` describes made at
 * another time: the same tree, parent, identity and message, author and committer at one date
 * (the head's own). Whoever else moved the branch (a worker that could write the user's
 * repository, with no OS sandbox) is refused: only the commit the engine itself would have
 * written is taken. Impure (git).
 */
async function isThisCheckpoint(o: CommitCheckpointOptions, head: string): Promise<boolean> {
  const commit = await gitText({ gitDir: o.ws.repo.gitDir }, ['cat-file', 'commit', head]);
  const seconds = /^author [^\n]* (\d+) \+0000$/m.exec(commit.slice(0, commit.indexOf('\n\n')))?.[1];
  if (seconds === undefined) return false;
  const date = new Date(Number(seconds) * 1000);
  const object = checkpointObject({ ...o, date });
  // An identity git trims was committed by git: git says what it would make of it.
  const expected = object !== null ? objectId(object) : await gitText(workspaceTarget(o.ws), commitTreeArgs(o), { env: commitEnv(o.author, date), input: renderCheckpointMessage(o.message) });
  return expected === head;
}

/**
 * The commit `commit-tree` would make from these inputs, written as a loose object into the
 * engine's git dir without a git process: the same bytes, so the same id. Only when every
 * input is plain — the tree and the parent are loose objects of the right type in the
 * engine's or the user's store, the identity has nothing git would trim — else null and
 * git makes it (and checks it). Impure (reads and writes object files).
 */
export function writeCommitObject(o: Pick<CommitCheckpointOptions, 'ws' | 'tree' | 'parent' | 'author' | 'date' | 'message'>): string | null {
  const stores = [path.join(o.ws.gitDir, 'objects'), path.join(o.ws.repo.commonDir, 'objects')];
  if (looseType(stores, o.tree) !== 'tree' || (o.parent !== null && looseType(stores, o.parent) !== 'commit')) return null;
  const object = checkpointObject(o);
  if (object === null) return null;
  const sha = objectId(object);
  const file = looseObjectPath(stores[0]!, sha);
  // A file already at that name is trusted only when it holds this very object.
  if (!holdsObject(readOrNull(file), sha)) writeObjectFile(file, deflateObject(object));
  return sha;
}

/**
 * The bytes of the commit object (header included) a checkpoint is: the tree, the parent, the
 * identity as author and committer at `date` (whole seconds, UTC), the message. Null when the
 * identity has something git would trim (git then makes the commit). Pure.
 */
function checkpointObject(o: Pick<CommitCheckpointOptions, 'tree' | 'parent' | 'author' | 'date' | 'message'>): Buffer | null {
  const { name, email } = o.author;
  if (!plainIdent(name) || !plainIdent(email)) return null;
  const who = `${name} <${email}> ${Math.floor(o.date.getTime() / 1000)} +0000`;
  const body = Buffer.from(`tree ${o.tree}\n${o.parent ? `parent ${o.parent}\n` : ''}author ${who}\ncommitter ${who}\n\n${renderCheckpointMessage(o.message)}`);
  return Buffer.concat([Buffer.from(`commit ${body.length}\0`), body]);
}

/** The type of a loose object found in one of `stores`; null when none holds it loose. Impure. */
function looseType(stores: readonly string[], id: string): string | null {
  if (!/^[0-9a-f]{40}$/.test(id)) return null;
  for (const dir of stores) {
    try {
      // Without blocking, and only a regular file: a FIFO put at the object's name would hold the engine.
      const head = inflateSync(readRegularFileSync(looseObjectPath(dir, id))).subarray(0, 32).toString('latin1');
      const m = /^(commit|tree|blob|tag) \d+\0/.exec(head);
      return m ? m[1]! : null;
    } catch {
      // Not loose here.
    }
  }
  return null;
}

/** A name or email git writes as given: not empty, nothing at either end git would trim. Pure. */
function plainIdent(value: string): boolean {
  const crud = (c: string) => c <= ' ' || ',:;<>"\\\'.'.includes(c);
  return value.length > 0 && !/[<>\n\0]/.test(value) && !crud(value[0]!) && !crud(value[value.length - 1]!);
}

/**
 * Copies the loose objects among `ids` from the engine's object store to the user's, each
 * written to a temp name and renamed into place (as git does), skipping any the user's store
 * has. An id that is not loose in the engine's store was never written there: git found it
 * in the user's store through the alternates. One object at a time, each checked as it is
 * read: memory holds one object (at most `max_file_mb` inflated), not the whole change (a
 * hostile probe's 30 files of 95 MiB each held 3 GB in the engine at once). Impure (files).
 */
export function copyLooseObjects(fromDir: string, toDir: string, ids: readonly string[], maxObjectBytes?: number): number {
  let copied = 0;
  for (const id of new Set(ids)) {
    const src = looseObjectPath(fromDir, id);
    const dst = looseObjectPath(toDir, id);
    if (existsSync(dst)) continue;
    const bytes = readOrNull(src);
    if (bytes === null) continue;
    // The bytes copied are the bytes checked: a file rewritten after the gate read it
    // (without the OS sandbox a worker's leftover process can) carries something else, and
    // stops the copy there. What was copied before it are objects of their own ids: nothing
    // names them (the branch does not move), and git's gc drops them.
    if (!holdsObject(bytes, id, maxObjectBytes)) throw new ForgedObjectError(src, id);
    writeObjectFile(dst, bytes);
    copied++;
  }
  return copied;
}

/** The run's branch was not where the run left it, and is not at this checkpoint either: something else moved it. */
export class BranchMovedError extends Error {
  override name = 'BranchMovedError';
  constructor(
    readonly branch: string,
    readonly expected: string | null,
    readonly found: string | null,
  ) {
    const put = expected === null ? `delete it (git branch -D ${branch})` : `set it back (git branch -f ${branch} ${expected})`;
    super(`the run's branch ${branch} is ${found === null ? 'gone' : `at ${found}`}, not ${expected === null ? 'unborn' : `at ${expected}`} where the run left it: something other than this run moved it; ${put} and resume`);
  }
}


/** A loose object file in the engine's store that does not hold the object its name says. */
export class ForgedObjectError extends Error {
  override name = 'ForgedObjectError';
  constructor(
    readonly path: string,
    readonly id: string,
  ) {
    super(`${path} does not hold object ${id}: it was written after the engine checked it`);
  }
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
