import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { engineGitDirOf, removeWorkspace, workspaceRunDirOf } from '../git/workspace.js';
import { branchSha, locateRepo, removeBranchAt, sayRemoveKeptBranch, untouchedRunBranches } from '../git/repo.js';
import { replaceFile, toRecordJson } from '../store/atomic.js';
import { faultPoint } from '../store/fault.js';
import type { RunRecord } from '../store/run-records.js';
import { gatherConfig, writeConfigSnapshot, type ConfigSources } from './snapshot-config.js';
import { runPaths } from '../vocabulary/run-layout.js';
import type { RunPolicy, Runtime } from './types.js';
import type { CompiledPipeline } from '../compile/ir.js';
import { runSecrets } from './run-secrets.js';
import { checkRunPlaces } from './check-run-places.js';
import { redactText } from '../workers/redact.js';
import { removeFile, removeTree } from '../util/remove-tree.js';
import { writeFreshFile } from '../util/open-own-file.js';
import { readRecordText } from '../util/read-or-null.js';
import { readRunRecordJson, readRunRecordText } from '../util/read-run-record.js';

/**
 * A run is made in steps (its directory, config snapshot, workspace, env.json, state.json,
 * `run.started`); an engine killed in between must not leave a half-made run that nothing
 * can resume or remove. While a run is being made, `creating.json` in its directory names
 * what was made so far; it goes once state.json exists. A run directory without state.json
 * is half-made: `engine resume` and a new `engine run` with the same id remove it with what
 * `creating.json` names (see cleanHalfMadeRun).
 */
const CREATING = 'creating.json';

interface CreatingRecord {
  run_id: string;
  repo: string;
  pid: number;
  workspace: string | null;
  branch: string | null;
}

/** What the first steps of making a run produced. */
export interface RunCreation {
  records: RunRecord[];
}

/**
 * Mark the run as being made and copy its config into the run store, with the run's secrets
 * (`transcripts.redact` values of the environment and of the workers' `env:`) redacted. Impure.
 */
export function beginRunCreation(o: { runDir: string; runId: string; repo: string; sources: ConfigSources; secrets: { policy: RunPolicy; env: NodeJS.ProcessEnv; ir: CompiledPipeline } }): RunCreation {
  writeCreating(o.runDir, { run_id: o.runId, repo: o.repo, pid: process.pid, workspace: null, branch: null });
  // The run ignores itself as the store does: a store given with --store may hold a
  // .gitignore of the user's (the repository's top, .engine/) that does not ignore runs.
  writeFreshFile(path.join(o.runDir, '.gitignore'), "# Written by the engine: a run's records are never committed.\n*\n");
  const secrets = runSecrets(o.secrets.policy.transcripts.redact, o.secrets.env, o.secrets.ir);
  const records = writeConfigSnapshot(o.runDir, gatherConfig(o.sources), o.sources.sets, (text) => redactText(text, secrets));
  faultPoint('run.creating');
  return { records };
}

/** Note the workspace and branch made for the run, so a half-made run can take them away. Impure. */
export function noteRunWorkspace(runDir: string, ws: { dir: string; branch: string }): void {
  const c = readCreating(runDir);
  if (c) writeCreating(runDir, { ...c, workspace: ws.dir, branch: ws.branch });
  faultPoint('run.workspace');
}

/** state.json exists: the run is made. Its config snapshot joins the checked records. Impure. */
export function endRunCreation(rt: Runtime, creation: RunCreation): void {
  rt.records.push(...creation.records);
  removeFile(path.join(rt.paths.dir, CREATING));
}

/**
 * What a run directory can hold before its state.json: anything else means it is not a
 * half-made run (and is never removed as one).
 */
const BEFORE_STATE = new Set([CREATING, '.gitignore', 'run.lock', 'config', 'timeline.jsonl', 'env.json', 'model-exchanges.jsonl']);

/**
 * A run directory that exists but holds no state.json, only what the engine writes while
 * making a run (a temp file of an atomic write included). Impure (reads the directory).
 */
