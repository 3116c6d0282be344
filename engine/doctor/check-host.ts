/**
 * The machine: node's version and git. Impure only where it runs git.
 */
import { describeStartError, runCaptured } from '../proc/spawn-via-shell.js';
import { extractSemver } from '../workers/resolve-bin.js';
import { finding, type Finding } from './types.js';

/** node ≥ 20 (package.json `engines`). Pure. */
export function checkNode(version: string): Finding {
  const major = Number.parseInt(version.replace(/^v/, ''), 10);
  if (major >= 20) return finding('node', 'ok', `node ${version}`);
  return finding('node', 'block', `node ${version} is older than the engine needs (20 or later)`, 'install node 20 or later (https://nodejs.org) and run the engine with it');
}

/** git on PATH and its version: runs, worktrees and checkpoints need it. Impure (runs git). */
export async function checkGit(env: NodeJS.ProcessEnv): Promise<Finding> {
  const r = await runCaptured('git', ['--version'], process.cwd(), env, '', { timeoutMs: 10_000 });
  const out = r.stdout.toString('utf8');
  const version = extractSemver(out) ?? /git version (\S+)/.exec(out)?.[1] ?? null;
  const notRun = describeStartError('git', r);
  if (notRun || r.exitCode !== 0 || !version) {
    return finding('git', 'block', `git is not installed or does not run${notRun ? ` (${notRun})` : ''}`, 'install git (2.30 or later) and make sure it is on PATH: every run works in its own git worktree');
  }
  return finding('git', 'ok', `git ${version}`);
}
