/**
 * The target repo: a git working tree, `.engine/` kept out of git, a writable run store.
 * Impure (runs git, checks the file system); creates nothing.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { findRepoRoot, headSha } from '../git/repo.js';
import { runGit } from '../git/run-git.js';
import { finding, type Finding } from './types.js';

/**
 * `repo`, `repo.exclude` and `store`. When `dir` is not a git working tree only `repo` is
 * returned (a block: `engine run` refuses such a directory). Resolves with the repo root.
 */
export async function checkRepo(dir: string, storeDir: string | null): Promise<{ root: string | null; findings: Finding[] }> {
  let root: string;
  try {
    root = await findRepoRoot(dir);
  } catch (e) {
    return {
      root: null,
      findings: [finding('repo', 'block', `${(e as Error).message.split(';')[0]}: \`engine run\` refuses it`, `run \`git init\` in ${dir} (a run in a repo without commits starts an orphan branch), or pass the repo with --repo`)],
    };
  }
  const head = await headSha(root);
  const findings = [finding('repo', 'ok', head ? `git repo ${root} (HEAD ${head.slice(0, 12)})` : `git repo ${root}, no commits yet: a run starts an orphan branch from an empty tree`)];
  findings.push(await checkExcluded(root));
  findings.push(checkStoreWritable(storeDir ?? path.join(root, '.engine', 'runs')));
  return { root, findings };
}

/** `.engine/` ignored by git (info/exclude or a .gitignore). A warning: every run adds it. */
async function checkExcluded(root: string): Promise<Finding> {
  const { exitCode } = await runGit(root, ['check-ignore', '-q', '.engine/'], { okCodes: [1] });
  if (exitCode === 0) return finding('repo.exclude', 'ok', '.engine/ is excluded from git');
  return finding('repo.exclude', 'warn', '.engine/ is not excluded from git yet, so run records would show as untracked files', '`engine run` adds /.engine/ to .git/info/exclude before its first step; `engine init` does it now');
}

/** The run store (or its nearest existing parent) writable by this user. Pure but for fs checks. */
export function checkStoreWritable(store: string): Finding {
  let dir = store;
  while (!existsSync(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return finding('store', 'block', `the run store ${store} is not writable (${dir} refuses writes)`, `make ${dir} writable for this user, or move the run store with \`engine run --store DIR\``);
  }
  return finding('store', 'ok', `run store ${store} is writable${dir === store ? '' : ` (created at the first run under ${dir})`}`);
}
