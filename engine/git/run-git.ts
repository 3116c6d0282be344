import os from 'node:os';
import { spawn } from 'node:child_process';
import { withoutInherited } from '../proc/inherited-fds.js';
import { describeStartError, runCaptured } from '../proc/spawn-via-shell.js';
import { trackGroup } from '../proc/live-groups.js';

/**
 * The one module that runs git. Every command names its git dir (and work tree, where it has
 * one) explicitly: git never discovers a repository by walking up from a directory, so a
 * workspace whose `.git` a worker removed or replaced cannot lead the engine into another
 * repository. Settings that could run a command someone planted are off: hooks, fsmonitor,
 * system and global config (and so every filter, textconv, diff or merge driver they might
 * define), the user's global attributes and excludes, signing, replace objects. Argv only (no
 * shell), a scrubbed environment, and failures turned into errors that carry git's message.
 */

/** Which repository a command works on: its git dir, and the work tree when it needs one. */
export interface GitTarget {
  gitDir: string;
  workTree?: string | null;
}

export interface GitOptions {
  /** Extra environment (identity, dates, GIT_INDEX_FILE); wins over the scrubbed base. */
  env?: Record<string, string>;
  /** Text or bytes for stdin. */
  input?: string | Buffer;
  /** Non-zero exit codes that are answers, not failures (e.g. 1 for `rev-parse --verify -q`). */
  okCodes?: readonly number[];
  /** Return stdout as bytes (pack streams). */
  binary?: boolean;
  /**
   * Read the user's global config too (only for reading their identity: `git config --get`
   * executes nothing). Every other command runs with system and global config off.
   */
  userConfig?: boolean;
}

export interface GitResult {
  stdout: string;
  exitCode: number;
  /** git's stderr, for answers that are not failures (okCodes). */
  stderr?: string;
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

/** How many git processes this engine process started (benchmarks read it). */
export const gitStats = { processes: 0 };

/**
 * Runs `git --git-dir=… [--work-tree=…] <hardening> ...args` in the work tree (or the git
 * dir) and resolves with its stdout (not trimmed: `-z` output needs every byte). Rejects with
 * a GitError unless the exit code is 0 or in okCodes. Impure (runs a process).
 */
export async function runGit(target: GitTarget, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const { cwd, argv } = onTarget(target, args);
  return spawnGit(cwd, argv, args, options);
}

/** Where a command on `target` runs, and its whole argv: the location, the hardening, then `args`. Pure. */
function onTarget(target: GitTarget, args: readonly string[]): { cwd: string; argv: string[] } {
  const location = [`--git-dir=${target.gitDir}`, ...(target.workTree ? [`--work-tree=${target.workTree}`] : [])];
  return { cwd: target.workTree ?? target.gitDir, argv: [...location, ...hardening(), ...args] };
}

/** Same as runGit, resolving with trimmed stdout. Impure. */
export async function gitText(target: GitTarget, args: readonly string[], options: GitOptions = {}): Promise<string> {
  return (await runGit(target, args, options)).stdout.trim();
}

/** runGit for binary stdout (a pack stream). Impure. */
export async function gitBytes(target: GitTarget, args: readonly string[], options: GitOptions = {}): Promise<Buffer> {
  const { cwd, argv } = onTarget(target, args);
  const result = await spawnGit(cwd, argv, args, { ...options, binary: true });
  return result.bytes!;
}

/**
 * runGit for output that can be larger than the engine should hold: at most `maxBytes` of
 * stdout are read, and git is ended once that many came (`complete` false). Started by node
 * itself, so its output streams (the shared shell keeps a command's whole output). Rejects
 * with a GitError when git failed on its own. Impure (runs a process).
 */
export function gitHead(target: GitTarget, args: readonly string[], maxBytes: number): Promise<{ bytes: Buffer; complete: boolean }> {
  gitStats.processes++;
  const { cwd, argv } = onTarget(target, args);
  return new Promise((resolve, reject) => {
    // Out of the terminal's process group, as every git of the engine's (spawn-via-shell.ts).
    const child = spawn('git', argv, { cwd, env: scrubbedEnv(false), stdio: withoutInherited(['ignore', 'pipe', 'pipe']), detached: true });
    trackGroup(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let cut = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (cut) return;
      out.push(chunk);
      size += chunk.length;
      if (size < maxBytes) return;
      cut = true;
      child.kill('SIGKILL');
    });
    child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e) => reject(new GitError(`git ${args.join(' ')} (in ${cwd}) could not be run: ${e.message}`, args, undefined, '')));
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      if (cut) return resolve({ bytes: bytes.subarray(0, maxBytes), complete: false });
      if (code === 0) return resolve({ bytes, complete: true });
      const stderr = Buffer.concat(err).toString('utf8').trim();
      reject(gitFailed(args, cwd, stderr || (signal ? `killed by ${signal}` : `exit ${code}`), code, stderr));
    });
  });
}

/**
 * The one place git discovers a repository: from the directory the user named with `--repo`
 * (or the current directory), as any git tool does. It answers where the repository is; from
 * then on every command names it explicitly. Impure.
 */
