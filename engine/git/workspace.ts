import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fchmodSync, lstatSync, mkdirSync, openSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { EMPTY_TREE, headCommit, isSha256Repo, locateRepo, repoTarget, writeGitDir, type RepoRef } from './repo.js';
import { GitError, isLockContention, runGit, type GitTarget } from './run-git.js';
import { branchLockIn, lockPath, locksInGitDir, removeLock } from './stale-locks.js';
import { BranchLockedError } from './branch-locked.js';
import { blockedOr } from './blocked-git-dir.js';
import { misplacedEntries } from './misplaced-entries.js';
import { writeWorkerGitDir } from './worker-git-dir.js';
import type { StatRecord } from './stat-record.js';
import type { TreeMemo } from './write-tree.js';
import { isRunId } from '../vocabulary/run-layout.js';
import { readTextOrNull } from '../util/read-or-null.js';
import { kindOfPath } from '../util/kind-of-path.js';
import { removeFile, removeTree } from '../util/remove-tree.js';
import { openFreshFile, writeFreshFile } from '../util/open-own-file.js';
import { syncDir } from '../util/sync-dir.js';
import { isOwnDirectory } from '../util/is-own-directory.js';
import { makeDirectory } from '../util/make-directory.js';
import { describeFsError, whyAt } from '../util/describe-fs-error.js';
import { InputError } from '../vocabulary/diagnostics.js';

/**
 * A run's workspace (contract §5): a directory outside the user's repository where the
 * workers work, with a `.git` of its own that the worker may use freely (it borrows the
 * user's objects read-only and nothing in it is ever read by the engine), and beside it the
 * engine's own git dir (`<dir>.git`), through which the engine reads the workspace's files.
 */
export interface Workspace {
  /** The workers' working directory. */
  dir: string;
  /** The engine's git dir for this workspace: outside `dir`, never handed to a worker. */
  gitDir: string;
  repo: RepoRef;
  /** `engine/<run-id>`: the only ref the engine writes in the user's repo. */
  branch: string;
  /** Repo-relative git-ignored paths of the user's checkout the workspace sees through links. */
  shared: string[];
  /**
   * What snapshots and restores found and neutralised on their way — a file planted in the
   * engine's git dir, a nested repository git cannot stage — until governance reports it.
   */
  findings: WorkspaceFinding[];
  /**
   * What the last snapshot recorded of the files (snapshot.ts), while it can vouch for them:
   * it lives and ends with this object, so a long-lived process (a suite) keeps none of a
   * finished run's.
   */
  snapshot?: StatRecord;
  /** Tree ids this process wrote or found sound in the engine's store (write-tree.ts). */
  trees?: Set<string>;
  /** The last build of the snapshot's trees, so the next builds only the changed directories (write-tree.ts). */
  treeMemo?: { last?: TreeMemo };
  /** The engine's index as it was read when the engine last wrote its tree, and that tree (snapshot.ts). */
  indexAt?: { tree: string; bytes: Buffer };
  /**
   * That index when its tree became a checkpoint, and the commit (worker-git-dir.ts): the
   * reviewer's index of the checkpoint, with no `read-tree` to make it.
   */
  checkpointIndex?: { commit: string; bytes: Buffer };
  /** The largest file a snapshot stages (governance.max_file_mb); a larger one git would stage is a large_file finding. */
  maxFileBytes?: number;
  /** The engine's git dir as this process made or found it (claimEngineGitDir): device and inode. */
  gitDirId?: { dev: number; ino: number };
}

export interface WorkspaceFinding {
  kind: 'engine_git' | 'gitlink' | 'special_file' | 'large_file' | 'sparse_file' | 'git_refused' | 'deep_path' | 'non_utf8_path';
  /** Absolute for engine_git, workspace-relative for gitlink. */
  path: string;
  /** What the rule compared against (large_file: the limit), for the violation's `pattern`. */
  pattern?: string;
}

/** How the engine addresses a workspace in git commands. Pure. */
export function workspaceTarget(ws: Workspace): GitTarget {
  return { gitDir: ws.gitDir, workTree: ws.dir };
}

/**
 * The directory all workspaces live under: `--workspaces DIR`, else `$ENGINE_HOME/workspaces`,
 * else `${XDG_STATE_HOME:-~/.local/state}/engine/workspaces`. Pure.
 */
