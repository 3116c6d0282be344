import path from 'node:path';
import { firstGlob } from './match-glob.js';
import type { GovernanceRules, Violation } from './check-changes.js';

/**
 * The planned paths (a plan's `files_expected`, as the worker wrote them) that no worker may
 * change: absolute paths, paths that leave the repo (`..`), paths under a protected pattern
 * (`.git/**`, `.engine/**` and the policy's), and paths outside the allowed roots (the
 * policy's and the task's). A plan that proposes any is refused at acceptance, before a
 * worker is asked to write there. One violation per path, sorted. Pure.
 */
export function checkPlannedPaths(paths: readonly string[], rules: Pick<GovernanceRules, 'allowedRoots' | 'taskRoots' | 'protected'>): Violation[] {
  const protectedBy = firstGlob(rules.protected);
  const inRoots = firstGlob(rules.allowedRoots);
  const inTaskRoots = rules.taskRoots ? firstGlob(rules.taskRoots) : () => '';
  const out: Violation[] = [];
  for (const raw of [...new Set(paths)].sort()) {
    const p = raw.replace(/\\/g, '/');
    const norm = path.posix.normalize(p).replace(/^\.\//, '');
    let why: string | null = null;
    if (p.startsWith('/') || /^[A-Za-z]:\//.test(p)) why = 'an absolute path';
    else if (norm === '..' || norm.startsWith('../')) why = 'leaves the repository';
    else if (protectedBy(norm) !== null) why = `protected: ${protectedBy(norm)}`;
    else if (inRoots(norm) === null || inTaskRoots(norm) === null) why = 'outside the allowed roots';
    if (why) out.push({ path: raw, rule: 'planned_outside_roots', pattern: why });
  }
  return out;
}
