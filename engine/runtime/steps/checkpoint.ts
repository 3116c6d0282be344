import { BranchLockedError, BranchMovedError, commitCheckpoint, ForgedObjectError } from '../../git/checkpoint.js';
import { stopFor, type Violation } from '../../governance/check-changes.js';
import { snapshotTree } from '../../git/snapshot.js';
import { diffOf } from '../tree-diffs.js';
import { governStep } from '../govern-call.js';
import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../../vocabulary/run-context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';
import { keepCheckpointIndex } from '../../git/worker-git-dir.js';

/**
 * Commit the milestone's change on the run's branch, or record that nothing changed. What is
 * committed is exactly the tree the gate checks here: the workspace as the last step recorded
 * it (what verification and review saw), never a fresh look at the files, so a process a
 * worker left behind cannot slip a file in between the check and the commit. The whole
 * change since the last checkpoint is governed first; a breach commits nothing and leaves the
 * workspace as it is, so resume repeats the checkpoint (under a widened policy, say) with the
 * same change. Impure (git).
 */
export async function runCheckpointStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  const tree = rt.state.workspace_tree ?? (await snapshotTree(rt.ws));
  const g = await governStep(rt, step, ctx, `the change of milestone ${ctx.milestone || '-'} since the last checkpoint`, { base: rt.headTree, tree, rollback: false, branch: false });
  if (!g.ok) return { stop: g.stop, detail: g.detail, events: [g.event] };
  const { stats, newObjects } = await diffOf(rt, rt.headTree, tree);
  if (stats.files === 0) {
    return { outcome: 'ok', patch: { changes: null }, tree, events: [{ type: 'checkpoint.skipped', ...fields, reason: 'nothing changed since the last checkpoint' }] };
  }
  const m = ctx.milestones[ctx.milestone - 1];
  const sha = await commitCheckpoint({
    ws: rt.ws,
    tree,
    parent: rt.state.head_sha,
    message: {
      title: m ? `milestone ${ctx.milestone} ${m.id}: ${m.goal}` : `step ${step.id}`,
      runId: rt.state.run_id,
      milestone: `${ctx.milestone || '-'}${m ? ` ${m.id}` : ''}`,
      step: step.id,
    },
    author: rt.identity,
    date: new Date(Math.floor(rt.env.now().getTime() / 1000) * 1000),
    newObjects,
  }).catch((error: unknown) => {
    if (error instanceof ForgedObjectError || error instanceof BranchMovedError || error instanceof BranchLockedError) return error;
    throw error;
  });
  // An object the gate read was rewritten since (a worker's leftover process, no OS sandbox):
  // nothing was copied or committed. Or the user's ref of the run moved under it: nothing is
  // committed until the branch is put back, or its lock stayed in the way (a git, a killed one, a file put there).
  if (sha instanceof ForgedObjectError) return notCommitted({ path: sha.path, rule: 'engine_git', pattern: null }, sha.message, step, ctx);
  if (sha instanceof BranchMovedError) return notCommitted({ path: `refs/heads/${sha.branch}`, rule: 'user_repo', pattern: null }, sha.message, step, ctx);
  if (sha instanceof BranchLockedError) return notCommitted({ path: `refs/heads/${sha.branch}${sha.lock === null ? '' : '.lock'}`, rule: 'user_repo', pattern: null }, sha.message, step, ctx);
  keepCheckpointIndex(rt.ws, sha, tree);
  return {
    outcome: 'ok',
    patch: { changes: null },
    tree,
    head: { sha, tree },
    events: [{ type: 'checkpoint.created', ...fields, sha, tree, files: stats.files, added: stats.added, removed: stats.removed }],
  };
}

/** The checkpoint's stop when its change was not committed, for `why`. Pure. */
function notCommitted(violation: Violation, why: string, step: IrStep, ctx: RunContext): StepResult {
  const violations: [Violation] = [violation];
  const stop = stopFor(violations);
  const detail = `the change of milestone ${ctx.milestone || '-'} was not committed: ${why}`;
  return { stop, detail, events: [{ type: 'governance.violation', ...stepFields(step.id, ctx), call: `step ${step.id}`, violations, patch: null, stop_reason: stop }] };
}