export function workspacesRoot(env: NodeJS.ProcessEnv, override?: string | null): string {
  if (override) return path.resolve(override);
  if (env.ENGINE_HOME) return path.resolve(env.ENGINE_HOME, 'workspaces');
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(state, 'engine', 'workspaces');
}

/**
 * The longest repo name in a repo's folder name: with `-<hash8>` it fits a file name's 255
 * bytes (a repo folder of 247 to 255 characters ended the run with ENAMETOOLONG, an internal
 * error). The hash keeps a shortened name unique.
 */
const REPO_NAME_MAX = 255 - '-12345678'.length;

/** `<root>/<repo-name>-<hash8>`: one folder per user repository, the name cut to REPO_NAME_MAX. Pure. */
export function repoWorkspacesDir(root: string, repoTop: string): string {
  const hash = createHash('sha256').update(repoTop).digest('hex').slice(0, 8);
  const name = (path.basename(repoTop).replace(/[^A-Za-z0-9._-]/g, '_') || 'repo').slice(0, REPO_NAME_MAX);
  return path.join(root, `${name}-${hash}`);
}

/**
 * Makes a run's workspace directory and its repo's folder in the workspaces' root, which
 * exists: never by Node's recursive mkdir, which under /proc retried for ever, deaf to every
 * signal. A root where no directory can be made (ENOENT, ENOTDIR) is InputError (E_FILE);
 * the machine's failure and a refused permission are thrown as they are. Impure.
 */
