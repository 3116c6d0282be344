/**
 * What the user sees of their repo, taken before and after a run and compared item by item.
 * The raw bytes (every file of `.git` but its objects and the run's own branch, every file of
 * the checkout) are read before any git command runs, so the test's own git cannot change them.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { safeGit } from './fixture.js';

export type Item = 'branch' | 'head' | 'index' | 'lsfiles' | 'config' | 'hooks' | 'refs' | 'gitdir' | 'status' | 'worktrees' | 'tree';

export interface RepoSnapshot {
  branch: string;
  head: string;
  index: string;
  lsfiles: string;
  config: string;
  hooks: Record<string, string>;
  refs: string;
  gitdir: Record<string, string>;
  status: string;
  worktrees: string;
  tree: Record<string, string>;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex').slice(0, 16);

/** Every entry under `root` (relative path → kind and content hash); `skip` prunes by relative path. */
function listFiles(root: string, skip: (rel: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    let entries: string[];
    try {
      entries = readdirSync(abs);
    } catch {
      return;
    }
    for (const name of entries.sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const st = lstatSync(path.join(root, r));
      if (st.isSymbolicLink()) out[r] = `link:${readlinkSync(path.join(root, r))}`;
      else if (st.isDirectory()) {
        out[`${r}/`] = `dir:${(st.mode & 0o7777).toString(8)}`;
        walk(r);
      } else if (st.isFile()) out[r] = `file:${(st.mode & 0o777).toString(8)}:${sha(readFileSync(path.join(root, r)))}`;
      else out[r] = 'special';
    }
  };
  walk('');
  return out;
}

/** The run's own branch and its reflog are the only things allowed to appear in `.git` (besides objects). */
const engineRef = (rel: string) => rel.startsWith('refs/heads/engine/') || rel === 'refs/heads/engine' || rel.startsWith('logs/refs/heads/engine');

export function snapshotRepo(repo: string): RepoSnapshot {
  const gd = path.join(repo, '.git');
  const read = (rel: string) => (existsSync(path.join(gd, rel)) ? readFileSync(path.join(gd, rel)) : Buffer.from('<absent>'));
  // Of objects/, only what redirects object lookups (alternates) is the user's config.
  const objectsKept = new Set(['objects', 'objects/info', 'objects/info/alternates', 'objects/info/http-alternates']);
  const gitdir = listFiles(gd, (rel) => (rel.startsWith('objects') && !objectsKept.has(rel)) || engineRef(rel));
  if (gitdir['packed-refs']) gitdir['packed-refs'] = sha(read('packed-refs').toString('utf8').split('\n').filter((l) => !/ refs\/heads\/engine\//.test(l)).join('\n'));
  const hooks = listFiles(path.join(gd, 'hooks'), () => false);
  const tree = listFiles(repo, (rel) => rel === '.git' || rel === '.engine/runs');
  const index = sha(read('index'));
  const config = read('config').toString('utf8');
  // Only now run git (reads only: no optional locks, no index refresh written).
  const branch = safeGit(repo, ['symbolic-ref', '-q', 'HEAD'], { allowFail: true }).trim() || `<detached ${read('HEAD').toString('utf8').trim()}>`;
  const head = safeGit(repo, ['rev-parse', '--verify', '-q', 'HEAD'], { allowFail: true }).trim();
  const lsfiles = safeGit(repo, ['ls-files', '-s'], { allowFail: true });
  const refs = safeGit(repo, ['for-each-ref', '--format=%(refname) %(objectname)'], { allowFail: true })
    .split('\n')
    .filter((l) => l && !l.startsWith('refs/heads/engine/'))
    .join('\n');
  const status = safeGit(repo, ['status', '--porcelain=v1', '--untracked-files=all', '--ignored=no'], { allowFail: true });
  const worktrees = safeGit(repo, ['worktree', 'list', '--porcelain'], { allowFail: true });
  return { branch, head, index, lsfiles, config, hooks, refs, gitdir, status, worktrees, tree };
}

const label: Record<Item, string> = {
  branch: "the user's branch (HEAD's symbolic ref)",
  head: "the user's HEAD commit",
  index: "the user's index file bytes",
  lsfiles: "the user's index entries (git ls-files -s)",
  config: "the user's .git/config bytes",
  hooks: "the user's hooks (listing and contents)",
  refs: "the user's refs other than refs/heads/engine/*",
  gitdir: "every other file of the user's .git (objects and the run branch aside)",
  status: "the user's git status --porcelain",
  worktrees: "the user's git worktree list",
  tree: "the user's checkout: uncommitted edits, staged and untracked files (every file's bytes)",
};

/** Differences of a map, as a short list for the failure message. */
function mapDiff(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k] ?? '<absent>'} -> ${b[k] ?? '<absent>'}`);
}

export interface Tolerated {
  items?: Item[];
  treePaths?: string[];
}

/** One entry per item: its label and what differs (empty when equal or tolerated). Pure. */
export function compareSnapshots(before: RepoSnapshot, after: RepoSnapshot, tolerated: Tolerated = {}): { item: Item; label: string; diff: string[] }[] {
  const out: { item: Item; label: string; diff: string[] }[] = [];
  for (const item of Object.keys(label) as Item[]) {
    const a = before[item];
    const b = after[item];
    let diff: string[];
    let name = label[item];
    if (tolerated.items?.includes(item)) diff = [];
    else if (typeof a === 'string') {
      let [x, y] = [a, b as string];
      if (item === 'status' && tolerated.treePaths) {
        // Lines about a tolerated path aside (`XY path`).
        const keep = (s: string) => s.split('\n').filter((l) => !tolerated.treePaths!.some((p) => l.slice(3).startsWith(p))).join('\n');
        [x, y] = [keep(x), keep(y)];
        name += ` (${tolerated.treePaths.join(', ')} aside)`;
      }
      diff = x === y ? [] : [`before:\n${x}\nafter:\n${y}`];
    } else {
      diff = mapDiff(a, b as Record<string, string>);
      if (item === 'tree' && tolerated.treePaths) {
        diff = diff.filter((d) => !tolerated.treePaths!.some((p) => d.startsWith(`${p}:`) || d.startsWith(`${p}/`)));
        name += ` (${tolerated.treePaths.join(', ')} aside)`;
      }
    }
    out.push({ item, label: name, diff });
  }
  return out;
}

/**
 * Assert every item is as before, except the `tolerated` ones (what a worker without a sandbox
 * can change by absolute path; the scenario then asserts the engine's detection instead).
 * `treePaths` narrows the tree and status comparisons to other paths.
 */
export function assertRepoUnchanged(t: Test, before: RepoSnapshot, after: RepoSnapshot, tolerated: Tolerated = {}): void {
  for (const { item, label: name, diff } of compareSnapshots(before, after, tolerated)) {
    if (tolerated.items?.includes(item)) continue;
    t.same(diff, [], `${name} is unchanged`);
  }
}
