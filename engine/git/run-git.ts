import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/**
 * The one way this module runs git: argv only (no shell), a scrubbed environment, settings
 * that keep anything from the repo (hooks, fsmonitor, signing) from running, and failures
 * turned into errors that name the command and carry git's own message.
 */

export interface GitOptions {
  /** Extra environment (identity, dates, GIT_INDEX_FILE); wins over the scrubbed base. */
  env?: Record<string, string>;
  /** Text for stdin. */
  input?: string;
  /** Non-zero exit codes that are answers, not failures (e.g. 1 for `rev-parse --verify -q`). */
  okCodes?: readonly number[];
}

export interface GitResult {
  stdout: string;
  exitCode: number;
}

/** A git command that failed: its arguments, exit code and stderr, for callers that branch on them. */
export class GitError extends Error {
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

/**
 * Runs `git -C cwd <safety flags> ...args` and resolves with its stdout (not trimmed: `-z`
 * output needs every byte). Rejects with a GitError unless the exit code is 0 or in okCodes.
 * Impure (runs a process).
 */
export async function runGit(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const argv = ['-C', cwd, ...safetyFlags(), ...args];
  const result = await execa('git', argv, {
    env: { ...scrubbedEnv(), ...options.env },
    extendEnv: false,
    input: options.input ?? '',
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  const exitCode = result.exitCode ?? -1;
  if (exitCode === 0 || options.okCodes?.includes(exitCode)) return { stdout: result.stdout, exitCode };
  const stderr = String(result.stderr ?? '').trim();
  const reason = stderr || result.shortMessage || `exit ${exitCode}`;
  throw new GitError(`git ${args.join(' ')} (in ${cwd}) failed: ${reason}`, args, result.exitCode, stderr);
}

/** Same as runGit, resolving with trimmed stdout. Impure. */
export async function gitText(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  return (await runGit(cwd, args, options)).stdout.trim();
}

/**
 * Retries `attempt` while git reports lock contention (another git holding index.lock, a
 * ref lock or a worktree being added next door). Impure (waits).
 */
export async function retryOnLock<T>(attempt: () => Promise<T>, tries = 12): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= tries || !isLockContention(error)) throw error;
      await new Promise((r) => setTimeout(r, 25 * i + Math.floor(Math.random() * 50)));
    }
  }
}

/** True when a git failure is lock contention that a retry may cure. Pure. */
export function isLockContention(error: unknown): boolean {
  if (!(error instanceof GitError)) return false;
  return /\.lock'?:? File exists|Unable to create '.*\.lock'|cannot lock ref|could not lock|unable to lock|is locked/i.test(
    error.stderr,
  );
}

/**
 * An empty directory, private to this process, used as core.hooksPath so that no hook — the
 * repo's, or one a worker wrote — runs during engine git commands. Impure (creates it once).
 */
export function emptyHooksDir(): string {
  if (!hooksDir) {
    // A fresh private directory: nobody else can have put a hook in it.
    hooksDir = mkdtempSync(path.join(os.tmpdir(), 'engine-no-hooks-'));
  }
  return hooksDir;
}

let hooksDir: string | null = null;

// Command-line `-c` beats every config file, so a repo (or a worker) setting hooksPath,
// fsmonitor or signing cannot reach us; nothing is written to anyone's config.
function safetyFlags(): string[] {
  return [
    '-c', `core.hooksPath=${emptyHooksDir()}`,
    '-c', 'core.fsmonitor=false',
    '-c', 'commit.gpgsign=false',
    '-c', 'tag.gpgsign=false',
    '-c', 'core.quotepath=false',
    '-c', 'advice.detachedHead=false',
    '-c', 'gc.auto=0',
    '-c', 'maintenance.auto=false',
  ];
}

// Variables that would point git at another repository, index or config than the one we
// name with -C (the engine may itself be started from a git hook or alias).
const LOCATION_VARS = [
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT',
  'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_EXTERNAL_DIFF', 'GIT_PAGER',
];

function scrubbedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || LOCATION_VARS.includes(k) || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(k)) continue;
    env[k] = v;
  }
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  env.GIT_TERMINAL_PROMPT = '0';
  // Read-only commands (status, diff) must not refresh anyone's index behind their back.
  env.GIT_OPTIONAL_LOCKS = '0';
  env.GIT_PAGER = 'cat';
  return env;
}