export function isHalfMadeRun(runDir: string): boolean {
  if (!existsSync(runDir) || existsSync(runPaths(runDir).state)) return false;
  try {
    return readdirSync(runDir).every((name) => BEFORE_STATE.has(name) || /^\..+\.\d+\.tmp$/.test(name));
  } catch {
    return false;
  }
}

/** `kept`: what the clean-up left on purpose, each with how to remove it. */
export type HalfMadeCleanup = { kind: 'busy'; pid: number } | { kind: 'removed'; removed: string[]; kept: string[] };

/**
 * Remove a half-made run: its workspace and branch when `creating.json` names them, then its
 * directory. Refused (busy) while the engine making it is alive. Impure.
 */
export async function cleanHalfMadeRun(runDir: string): Promise<HalfMadeCleanup> {
  const lockPid = readPid(runPaths(runDir).lock);
  const found = readCreating(runDir);
  const c = found && found.run_id === path.basename(runDir) ? found : null;
  for (const pid of [lockPid, c?.pid ?? null]) if (pid && pid !== process.pid && alive(pid)) return { kind: 'busy', pid };
  const removed: string[] = [];
  const kept: string[] = [];
  if (c?.workspace && c.branch && ownWorkspace(c, runDir)) {
    removeWorkspace(c.workspace);
    removed.push(`workspace ${c.workspace}`);
    // The branch was made last and no checkpoint moved it: it points at the base, nothing of
    // the run's. Removed only while the repository shows nothing touched it since (its reflog
    // the engine's creation alone, checked out nowhere), compare-and-swap at that commit: a
    // branch the user checked out or committed to meanwhile stays (a new run with this id
    // then names it).
    const repo = await locateRepo(c.repo).catch(() => null);
    const target = repo && { gitDir: repo.gitDir };
    const tip = target && (await untouchedRunBranches(target, [c.branch])).get(c.branch);
    if (target && tip && (await removeBranchAt(target, c.branch, tip, 'engine: half-made run removed'))) removed.push(`branch ${c.branch}`);
    else if (target && repo && (await branchSha(target, c.branch)) !== null) {
      kept.push(`its branch ${c.branch} in ${repo.top}, which the repository cannot show nothing touched since (a reflog of the engine's creation alone, checked out, rebased and bisected nowhere): ${sayRemoveKeptBranch(repo.top, c.branch)}`);
    }
  }
  removeTree(runDir);
  removed.push(`run directory ${runDir}`);
  return { kind: 'removed', removed, kept };
}

/**
 * creating.json lives in the run store: only a workspace where resume would accept it (named
 * after this run, outside the repo and not around it, the run's own branch: checkRunPlaces),
 * with the engine's git dir beside it on that branch, is ever removed. Impure.
 */
function ownWorkspace(c: CreatingRecord, runDir: string): boolean {
  if (c.workspace === null || c.branch === null || checkRunPlaces({ run_id: c.run_id, repo: c.repo, workspace: c.workspace, branch: c.branch }, runDir) !== null) return false;
  // Another store's run of the same id works in the same place: the workspace names its run
  // directory (noted before creating.json names the workspace), and only this one's is removed.
  if (!sameDir(workspaceRunDirOf(path.resolve(c.workspace)), runDir)) return false;
  let head = '';
  try {
    head = readRecordText(path.join(engineGitDirOf(path.resolve(c.workspace)), 'HEAD'));
  } catch {
    /* not a workspace of the engine's (or gone) */
  }
  return head === `ref: refs/heads/${c.branch}\n`;
}

/** Whether `noted` names the directory `dir`, as given or through links. Impure (resolves links). */
function sameDir(noted: string | null, dir: string): boolean {
  if (noted === null) return false;
  if (noted === path.resolve(dir)) return true;
  try {
    return realpathSync(noted) === realpathSync(dir);
  } catch {
    return false;
  }
}

function writeCreating(runDir: string, c: CreatingRecord): void {
  replaceFile(path.join(runDir, CREATING), toRecordJson(c));
}

function readCreating(runDir: string): CreatingRecord | null {
  try {
    const c = readRunRecordJson(path.join(runDir, CREATING)) as CreatingRecord;
    return typeof c.repo === 'string' ? c : null;
  } catch {
    return null;
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readRunRecordText(file).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
