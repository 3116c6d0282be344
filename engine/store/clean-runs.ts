import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { canResume } from './can-resume.js';
import path from 'node:path';
import { engineGitDirOf, removalBegun, removalMarkNamed, removeWorkspace, workspaceHomesOf, workspaceNameOf, workspaceRunDirOf } from '../git/workspace.js';
import type { RunState } from '../generated/state.js';
import { readOpenFiles, runLockHeld, type OpenFiles } from './run-lock.js';
import { planClean, type CleanCandidate, type CleanChoice, type CleanOptions, type RunBranch } from './plan-clean.js';
import { locateRepo, removeBranchAt, repoTarget, untouchedRunBranches } from '../git/repo.js';
import type { GitTarget } from '../git/run-git.js';
import { removeTree } from '../util/remove-tree.js';
import { readTextOrNull, readRegularFileSync } from '../util/read-or-null.js';
import { readRunRecordJson } from '../util/read-run-record.js';
import { isOwnDirectory } from '../util/is-own-directory.js';

export interface CleanedRun {
  run_id: string;
  workspace: string;
  status: CleanCandidate['status'];
  removed: boolean;
  reason: string;
  /** Bytes of the workspace, its git dir and the run's homes. */
  bytes: number;
  /** The run's branch (`engine/<run-id>`), the commit it started from and its repo, as the run's record names them; null for an orphan. */
  branch: RunBranch | null;
  /** The branch was removed with the workspace (with `dryRun`: would be): it still pointed at the run's base, so nothing was on it (pruneRunBranches). */
  branch_removed: boolean;
}

/**
 * `engine clean`: the workspaces of a repo (`reposDir`, one folder per repo under the
 * workspaces root) matched with their runs in `storeDir`, decided by planClean, and — unless
 * `dryRun` — removed with the engine's git dir beside each and the run's private CLI homes.
 * Impure.
 */
export function cleanRuns(reposDir: string, storeDir: string, o: CleanOptions & { dryRun: boolean }): CleanedRun[] {
  // Never through a link (without the OS sandbox a worker can put one at the folder's
  // predictable name, to a folder of the user's): what it names is not the engine's.
  if (!isOwnDirectory(reposDir)) return [];
  const cleaned = cleanRunsOf(reposDir, storeDir, o);
  // A repo folder left with nothing but its marker goes too.
  if (!o.dryRun && readdirSync(reposDir).every((n) => n === REPO_MARKER)) removeTree(reposDir);
  return cleaned;
}

/** The engine's git dir of the workspace, a directory of its own whose HEAD names the run's branch: the engine made the workspace. Impure. */
function engineMade(workspace: string, runId: string): boolean {
  const gitDir = engineGitDirOf(workspace);
  if (!isOwnDirectory(gitDir)) return false;
  return readTextOrNull(path.join(gitDir, 'HEAD')) === `ref: refs/heads/engine/${runId}\n`;
}

/** The name of the file in each repo's workspaces folder that says which repo it is. */
export const REPO_MARKER = '.repo';
/** The most of it read: a path (a 600 MB marker was read whole by `clean --all`). */
const MAX_MARKER_BYTES = 64 * 1024;

/** Every repo folder under the workspaces root with the repo it belongs to (null when unknown). Impure. */
export function listRepoFolders(root: string): { dir: string; repo: string | null }[] {
  if (!isOwnDirectory(root)) return [];
  return readdirSync(root)
    .sort()
    .map((name) => path.join(root, name))
    .filter((dir) => lstatSync(dir).isDirectory())
    .map((dir) => {
      try {
        return { dir, repo: readRegularFileSync(path.join(dir, REPO_MARKER), 'utf8', MAX_MARKER_BYTES).trim() || null };
      } catch {
        return { dir, repo: null };
      }
    });
}

function cleanRunsOf(reposDir: string, storeDir: string, o: CleanOptions & { dryRun: boolean }): CleanedRun[] {
  const choices = planClean(listWorkspaces(reposDir, storeDir), o);
  return choices.map((c) => {
    // Runs made before the homes moved beside the workspace kept them in the store.
    const oldHomes = path.join(storeDir, c.candidate.runId, 'homes');
    const bytes = sizeOf(c.candidate.workspace) + sizeOf(engineGitDirOf(c.candidate.workspace)) + sizeOf(workspaceHomesOf(c.candidate.workspace)) + sizeOf(oldHomes);
    if (c.remove && !o.dryRun) {
      removeWorkspace(c.candidate.workspace);
      removeTree(oldHomes);
    }
    return report(c, bytes);
  });
}

