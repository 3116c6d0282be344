import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { checkChanges, describeViolation, stopFor, type GovernanceRules, type Violation } from '../governance/check-changes.js';
import type { IrStep } from '../compile/ir.js';
import { parseNameStatus } from '../git/changes.js';
import { EMPTY_TREE, headSha } from '../git/repo.js';
import { runGit } from '../git/run-git.js';
import { snapshotTree } from '../git/snapshot.js';
import { packageRoot } from '../paths.js';
import { writeFileAtomic } from '../store/atomic.js';
import { tamperedRecords } from '../store/run-records.js';
import type { RunContext } from './context.js';
import { restoreWorktreeState } from './restore-tree.js';
import { stepFields, type Runtime } from './types.js';

export interface GovernanceStop {
  stop: 'governance_violation' | 'framework_fix_needed';
  detail: string;
}

/**
 * After a worker call: what the step has changed in the worktree so far, checked against the
 * rules (read-only steps, protected paths, framework paths, dependency files, allowed roots),
 * and the engine's records in the run store checked against what the engine wrote. On any
 * violation the worktree goes back to where the step started (its change kept in
 * attempted.patch), the records are written back, `governance.violation` is recorded, and the
 * run stops. Null when the call kept to the rules. Impure (git, run store).
 */
export async function governCall(rt: Runtime, step: IrStep, ctx: RunContext, callRel: string): Promise<GovernanceStop | null> {
  const worktree = rt.state.worktree;
  const baseTree = rt.state.worktree_tree ?? EMPTY_TREE;
  const tree = await snapshotTree(worktree);
  const head = await headSha(worktree);
  const moved = head !== rt.state.head_sha;
  const changed = tree === baseTree ? [] : await changedPaths(worktree, baseTree, tree);
  const violations: Violation[] = checkChanges(changed, governanceRules(rt, step));
  // A commit of the worker's own in the worktree is a change to the run's branch, which only
  // the engine's checkpoints make.
  if (moved) violations.unshift({ path: '.git/HEAD', rule: 'protected', pattern: '.git/**' });
  const tampered = tamperedRecords(rt.records);
  for (const r of tampered) violations.push({ path: r.name, rule: 'run_store', pattern: null });
  if (violations.length === 0) return null;

  const patch = tree === baseTree ? null : await keepAttempt(rt, baseTree, tree);
  await restoreWorktreeState(worktree, rt.state.head_sha, rt.state.worktree_tree);
  for (const r of tampered) r.restore();
  const stop = stopFor(violations);
  rt.append({ type: 'governance.violation', ...stepFields(step.id, ctx), call: callRel, violations: violations as [Violation, ...Violation[]], patch, stop_reason: stop });
  const lines = violations.map(describeViolation);
  const kept = patch ? `; the change was rolled back and kept in ${patch}` : '';
  return { stop, detail: `${step.worker} (${callRel}) broke the rules: ${lines.join('; ')}${kept}` };
}

/** The rules for a worker call of this step. */
export function governanceRules(rt: Runtime, step: IrStep): GovernanceRules {
  const g = rt.policy.governance;
  return {
    allowedRoots: g.allowed_roots,
    taskRoots: rt.task.allowedRoots,
    protected: g.protected,
    lockfiles: g.lockfiles,
    allowDeps: g.allow_deps,
    frameworkPaths: g.framework_paths,
    ownRepo: samePath(rt.repo, packageRoot),
    readOnly: step.readOnly,
  };
}

/** Paths that differ between two trees, both sides of a rename. */
async function changedPaths(worktree: string, from: string, to: string): Promise<string[]> {
  const { stdout } = await runGit(worktree, ['diff-tree', '-r', '-z', '--name-status', '-M', from, to]);
  return parseNameStatus(stdout).flatMap((f) => (f.from ? [f.from, f.path] : [f.path]));
}

/** The rolled-back change as a binary patch in the run directory; its name there. */
async function keepAttempt(rt: Runtime, from: string, to: string): Promise<string> {
  const { stdout } = await runGit(rt.state.worktree, ['diff', '--binary', '--no-color', '--no-ext-diff', from, to]);
  let name = 'attempted.patch';
  for (let n = 2; existsSync(path.join(rt.paths.dir, name)); n++) name = `attempted-${n}.patch`;
  // Secrets never reach the run directory, not even in a patch (such lines will not apply).
  writeFileAtomic(path.join(rt.paths.dir, name), rt.scrub(stdout));
  return name;
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}
