import { createCheckpoint } from '../../git/checkpoint.js';
import { resolveGitIdentity } from '../../git/identity.js';
import { diffStats } from '../../git/changes.js';
import { headSha } from '../../git/repo.js';
import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';

/**
 * Commit the milestone's change on the run's branch (hooks off, no signing, the run's clock
 * for dates), or record that nothing changed. Impure (git).
 */
export async function runCheckpointStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  const worktree = rt.state.worktree;
  const stats = await diffStats(worktree, await headSha(worktree));
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
