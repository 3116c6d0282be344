import path from 'node:path';
import { removeWorkspace, type Workspace } from '../git/workspace.js';
import { describeFsError, whyAt } from '../util/describe-fs-error.js';
import type { Runtime } from './types.js';
import type { LoopEnd } from './loop.js';
import { exitCodeFor } from '../vocabulary/stop-reasons.js';
import { computeKpis } from '../kpi/compute.js';
import { renderMemo, renderSummary, resumeCommandOf } from './summary.js';
import { replaceFile } from '../store/atomic.js';
import { indexFinishedRun } from './index-run.js';
import { removeFile, removeTree } from '../util/remove-tree.js';
import { EMPTY_TREE, removeUntouchedRunBranch } from '../git/repo.js';

export interface RunOutcome {
  runId: string;
  runDir: string;
  status: 'completed' | 'stopped';
  stopReason: LoopEnd['reason'];
  exitCode: number;
  detail: string;
  /** What a completed run could not remove after it (its workspace, when the system refused), for a warning; null when nothing. */
  leftBehind?: string | null;
  /** A completed run's workspace, kept because it holds changes no checkpoint took (holdsUncheckpointed); null when none. */
  uncheckpointed?: string | null;
  /** The records derived from the run's end that the file system refused (summary.md, memo.md), in words; null when none. */
  unwritten?: string | null;
}

/**
 * Whether a completed run's workspace holds changes its branch does not: its tree at the last
 * step is not the tree of the branch's last checkpoint (or of the base). A pipeline with no
 * checkpoint step after its last writing step ends so; removing the workspace then threw the
 * workers' work away while the summary said the branch held the result. Pure.
 */
export function holdsUncheckpointed(workspaceTree: string | null, headTree: string | null): boolean {
  return workspaceTree !== null && workspaceTree !== (headTree ?? EMPTY_TREE);
}

/**
 * Close a session: record the stop in state.json, append `run.finished` with the KPIs, write
 * summary.md and (for every stop but completed) memo.md, add the run to the store's index.
 * Impure (writes the run store).
 */
export function finishRun(rt: Runtime, end: LoopEnd): RunOutcome {
  const completed = end.reason === 'completed';
  const exitCode = exitCodeFor(end.reason);
  rt.state.status = completed ? 'completed' : 'stopped';
  rt.state.stop_reason = end.reason;
  rt.state.stop_detail = end.detail;
  rt.state.inflight = null;
  rt.append({
    type: 'run.finished',
    step: null,
    milestone: null,
    attempt: null,
    status: rt.state.status,
    stop_reason: end.reason,
    exit_code: exitCode,
    detail: end.detail,
    kpis: computeKpis(rt.events),
  });
  const keep = completed && holdsUncheckpointed(rt.state.workspace_tree, rt.headTree);
  if (keep) rt.state.workspace_kept = true;
  rt.persist(true);
  // From here the run's end is on record: what follows is derived from it, and a file system
  // that refuses it (full, read-only) no longer turns a finished run into a failed command
  // whose resume answers "already completed".
  const unwritten = writeDerived(rt, () => writeSummaries(rt, keep));
  let leftBehind: string | null = null;
  if (completed) {
    removeFile(rt.paths.memo);
    if (!keep) leftBehind = removeAfterRun(rt);
  }
  rt.timeline.close();
  indexFinishedRun(rt);
  return { runId: rt.state.run_id, runDir: rt.paths.dir, status: rt.state.status, stopReason: end.reason, exitCode, detail: end.detail, leftBehind, uncheckpointed: keep ? rt.ws.dir : null, unwritten };
}

/** Runs `write`; what the file system refused of it, in words, or null. An error that is no file system's is thrown. Impure. */
function writeDerived(rt: Runtime, write: () => void): string | null {
  try {
    write();
    return null;
  } catch (error) {
    const fs = describeFsError(error);
    if (!fs) throw error;
    return `${path.basename(rt.paths.summary)}${rt.state.status === 'stopped' ? ` or ${path.basename(rt.paths.memo)}` : ''}: ${whyAt(fs, rt.paths.dir)}`;
  }
}

/**
 * The workspace and the CLIs' private homes beside it, which a completed run no longer needs
 * (its branch holds the result); what the file system would not let go, in words, or null.
 * The run is complete either way: a workspace left behind is `engine clean`'s to remove, and
 * failing the command for it told the user a finished run had stopped. Impure.
 */
function removeAfterRun(rt: Runtime): string | null {
  try {
    removeWorkspace(rt.ws.dir);
    // A run begun before the homes moved beside the workspace kept them in its run directory.
    removeTree(path.join(rt.paths.dir, 'homes'));
    return null;
  } catch (error) {
    const fs = describeFsError(error);
    if (!fs) throw error;
    return `${rt.ws.dir}: ${whyAt(fs, rt.ws.dir)}`;
  }
}

/**
 * A run the doctor blocked before its first step (resume refuses it): dropUnbegunRun, so each
 * blocked attempt leaves nothing in the user's repo or under ENGINE_HOME; a branch it must
 * keep is marked in state.json (`branch_kept`), for the summary to say so. Impure.
 */
export async function dropBlockedRun(rt: Runtime): Promise<void> {
  if (!(await dropUnbegunRun(rt.ws, rt.state.base_sha, 'engine: run blocked before its first step'))) rt.state.branch_kept = true;
}

/**
 * A run's workspace and its branch, for a run that never began: the branch while nothing has
 * touched it since it was made at `baseSha` (removeUntouchedRunBranch: never one checked out
 * or moved since; null: no commit, so no branch was made), then the workspace. `why` goes to
 * the reflog. Whether no branch is left (false: it was kept, see above). Impure.
 */
export async function dropUnbegunRun(ws: Workspace, baseSha: string | null, why: string): Promise<boolean> {
  const gone = baseSha === null || (await removeUntouchedRunBranch({ gitDir: ws.repo.gitDir }, ws.branch, baseSha, why));
  removeWorkspace(ws.dir);
  return gone;
}

/** Rewrite summary.md (and memo.md when stopped); `workspaceKept`: a completed run's workspace holds changes no checkpoint took. Impure. */
export function writeSummaries(rt: Runtime, workspaceKept = false): void {
  const targets = rt.policy.kpi_targets;
  const resume = resumeCommandOf(rt.paths.dir, rt.state);
  replaceFile(rt.paths.summary, rt.scrub(renderSummary(rt.state, rt.events, targets, resume, { workspaceKept })));
  if (rt.state.status === 'stopped') replaceFile(rt.paths.memo, rt.scrub(renderMemo(rt.state, rt.events, resume)));
}
