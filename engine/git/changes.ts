import { EMPTY_TREE } from './repo.js';
import { gitBytes, runGit, type GitTarget } from './run-git.js';

/**
 * Every tree diff the engine governs by shows every gitlink: git otherwise honours
 * `submodule.<name>.ignore` from the work tree's .gitmodules (a worker's file: `ignore = all`
 * hid its nested repository's gitlink from governance) and fails on one it cannot parse.
 */
export const WHOLE_DIFF = ['--ignore-submodules=none'] as const;

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

/** One path that differs between two trees, with what it is now (mode and object id). */
export interface TreeEntryChange {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'type_changed';
  /** The new mode as git writes it: 100644, 100755, 120000 (symlink), 160000 (gitlink), or 000000 when deleted. */
  mode: string;
  /** The new object id (for a symlink, the blob holding its target). */
  sha: string;
  /** For a regular file modified in place (in tree diffs read by parseTreeDiff): its object before. */
  before?: string;
}

/**
 * Every path that differs between trees `from` (null: empty) and `to`, with its new mode and
 * object, renames as a deletion and an addition (both paths are governed), sorted. One git
 * process. Impure.
 */
export async function diffTreeEntries(target: GitTarget, from: string | null, to: string): Promise<TreeEntryChange[]> {
  if ((from ?? EMPTY_TREE) === to) return [];
  const { stdout } = await runGit(target, ['diff-tree', ...WHOLE_DIFF, '-r', '-z', '--raw', '--no-renames', '--no-abbrev', from ?? EMPTY_TREE, to]);
  return parseRaw(stdout).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The change from tree `from` (null: empty) to `to` as the milestone sees it: files with
 * renames detected by content, and lines added and removed (a binary file counts as a file
 * with no lines). Impure (git).
 */
export async function measureTrees(target: GitTarget, from: string | null, to: string): Promise<{ files: ChangedFile[]; stats: DiffStats }> {
  const base = from ?? EMPTY_TREE;
  if (base === to) return { files: [], stats: { files: 0, added: 0, removed: 0 } };
  const [names, nums] = await Promise.all([
    runGit(target, ['diff-tree', ...WHOLE_DIFF, '-r', '-z', '--name-status', '-M', base, to]),
    runGit(target, ['diff-tree', ...WHOLE_DIFF, '-r', '-z', '--numstat', '--no-renames', base, to]),
  ]);
  return { files: parseNameStatus(names.stdout).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), stats: parseNumstat(nums.stdout) };
}

/** Blob contents by id (symlink targets), read in one `cat-file --batch`, decoded as UTF-8. Impure. */
export async function readBlobs(target: GitTarget, shas: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (shas.length === 0) return out;
  const unique = [...new Set(shas)];
  const bytes = await gitBytes(target, ['cat-file', '--batch'], { input: unique.map((s) => `${s}\n`).join('') });
  return parseBatch(bytes, unique);
}

/** Splits `cat-file --batch` output (header line, `size` bytes, newline per object) by byte offsets. Pure. */
export function parseBatch(bytes: Buffer, shas: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  for (const sha of shas) {
    const nl = bytes.indexOf(0x0a, at);
    if (nl < 0) break;
    const header = bytes.toString('utf8', at, nl).split(' ');
    if (header[1] === 'missing') {
      at = nl + 1;
      continue;
    }
    const size = Number(header[2] ?? 0);
    out.set(sha, bytes.toString('utf8', nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return out;
}

/** Parses `diff-tree -r -z --raw --no-renames` output. Pure. */
export function parseRaw(out: string): TreeEntryChange[] {
  const fields = out.split('\0');
  const changes: TreeEntryChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]!;
    const p = fields[i + 1]!;
    const m = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])/.exec(meta);
    if (!m) continue;
    const code = m[5]!;
    const status = code === 'A' ? 'added' : code === 'D' ? 'deleted' : code === 'T' ? 'type_changed' : 'modified';
    changes.push({ path: p, status, mode: m[2]!, sha: m[4]! });
  }
  return changes;
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

/** Every symlink of a tree with its target (path → target), in two git processes. Impure. */
export async function listTreeLinks(target: GitTarget, tree: string): Promise<Map<string, string>> {
  const { stdout } = await runGit(target, ['ls-tree', '-r', '-z', '--full-tree', tree]);
  const links: { path: string; sha: string }[] = [];
  for (const record of stdout.split('\0')) {
    const m = /^120000 blob ([0-9a-f]+)\t(.*)$/s.exec(record);
    if (m) links.push({ path: m[2]!, sha: m[1]! });
  }
  const targets = await readBlobs(target, links.map((l) => l.sha));
  return new Map(links.map((l) => [l.path, targets.get(l.sha) ?? '']));
}

