import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { checkChanges, describeViolations, stopFor, type GovernanceRules, type Violation } from '../governance/check-changes.js';
import { checkEntries, linkObjects } from '../governance/check-entries.js';
import type { IrStep } from '../compile/ir.js';
import { readBlobs } from '../git/changes.js';
import { linksOfTree } from './tree-links.js';
import { diffOf } from './tree-diffs.js';
import { EMPTY_TREE } from '../git/repo.js';
import { attemptedPatch } from '../git/attempted-patch.js';
import { redactLatin1 } from '../workers/redact.js';
import { snapshotTree } from '../git/snapshot.js';
import { EngineGitBlockedError } from '../git/blocked-git-dir.js';
import { restoreWorkspace } from '../git/restore.js';
import { GitError } from '../git/run-git.js';
import { sandboxKeptOut } from '../sandbox/wrap-command.js';
import { engineGitDirIntact, workspaceTarget, type Workspace } from '../git/workspace.js';
import { packageRoot } from '../paths.js';
import { writeFileAtomic } from '../store/atomic.js';
import { isOwnDirectory } from '../util/is-own-directory.js';
import { tamperedRecords } from '../store/run-records.js';
import type { RunContext } from '../vocabulary/run-context.js';
import { dropPlantedCaches, outsideChanges } from './watch-outside.js';
import { checkRunBranch } from './check-run-branch.js';
import { stepFields, type Runtime } from './types.js';
import type { NewEvent } from '../store/timeline.js';
import { pushAll } from '../util/many.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

export interface GovernanceStop {
  stop: 'governance_violation' | 'framework_fix_needed';
  detail: string;
  /** The `governance.violation` event, for the caller to append with the step's stop. */
  event: NewEvent;
  /** The workspace tree that was checked (null when the tree was not looked at). */
  tree: string | null;
}

export interface GovernOptions {
  /** The tree the check starts from and a rollback returns to; default: the last recorded one. */
  base?: string | null;
  /** The tree to check: a tree id already taken, true to snapshot the workspace now, false to look at records only. */
  tree?: string | boolean;
  /** Put the workspace back to `base` on a breach (default true; a checkpoint leaves it). */
  rollback?: boolean;
  /**
   * Compare the run's branch with the commit the run last wrote there (default true). A
   * checkpoint leaves it to its own compare-and-swap, which also takes the very checkpoint a
   * killed engine made before it could record it (resume repeats the step).
   */
  branch?: boolean;
}

export type GovernResult = { ok: true; tree: string | null } | ({ ok: false } & GovernanceStop);

/**
 * Why the workspace's tree must not be taken, as a violation, or null: without the OS sandbox
 * a worker can remove its own workspace (there is no tree to take), or put a link in place of
 * the engine's git dir (nothing is read or written through it). Checked by governStep and by
 * snapshotEarly before either snapshots. Impure (stats).
 */
function treeOutOfReach(ws: Workspace): Violation | null {
  if (!isOwnDirectory(ws.dir)) return { path: ws.dir, rule: 'workspace_removed', pattern: null };
  return engineGitDirIntact(ws) ? null : { path: ws.gitDir, rule: 'engine_git', pattern: null };
}

/**
 * The workspace's snapshot, begun as soon as a call's processes are gone (while its records
 * are written), after the checks governStep makes before it takes one (treeOutOfReach). Once
 * it is taken, the diff governStep reads (the last recorded tree → this one) is asked of git
 * too (diffOf remembers it). Null when a check fails or the run is stopping; a failed
 * snapshot settles as its error. governStep then checks again and takes the tree given, or
 * its own snapshot where this one gave none. Impure (git).
 */
