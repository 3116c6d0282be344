import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../git/workspace.js';
import { isSha256Repo } from '../git/repo.js';
import { compareFingerprints, fingerprintTrees, type Fingerprints, type WatchedTree } from '../governance/watch-files.js';
import type { Violation } from '../governance/check-changes.js';
import { removeTree } from '../util/remove-tree.js';
import { sha256Hex } from '../util/sha256-hex.js';
import { userPolicyFile } from '../config/policy/resolve-policy.js';

/**
 * What of a checkout's git dir (a linked worktree's is its own) the user's next git command
 * reads as its state: HEAD and the index; a merge, cherry-pick, revert, rebase or bisect in
 * progress (MERGE_HEAD makes the next commit a merge, a rebase's todo list holds `exec`
 * lines); the file that names the common dir. FETCH_HEAD is left out: every background fetch
 * of an editor rewrites it, and git reads it only right after writing it (`git pull`). A fetch
 * that brings commits moves `refs/remotes/*`, which is watched: a worker could point
 * `origin/main` at a commit of its own for the user's next merge.
 */
const CHECKOUT_STATE = ['HEAD', 'index', 'commondir', 'config.worktree', 'ORIG_HEAD', 'MERGE_HEAD', 'MERGE_MSG', 'MERGE_MODE', 'MERGE_RR', 'AUTO_MERGE', 'SQUASH_MSG', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'REBASE_HEAD', 'rebase-merge', 'rebase-apply', 'sequencer', 'BISECT_START', 'BISECT_TERMS', 'BISECT_LOG', 'BISECT_NAMES', 'BISECT_EXPECTED_REV'];

/**
 * What of the common dir every checkout shares: config, refs, hooks, info, what redirects or
 * adds to the objects (alternates, packs: by name, type, size and inode, never walking the
 * loose objects), the shallow list, the other worktrees' and the submodules' git dirs (a
 * submodule's objects aside), legacy remotes and rerere's recorded resolutions.
 */
const SHARED_STATE = ['config', 'packed-refs', 'refs', 'hooks', 'info', 'objects/info', 'objects/pack', 'shallow', 'worktrees', 'modules', 'remotes', 'branches', 'rr-cache'];

/** The index of the checkout, of another worktree or of a submodule: compared by what it stages. Pure. */
const isIndex = (rel: string): boolean => rel === 'index' || ((rel.startsWith('worktrees/') || rel.startsWith('modules/')) && rel.endsWith('/index'));

/**
 * What of the git dirs of the other worktrees and the submodules no git of the user's reads as
 * state: a submodule's object store, but its info/ (alternates: as large as a repository's,
 * and written by every git there); their FETCH_HEAD and reflogs, which a background fetch or
 * an editor's git there rewrites, as the checkout's own FETCH_HEAD is left out. Pure.
 */
const inertInGitDir = (name: string, rel: string): boolean => {
  if (!rel.startsWith('modules/') && !rel.startsWith('worktrees/')) return false;
  return name === 'FETCH_HEAD' || /\/logs(\/|$)/.test(rel) || (rel.startsWith('modules/') && /\/objects\/(?!info$)[^/]+$/.test(rel));
};

/**
 * What lies outside the workspace and must not change while a step runs: the user's
 * repository (the checkout's state, CHECKOUT_STATE; the common dir's, SHARED_STATE, but
 * `refs/heads/engine/*`: the run's own branch is compared by checkRunBranch instead, and other
 * runs on the repository move theirs), the engine's git dir of the
 * workspace (everything but its index and objects, which the engine itself writes), the
 * engine's own install, and — when `walkShared` — the shared ignored paths of the user's
 * checkout (under the OS sandbox they are read-only mounts and need no walk). Pure.
 */
