import path from 'node:path';
import type { TreeEntryChange } from '../git/changes.js';
import type { Violation } from './check-changes.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * What no change may bring onto a run branch, whatever the roots allow: a path with control
 * characters (they forge terminal output and commit messages), a nested repository (a gitlink
 * points outside the branch), and a symlink that is absolute or leaves the workspace (a write
 * through it lands elsewhere, and on the branch it points into the user's machine).
 * `targets` holds the blob text of each symlink's target by object id. Pure.
 */
export function checkEntries(entries: readonly TreeEntryChange[], targets: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const e of entries) {
    if (e.status === 'deleted') continue;
    if (CONTROL.test(e.path)) {
      out.push({ path: e.path, rule: 'control_characters', pattern: null });
      continue;
    }
    if (e.mode === '160000') {
      out.push({ path: e.path, rule: 'gitlink', pattern: null });
      continue;
    }
    if (e.mode === '120000') {
      const target = targets.get(e.sha);
      if (target === undefined || escapes(e.path, target)) out.push({ path: e.path, rule: 'symlink_escape', pattern: target === undefined ? null : printable(target) });
    }
  }
  return out;
}

/** True when a link at `at` with `target` is absolute or resolves outside the workspace. Pure. */
export function escapes(at: string, target: string): boolean {
  if (target === '' || CONTROL.test(target) || path.posix.isAbsolute(target) || /^[A-Za-z]:/.test(target) || target.includes('\\')) return true;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(at), target));
  return resolved === '..' || resolved.startsWith('../') || resolved.split('/').includes('.git');
}

/** Symlink entries whose targets must be read. Pure. */
export function linkObjects(entries: readonly TreeEntryChange[]): string[] {
  return entries.filter((e) => e.status !== 'deleted' && e.mode === '120000').map((e) => e.sha);
}

function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