export function snapshotEarly(rt: Runtime): Promise<string | Error> | null {
  if (rt.signal.aborted || treeOutOfReach(rt.ws)) return null;
  return snapshotTree(rt.ws).then(
    (tree) => {
      const base = rt.state.workspace_tree ?? EMPTY_TREE;
      // Its failure is governStep's to meet (diffOf forgets a failed diff and asks again).
      if (tree !== base) diffOf(rt, base, tree).catch(() => {});
      return tree;
    },
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
}

/**
 * After anything that ran code — a worker call, a verification or command step (they run
 * code the worker wrote) — and at each checkpoint: what changed in the workspace since `base`
 * (by default where the step started) is checked against the rules (read-only steps,
 * protected paths, framework paths, dependency files, allowed roots; links that leave the
 * workspace, gitlinks, control characters), everything outside the workspace that no step may
 * change (the user's repository, shared paths, the engine's install and git dir) against the
 * session's baseline, and the engine's records in the run store against what the engine
 * wrote. On any violation the workspace goes back to `base` (the change kept in
 * attempted.patch) — nothing outside it is ever touched — the records are written back, and
 * the caller stops the run with the returned event. Impure.
 */
export async function governStep(rt: Runtime, step: IrStep, ctx: RunContext, source: string, opts: GovernOptions = {}): Promise<GovernResult> {
  const base = opts.base === undefined ? rt.state.workspace_tree : opts.base;
  const baseTree = base ?? EMPTY_TREE;
  const outOfReach = treeOutOfReach(rt.ws);
  const lookAtTree = outOfReach ? false : (opts.tree ?? true);
  const { tree, blocked } = typeof lookAtTree === 'string' ? { tree: lookAtTree, blocked: null } : lookAtTree ? await lookAt(rt.ws) : { tree: null, blocked: null };
  const violations: Violation[] = outOfReach ? [outOfReach] : blocked ? [{ path: blocked.gitDir, rule: 'engine_git', pattern: null }] : [];
  if (tree !== null && tree !== baseTree) {
    const target = workspaceTarget(rt.ws);
    const { entries } = await diffOf(rt, baseTree, tree);
    const links = linkObjects(entries);
    // A new or changed link is resolved through every other link of the tree, as the kernel
    // would; and every changed path is checked by each name it has through them, the links
    // the repository already had included.
    const treeLinks = await linksOfTree(rt, baseTree, tree, entries);
    pushAll(violations, checkChanges(entries.map((e) => e.path), governanceRules(rt, step), treeLinks));
    pushAll(violations, checkEntries(entries, await readBlobs(target, links), treeLinks));
  }
  // What snapshots neutralised on the way (planted in the engine's git dir, unstageable nested repos).
  for (const f of rt.ws.findings.splice(0)) violations.push({ path: f.path, rule: f.kind, pattern: f.pattern ?? null });
  // A tree the OS sandbox kept every process of the run out of (read-only there) needs no walk.
  const outside = outsideChanges(rt.outside);
  dropPlantedCaches(rt.outside, outside);
  // The watch leaves refs/heads/engine/ out (the engine moves its branch): the run's own is compared with what the run wrote.
  const moved = opts.branch === false ? null : checkRunBranch(rt);
  if (moved) outside.push(moved.violation);
  const known = new Set(violations.map((v) => `${v.rule}\0${v.path}`));
  pushAll(violations, outside.filter((v) => !known.has(`${v.rule}\0${v.path}`)));
  // So does a record of the run store; one no sandboxed process could write is only looked at
  // (hashing the timeline grows with the run): removed from outside the sandbox, it is gone.
  const tampered = tamperedRecords(rt.records, { keptOut: (r) => sandboxKeptOut(rt.sandbox, [r.file]) });
  for (const r of tampered) violations.push({ path: r.name, rule: 'run_store', pattern: null });
  if (violations.length === 0) return { ok: true, tree };

  const rollback = tree !== null && (opts.rollback ?? true);
  const patch = !rollback || tree === baseTree ? null : await keepAttempt(rt, baseTree, tree);
  const unrestored = rollback ? await tryRestore(rt, base) : null;
  for (const r of tampered) r.restore();
  const stop = stopFor(violations);
  const event: NewEvent = { type: 'governance.violation', ...stepFields(step.id, ctx), call: source, violations: violations as [Violation, ...Violation[]], patch, stop_reason: stop };
  const lines = describeViolations(violations);
  const kept = unrestored
    ? `; the rollback could not put the workspace back (${unrestored}): it stays as the step left it, and ${engineCommandAnywhere('resume --force')} puts it back once that can be removed${patch ? `; the change is kept in ${patch}` : ''}`
    : patch
      ? `; the change was rolled back and kept in ${patch}`
      : rollback
        ? ''
        : '; nothing was committed, the workspace keeps the change';
  const why = blocked === null ? kept : `; ${blocked.message}: the step's change could not be looked at, nor rolled back (once that is put right, ${engineCommandAnywhere('resume --force')} puts it back)`;
  return { ok: false, stop, event, tree, detail: `${step.worker ?? `step ${step.id}`} (${source}) broke the rules: ${lines.join('; ')}${why}${moved ? `; ${moved.detail}` : ''}` };
}

/**
 * The workspace's snapshot; with the engine's git dir kept locked or taken (no OS sandbox),
 * no tree and why, as for a link there: governStep's other checks still run. Impure (git).
 */
async function lookAt(ws: Workspace): Promise<{ tree: string | null; blocked: EngineGitBlockedError | null }> {
  try {
    return { tree: await snapshotTree(ws), blocked: null };
  } catch (error) {
    if (!(error instanceof EngineGitBlockedError)) throw error;
    return { tree: null, blocked: error };
  }
}

/**
 * Puts the workspace back to `base` after a violation; what git said when it could not, else
 * null. Without the OS sandbox a process a worker left running can keep filling a folder git
 * must clean (`git clean` then fails): the run stops on the violation all the same, and
 * `engine resume --force` puts the workspace back before anything else. Impure (git).
 */
async function tryRestore(rt: Runtime, base: string | null): Promise<string | null> {
  try {
    await restoreWorkspace(rt.ws, base);
    return null;
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    return (error.stderr.trim().split('\n')[0] ?? error.message).slice(0, 300);
  }
}

/** governStep for callers that only need the stop: null when nothing broke the rules. Impure. */
export async function governChange(rt: Runtime, step: IrStep, ctx: RunContext, source: string, opts: GovernOptions = {}): Promise<GovernanceStop | null> {
  const r = await governStep(rt, step, ctx, source, opts);
  return r.ok ? null : r;
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
 * The rolled-back change as a binary patch in the run directory; its name there. git's
 * output is handled as bytes: text in any encoding survives as it was. It comes back on
 * stdout, never through a file git opens by name (a name in the run directory, where a worker
 * without the OS sandbox can put a link to a file of the user's for git to write through).
 */
async function keepAttempt(rt: Runtime, from: string, to: string): Promise<string> {
  let name = 'attempted.patch';
  for (let n = 2; existsSync(path.join(rt.paths.dir, name)); n++) name = `attempted-${n}.patch`;
  // Secrets never reach the run directory, not even in a patch (such lines will not apply).
  writeFileAtomic(path.join(rt.paths.dir, name), (await attemptedPatch(workspaceTarget(rt.ws), from, to, (text) => redactLatin1(text, rt.secrets), undefined, rt.secrets)).bytes);
  return name;
}

/** Whether two paths name one place, links resolved; asked once per pair (the repo and the install stay put). Impure. */
function samePath(a: string, b: string): boolean {
  const key = `${a}\0${b}`;
  let same = samePaths.get(key);
  if (same === undefined) {
    try {
      same = realpathSync(a) === realpathSync(b);
    } catch {
      same = path.resolve(a) === path.resolve(b);
    }
    samePaths.set(key, same);
  }
  return same;
}
const samePaths = new Map<string, boolean>();