export function outsideTrees(ws: Workspace, installRoot: string, walkShared: boolean, userConfig: readonly WatchedTree[] = [], storeDir: string | null = null): WatchedTree[] {
  const sameDir = ws.repo.gitDir === ws.repo.commonDir;
  const hashBytes = objectIdBytes(ws.repo.commonDir);
  const common = { rule: 'user_repo' as const, isIndex, inert: inertInGitDir, untimed: ['objects/pack'], hashBytes };
  const trees: WatchedTree[] = [
    {
      ...common,
      root: ws.repo.gitDir,
      // A split index keeps most entries in sharedindex.* files: those are watched too.
      paths: [...CHECKOUT_STATE, ...sharedIndexes(ws.repo.gitDir), ...(sameDir ? SHARED_STATE : [])],
      skip: ['refs/heads/engine'],
      label: (rel) => `${ws.repo.gitDir}/${rel}`,
    },
  ];
  // A linked worktree's git dir lies in the common dir's worktrees/: walked once, as its own.
  const own = path.relative(ws.repo.commonDir, ws.repo.gitDir);
  if (!sameDir) trees.push({ ...common, root: ws.repo.commonDir, paths: SHARED_STATE, skip: ['refs/heads/engine', own], label: (rel) => `${ws.repo.commonDir}/${rel}` });
  trees.push(repoConfigTree(ws.repo.top, storeDir));
  trees.push({ rule: 'engine_git', root: ws.gitDir, paths: ['HEAD', 'config', 'info', 'hooks', 'objects/info', 'commondir', 'refs'], label: (rel) => `${ws.gitDir}/${rel}` });
  const install = ['bin', 'dist', 'templates', 'schemas', 'pipelines', 'policies', 'package.json'].filter((p) => existsSync(path.join(installRoot, p)));
  // dist/code-cache too: V8 checks a cache only against its source's length, so one planted
  // there runs at the engine's next start (the build writes them all; see dropPlantedCaches).
  // Source maps and type declarations (two thirds of dist/) are for debuggers and editors: nothing the engine runs.
  trees.push({ rule: 'engine_install', root: installRoot, paths: install, label: (rel) => path.join(installRoot, rel), inert: (name) => name.endsWith('.map') || name.endsWith('.d.ts') });
  if (walkShared && ws.shared.length) trees.push({ rule: 'shared_path', root: ws.repo.top, paths: ws.shared });
  trees.push(...userConfig);
  return trees;
}

/**
 * The engine's config in the user's checkout (`.engine/`: pipeline, policy, prompt templates,
 * whatever else the team keeps there), which every new run reads: a worker that rewrites it
 * steers the next run. The default run store (`.engine/runs/`) and this run's store when it
 * lies in there are left out: the engine and other runs write them. Pure.
 */
function repoConfigTree(top: string, storeDir: string | null): WatchedTree {
  const store = storeDir === null ? null : path.relative(top, storeDir);
  const skip = ['.engine/runs', ...(store !== null && store !== '.engine/runs' && store.startsWith('.engine/') ? [store] : [])];
  // By content: what the next run reads is the bytes (a write of the same ones changes nothing).
  return { rule: 'user_repo', root: top, paths: ['.engine'], skip, label: (rel) => path.join(top, rel), digestAll: (bytes) => sha256Hex(bytes) };
}

/**
 * The user's own layer of the engine's policy (`${XDG_CONFIG_HOME:-~/.config}/engine/policy.yaml`),
 * which every new run reads: a worker that rewrites it turns the next run's sandbox off or its
 * redaction down. Rule `cli_config` (the engine's own CLI config), compared by content; none
 * without a home. Pure.
 */
export function userPolicyTree(env: NodeJS.ProcessEnv): WatchedTree[] {
  const file = userPolicyFile(env);
  if (file === null) return [];
  const root = path.dirname(file);
  return [{ rule: 'cli_config', root, paths: [path.basename(file)], label: (rel) => path.join(root, rel), digestAll: (bytes) => sha256Hex(bytes) }];
}

/** 32 for a SHA-256 repository, 20 otherwise, from its config. Impure (reads a file). */
function objectIdBytes(commonDir: string): number {
  return isSha256Repo(commonDir) ? 32 : 20;
}

