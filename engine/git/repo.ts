import { existsSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { discoverRepo, gitText, runGit, type GitTarget } from './run-git.js';
import { writeFreshFile } from '../util/open-own-file.js';
import { readTextOrNull } from '../util/read-or-null.js';
import { shellWord } from '../util/shell-quote.js';
import { makeDirectory } from '../util/make-directory.js';

/** The id of git's empty tree, the base for diffs in a repo without commits. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * The user's repository as the engine names it in every command: its top directory, the git
 * dir of that checkout (HEAD and index live there) and the common dir (objects, refs, config,
 * hooks; the same as gitDir except in a linked worktree). All absolute and real.
 */
export interface RepoRef {
  top: string;
  gitDir: string;
  commonDir: string;
}

/** A commit or tree id as git prints it (SHA-1 or SHA-256). */
const OBJECT_ID = /^[0-9a-f]{40,64}$/;

const LOCATE = ['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'];

/**
 * Locates the repository containing `dir` (the one discovery the engine does, from the
 * directory the user named). Throws a clear error when `dir` is not inside a git working
 * tree (including a bare repository). Impure (runs git once).
 */
export async function locateRepo(dir: string): Promise<RepoRef> {
  const { stdout, exitCode, stderr } = await discoverRepo(dir, LOCATE);
  return repoFound(dir, stdout.split('\n'), exitCode, stderr ?? '');
}

/**
 * locateRepo, and the commit HEAD named as git ran (null: none yet), from the same git process
 * when it can: what a run's start asks next. Where that git fails (no repository, or a HEAD
 * whose object cannot be read) each is asked apart, so the failure is said as locateRepo and
 * headSha say it. Impure (runs git once, or three times).
 */
export async function locateRepoAndHead(dir: string): Promise<{ repo: RepoRef; head: string | null }> {
  // --revs-only prints nothing for a HEAD that names no commit yet (and never takes it for a file's name).
  const { stdout, exitCode } = await discoverRepo(dir, [...LOCATE, '--revs-only', 'HEAD^{commit}']);
  if (exitCode !== 0) {
    const repo = await locateRepo(dir);
    return { repo, head: await headSha(repo) };
  }
  const lines = stdout.split('\n');
  const head = lines[3];
  return { repo: await repoFound(dir, lines, exitCode, ''), head: head && OBJECT_ID.test(head) ? head : null };
}

/** The repository from rev-parse's --show-toplevel, --absolute-git-dir and --git-common-dir lines, real paths; or why `dir` has none. Impure (resolves links). */
async function repoFound(dir: string, [top, gitDir, common]: string[], exitCode: number, stderr: string): Promise<RepoRef> {
  if (exitCode !== 0 || !gitDir) {
    if (/must be run in a work tree/.test(stderr)) throw new Error(`${dir} is a bare git repository; the engine needs a working tree`);
    throw new Error(`${dir} is not a git repository; run \`git init\` there or pass another --repo`);
  }
  if (!top) throw new Error(`${dir} is a bare git repository; the engine needs a working tree`);
  const realTop = await realpath(top);
  const realGitDir = await realpath(gitDir);
  // git prints the common dir relative to the directory it ran in (`../../.git` from a subdirectory).
  const commonDir = await realpath(path.resolve(dir, common!));
  return { top: realTop, gitDir: realGitDir, commonDir };
}

/** The top directory of the working tree containing `dir`. Impure. */
export async function findRepoRoot(dir: string): Promise<string> {
  return (await locateRepo(dir)).top;
}

/**
 * Whether a repository's config (in its common dir) names the SHA-256 object format; a config
 * that cannot be read names none. The pattern keeps to one line's blanks: `^\s*` in multiline
 * mode ran on across every blank line of a worker's config. Impure (reads a file).
 */
export function isSha256Repo(commonDir: string): boolean {
  return /^[ \t]*objectformat[ \t]*=[ \t]*sha256[ \t\r]*$/im.test(readTextOrNull(path.join(commonDir, 'config')) ?? '');
}

/** How the engine addresses the user's repository in a command. Pure. */
export function repoTarget(repo: RepoRef): GitTarget {
  return { gitDir: repo.gitDir, workTree: repo.top };
}

/** The commit the user's HEAD points at, or null on an unborn branch (no commit yet). Impure. */
export async function headSha(repo: RepoRef): Promise<string | null> {
  const { stdout, exitCode } = await runGit({ gitDir: repo.gitDir }, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { okCodes: [1, 128] });
  return exitCode === 0 ? stdout.trim() : null;
}

/** The commit `refs/heads/<branch>` points at in `target`, or null when there is no such branch. Impure. */
export async function branchSha(target: GitTarget, branch: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(target, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], { okCodes: [1] });
  return exitCode === 0 ? stdout.trim() : null;
}