function report(c: CleanChoice, bytes: number): CleanedRun {
  return { run_id: c.candidate.runId, workspace: c.candidate.workspace, status: c.candidate.status, removed: c.remove, reason: c.reason, bytes, branch: c.candidate.branch ?? null, branch_removed: false };
}

/**
 * After cleanRuns: the branch of each run whose workspace went, when the run's record names
 * `repo` and the branch still points at the run's base (nothing on it: a run stopped or
 * ended before its first checkpoint), is removed too, by compare-and-swap: a branch someone
 * moved since stays. The repository must agree (untouchedRunBranches: the branch's reflog is
 * the engine's creation alone, and no worktree has it checked out), so a record whose base a
 * worker rewrote to a checkpoint removes nothing. With `dryRun`, nothing is removed: what
 * would be is said. Runs of another repo are left. Impure (git in `repo`).
 */
export async function pruneRunBranches(runs: readonly CleanedRun[], repo: string | null, dryRun: boolean): Promise<CleanedRun[]> {
  if (repo === null) return [...runs];
  const targets = runs.filter((r) => r.removed && r.branch && path.resolve(r.branch.repo) === path.resolve(repo));
  if (!targets.length) return [...runs];
  let target: GitTarget;
  try {
    target = repoTarget(await locateRepo(repo));
  } catch {
    return [...runs];
  }
  // What the run's record says of its base is checked against the repository itself.
  const untouched = await untouchedRunBranches(target, targets.map((r) => r.branch!.name));
  const removed = new Set<CleanedRun>();
  for (const r of targets) {
    const { name, base } = r.branch!;
    if (untouched.get(name) !== base) continue;
    const gone = dryRun || (await removeBranchAt(target, name, base, `engine clean: run ${r.run_id}'s workspace removed, its branch still at its base`));
    if (gone) removed.add(r);
  }
  return runs.map((r) => (removed.has(r) ? { ...r, branch_removed: true, reason: `${r.reason}; its branch ${r.branch!.name}, still at the base, ${dryRun ? 'would be ' : ''}removed` } : r));
}

/**
 * Every run workspace of one repo's folder (a workspace, its engine git dir, or both), with
 * the state of the run that owns it in `storeDir` (null: no run record there names it).
 * Impure: reads the folder, state files and run locks.
 */
export function listWorkspaces(reposDir: string, storeDir: string): CleanCandidate[] {
  if (!isOwnDirectory(reposDir)) return [];
  const ids = new Set<string>();
  for (const name of readdirSync(reposDir)) {
    // A removal killed partway may have left its mark alone: that too is finished.
    const id = name.startsWith('.') ? removalMarkNamed(name) : workspaceNameOf(name);
    if (id !== null) ids.add(id);
  }
  // Which lock files a live engine has open, read once: a lock's content can be forged.
  let open: OpenFiles | undefined;
  return [...ids].sort().map((runId) => {
    const workspace = path.join(reposDir, runId);
    const { runDir, state, unreadable } = runOfWorkspace(workspace, runId, storeDir);
    const updated = state ? Date.parse(state.updated_at) : mtimeOf(workspace);
    return {
      runId,
      workspace,
      status: state ? state.status : null,
      branch: state ? runBranchOf(state, runId) : null,
      kept: state?.workspace_kept === true,
      // A stopped run resume does not take (a stop of its pipeline) is said as such.
      ...(state && state.status !== 'completed' ? { resumable: canResume(state) } : {}),
      locked: runLockHeld(path.join(runDir, 'run.lock'), (open ??= readOpenFiles())),
      updatedMs: Number.isFinite(updated) ? updated : 0,
      engineMade: engineMade(workspace, runId),
      ...(unreadable ? { unreadable } : {}),
      ...(removalBegun(workspace) ? { removing: true } : {}),
    };
  });
}

/**
 * The run that owns a workspace: the record of that id in `storeDir` when it names this
 * workspace, else the run directory the workspace's engine git dir names (a run of another
 * store), when its record names this workspace back; state null when neither does (an orphan).
 * Impure (reads).
 */