export async function discoverRepo(dir: string, args: readonly string[]): Promise<GitResult> {
  return spawnGit(dir, ['-C', dir, ...hardening(), ...args], args, { okCodes: [128] });
}

async function spawnGit(cwd: string, argv: string[], args: readonly string[], options: GitOptions): Promise<GitResult & { bytes?: Buffer }> {
  gitStats.processes++;
  // Through the engine's shared shell (a fork of the engine for each git cost more than the
  // git itself), or node's own spawn for a command with stdin.
  const run = await runCaptured('git', argv, cwd, { ...scrubbedEnv(options.userConfig === true), ...options.env }, options.input ?? '');
  const exitCode = run.exitCode ?? -1;
  const stderr = run.stderr.toString('utf8').trim();
  if (exitCode === 0 || options.okCodes?.includes(exitCode)) {
    return options.binary ? { stdout: '', exitCode, stderr, bytes: run.stdout } : { stdout: run.stdout.toString('utf8'), exitCode, stderr };
  }
  const reason = stderr || describeStartError('git', run) || (run.signal ? `killed by ${run.signal}` : `exit ${exitCode}`);
  throw gitFailed(args, cwd, reason, run.exitCode, stderr);
}

/** The error of a git command that failed, saying why. Pure. */
function gitFailed(args: readonly string[], cwd: string, reason: string, exitCode: number | null, stderr: string): GitError {
  return new GitError(`git ${args.join(' ')} (in ${cwd}) failed: ${reason}`, args, exitCode ?? undefined, stderr);
}

/**
 * Retries `attempt` while git reports lock contention (another git holding index.lock or a
 * ref lock next door). Impure (waits).
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
  return /\.lock'?:? File exists|Unable to create '.*\.lock'|could not lock|unable to lock|is locked/i.test(error.stderr);
}


// Command-line `-c` beats every config file, so no repository config (the user's, or one a
// worker reached) can turn these back on; nothing is written to anyone's config.
function hardening(): string[] {
  return [
    // No hook runs, the repo's or one a worker wrote: the null device holds no files, where a
    // directory of the engine's own in the temp dir could be found and filled by a worker
    // without a sandbox (the same user), and was left behind by every engine process.
    '-c', `core.hooksPath=${os.devNull}`,
    '-c', 'core.fsmonitor=false',
    '-c', 'core.untrackedCache=false',
    '-c', 'core.splitIndex=false',
    '-c', `core.attributesFile=${os.devNull}`,
    '-c', `core.excludesFile=${os.devNull}`,
    '-c', 'core.symlinks=true',
    '-c', 'core.quotepath=false',
    '-c', 'core.autocrlf=false',
    '-c', 'core.safecrlf=false',
    '-c', 'commit.gpgsign=false',
    '-c', 'tag.gpgsign=false',
    // Reading a log verifies no signature: that runs the program the repository's config names
    // (gpg.program, gpg.ssh.program), and its words would be read as the log's lines.
    '-c', 'log.showSignature=false',
    '-c', 'advice.detachedHead=false',
    '-c', 'advice.addEmbeddedRepo=false',
    '-c', 'gc.auto=0',
    // Every blob a loose object, however large: git writes one above the threshold (512 MiB by
    // default) straight into a pack, and a checkpoint copies loose objects into the user's
    // repository (a worker's sparse 600 MiB file left the run branch naming a blob it lacked).
    '-c', 'core.bigFileThreshold=1024g',
    '-c', 'maintenance.auto=false',
    '-c', 'diff.external=',
    '-c', 'protocol.allow=never',
  ];
}

// Variables that would point git at another repository, index, object store or config than
// the one the command names (the engine may itself be started from a git hook or alias).
const LOCATION_VARS = new Set([
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX', 'GIT_CONFIG', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT',
  'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG_NOSYSTEM', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM',
  'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'GIT_SSH',
  'GIT_SSH_COMMAND', 'GIT_ASKPASS', 'GIT_EXEC_PATH', 'GIT_TEMPLATE_DIR', 'GIT_REPLACE_REF_BASE', 'GIT_ATTR_SOURCE',
]);

function scrubbedEnv(userConfig: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^GIT_TRACE/.test(k)) continue;
    // The user's own global config file stays theirs when their identity is read.
    if (userConfig && k === 'GIT_CONFIG_GLOBAL') {
      env[k] = v;
      continue;
    }
    // GIT_INDEX_VERSION and git's test knobs change what the engine reads back (its own index).
    if (LOCATION_VARS.has(k) || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(k) || k === 'GIT_INDEX_VERSION' || k.startsWith('GIT_TEST_')) continue;
    env[k] = v;
  }
  if (!userConfig) {
    env.GIT_CONFIG_NOSYSTEM = '1';
    env.GIT_CONFIG_GLOBAL = os.devNull;
    env.GIT_ATTR_NOSYSTEM = '1';
  }
  env.GIT_NO_REPLACE_OBJECTS = '1';
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  env.GIT_TERMINAL_PROMPT = '0';
  // Read-only commands (status, diff) must not refresh anyone's index behind their back.
  env.GIT_OPTIONAL_LOCKS = '0';
  env.GIT_PAGER = 'cat';
  return env;
}