/**
 * Removes `refs/heads/<branch>` only while it points at `sha` (compare-and-swap: never a
 * branch someone moved since); whether it was removed. `why` goes to the reflog. Impure.
 */
export async function removeBranchAt(target: GitTarget, branch: string, sha: string, why: string): Promise<boolean> {
  // --no-deref: a symbolic ref put at the name is itself removed, never the branch it names.
  const { exitCode } = await runGit(target, ['update-ref', '--no-deref', '-m', why, '-d', `refs/heads/${branch}`, sha], { okCodes: [1, 128] });
  return exitCode === 0;
}

/**
 * Which of the run branches `names` (`engine/<id>`) nothing has moved since the engine made
 * them, by the user's repository alone (a run's record can be rewritten by a worker without
 * the OS sandbox): a branch, not a symbolic ref; not checked out in any worktree; and with a
 * reflog of one entry, the engine's own creation (`engine: run branch`) at the commit the
 * branch still points at. Maps each such branch to that commit. With no reflog
 * (core.logAllRefUpdates off), or a git that cannot say where a branch is checked out, none;
 * `withoutReflog` (a branch this engine process made moments ago) takes one that has no
 * reflog at all on the rest. Impure.
 */
export async function untouchedRunBranches(target: GitTarget, names: readonly string[], o: { withoutReflog?: boolean } = {}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const tips = await runBranchTips(target);
  if (tips === null) return out;
  for (const name of names) {
    const tip = tips.get(name);
    if (!tip) continue;
    const log = await runGit(target, ['log', '--walk-reflogs', '--format=%H%x00%gs', `refs/heads/${name}`, '--'], { okCodes: [128] });
    const entries = log.exitCode === 0 ? log.stdout.split('\n').filter(Boolean) : [];
    if (entries.length === 1 && entries[0] === `${tip}\0engine: run branch`) out.set(name, tip);
    else if (o.withoutReflog && entries.length === 0 && !(await hasReflog(target, name))) out.set(name, tip);
  }
  return out;
}

/**
 * The tips of the run branches (`refs/heads/engine/…`) that are branches (not symbolic refs)
 * checked out in no worktree, the user's own checkout included; null when git cannot list
 * them. Impure.
 */
