import { createCheckpoint } from '../../git/checkpoint.js';
import { resolveGitIdentity } from '../../git/identity.js';
import { diffStats } from '../../git/changes.js';
import { headSha, treeHash } from '../../git/repo.js';
import { governChange } from '../govern-call.js';
import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';

/**
 * Commit the milestone's change on the run's branch (hooks off, no signing, the run's clock
 * for dates), or record that nothing changed. The whole change since the last checkpoint is
 * governed first: this is the one gate of what enters the branch, whatever path a change
 * took to the worktree. A breach commits nothing and leaves the worktree as it is, so resume
 * repeats the checkpoint (under a widened policy, say) with the same change. Impure (git).
 */
export async function runCheckpointStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  const worktree = rt.state.worktree;
  const head = await headSha(worktree);
  const base = { head, tree: head === null ? null : await treeHash(worktree, head) };
  const breach = await governChange(rt, step, ctx, `the change of milestone ${ctx.milestone || '-'} since the last checkpoint`, { base, rollback: false });
  if (breach) return { stop: breach.stop, detail: breach.detail, events: [breach.event] };
  const stats = await diffStats(worktree, head);
  const m = ctx.milestones[ctx.milestone - 1];
  const title = m ? `milestone ${ctx.milestone} ${m.id}: ${m.goal}` : `step ${step.id}`;
  const message = [
    `engine: ${firstLine(title)}`,
    '',
    `Engine-Run: ${rt.state.run_id}`,
    `Engine-Milestone: ${ctx.milestone || '-'}${m ? ` ${m.id}` : ''}`,
    `Engine-Step: ${step.id}`,
  ].join('\n');
  const identity = await resolveGitIdentity(rt.repo, rt.policy.git.author);
  const date = new Date(Math.floor(rt.env.now().getTime() / 1000) * 1000);
  const cp = await createCheckpoint({ worktree, message, author: identity, date });
  if (!cp) {
    return { outcome: 'ok', patch: { changes: null }, events: [{ type: 'checkpoint.skipped', ...fields, reason: 'nothing changed since the last checkpoint' }] };
  }
  return {
    outcome: 'ok',
    patch: { changes: null },
    tree: cp.tree,
    events: [{ type: 'checkpoint.created', ...fields, sha: cp.sha, tree: cp.tree, files: stats.files, added: stats.added, removed: stats.removed }],
  };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 72 ? line.slice(0, 71) + '…' : line;
}