function makeWorkspaceDir(dir: string, root: string): void {
  try {
    makeDirectory(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const fs = describeFsError(error);
    if (!fs || (code !== 'ENOENT' && code !== 'ENOTDIR')) throw error;
    const message = `cannot make the run's workspace in the workspaces' root ${root}: ${whyAt(fs, root)} (the file system there makes no directories)`;
    throw new InputError({ code: 'E_FILE', severity: 'error', message, file: root, line: 0, col: 0, hint: '--workspaces DIR or ENGINE_HOME names another' });
  }
}

/** The engine's git dir of a workspace directory. Pure. */
export function engineGitDirOf(dir: string): string {
  return `${dir}.git`;
}

/**
 * The run's private CLI homes (`<workspace>.homes/<worker>/`), beside its workspace: the one
 * place a sandboxed worker writes besides the workspace. In the run store they sat inside the
 * user's checkout (`<repo>/.engine/runs/…`), where a worker planted a test the user's own
 * test runner found and ran outside the sandbox. Pure.
 */
export function workspaceHomesOf(dir: string): string {
  return `${dir}.homes`;
}

/**
 * The workspace an entry of a workspaces folder belongs to, by name: the workspace itself,
 * its engine git dir (engineGitDirOf) or its homes (workspaceHomesOf). Pure.
 */
/**
 * The file in a workspace's engine git dir that names its run's directory: runs belong to a
 * store (`--store` moves it), workspaces to the repo, and `engine clean` of one store took a
 * resumable run of another for an orphan and removed its workspace.
 */
const RUN_DIR_NOTE = 'engine-run-dir';

/** Records in the workspace's engine git dir which run directory it serves. Impure. */
export function noteWorkspaceRunDir(ws: Workspace, runDir: string): void {
  writeFreshFile(path.join(ws.gitDir, RUN_DIR_NOTE), `${path.resolve(runDir)}\n`);
}

/** The run directory a workspace's engine git dir names (noteWorkspaceRunDir), or null (none, or no git dir of the engine's). Impure. */
export function workspaceRunDirOf(workspace: string): string | null {
  const gitDir = engineGitDirOf(workspace);
  if (!isOwnDirectory(gitDir)) return null;
  const noted = readTextOrNull(path.join(gitDir, RUN_DIR_NOTE))?.trim();
  return noted && path.isAbsolute(noted) ? noted : null;
}

export function workspaceNameOf(entry: string): string {
  for (const suffix of [engineGitDirOf(''), workspaceHomesOf('')]) if (entry.endsWith(suffix)) return entry.slice(0, -suffix.length);
  return entry;
}

/** The handle of an existing workspace, from what state.json recorded. Pure. */
export function openWorkspace(o: { dir: string; repo: RepoRef; branch: string; shared: string[] }): Workspace {
  assertRunBranch(o.branch);
  return { dir: o.dir, gitDir: engineGitDirOf(o.dir), repo: o.repo, branch: o.branch, shared: [...o.shared], findings: [] };
}

export interface CreateWorkspaceOptions {
  repo: RepoRef;
  runId: string;
  /** The directory workspaces live under (see workspacesRoot). */
  root: string;
  /** Globs of git-ignored paths of the user's checkout to show in the workspace. */
  share: readonly string[];
}

export interface CreatedWorkspace {
  ws: Workspace;
  /** The commit the run starts from; null in a repository without commits. */
  baseSha: string | null;
  /** Its tree (the empty tree without a commit): what the engine's index holds now. */
  baseTree: string;
  /** The user's tree had uncommitted or untracked changes; they are not part of the run. */
  dirtyUserTree: boolean;
  /** The share globs that matched no ignored path of the checkout: the workspace sees nothing through them. */
  unmatchedShares: string[];
}

/**
 * The only branches the engine creates or moves in a user's repository are its runs' own,
 * `engine/<run-id>`: a workspace for any other (a forged record) is a bug of the caller, and
 * fails before git is asked to do anything. Pure.
 */
export function assertRunBranch(branch: string): void {
  if (!branch.startsWith('engine/') || !isRunId(branch.slice('engine/'.length))) throw new Error(`refusing to work on branch ${JSON.stringify(branch)}: the engine's runs use engine/<run-id> only`);
}

/** The branch a run would make is in the repository already. */
export class BranchTakenError extends Error {
  constructor(
    readonly branch: string,
    readonly repo: string,
    /** Another branch whose name is in the way (`engine` for `engine/<id>`), when that is it. */
    readonly blocking: string | null = null,
  ) {
    super(blocking ? `branch ${blocking} in ${repo} is in the way of ${branch}` : `branch ${branch} already exists in ${repo}`);
    this.name = 'BranchTakenError';
  }
}

/** A workspace for the run's id is in the workspaces folder already (another store's run of that id, or one left by it). */
export class WorkspaceTakenError extends Error {
  constructor(
    readonly runId: string,
    readonly dir: string,
  ) {
    super(`a workspace for run ${runId} already exists at ${dir}`);
    this.name = 'WorkspaceTakenError';
  }
}

/**
 * Creates the run's workspace from the user's HEAD (detached included; an unborn branch
 * gives an empty workspace) and the run branch `engine/<run-id>` at that commit, create-only.
 * Writes nothing else into the user's repository. Throws when the branch or the workspace
 * already exists. Impure (git, filesystem).
 */
export async function createWorkspace(o: CreateWorkspaceOptions): Promise<CreatedWorkspace> {
  const branch = `engine/${o.runId}`;
  assertRunBranch(branch);
  const dir = path.join(repoWorkspacesDir(o.root, o.repo.top), o.runId);
  const gitDir = engineGitDirOf(dir);
  if (existsSync(dir) || existsSync(gitDir)) throw new WorkspaceTakenError(o.runId, dir);
  if (isSha256Repo(o.repo.commonDir)) {
    throw new Error(`${o.repo.top} is a SHA-256 repository; the engine's workspaces support SHA-1 repositories only for now`);
  }
  const user = repoTarget(o.repo);
  // Three reads of the user's repo, none depending on another: asked at once.
  const [head, status, ignored] = await Promise.all([
    headCommit(o.repo),
    runGit(user, ['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--ignore-submodules=none']),
    o.share.length ? ignoredPathsOf(user) : Promise.resolve([]),
  ]);
  const baseSha = head?.sha ?? null;
  const shared = matchShared(ignored, o.share);

  makeWorkspaceDir(dir, o.root);
  // Which repo this folder serves, for `engine clean --all`: a fresh file, never written through a link found there.
  writeFreshFile(path.join(path.dirname(dir), '.repo'), `${o.repo.top}\n`);
  const ws: Workspace = { dir, gitDir, repo: o.repo, branch, shared, findings: [] };
  try {
    mkdirSync(gitDir);
  } catch (error) {
    // Another run of this id (another store's) made it since the check above: its workspace, not ours.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new WorkspaceTakenError(o.runId, dir);
    throw error;
  }
  claimEngineGitDir(ws);
  resetEngineGitDir(ws);
  if (baseSha !== null) await runGit(workspaceTarget(ws), ['read-tree', '--reset', '-u', baseSha]);
  // The worker's own .git: the same start, its own refs and index; nothing the engine reads.
  writeWorkerGitDir(ws, baseSha);
  for (const p of shared) linkShared(o.repo.top, dir, p);
  // The branch last, create-only: a concurrent run taking the same name fails here, and takes
  // the workspace it made with it.
  try {
    if (baseSha !== null) await runGit(user, ['update-ref', '-m', 'engine: run branch', `refs/heads/${branch}`, baseSha, '']);
    else if ((await runGit(user, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { okCodes: [1] })).exitCode === 0) {
      throw new BranchTakenError(branch, o.repo.top);
    }
  } catch (error) {
    removeWorkspace(dir);
    // The run's branch is there already (an earlier run's whose store was removed, one fetched
    // from a teammate, a re-run in CI): the user's to choose another id, not an engine error.
    // git words a branch `engine` (or `engine/<id>/x`) in the way of `engine/<id>` otherwise.
    if (error instanceof GitError) {
      const blocking = /'refs\/heads\/([^']+)' exists; cannot create/.exec(error.stderr);
      if (blocking || /reference already exists/.test(error.stderr)) throw new BranchTakenError(branch, o.repo.top, blocking?.[1] ?? null);
    }
    // A lock left on the branch's ref (a git killed while it held it, or a file put there):
    // the user's to clear, said with its path, never an engine error. Only when the lock is
    // there: git words a folder it may not write in the same way ("Unable to create '….lock':
    // Operation not permitted"), and that is the system's refusal (E_PERMISSION, exit 77).
    const lock = isLockContention(error) ? branchLockIn(o.repo.commonDir, branch)[0] : undefined;
    if (lock) throw new BranchLockedError(branch, lockPath(lock), (error as GitError).stderr.split('\n')[0] ?? '', 'start');
    throw error;
  }
  return { ws, baseSha, baseTree: head?.tree ?? EMPTY_TREE, dirtyUserTree: status.stdout.length > 0, unmatchedShares: unmatchedShares(ignored, o.share) };
}

