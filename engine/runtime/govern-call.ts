import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { checkChanges, describeViolation, stopFor, type GovernanceRules, type Violation } from '../governance/check-changes.js';
import type { IrStep } from '../compile/ir.js';
import { EMPTY_TREE, headSha } from '../git/repo.js';
import { runGit } from '../git/run-git.js';
import { snapshotTree } from '../git/snapshot.js';
import { packageRoot } from '../paths.js';
import { writeFileAtomic } from '../store/atomic.js';
import { tamperedRecords } from '../store/run-records.js';
import type { RunContext } from './context.js';
import { restoreWorktreeState } from './restore-tree.js';
import { listChangedFilesBetween } from './tree-diff.js';
import { stepFields, type Runtime } from './types.js';
import type { NewEvent } from '../store/timeline.js';

export interface GovernanceStop {
  stop: 'governance_violation' | 'framework_fix_needed';
  detail: string;
  /** The `governance.violation` event, for the caller to append with the step's stop. */
  event: NewEvent;
}

/** Where a check starts from: the tree and branch head the worktree goes back to. */
export interface GovernBase {
  tree: string | null;
  head: string | null;
}

/**
 * After anything that ran code in the worktree — a worker call, a verification or command
 * step (they run code the worker wrote) — and before a checkpoint commits: what changed since
 * `base` (by default where the step started), checked against the rules (read-only steps,
 * protected paths, framework paths, dependency files, allowed roots), and the engine's
 * records in the run store checked against what the engine wrote. On any violation the
 * worktree goes back to `base` (the change kept in attempted.patch), the records are written
 * back, and the caller stops the run with the returned event. With `tree: false` (the engine
 * was interrupted) only the records are checked; with `rollback: false` (a checkpoint) the
 * worktree is left as it is. Null when nothing broke the rules. Impure.
 */
export async function governChange(
  rt: Runtime,
  step: IrStep,
  ctx: RunContext,
  source: string,
  opts: { base?: GovernBase; tree?: boolean; rollback?: boolean } = {},
): Promise<GovernanceStop | null> {
  const worktree = rt.state.worktree;
  const base = opts.base ?? { tree: rt.state.worktree_tree, head: rt.state.head_sha };
  const baseTree = base.tree ?? EMPTY_TREE;
  const checkTree = opts.tree ?? true;
  const tree = checkTree ? await snapshotTree(worktree) : baseTree;
  const violations: Violation[] = [];
  if (checkTree) {
    // Without rename detection a rename is a deletion and an addition: both paths are checked.
    const changed = tree === baseTree ? [] : await listChangedFilesBetween(worktree, baseTree, tree);
    violations.push(...checkChanges(changed, governanceRules(rt, step)));
    // A commit made in the worktree by anything but the engine moves the run's branch, which
    // only the engine's checkpoints do.
    if ((await headSha(worktree)) !== base.head) violations.unshift({ path: '.git/HEAD', rule: 'protected', pattern: '.git/**' });
  }
  const tampered = tamperedRecords(rt.records);
  for (const r of tampered) violations.push({ path: r.name, rule: 'run_store', pattern: null });
  if (violations.length === 0) return null;

  const rollback = checkTree && (opts.rollback ?? true);
  const patch = !rollback || tree === baseTree ? null : await keepAttempt(rt, baseTree, tree);
  if (rollback) await restoreWorktreeState(worktree, base.head, base.tree);
  for (const r of tampered) r.restore();
  const stop = stopFor(violations);
  const event: NewEvent = { type: 'governance.violation', ...stepFields(step.id, ctx), call: source, violations: violations as [Violation, ...Violation[]], patch, stop_reason: stop };
  const lines = violations.map(describeViolation);
  const kept = patch ? `; the change was rolled back and kept in ${patch}` : rollback ? '' : '; nothing was committed, the worktree keeps the change';
  return { stop, event, detail: `${step.worker ?? `step ${step.id}`} (${source}) broke the rules: ${lines.join('; ')}${kept}` };
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

/**
 * The rolled-back change as a binary patch in the run directory; its name there. git writes
 * the patch itself and it is handled as bytes: text in any encoding survives as it was.
 */
async function keepAttempt(rt: Runtime, from: string, to: string): Promise<string> {
  let name = 'attempted.patch';
  for (let n = 2; existsSync(path.join(rt.paths.dir, name)); n++) name = `attempted-${n}.patch`;
  const tmp = path.join(rt.paths.dir, `.${name}.${process.pid}.git`);
  try {
    await runGit(rt.state.worktree, ['diff', '--binary', '--no-color', '--no-ext-diff', `--output=${tmp}`, from, to]);
    // Secrets never reach the run directory, not even in a patch (such lines will not apply).
    // latin1 maps each byte to one character and back, so scrubbing keeps every other byte.
    const bytes = readFileSync(tmp);
    writeFileAtomic(path.join(rt.paths.dir, name), Buffer.from(rt.scrub(bytes.toString('latin1')), 'latin1'));
  } finally {
    rmSync(tmp, { force: true });
  }
  return name;
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}
