import { EMPTY_TREE, headSha } from './repo.js';
import { runGit } from './run-git.js';
import { snapshotTree } from './snapshot.js';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed';

export interface ChangedFile {
  /** Repo-relative path (the new path for a rename). */
  path: string;
  status: ChangeStatus;
  /** The old path of a rename. */
  from?: string;
}

export interface DiffStats {
  files: number;
  added: number;
  removed: number;
}

/**
 * Files that differ between HEAD (the last checkpoint, or nothing on an unborn branch) and
 * the worktree as it is now, untracked files included, ignored ones not; renames detected by
 * content. Sorted by path. The worktree's index is left as it was. Impure (git).
 */
export async function listChangedFiles(worktree: string): Promise<ChangedFile[]> {
  const base = (await headSha(worktree)) ?? EMPTY_TREE;
  const tree = await snapshotTree(worktree);
  const { stdout } = await runGit(worktree, ['diff-tree', '-r', '-z', '--name-status', '-M', base, tree]);
  return parseNameStatus(stdout).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Size of the change from `baseRef` (null: from nothing) to the worktree as it is now:
 * files touched, lines added and removed, untracked files' lines included; a binary file
 * counts as a file with no lines. Impure (git).
 */
export async function diffStats(worktree: string, baseRef: string | null): Promise<DiffStats> {
  const tree = await snapshotTree(worktree);
  const base = baseRef ?? EMPTY_TREE;
  const { stdout } = await runGit(worktree, ['diff-tree', '-r', '-z', '--numstat', '--no-renames', base, tree]);
  return parseNumstat(stdout);
}

/**
 * Files that differ from commit `sha` (null: from an empty tree) in the worktree now,
 * untracked included — resume's "changed by hand" check. Sorted. Impure (git).
 */
export async function listHandEdits(worktree: string, sha: string | null): Promise<string[]> {
  const tree = await snapshotTree(worktree);
  const { stdout } = await runGit(worktree, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', sha ?? EMPTY_TREE, tree]);
  return stdout.split('\0').filter((p) => p !== '').sort();
}

/** Parses `diff-tree -z --name-status` output. Pure. */
export function parseNameStatus(out: string): ChangedFile[] {
  const fields = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length; ) {
    const code = fields[i++];
    if (!code) continue;
    const kind = code[0];
    if (kind === 'R' || kind === 'C') {
      const from = fields[i++]!;
      const to = fields[i++]!;
      files.push(kind === 'R' ? { path: to, status: 'renamed', from } : { path: to, status: 'added' });
    } else {
      const p = fields[i++]!;
      files.push({ path: p, status: kind === 'A' ? 'added' : kind === 'D' ? 'deleted' : 'modified' });
    }
  }
  return files;
}

/** Parses `diff-tree -z --numstat --no-renames` output ("-" counts mean binary). Pure. */
export function parseNumstat(out: string): DiffStats {
  const stats: DiffStats = { files: 0, added: 0, removed: 0 };
  for (const record of out.split('\0')) {
    const m = /^(\d+|-)\t(\d+|-)\t/.exec(record);
    if (!m) continue;
    stats.files += 1;
    if (m[1] !== '-') stats.added += Number(m[1]);
    if (m[2] !== '-') stats.removed += Number(m[2]);
  }
  return stats;
}