/** Everything one diff of two trees tells: governed entries, the milestone's files and size, new objects. */
export interface TreeDiff {
  /** Every path that differs, renames as a deletion and an addition (both are governed). */
  entries: TreeEntryChange[];
  /** The change as the milestone sees it: renames detected by content. */
  files: ChangedFile[];
  /** Lines added and removed (a rename counts its edits only; a binary file no lines). */
  stats: DiffStats;
  /**
   * Files git counted no lines of because it takes them for binary (a NUL byte near the start,
   * a `-diff` or `binary` attribute): a 2,000-line rewrite with a NUL in its first line counted
   * as none. Sorted.
   */
  binary: string[];
  /** Files that became executable (new as 100755, or flipped to it; a mode flip counts no line). Sorted. */
  executable: string[];
  /** Links made or changed (new, retargeted, or a file become one): one line to git. Sorted. */
  links: string[];
  /** Objects `to` has that `from` does not: its new trees (the root included) and blobs. */
  newObjects: string[];
}

const ZERO = /^0+$/;

/**
 * One `diff-tree -r -t --raw --numstat -M` of `from` (null: empty) and `to`, read into
 * everything governance, the change measure and a checkpoint's object copy need. Pure parse
 * of one git process's output. Impure.
 */
export async function diffTrees(target: GitTarget, from: string | null, to: string): Promise<TreeDiff> {
  const base = from ?? EMPTY_TREE;
  if (base === to) return { entries: [], files: [], stats: { files: 0, added: 0, removed: 0 }, newObjects: [], binary: [], executable: [], links: [] };
  const { stdout } = await runGit(target, ['diff-tree', ...WHOLE_DIFF, '-r', '-t', '-z', '--raw', '--numstat', '-M', '--no-abbrev', base, to]);
  return parseTreeDiff(stdout, to);
}

/** Parses `diff-tree -r -t -z --raw --numstat -M` output of a diff ending at tree `to`. Pure. */
export function parseTreeDiff(out: string, to: string): TreeDiff {
  const fields = out.split('\0');
  const entries: TreeEntryChange[] = [];
  const files: ChangedFile[] = [];
  const stats: DiffStats = { files: 0, added: 0, removed: 0 };
  const newObjects = new Set<string>([to]);
  const binary: string[] = [];
  const executable: string[] = [];
  const links: string[] = [];
  for (let i = 0; i < fields.length; ) {
    const f = fields[i++]!;
    if (f === '') continue;
    const raw = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])\d*$/.exec(f);
    if (raw) {
      const [, oldMode, mode, oldSha, sha, code] = raw as unknown as [string, string, string, string, string, string];
      const a = fields[i++]!;
      const b = code === 'R' || code === 'C' ? fields[i++]! : null;
      if (!ZERO.test(sha) && mode !== '160000') newObjects.add(sha);
      if (mode === '040000' || oldMode === '040000') continue;
      if (mode === '100755' && oldMode !== '100755') executable.push(b ?? a);
      if (mode === '120000' && (oldMode !== '120000' || oldSha !== sha || b !== null)) links.push(b ?? a);
      if (b !== null) {
        if (code === 'R') entries.push({ path: a, status: 'deleted', mode: '000000', sha: '0'.repeat(sha.length) });
        entries.push({ path: b, status: 'added', mode, sha });
        files.push(code === 'R' ? { path: b, status: 'renamed', from: a } : { path: b, status: 'added' });
        continue;
      }
      const status = code === 'A' ? 'added' : code === 'D' ? 'deleted' : code === 'T' ? 'type_changed' : 'modified';
      const inPlace = status === 'modified' && /^1006[0-7]{2}$/.test(oldMode) && /^1006[0-7]{2}$/.test(mode);
      entries.push({ path: a, status, mode, sha: ZERO.test(sha) ? oldSha : sha, ...(inPlace ? { before: oldSha } : {}) });
      files.push({ path: a, status: code === 'A' ? 'added' : code === 'D' ? 'deleted' : 'modified' });
      continue;
    }
    const num = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(f);
    if (num) {
      // A rename: the two paths follow, the new one second.
      const file = num[3] === '' ? fields[(i += 2) - 1]! : num[3]!;
      if (num[1] === '-') binary.push(file);
      stats.files += 1;
      if (num[1] !== '-') stats.added += Number(num[1]);
      if (num[2] !== '-') stats.removed += Number(num[2]);
    }
  }
  const byPath = (x: { path: string }, y: { path: string }) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  return { entries: entries.sort(byPath), files: files.sort(byPath), stats, newObjects: [...newObjects], binary: binary.sort(), executable: executable.sort(), links: links.sort() };
}
