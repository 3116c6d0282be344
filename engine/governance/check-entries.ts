import path from 'node:path';
import type { TreeEntryChange } from '../git/changes.js';
import type { Violation } from './check-changes.js';
import { CONTROL_CHARACTER } from '../util/printable.js';
import { resolvePath } from './resolve-links.js';

// C0 and C1 controls and the Unicode line and paragraph separators: each can forge a line
// break or a terminal escape in a commit message, a diff or a terminal.
// eslint-disable-next-line no-control-regex

/**
 * What no change may bring onto a run branch, whatever the roots allow: a path with control
 * characters (they forge terminal output and commit messages), a nested repository (a gitlink
 * points outside the branch), and a symlink that is absolute or leaves the workspace (a write
 * through it lands elsewhere, and on the branch it points into the user's machine).
 * `targets` holds the blob text of each symlink's target by object id. Pure.
 */
export function checkEntries(entries: readonly TreeEntryChange[], targets: ReadonlyMap<string, string>, otherLinks: ReadonlyMap<string, string> = new Map()): Violation[] {
  const out: Violation[] = [];
  // Every link of the resulting tree (the unchanged ones given, the changed ones here): a
  // target is resolved the way the filesystem does, through the other links on its way.
  const links = new Map(otherLinks);
  for (const e of entries) {
    if (e.status === 'deleted' || e.mode !== '120000') links.delete(e.path);
    else if (targets.has(e.sha)) links.set(e.path, targets.get(e.sha)!);
  }
  for (const e of entries) {
    if (e.status === 'deleted') continue;
    if (CONTROL_CHARACTER.test(e.path)) {
      out.push({ path: e.path, rule: 'control_characters', pattern: null });
      continue;
    }
    if (e.mode === '160000') {
      out.push({ path: e.path, rule: 'gitlink', pattern: null });
      continue;
    }
    if (e.mode === '120000') {
      const target = targets.get(e.sha);
      if (target === undefined || escapes(e.path, target) || resolvesOutside(e.path, links)) out.push({ path: e.path, rule: 'symlink_escape', pattern: target === undefined ? null : printable(target) });
    }
  }
  return out;
}

/** True when a link at `at` with `target` is absolute or resolves outside the workspace. Pure. */
export function escapes(at: string, target: string): boolean {
  if (target === '' || CONTROL_CHARACTER.test(target) || path.posix.isAbsolute(target) || /^[A-Za-z]:/.test(target) || target.includes('\\')) return true;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(at), target));
  return resolved === '..' || resolved.startsWith('../') || resolved.split('/').includes('.git');
}

/**
 * True when the path `at`, resolved component by component through `links` (path → target,
 * repo-relative) the way the kernel resolves it, leaves the workspace, reaches into a `.git`,
 * meets an absolute or unreadable target, or loops. Pure.
 */
export function resolvesOutside(at: string, links: ReadonlyMap<string, string>): boolean {
  const resolved = resolvePath(at, links);
  return resolved === null || resolved.split('/').includes('.git');
}

/** Symlink entries whose targets must be read. Pure. */
export function linkObjects(entries: readonly TreeEntryChange[]): string[] {
  return entries.filter((e) => e.status !== 'deleted' && e.mode === '120000').map((e) => e.sha);
}

function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