/**
 * The note for share globs that matched no git-ignored path of the checkout (run.started's
 * share_unmatched): each quoted, and what it means for the run. Pure.
 */
export function describeUnmatchedShares(globs: readonly string[]): string {
  const list = globs.map((g) => JSON.stringify(g)).join(', ');
  return `workspace.share ${list} matched no git-ignored path of the checkout (a misspelt name, a tracked path, or dependencies not installed yet): the workspace sees nothing through ${globs.length === 1 ? 'it' : 'them'}`;
}

/**
 * The note for a user tree with uncommitted changes (run.started's dirty_user_tree), `base`
 * its base_sha: in a repo without commits (null) the run starts from an empty tree and sees
 * none of the user's files, which "it starts from HEAD" did not say. Pure.
 */
export function describeLeftOut(base: string | null): string {
  if (base === null) return 'the repo has no commits yet: the run starts from an empty tree, without your files; commit them first (git add -A && git commit) for a run to see them';
  return 'your uncommitted changes are not part of this run (it starts from HEAD)';
}

/** The checkout's git-ignored paths, an ignored folder listed whole: what share globs are matched against. Impure (git). */
export async function ignoredPathsOf(target: GitTarget): Promise<string[]> {
  return (await runGit(target, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'])).stdout.split('\0');
}

/** The share globs that match none of the checkout's ignored paths, in their order. Pure. */
export function unmatchedShares(ignored: readonly string[], globs: readonly string[]): string[] {
  return globs.filter((g) => matchShared(ignored, [g]).length === 0);
}

/** The ignored paths of the user's checkout that match the share globs, sorted. Pure. */
export function matchShared(ignored: readonly string[], globs: readonly string[]): string[] {
  if (globs.length === 0) return [];
  const match = picomatch([...globs], { dot: true });
  const out = new Set<string>();
  for (const raw of ignored) {
    const p = raw.replace(/\/+$/, '');
    if (p === '' || p.split('/').some((s) => s === '.git' || s === '.engine' || s === '..')) continue;
    if (match(p)) out.add(p);
  }
  return [...out].sort();
}

function linkShared(repoTop: string, dir: string, rel: string): void {
  const at = path.join(dir, rel);
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(path.join(repoTop, rel), at);
}

/**
 * Removes a workspace and the engine's git dir and the workers' homes beside it, whatever the worker left there
 * (read-only directories included); a workspace already gone is not an error. The run
 * branch stays in the user's repo. The removal is marked first (removalMarkOf), durably, and
 * the mark goes last: one killed partway (a Ctrl-C of `engine clean`, a machine going down)
 * leaves half a workspace that is known for what it is, never taken for one a user edited.
 * Impure.
 */
export function removeWorkspace(dir: string): void {
  const parts = [dir, engineGitDirOf(dir), workspaceHomesOf(dir)];
  const mark = removalMarkOf(dir);
  // Anything at a part's name, a link included (not followed), is something to remove.
  if (parts.some((d) => kindOfPath(d, { noFollow: true }) !== 'none')) markRemoval(mark);
  for (const d of parts) {
    try {
      removeTree(d);
    } catch {
      makeWritable(d);
      removeTree(d);
    }
  }
  removeFile(mark);
}

/**
 * The mark of a workspace whose removal began (`.<name>.removing` in its repo's workspaces
 * folder, where no workspace has a name with a dot first): there from before the first file
 * of it goes until after the last. Pure.
 */
export function removalMarkOf(dir: string): string {
  return path.join(path.dirname(dir), `.${path.basename(dir)}${REMOVING}`);
}

const REMOVING = '.removing';

/** The workspace name a removal mark's name is of (`.<name>.removing`), or null for any other name. Pure. */
export function removalMarkNamed(entry: string): string | null {
  return entry.length > 1 + REMOVING.length && entry.startsWith('.') && entry.endsWith(REMOVING) ? entry.slice(1, -REMOVING.length) : null;
}

/** Whether a removal of the workspace began and did not end (its mark is there): what is left of it is no run's to resume. Impure (lstat). */
export function removalBegun(dir: string): boolean {
  return kindOfPath(removalMarkOf(dir), { noFollow: true }) === 'file';
}

/**
 * The mark made (never through a link at its name) and on disk before anything is removed:
 * an empty file, so syncing its folder, which holds its name and its inode, is enough. Impure.
 */
function markRemoval(mark: string): void {
  // Whatever else has its name (a directory a worker without the OS sandbox made there) goes first.
  removeTree(mark);
  closeSync(openFreshFile(mark));
  syncDir(path.dirname(mark));
}

function makeWritable(d: string): void {
  try {
    // Opened as a directory, never through a link (ELOOP, ENOTDIR: left alone), and changed
    // through that descriptor: a link put at the name after a check would lead a chmod by name
    // to a directory of the user's.
    const fd = openSync(d, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      fchmodSync(fd, 0o700);
    } finally {
      closeSync(fd);
    }
    for (const name of readdirSync(d)) makeWritable(path.join(d, name));
  } catch {
    // Gone already, not a directory, or not ours to change: removeTree reports what is left.
  }
}

/**
 * Puts the engine's git dir of a workspace back to what the engine writes — HEAD, object
 * alternates, excludes — and removes anything else that could change how git reads the
 * workspace (a config, attributes, hooks, grafts, a commondir). Its objects and index stay.
 * Impure.
 */
export function resetEngineGitDir(ws: Workspace): void {
  // Never through a link put in its place: what it names is somebody else's (another repository's .git).
  if (!engineGitDirIntact(ws)) throw new EngineGitDirError(ws.gitDir);
  try {
    for (const extra of [...PLANTABLE, 'info', 'objects/info']) removeTree(path.join(ws.gitDir, extra));
    writeGitDir(ws.gitDir, { head: `refs/heads/${ws.branch}`, alternates: [path.join(ws.repo.commonDir, 'objects')], exclude: ws.shared.map((p) => `/${p}`) });
  } catch (error) {
    // A folder of it made read-only or immutable (chmod, chattr +i) by something other than the engine.
    throw blockedOr(ws.gitDir, error);
  }
}

const PLANTABLE = ['config', 'config.worktree', 'commondir', 'hooks', 'info/attributes', 'info/grafts', 'info/sparse-checkout', 'shallow', 'objects/info/http-alternates', 'refs/replace'];

/**
 * Records the engine's git dir as it is now, the directory every later use must find there
 * (engineGitDirIntact); an error when it is no directory of its own (a link, a file). Impure.
 */
export function claimEngineGitDir(ws: Workspace): void {
  const st = lstatSync(ws.gitDir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new EngineGitDirError(ws.gitDir);
  ws.gitDirId = { dev: st.dev, ino: st.ino };
}

/**
 * Whether the engine's git dir is still the directory the engine made or found: not a link,
 * and (the name followed) the same device and inode, so no link put at it or at a folder above
 * it leads elsewhere. Without the OS sandbox a worker can put one there; through it the
 * engine's cleaning removed another repository's config and hooks. Impure.
 */
export function engineGitDirIntact(ws: Workspace): boolean {
  if (!isOwnDirectory(ws.gitDir)) return false;
  if (!ws.gitDirId) return true;
  const now = statSync(ws.gitDir, { throwIfNoEntry: false });
  return now !== undefined && now.dev === ws.gitDirId.dev && now.ino === ws.gitDirId.ino;
}

/** The engine's git dir is not the directory the engine made: nothing is read or written through it. */
export class EngineGitDirError extends Error {
  override name = 'EngineGitDirError';
  constructor(readonly gitDir: string) {
    super(`the engine's git dir ${gitDir} is no longer the directory the engine made (a link or another directory is there): nothing is written through it`);
  }
}

/**
 * Before git reads the workspace through the engine's git dir: anything there the engine
 * never writes (a config defining a filter, attributes, hooks, grafts, a commondir) is
 * removed and the alternates and excludes rewritten if they differ, so nothing planted can
 * run or redirect git; each is recorded in `ws.findings` for governance to report. A few
 * `stat`s when nothing was planted. Impure.
 */
export function neutralizeEngineGitDir(ws: Workspace): string[] {
  // First what git would go through: a link where a folder must be leads every path below it
  // elsewhere, the reads below included (misplaced-entries.ts).
  const misplaced = misplacedEntries(ws.gitDir);
  const planted = [...misplaced, ...PLANTABLE.filter((rel) => existsSync(path.join(ws.gitDir, rel)))];
  const alternates = `${path.join(ws.repo.commonDir, 'objects')}\n`;
  const exclude = ws.shared.map((p) => `/${p}\n`).join('');
  if (readTextOrNull(path.join(ws.gitDir, 'objects', 'info', 'alternates')) !== alternates) planted.push('objects/info/alternates');
  if (readTextOrNull(path.join(ws.gitDir, 'info', 'exclude')) !== exclude) planted.push('info/exclude');
  if (readTextOrNull(path.join(ws.gitDir, 'HEAD')) !== `ref: refs/heads/${ws.branch}\n`) planted.push('HEAD');
  // No git of the engine's runs between its steps: a lock file here is planted, and would make
  // every git that needs it refuse to run ("File exists").
  const locks = locksInGitDir(ws.gitDir);
  if (planted.length === 0 && locks.length === 0) return [];
  const said = new Set(ws.findings.map((f) => `${f.kind}\0${f.path}`));
  for (const p of new Set([...planted.map((rel) => path.join(ws.gitDir, rel)), ...locks.map(lockPath)])) if (!said.has(`engine_git\0${p}`)) ws.findings.push({ kind: 'engine_git', path: p });
  if (!engineGitDirIntact(ws)) throw new EngineGitDirError(ws.gitDir);
  // One the system will not let go (a folder made append-only or read-only) stays, and is returned.
  const stuck = locks.filter((lock) => !removeLock(lock)).map(lockPath);
  // Outermost first: once a link at a folder is gone, the names below it are the engine's own again.
  for (const rel of misplaced) removeMisplaced(ws, rel);
  if (planted.length > 0) resetEngineGitDir(ws);
  return stuck;
}

/** Removes what stands where the engine keeps a folder or file of its own (misplacedEntries), never following a link. Impure. */
function removeMisplaced(ws: Workspace, rel: string): void {
  try {
    removeTree(path.join(ws.gitDir, rel));
  } catch (error) {
    throw blockedOr(ws.gitDir, error);
  }
}

/** Locates the user's repo again (resume) for a workspace recorded in state.json. Impure. */
export async function reopenWorkspace(o: { dir: string; repoTop: string; branch: string; shared: string[] }): Promise<Workspace> {
  return openWorkspace({ dir: o.dir, repo: await locateRepo(o.repoTop), branch: o.branch, shared: o.shared });
}

/** The command the summary shows for taking a run's work into the user's branch. Pure. */
export function mergeHint(branch: string): string {
  return `git merge ${branch}`;
}