async function runBranchTips(target: GitTarget): Promise<Map<string, string> | null> {
  const listed = await runGit(target, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(worktreepath)%00%(symref)', 'refs/heads/engine/'], { okCodes: [128] });
  if (listed.exitCode !== 0) return null;
  const busy = branchesInRebaseOrBisect(target.gitDir);
  const tips = new Map<string, string>();
  for (const line of listed.stdout.split('\n')) {
    const [ref, sha, worktree, symref] = line.split('\0');
    const name = ref?.slice('refs/heads/'.length);
    if (name && sha && !worktree && !symref && !busy.has(name)) tips.set(name, sha);
  }
  return tips;
}

/**
 * The branches a rebase or a bisect is working on in some worktree of the repository: git keeps
 * their names aside while HEAD is detached, so neither `%(worktreepath)` nor `worktree list`
 * shows them, and a branch taken away under a rebase cannot be written at its end (`git branch
 * -D` refuses them too). Read from each worktree's git dir. Impure (reads files).
 */
function branchesInRebaseOrBisect(gitDir: string): Set<string> {
  const noted = readTextOrNull(path.join(gitDir, 'commondir'), 4096)?.trim();
  const common = noted ? path.resolve(gitDir, noted) : gitDir;
  let linked: string[] = [];
  try {
    linked = readdirSync(path.join(common, 'worktrees')).map((n) => path.join(common, 'worktrees', n));
  } catch {
    /* no linked worktree */
  }
  const out = new Set<string>();
  const add = (name: string | undefined): void => void (name && out.add(name.startsWith('refs/heads/') ? name.slice('refs/heads/'.length) : name));
  for (const dir of [common, ...linked]) {
    add(readTextOrNull(path.join(dir, 'rebase-merge', 'head-name'), 4096)?.trim());
    add(readTextOrNull(path.join(dir, 'rebase-apply', 'head-name'), 4096)?.trim());
    add(readTextOrNull(path.join(dir, 'BISECT_START'), 4096)?.trim());
  }
  return out;
}

/** Whether the branch has a reflog at all (an empty one included). Impure. */
async function hasReflog(target: GitTarget, branch: string): Promise<boolean> {
  const { exitCode } = await runGit(target, ['reflog', 'exists', `refs/heads/${branch}`], { okCodes: [1, 128] });
  return exitCode !== 1;
}

/**
 * Removes a run's branch this engine process made at `sha` moments ago and nothing has
 * touched since (untouchedRunBranches, with a repository that keeps no reflog taken on the
 * rest), compare-and-swap at `sha`; whether it is gone. A branch a user checked out or moved
 * in the meantime stays; one checked out in a new worktree while it was being removed is put
 * back where it was. Impure.
 */
export async function removeUntouchedRunBranch(target: GitTarget, branch: string, sha: string, why: string): Promise<boolean> {
  const untouched = await untouchedRunBranches(target, [branch], { withoutReflog: true });
  if (untouched.get(branch) !== sha || !(await removeBranchAt(target, branch, sha, why))) return false;
  if (!(await checkedOutSomewhere(target, branch))) return true;
  // Only where no branch of that name was made again since (old value: none).
  await runGit(target, ['update-ref', '--no-deref', '-m', 'engine: run branch put back (checked out meanwhile)', `refs/heads/${branch}`, sha, ''], { okCodes: [1, 128] });
  return false;
}

/** How the user takes away a run's branch the engine kept, once they have looked at it. Pure. */
export function sayRemoveKeptBranch(repo: string, branch: string): string {
  return `look at it, then \`git -C ${shellWord(repo)} branch -D ${shellWord(branch)}\` removes it (once no worktree has it checked out)`;
}

/** Whether some worktree of the repository (its main one included) has `branch` checked out, or rebases or bisects it; true when git cannot say. Impure. */
async function checkedOutSomewhere(target: GitTarget, branch: string): Promise<boolean> {
  if (branchesInRebaseOrBisect(target.gitDir).has(branch)) return true;
  const listed = await runGit(target, ['worktree', 'list', '--porcelain'], { okCodes: [128, 129] });
  if (listed.exitCode !== 0) return true;
  // A worktree path with a line break could forge such a line: the branch is then kept, no worse.
  return listed.stdout.split('\n').includes(`branch refs/heads/${branch}`);
}

/**
 * The commit the user's HEAD points at and its tree, in one git process; null on an unborn
 * branch (no commit yet). Impure.
 */
export async function headCommit(repo: RepoRef): Promise<{ sha: string; tree: string } | null> {
  // --revs-only prints nothing for a HEAD that names no commit yet.
  const { stdout } = await runGit({ gitDir: repo.gitDir }, ['rev-parse', '--revs-only', 'HEAD^{commit}', 'HEAD^{tree}']);
  const [sha, tree] = stdout.split('\n');
  return sha && tree && OBJECT_ID.test(sha) && OBJECT_ID.test(tree) ? { sha, tree } : null;
}

/** The tree id of a commit (what determinism checks compare across repeats). Impure. */
export async function treeHash(target: GitTarget, sha: string): Promise<string> {
  return gitText(target, ['rev-parse', '--verify', `${sha}^{tree}`]);
}

/**
 * Makes `dir` a git repository when it is not one: creates the directory and runs
 * `git init` (used for greenfield scratch repos). A directory that already is the top of a
 * repository is left alone; a non-empty directory that is not one is refused rather than
 * adopted. Resolves with whether a repository was created. Impure.
 */
export async function ensureGitRepo(dir: string): Promise<{ created: boolean; root: string }> {
  makeDirectory(dir);
  const real = realpathSync(dir);
  if (existsSync(path.join(real, '.git'))) {
    const found = await locateRepo(real).catch(() => null);
    if (found && found.top === real) return { created: false, root: real };
  }
  const entries = readdirSync(real);
  if (entries.length > 0) {
    throw new Error(`${dir} is not empty and not the top of a git repository; refusing to run \`git init\` in it`);
  }
  const gitDir = path.join(real, '.git');
  await runGit({ gitDir, workTree: real }, ['-c', 'init.defaultBranch=main', 'init', '--quiet']);
  return { created: true, root: real };
}

/**
 * A minimal git dir written by hand (no `git init`, no templates, no hooks, no config): HEAD
 * on `head`, an object store borrowing `alternates` read-only, `info/exclude` with `exclude`.
 * Each file is made fresh: a link planted at its name (HEAD survives a reset of the engine's
 * git dir) is replaced, never written through. Impure (writes files).
 */
export function writeGitDir(gitDir: string, o: { head: string; alternates: string[]; exclude: string[]; config?: string }): void {
  for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags', 'info']) mkdirSync(path.join(gitDir, d), { recursive: true });
  writeFreshFile(path.join(gitDir, 'HEAD'), `ref: ${o.head}\n`);
  writeFreshFile(path.join(gitDir, 'objects', 'info', 'alternates'), o.alternates.map((a) => `${a}\n`).join(''));
  writeFreshFile(path.join(gitDir, 'info', 'exclude'), o.exclude.map((e) => `${e}\n`).join(''));
  if (o.config !== undefined) writeFreshFile(path.join(gitDir, 'config'), o.config);
}
