import path from 'node:path';
import { GitError, gitText, runGit } from './run-git.js';
import { checkRecord, markNow, readIndex, smudgeIndex, unchangedInIndex, walkWorkspace } from './stat-record.js';
import { removeFile } from '../util/remove-tree.js';
import { neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';
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
 * gitlink finding. Impure (git).
 */
export async function snapshotTree(ws: Workspace): Promise<string> {
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
  const walked = walkWorkspace(ws.dir, undefined, ws.maxFileBytes);
  for (const rel of walked.special) ws.findings.push({ kind: 'special_file', path: rel });
  const target = workspaceTarget(ws);
  // A file too large to stage that git would read is removed before it does (the violation
  // this finding becomes rolls the workspace back): removed, not excluded, so that no number
  // of them makes a command line too long. Asked of the index as git last wrote it, before the
  // smudge below marks racy entries changed.
  const tooLarge = await readBy(ws, target, walked.oversize, since);
  for (const rel of tooLarge) {
    removeFile(path.join(ws.dir, rel));
    ws.findings.push({ kind: 'large_file', path: rel, pattern: `${Math.round((ws.maxFileBytes ?? 0) / 2 ** 20)} MiB` });
  }
  smudgeIndex(ws.gitDir, ws.dir, last?.since ?? null, check?.suspects ?? null);
  // The walk listed what was removed since: no record of it.
  const walk = since === null || tooLarge.length ? null : walked.record;
  // A set: a worker can make thousands of nested repositories.
  const left = new Set<string>();
  for (;;) {
    try {
      await addAll(target, left);
      // The trees of an index the engine can read are written here (write-tree.ts); git's
      // write-tree rewrites the index (its cache of trees), so then it is read again.
      const staged = readIndex(ws.gitDir);
      const own = staged !== null && staged.entries.length <= IN_PROCESS_ENTRIES;
      const tree = own ? writeTrees(path.join(ws.gitDir, 'objects'), staged.entries, (ws.trees ??= new Set())) : await gitText(target, ['write-tree']);
      const index = walk && left.size === 0 ? (own ? staged : readIndex(ws.gitDir)) : null;
      if (index && since !== null && walk) ws.snapshot = { tree, since, ...index, ...walk };
      return tree;
    } catch (error) {
      const nested = error instanceof GitError ? /'(.+?)\/?' does not have a commit checked out/s.exec(error.stderr) : null;
      if (!nested || left.has(nested[1]!)) throw error;
      // Every nested repository the walk met that git would stage goes at once, not one failed
      // `git add` each (a worker can make thousands): each a gitlink finding, as git would
      // have staged one with a commit.
      const more = await notIgnored(target, walked.nested.filter((p) => !left.has(p) && p !== nested[1]));
      for (const p of [nested[1]!, ...more]) {
        left.add(p);
        ws.findings.push({ kind: 'gitlink', path: p });
      }
    }
  }
}

/**
 * `git add --all` of the workspace but `excluded` (literal paths). The pathspecs go on stdin
 * when there are any: no number of them makes the command line too long. Impure (git).
 */
async function addAll(target: ReturnType<typeof workspaceTarget>, excluded: ReadonlySet<string>): Promise<void> {
  if (excluded.size === 0) {
    await runGit(target, ['add', '--all', '--', '.']);
    return;
  }
  const specs = ['.', ...[...excluded].map((p) => `:(exclude,literal)${p}`)];
  await runGit(target, ['add', '--all', '--pathspec-from-file=-', '--pathspec-file-nul'], { input: specs.map((p) => `${p}\0`).join('') });
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
  for (const p of control) removeFile(path.join(ws.dir, p));
  const unchanged = unchangedInIndex(ws.gitDir, ws.dir, paths, since);
  const removed = new Set(control);
  const rest = paths.filter((p) => !unchanged.has(p) && !removed.has(p));
  if (rest.length === 0) return control;
  return [...control, ...(await notIgnored(target, rest))];
}

/** Forget what the last snapshot recorded (the engine is about to rewrite the workspace). */
export function forgetSnapshot(ws: Workspace): void {
  ws.snapshot = undefined;
}
