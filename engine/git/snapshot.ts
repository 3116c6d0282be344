import { readPlainFileSync } from '../util/read-or-null.js';
import path from 'node:path';
import { GitError, gitText, runGit, type GitResult } from './run-git.js';
import { parseRefused, refusalKinds, removeRefused, wholeNames } from './refused-paths.js';
import { checkRecord, HOLE_BUDGET_BYTES, markNow, readIndex, smudgeIndex, unchangedInIndex, walkWorkspace } from './stat-record.js';
import { removeWithin } from '../util/remove-tree.js';
import { DEEP_DIR_BYTES } from '../util/deep-path.js';
import { neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';
import { blockedOr, EngineGitBlockedError } from './blocked-git-dir.js';
import { lockPath, locksInGitDir } from './stale-locks.js';
import { findUnconvertible } from './unconvertible.js';
import { IN_PROCESS_ENTRIES, writeTrees } from './write-tree.js';
import { readByGitAlways } from './special-files.js';

/**
 * The tree id of everything in the workspace right now — tracked, changed and untracked
 * files, minus ignored ones — staged in the engine's own index (outside the workspace, so its
 * stat cache stays warm and nothing of the worker's `.git` is read). Whatever was planted in
 * the engine's git dir is removed first. `git add` stages; the engine writes the trees itself
 * when it can read the index (write-tree.ts). When a stat check finds the workspace exactly as the
 * last snapshot left it (stat-record.ts), that snapshot's tree is the answer and no git runs.
 * A nested repository without a commit, which git cannot stage, is left out and recorded as a
 * gitlink finding; a path or file git refuses to stage is removed, a git_refused finding.
 * Impure (git).
 */
export async function snapshotTree(ws: Workspace): Promise<string> {
  try {
    return await takeSnapshot(ws);
  } catch (error) {
    // git, or the engine writing its trees and index, refused by the engine's own git dir: the
    // dir says why (never git's words: they quote the worker's file names).
    if (error instanceof EngineGitBlockedError || !(error instanceof GitError || isSystemError(error))) throw error;
    throw blockedOr(ws.gitDir, error);
  }
}

/** snapshotTree's work. Impure (git). */
async function takeSnapshot(ws: Workspace): Promise<string> {
  const found = ws.findings.length;
  neutralizeEngineGitDir(ws);
  const last = ws.snapshot;
  ws.snapshot = undefined;
  const check = last ? checkRecord(last, ws.dir, ws.gitDir) : null;
  if (last && check?.unchanged && ws.findings.length === found) {
    ws.snapshot = last;
    return last.tree;
  }
  // Taken before git looks: whatever changes from here on differs from the record, or is racy.
  const { since, planted } = markNow(ws.gitDir);
  if (planted) ws.findings.push({ kind: 'engine_git', path: planted });
  // Before git opens them: a FIFO at an ignore or attributes name would block it for ever.
  const walked = walkWorkspace(ws.dir, undefined, ws.maxFileBytes, trackedIn(ws.gitDir), check?.stats);
  // Not kept through git's add: what outlives a scavenge is copied, then promoted.
  if (check) check.stats = undefined;
  for (const rel of walked.special) ws.findings.push({ kind: 'special_file', path: rel });
  for (const rel of walked.undecodable) ws.findings.push({ kind: 'non_utf8_path', path: rel });
  // What lies deeper than a path can name, git skips without a word: gone, whole, before it looks
  // (a process left running that fills it as it goes keeps it: the finding stops the step all the same).
  for (const rel of walked.deep) {
    ws.findings.push({ kind: 'deep_path', path: rel, pattern: `${DEEP_DIR_BYTES + 1} bytes` });
    try {
      removeWithin(ws.dir, rel);
    } catch {
      /* git cannot see inside it either */
    }
  }
  const target = workspaceTarget(ws);
  // A file too large to stage that git would read is removed before it does (the violation
  // this finding becomes rolls the workspace back): removed, not excluded, so that no number
  // of them makes a command line too long. Asked of the index as git last wrote it, before the
  // smudge below marks racy entries changed.
  const tooLarge = await readBy(ws, target, walked.oversize, since);
  for (const rel of tooLarge) {
    removeWithin(ws.dir, rel);
    ws.findings.push({ kind: 'large_file', path: rel, pattern: `${Math.round((ws.maxFileBytes ?? 0) / 2 ** 20)} MiB` });
  }
  const tooSparse = await overBudget(ws, target, walked.sparse, since);
  for (const rel of tooSparse) {
    removeWithin(ws.dir, rel);
    ws.findings.push({ kind: 'sparse_file', path: rel, pattern: `${HOLE_BUDGET_BYTES / 2 ** 20} MiB` });
  }
  smudgeIndex(ws.gitDir, ws.dir, last?.since ?? null, check?.suspects ?? null);
  // The walk listed what was removed since: no record of it.
  const walk = since === null || tooLarge.length || tooSparse.length || walked.deep.length || walked.undecodable.length ? null : walked.record;
  // A set: a worker can make thousands of nested repositories.
  const left = new Set<string>();
  let refusals = 0;
  let relocked = 0;
  const tried = new Set<string>();
  for (;;) {
    try {
      await addAll(target, left);
      const { tree, staged } = await writeStagedTree(ws, target);
      // A record of the walk only when nothing was left out or removed since it.
      const index = walk && left.size === 0 && refusals === 0 ? (staged ?? readIndex(ws.gitDir)) : null;
      if (index && since !== null && walk) ws.snapshot = { tree, since, ...index, ...walk };
      return tree;
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      if (removeLocksPutBack(ws, error, () => ++relocked)) continue;
      const nested = /'(.+?)\/?' does not have a commit checked out/s.exec(error.stderr);
      if (nested && !left.has(nested[1]!)) {
        // Every nested repository the walk met that git would stage goes at once, not one failed
        // `git add` each (a worker can make thousands): each a gitlink finding, as git would
        // have staged one with a commit.
        const more = await notIgnored(target, walked.nested.filter((p) => !left.has(p) && p !== nested[1]));
        for (const p of [nested[1]!, ...more]) {
          left.add(p);
          ws.findings.push({ kind: 'gitlink', path: p });
        }
        continue;
      }
      if (++refusals > MAX_REFUSALS || !(await removeWhatGitRefused(ws, target, left, error.stderr, tried))) throw error;
    }
  }
}

/**
 * The tree of the engine's index as git's `add` left it. The trees of an index the engine can
 * read are written here (write-tree.ts), and `staged` is that index; past IN_PROCESS_ENTRIES
 * git writes them, rewriting the index (its cache of trees), so `staged` is null: read it
 * again. Impure (object files, git).
 */
async function writeStagedTree(ws: Workspace, target: ReturnType<typeof workspaceTarget>): Promise<{ tree: string; staged: ReturnType<typeof readIndex> }> {
  const staged = readIndex(ws.gitDir);
  if (staged !== null && staged.entries.length <= IN_PROCESS_ENTRIES) {
    const tree = writeTrees(path.join(ws.gitDir, 'objects'), staged.entries, (ws.trees ??= new Set()), (ws.treeMemo ??= {}));
    // The bytes the tree was made from: the index of that tree, should it become a checkpoint.
    ws.indexAt = { tree, bytes: staged.bytes };
    return { tree, staged };
  }
  // An index too large for the engine's trees has git write them: their last build is no use then.
  ws.treeMemo = undefined;
  ws.indexAt = undefined;
  return { tree: await gitText(target, ['write-tree']), staged: null };
}

/** How many times a snapshot removes a lock put back in the engine's git dir before it gives up. */
const LOCK_REMOVALS = 3;

/**
 * A lock put back in the engine's git dir after neutralizeEngineGitDir removed it (no git of
 * the engine's holds one now; the files say so, never git's words, which quote the worker's
 * file names): true when it was removed again, a finding each time, to try once more; false
 * when there is none; EngineGitBlockedError once it came back more than LOCK_REMOVALS times
 * (`times` counts). Impure (removes planted files).
 */
function removeLocksPutBack(ws: Workspace, error: GitError, times: () => number): boolean {
  // A git that was killed (the OOM killer, an outside kill) leaves its own lock: not put back.
  if (error.exitCode === undefined) return false;
  const planted = locksInGitDir(ws.gitDir);
  if (planted.length === 0) return false;
  if (times() > LOCK_REMOVALS) throw new EngineGitBlockedError(ws.gitDir, `${lockPath(planted[0]!)} put back each time it was removed`, 'locked');
  // One that cannot be removed (a folder made append-only or read-only) is refused, not put back.
  const stuck = neutralizeEngineGitDir(ws);
  if (stuck.length > 0) throw new EngineGitBlockedError(ws.gitDir, `${stuck[0]} cannot be removed`, 'refused');
  return true;
}

/** An error of a system call (it carries a code such as EACCES), as node's fs throws. Pure. */
function isSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** How many failed `git add`s a snapshot gets past by removing what git refused (one per file its encoding attribute cannot convert). */
const MAX_REFUSALS = 256;

/**
 * Removes from the workspace what git refused to stage, each a git_refused finding; false when
 * git's message names nothing the engine can remove (the failure is then the engine's). git
 * stops at the first path it calls invalid: once it has named one, one more `git add` that
 * goes on past such errors names them all. A failed conversion ends any `git add` at the first
 * file: the worker's own attributes asking for one go first, then every file the attributes
 * left that git cannot convert, each step once per snapshot; what neither finds is met one
 * `git add` at a time. When nothing read the short way names a file, the first message is read
 * whole (wholeNames). Impure (git, removes).
 */
async function removeWhatGitRefused(ws: Workspace, target: ReturnType<typeof workspaceTarget>, excluded: ReadonlySet<string>, stderr: string, tried: Set<string>): Promise<boolean> {
  const kinds = refusalKinds(stderr);
  if (kinds.has('encoding')) {
    // The worker's own new or changed .gitattributes can name any number of files in one step.
    const steps = { attributes: () => encodingAttributes(ws, target), conversions: () => findUnconvertible(target, ws.dir, excluded) };
    for (const [step, find] of Object.entries(steps)) {
      if (tried.has(step)) continue;
      tried.add(step);
      if (refuse(ws, removeRefused(ws.dir, await find()))) return true;
    }
  }
  let named = parseRefused(stderr);
  // git stopped at the first invalid path: one pass that goes on past such errors names the rest.
  if (named.length && kinds.has('invalid')) {
    const all = await addAll(target, excluded, ['--ignore-errors'], [1, 128]);
    named = [...named, ...parseRefused(all.stderr ?? '')];
  }
  const removed = removeRefused(ws.dir, named);
  return refuse(ws, removed.length ? removed : removeRefused(ws.dir, wholeNames(stderr), true));
}

/** Records each removed path as a git_refused finding; whether there was one. */
function refuse(ws: Workspace, removed: readonly string[]): boolean {
  for (const p of removed) ws.findings.push({ kind: 'git_refused', path: p });
  return removed.length > 0;
}

/**
 * The .gitattributes files of the workspace, new or changed, that ask for a working-tree-encoding:
 * ignored ones too (git reads an attributes file for the files beside it whatever the ignore
 * rules say of the file itself). Impure (git, reads).
 */
async function encodingAttributes(ws: Workspace, target: ReturnType<typeof workspaceTarget>): Promise<string[]> {
  const { stdout } = await runGit(target, ['ls-files', '-z', '--others', '--modified', '--', ':(glob)**/.gitattributes']);
  return [...new Set(stdout.split('\0').filter(Boolean))].filter((rel) => {
    try {
      const file = path.join(ws.dir, rel);
      return readPlainFileSync(file)?.bytes.toString('utf8').includes('working-tree-encoding') ?? false;
    } catch {
      return false;
    }
  });
}

/**
 * `git add --all` of the workspace but `excluded` (literal paths). The pathspecs go on stdin
 * when there are any: no number of them makes the command line too long. Impure (git).
 */
async function addAll(target: ReturnType<typeof workspaceTarget>, excluded: ReadonlySet<string>, flags: readonly string[] = [], okCodes: readonly number[] = []): Promise<GitResult> {
  if (excluded.size === 0) return runGit(target, ['add', '--all', ...flags, '--', '.'], { okCodes });
  const specs = ['.', ...[...excluded].map((p) => `:(exclude,literal)${p}`)];
  return runGit(target, ['add', '--all', ...flags, '--pathspec-from-file=-', '--pathspec-file-nul'], { input: specs.map((p) => `${p}\0`).join(''), okCodes });
}

/** Those of `paths` git's ignore rules do not cover. Impure (git, when there is a path). */
async function notIgnored(target: ReturnType<typeof workspaceTarget>, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const { stdout } = await runGit(target, ['check-ignore', '-z', '--stdin'], { input: paths.map((p) => `${p}\0`).join(''), okCodes: [1] });
  const ignored = new Set(stdout.split('\0').filter(Boolean));
  return paths.filter((p) => !ignored.has(p));
}

/**
 * Which of `paths` `git add --all` would read: an ignore, attributes or modules file always
 * (removed here, before git is asked anything), else not a tracked file that stats as the
 * engine's index recorded it, nor an untracked one the ignore rules cover (`git check-ignore`
 * names exactly those). Impure (removes, the index, and git when there is a path to ask about).
 */
async function readBy(ws: Workspace, target: ReturnType<typeof workspaceTarget>, paths: readonly string[], since: bigint | null): Promise<string[]> {
  if (paths.length === 0) return [];
  // git reads an ignore, attributes or modules file whole whatever the rules say, and to
  // answer check-ignore too (a sparse terabyte there: a failed allocation): gone first.
  const control = paths.filter((p) => readByGitAlways(path.basename(p)));
  for (const p of control) removeWithin(ws.dir, p);
  const unchanged = unchangedInIndex(ws.gitDir, ws.dir, paths, since);
  const removed = new Set(control);
  const rest = paths.filter((p) => !unchanged.has(p) && !removed.has(p));
  if (rest.length === 0) return control;
  return [...control, ...(await notIgnored(target, rest))];
}

/**
 * The sparse files to remove before git reads them: none while their holes (bytes not on
 * disk) stay within HOLE_BUDGET_BYTES in all, else of those git would read, the largest
 * first until the rest are within it. A sparse file costs a worker an instant and no disk;
 * git reads every byte to stage it (a hundred of 99 MiB: 97 s). Impure (git, the index).
 */
async function overBudget(ws: Workspace, target: ReturnType<typeof workspaceTarget>, sparse: readonly { path: string; holes: number }[], since: bigint | null): Promise<string[]> {
  if (sparse.reduce((sum, f) => sum + f.holes, 0) <= HOLE_BUDGET_BYTES) return [];
  const read = new Set(await readBy(ws, target, sparse.map((f) => f.path), since));
  const candidates = sparse.filter((f) => read.has(f.path)).sort((a, b) => b.holes - a.holes);
  let left = candidates.reduce((sum, f) => sum + f.holes, 0);
  const out: string[] = [];
  for (const f of candidates) {
    if (left <= HOLE_BUDGET_BYTES) break;
    out.push(f.path);
    left -= f.holes;
  }
  return out;
}

/** Forget what the last snapshot recorded (the engine is about to rewrite the workspace). */
export function forgetSnapshot(ws: Workspace): void {
  ws.snapshot = undefined;
}

/**
 * Whether a path is in the engine's index (the last snapshot, so every file git staged then):
 * read once, on the first question, which only a special file in the workspace asks. Impure.
 */
function trackedIn(gitDir: string): (rel: string) => boolean {
  let paths: Set<string> | null = null;
  return (rel) => {
    paths ??= new Set((readIndex(gitDir)?.entries ?? []).map((e) => e.path));
    return paths.has(rel);
  };
}
