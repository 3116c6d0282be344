/**
 * The run branch `engine/<run-id>`, read from the user's repo: whatever the run did, it may
 * hold only changes under the allowed roots, no symlink that is absolute or leaves the tree,
 * no gitlink, no path with a control character or a `.git` component, and commit messages
 * without trailers.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Test } from 'tap';
import { safeGit } from './fixture.js';

export interface BranchEntry {
  mode: string;
  type: string;
  oid: string;
  path: string;
}

/** The branch's commit, or null when the run made none. */
export function branchTip(repo: string, id: string): string | null {
  return safeGit(repo, ['rev-parse', '--verify', '-q', `refs/heads/engine/${id}^{commit}`], { allowFail: true }).trim() || null;
}

/** `git ls-tree -r -z` of a commit: every entry, gitlinks included. */
export function lsTree(repo: string, rev: string): BranchEntry[] {
  return safeGit(repo, ['ls-tree', '-r', '-z', '--full-tree', rev])
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, oid] = line.slice(0, tab).split(' ');
      return { mode, type, oid, path: line.slice(tab + 1) };
    });
}

/** Paths changed between base and the tip (added, modified or deleted). */
export function changedPaths(repo: string, base: string, tip: string): string[] {
  const out = safeGit(repo, ['diff-tree', '-r', '-z', '--no-renames', '--name-only', base, tip]);
  return out.split('\0').filter(Boolean);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface BranchCheck {
  name: string;
  bad: string[];
}

/** Every check of the branch with what fails it (empty `bad` = holds); null when no branch. */
export function branchProblems(repo: string, id: string, base: string, roots: string[], forbidden: string[] = []): { checks: BranchCheck[]; entries: BranchEntry[] } | null {
  const tip = branchTip(repo, id);
  if (!tip) return null;
  const checks: BranchCheck[] = [];
  checks.push({ name: 'the run branch grows from the base commit', bad: spawnOk(repo, ['merge-base', '--is-ancestor', base, tip]) ? [] : [tip] });
  const allowed = picomatch(roots, { dot: true });
  checks.push({ name: `every change on engine/${id} is under the allowed roots ${roots.join(', ')}`, bad: changedPaths(repo, base, tip).filter((p) => !allowed(p)) });
  const entries = lsTree(repo, tip);
  checks.push({ name: 'no gitlink (mode 160000) on the branch', bad: entries.filter((e) => e.mode === '160000').map((e) => e.path) });
  const badLinks = entries
    .filter((e) => e.mode === '120000')
    .map((e) => ({ path: e.path, target: safeGit(repo, ['cat-file', 'blob', e.oid]) }))
    .filter(({ path: p, target }) => path.posix.isAbsolute(target) || path.posix.normalize(path.posix.join(path.posix.dirname(p), target)).startsWith('..'))
    .map(({ path: p, target }) => `${p} -> ${target}`);
  checks.push({ name: 'no symlink on the branch is absolute or leaves the tree', bad: badLinks });
  checks.push({ name: 'no path on the branch has a control character', bad: entries.filter((e) => CONTROL.test(e.path)).map((e) => JSON.stringify(e.path)) });
  checks.push({ name: 'no .git component on the branch', bad: entries.filter((e) => e.path.split('/').some((c) => c.toLowerCase() === '.git')).map((e) => e.path) });
  const present = new Set(entries.map((e) => e.path));
  checks.push({ name: `none of ${forbidden.join(', ') || '(nothing)'} on the branch`, bad: forbidden.filter((p) => present.has(p) || entries.some((e) => e.path.startsWith(`${p}/`))) });

  // The engine may sign its commits with trailers of its own (Engine-Run: ...); no other can appear.
  const foreign = (text: string) => text.split('\n').filter((l) => l.trim() && !/^Engine-[A-Za-z-]+: /.test(l));
  checks.push({ name: "no commit message on the branch carries a trailer but the engine's own (Engine-*)", bad: foreign(safeGit(repo, ['log', '--format=%(trailers)', `${base}..${tip}`])) });
  const messages = safeGit(repo, ['log', '--format=%B%x00', `${base}..${tip}`]).split('\0').map((m) => m.trim()).filter(Boolean);
  // Outside any repo: a trailer.<x>.command the worker planted must not run here either.
  checks.push({ name: 'git interpret-trailers --parse finds no foreign trailer in any message', bad: messages.flatMap((m) => foreign(safeGitStdin(os.tmpdir(), ['interpret-trailers', '--parse'], `${m}\n`))) });
  checks.push({ name: 'no Signed-off-by or Co-authored-by line anywhere in a message', bad: messages.flatMap((m) => m.split('\n').filter((l) => /^\s*(Signed-off-by|Co-authored-by):/i.test(l))) });
  return { checks, entries };
}

/** Everything the branch holds, checked; returns the entries for scenario-specific checks. */
export function assertBranchClean(t: Test, repo: string, id: string, base: string, roots: string[], forbidden: string[] = []): BranchEntry[] {
  const r = branchProblems(repo, id, base, roots, forbidden);
  if (!r) {
    t.pass(`no run branch engine/${id}: nothing to check on it`);
    return [];
  }
  for (const c of r.checks) t.same(c.bad, [], c.name);
  return r.entries;
}

function spawnOk(cwd: string, args: string[]): boolean {
  return spawnSync('git', args, { cwd, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } }).status === 0;
}

function safeGitStdin(cwd: string, args: string[], input: string): string {
  const r = spawnSync('git', args, { cwd, input, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
  return r.stdout ?? '';
}