function runOfWorkspace(workspace: string, runId: string, storeDir: string): { runDir: string; state: ReturnType<typeof readCleanState>; unreadable?: boolean } {
  const names = (s: ReturnType<typeof readCleanState>) => s !== null && path.resolve(s.workspace) === path.resolve(workspace);
  const here = path.join(storeDir, runId);
  const state = readCleanState(path.join(here, 'state.json'));
  if (names(state)) return { runDir: here, state };
  const noted = workspaceRunDirOf(workspace);
  if (noted && path.basename(noted) === runId && path.resolve(noted) !== path.resolve(here)) {
    const elsewhere = readCleanState(path.join(noted, 'state.json'));
    if (names(elsewhere)) return { runDir: noted, state: elsewhere };
    // The run of another store (--store) whose record is there but cannot be read: no orphan.
    if (elsewhere === null && existsSync(path.join(noted, 'state.json'))) return { runDir: noted, state: null, unreadable: true };
  }
  // Its own store's record is there and names it in no way one can read: damaged, not absent.
  // (A workspace that names another run directory is that run's, however this one reads.)
  const unreadable = state === null && existsSync(path.join(here, 'state.json')) && (noted === null || path.resolve(noted) === path.resolve(here));
  return { runDir: here, state: null, unreadable };
}

const STATUSES: readonly string[] = ['running', 'completed', 'stopped'] satisfies RunState['status'][];

/** A run's branch, its base and its repo, as its record gives them: only `engine/<run-id>` on a base commit; else null. Pure. */
function runBranchOf(state: NonNullable<ReturnType<typeof readCleanState>>, runId: string): RunBranch | null {
  const { repo, branch, base_sha: base } = state;
  if (typeof repo !== 'string' || !path.isAbsolute(repo) || branch !== `engine/${runId}` || typeof base !== 'string' || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(base)) return null;
  return { name: branch, base, repo };
}

/**
 * What clean reads of a state.json, each field of its type, or null (missing, damaged,
 * forged: without the OS sandbox a worker can rewrite it). Such a run's workspace is an
 * orphan to clean, never a crash that stops `clean --all` for every repo. Impure (reads).
 */
function readCleanState(file: string): (Pick<RunState, 'workspace' | 'status' | 'updated_at' | 'workspace_kept' | 'stop_reason' | 'position'> & { repo: unknown; branch: unknown; base_sha: unknown }) | null {
  try {
    const s = readRunRecordJson(file) as Record<string, unknown> | null;
    if (typeof s?.['workspace'] !== 'string' || typeof s['updated_at'] !== 'string' || !STATUSES.includes(s['status'] as string)) return null;
    const position = s['position'] as { step?: unknown } | null;
    // What canResume reads: a field of another type (a forged record) counts as a step to repeat, so the run is kept as resumable.
    return {
      workspace: s['workspace'],
      updated_at: s['updated_at'],
      status: s['status'] as RunState['status'],
      workspace_kept: s['workspace_kept'] === true,
      stop_reason: typeof s['stop_reason'] === 'string' ? (s['stop_reason'] as RunState['stop_reason']) : null,
      position: { step: typeof position?.step === 'string' || position?.step === null ? (position.step as string | null) : 'unknown', milestone: null, attempt: null },
      // Checked where they are used (runBranchOf): a forged record names no branch to remove.
      repo: s['repo'],
      branch: s['branch'],
      base_sha: s['base_sha'],
    };
  } catch {
    return null;
  }
}

function mtimeOf(p: string): number {
  try {
    return lstatSync(p).mtimeMs;
  } catch {
    try {
      return lstatSync(`${p}.git`).mtimeMs;
    } catch {
      return 0;
    }
  }
}

/**
 * Bytes of disk the files under a path use (not following links): their blocks, not their
 * apparent length (a sparse terabyte a worker made with `truncate` uses none). Impure.
 */
export function sizeOf(p: string): number {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.blocks * 512;
  let total = 0;
  let names: string[] = [];
  try {
    names = readdirSync(p);
  } catch {
    return 0;
  }
  for (const name of names) total += sizeOf(path.join(p, name));
  return total;
}
