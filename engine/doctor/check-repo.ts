/**
 * The target repo: a git working tree, a writable run store, and where the run's workspace
 * will be (outside the repo). Impure (runs git, checks the file system); creates nothing.
 */
import { accessSync, constants } from 'node:fs';
import { nearestExisting } from '../util/nearest-existing.js';
import path from 'node:path';
import { headSha, locateRepo } from '../git/repo.js';
import { unquoteGitPath } from '../git/quoted-path.js';
import { GitError, runGit } from '../git/run-git.js';
import { isUtf8Name, shownName } from '../util/shown-name.js';
import { repoWorkspacesDir, workspacesRoot } from '../git/workspace.js';
import { listWorkspaces } from '../store/clean-runs.js';
import { finding, type Finding } from './types.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

/**
 * `repo`, `repo.paths`, `store` and `workspaces`. When `dir` is not a git working tree only `repo` is
 * returned (a block: `engine run` refuses such a directory). Resolves with the repo root.
 */
export async function checkRepo(dir: string, storeDir: string | null, env: NodeJS.ProcessEnv = process.env): Promise<{ root: string | null; findings: Finding[] }> {
  let root: string;
  let repo;
  try {
    repo = await locateRepo(dir);
    root = repo.top;
  } catch (e) {
    return {
      root: null,
      findings: [finding('repo', 'block', `${(e as Error).message.split(';')[0]}: \`engine run\` refuses it`, `run \`git init\` in ${dir} (a run in a repo without commits starts an orphan branch), or pass the repo with --repo`)],
    };
  }
  const head = await headSha(repo);
  const findings = [finding('repo', 'ok', head ? `git repo ${root} (HEAD ${head.slice(0, 12)})` : `git repo ${root}, no commits yet: a run starts an orphan branch from an empty tree`)];
  if (head) findings.push(await checkRepoPaths(repo));
  const store = storeDir ?? path.join(root, '.engine', 'runs');
  findings.push(checkStoreWritable(store));
  const wsDir = repoWorkspacesDir(workspacesRoot(env), root);
  findings.push(checkWorkspaces(wsDir));
  const orphans = findOrphans(wsDir, store);
  if (orphans.length) findings.push(finding('workspaces.orphans', 'warn', `${orphans.length} workspace${orphans.length === 1 ? '' : 's'} in ${wsDir} belong${orphans.length === 1 ? 's' : ''} to no run of ${store}, or to a completed one: ${orphans.slice(0, 5).join(', ')}${orphans.length > 5 ? ', …' : ''}`, `\`${engineCommandAnywhere('clean')}\` removes them (\`--dry-run\` shows what it would free)`));
  return { root, findings };
}

/**
 * `repo.paths`: every path HEAD tracks is UTF-8. The engine can neither name nor check one
 * that is not (each snapshot removes it, non_utf8_path): a run stops before its first step.
 * Impure (runs git).
 */
async function checkRepoPaths(repo: Awaited<ReturnType<typeof locateRepo>>): Promise<Finding> {
  try {
    // Names as they are, read as text: one that is not UTF-8 shows U+FFFD. Only then are all
    // listed again quoted (each byte past ASCII as \ooo), which tells the bytes.
    const { stdout } = await runGit(repo, ['-c', 'core.quotePath=false', 'ls-tree', '-r', '-z', '--name-only', 'HEAD']);
    if (!stdout.includes('\uFFFD')) return finding('repo.paths', 'ok', 'every path HEAD tracks is UTF-8');
    const quoted = await runGit(repo, ['-c', 'core.quotePath=true', 'ls-tree', '-r', '--name-only', 'HEAD']);
    const bad = quoted.stdout
      .split('\n')
      .filter((l) => l.startsWith('"'))
      .map(unquoteGitPath)
      .filter((raw) => !isUtf8Name(raw))
      .map(shownName);
    if (bad.length === 0) return finding('repo.paths', 'ok', 'every path HEAD tracks is UTF-8');
    return finding('repo.paths', 'block', undecodableMessage(bad), UNDECODABLE_HINT);
  } catch (error) {
    // A partial clone without HEAD's trees (git may not fetch them here): the run's own check still applies.
    if (!(error instanceof GitError)) throw error;
    return finding('repo.paths', 'warn', `could not list the paths HEAD tracks: ${error.stderr.trim().split('\n')[0] ?? error.message}`, 'a run checks them when it makes its workspace');
  }
}

/** The message for tracked paths that are not UTF-8 (doctor and run preflight alike). Pure. */
export function undecodableMessage(paths: readonly string[]): string {
  const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? `, and ${paths.length - 5} more` : '');
  return `the repository tracks ${paths.length === 1 ? 'a path' : `${paths.length} paths`} that ${paths.length === 1 ? 'is' : 'are'} not UTF-8 (bytes shown as %XX): ${shown}; the engine can neither name nor check such a path`;
}

export const UNDECODABLE_HINT = 'rename them in the repository (git mv) and commit, then start the run again';

/** Run ids of workspaces with no run record in the store, or whose run completed (its workspace should be gone). Impure. */
export function findOrphans(wsDir: string, store: string): string[] {
  return listWorkspaces(wsDir, store)
    .filter((w) => w.engineMade && !w.locked && (w.status === null || w.status === 'completed'))
    .map((w) => w.runId);
}

/** Where this repo's workspaces go (outside the repo), writable by this user. Pure but for fs checks. */
export function checkWorkspaces(dir: string): Finding {
  const at = nearestExisting(dir);
  if (!writable(at)) {
    return finding('workspaces', 'block', `runs cannot create their workspaces in ${dir} (${at} refuses writes)`, `set ENGINE_HOME (or XDG_STATE_HOME) to a writable directory, or pass \`${engineCommandAnywhere('run --workspaces DIR')}\``);
  }
  return finding('workspaces', 'ok', `workspaces go to ${dir}, outside the repository`);
}

/** The run store (or its nearest existing parent) writable by this user. Pure but for fs checks. */
export function checkStoreWritable(store: string): Finding {
  const dir = nearestExisting(store);
  if (!writable(dir)) {
    return finding('store', 'block', `the run store ${store} is not writable (${dir} refuses writes)`, `make ${dir} writable for this user, or move the run store with \`${engineCommandAnywhere('run --store DIR')}\``);
  }
  return finding('store', 'ok', `run store ${store} is writable${dir === store ? '' : ` (created at the first run under ${dir})`}`);
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