function sharedIndexes(gitDir: string): string[] {
  try {
    return readdirSync(gitDir).filter((n) => n.startsWith('sharedindex.'));
  } catch {
    return [];
  }
}

/** The watched trees and the baseline of each: its fingerprints when the session began, or when a grant first reached it. */
export interface OutsideWatch {
  trees: WatchedTree[];
  baselines: Map<WatchedTree, Fingerprints>;
  /** True for a tree no process can have changed so far (the OS sandbox kept them all out): no baseline yet, no walk. */
  keptOut: (tree: WatchedTree) => boolean;
}

/**
 * The watched trees with the baseline of each taken now, but for those `later` holds back:
 * trees the OS sandbox keeps every process out of get theirs when a grant first reaches them
 * (takeBaselines), before any process with that grant runs, so what a step could change is
 * still measured from before it. Impure (reads the filesystem).
 */
export function watchOutside(trees: WatchedTree[], later: (tree: WatchedTree) => boolean = () => false): OutsideWatch {
  const watch: OutsideWatch = { trees, baselines: new Map(), keptOut: later };
  takeBaselines(watch);
  return watch;
}

/**
 * The baselines not taken yet of the trees `due` names (default: those no longer kept out),
 * taken now. Impure (reads the filesystem).
 */
export function takeBaselines(watch: OutsideWatch, due: (tree: WatchedTree) => boolean = (t) => !watch.keptOut(t)): void {
  for (const t of watch.trees) if (!watch.baselines.has(t) && due(t)) watch.baselines.set(t, fingerprintTrees([t]));
}

/**
 * What changed outside the workspace since each tree's baseline, in the trees `skip` (default:
 * the watch's keptOut) does not leave out: nothing a step did can have changed those. Impure
 * (reads the filesystem).
 */
export function outsideChanges(watch: OutsideWatch, skip: (tree: WatchedTree) => boolean = watch.keptOut): Violation[] {
  const walked = watch.trees.filter((t) => !skip(t));
  // A tree walked without a baseline would have nothing to be compared with: its grant takes one first.
  takeBaselines(watch, (t) => walked.includes(t));
  // Tree by tree, each against its own baseline (not copied into one map at every step).
  const found = walked.flatMap((t) => compareFingerprints([t], watch.baselines.get(t)!, fingerprintTrees([t])));
  return found.sort((a, b) => (a.rule + a.path < b.rule + b.path ? -1 : 1));
}

const absolutePaths = new WeakMap<WatchedTree, readonly string[]>();

/**
 * The paths a watched tree covers, absolute: the same array for the same tree (asked after
 * every step, whether the OS sandbox keeps the tree out). Pure apart from the cache.
 */
export function pathsOf(tree: WatchedTree): readonly string[] {
  let paths = absolutePaths.get(tree);
  if (!paths) absolutePaths.set(tree, (paths = tree.paths.map((p) => path.join(tree.root, p))));
  return paths;
}

/** The launcher's V8 code caches, inside the engine's install (bin/engine.js). */
const CODE_CACHE_DIR = 'dist/code-cache';

/**
 * Removes what changed under the install's dist/code-cache since the baseline (the caller has
 * made each change a violation): a code cache is derived from the bundle and written again by
 * the next command, while one left in place would run at the engine's next start, whatever
 * it holds. Links are removed, never followed. Returns the paths removed. Impure.
 */
export function dropPlantedCaches(watch: OutsideWatch, violations: readonly Violation[]): string[] {
  const install = watch.trees.find((t) => t.rule === 'engine_install');
  if (!install) return [];
  // An install violation names its file by its absolute path (the tree's label).
  const dir = path.join(install.root, CODE_CACHE_DIR);
  const planted = violations.filter((v) => v.rule === 'engine_install' && (v.path === dir || v.path.startsWith(`${dir}/`))).map((v) => v.path);
  for (const file of planted) removeTree(file);
  return planted;
}
