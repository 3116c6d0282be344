import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readdirSync, readFileSync, readSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { monotonicMs } from '../util/monotonic-ms.js';
import { withoutInherited } from './inherited-fds.js';
import { openInputFd } from './input-fd.js';
import { liveGroups, trackGroup } from './live-groups.js';
import { setLongTimeout, type LongTimeout } from '../util/long-timeout.js';

/**
 * Runs a child in its own process group so that everything it starts can be ended together,
 * with a wall-clock limit and an idle limit (no output). Timeouts end the whole group:
 * SIGTERM, then SIGKILL after a grace period. A child that exits leaves no group member
 * behind either: the group is swept after exit. Impure (processes and timers).
 */
export interface SpawnGroupOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Text written to stdin, then closed; null (or none) gives the null device. */
  stdin?: string | null;
  /** Wall-clock limit; 0 or undefined for none. */
  timeoutMs?: number;
  /** Limit on silence (no stdout or stderr bytes); 0 or undefined for none. */
  idleTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL. */
  graceMs?: number;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Called once the child has a pid (its pgid is the same number). */
  onSpawn?: (pid: number) => void;
  /**
   * The child is bubblewrap with `--info-fd` this descriptor (wrapCommand's `infoFd`): a pipe
   * is opened there, and the sweep after exit waits for the sandbox's init it names.
   */
  infoFd?: number;
  /** Bytes the child reads from this descriptor (bubblewrap's `--seccomp` program); above `infoFd`. */
  inputFd?: { at: number; bytes: Buffer };
}

export interface SpawnGroupResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  idleTimedOut: boolean;
  /** The process could not be started at all (ENOENT, EACCES); message in `error`. */
  error: string | null;
  durationMs: number;
  pid: number | null;
  /**
   * The child had exited, its group was ended, and something still held its output open past
   * the grace (a process that left the group, e.g. with setsid, where no sandbox ends it):
   * the pipes were closed from the engine's side. What it writes later is not read.
   */
  outputHeldOpen?: boolean;
  /** The host pid of the sandbox's init as bubblewrap reported it (`infoFd` given); null when it reported none. */
  sandboxInitPid?: number | null;
}

export interface SpawnedGroup {
  pid: number | null;
  done: Promise<SpawnGroupResult>;
  /** End the whole group now (TERM, grace, KILL). */
  kill(): void;
}

const DEFAULT_GRACE_MS = 2000;

export function spawnGroup(bin: string, args: readonly string[], options: SpawnGroupOptions): SpawnedGroup {
  const started = monotonicMs();
  // The places below the info descriptor first: a bad number throws before a file is taken.
  const below = options.infoFd === undefined ? [] : Array<'ignore'>(options.infoFd - 3).fill('ignore');
  const input = options.inputFd;
  if (input && input.at !== (options.infoFd ?? 2) + 1) throw new Error(`inputFd must follow infoFd (at ${input.at})`);
  const info = options.infoFd === undefined ? null : takeInfoFile();
  // A file of the bytes, or where none can be made a pipe they are written into once the child starts.
  const inputFd = input ? openInputFd(input.bytes) : null;
  const extra = [...(info === null ? [] : [...below, info]), ...(input ? [inputFd ?? ('pipe' as const)] : [])];
  let child: PipedChild;
  try {
    child = spawn(bin, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      // No text for stdin: the null device, which reads as the end of input at once, as a
      // closed pipe would; a pipe costs the engine a socket and its stream on every spawn.
      // What the engine's own parent left open is not handed on (inherited-fds.ts).
      stdio: withoutInherited([options.stdin != null ? 'pipe' : 'ignore', 'pipe', 'pipe', ...extra]),
    }) as PipedChild;
  } catch (error) {
    if (info !== null) giveBackInfoFile(info, true);
    throw error;
  } finally {
    // The child has its own copy (or none: it did not start).
    if (inputFd !== null) closeSync(inputFd);
  }
  if (input && inputFd === null) (child.stdio[input.at] as Writable | null)?.end(input.bytes);
  trackGroup(child);
  const pid = child.pid ?? null;
  const limits = new GroupLimits(pid, options);
  if (pid !== null) options.onSpawn?.(pid);
  limits.start();
  connectStreams(child, options, limits.armIdle);
  const sandboxInit = info === null ? null : { read: () => readSandboxInit(info), release: (gone: boolean) => giveBackInfoFile(info, gone) };
  const done = waitForClose(child, pid, limits, started, sandboxInit);
  return { pid, done, kill: limits.terminate };
}

/**
 * Where bubblewrap writes its `--info-fd` JSON: a file, read once the sandbox has exited. A
 * pipe there cost the engine a socket pair and a stream per sandboxed start (about 0.7 ms of
 * its CPU each) for a few bytes read once at the end. A file made per start cost more on a
 * file system that is slow to hand out inodes (ext4 without a journal skips recently freed
 * ones), so the files are kept: each is made once (O_EXCL, no link followed, removed at once:
 * only the descriptor is left), emptied and given to the next start once the sandbox that had
 * it is gone (nothing can write it any more). Where no such file can be made (a temp dir that
 * is not writable) the null device takes the JSON: the init is unknown, the full sweep runs.
 */
const freeInfoFiles: number[] = [];
/** More are closed: as many as ran at once are kept, up to this. */
const MAX_FREE_INFO_FILES = 8;

function takeInfoFile(): number {
  const kept = freeInfoFiles.pop();
  if (kept !== undefined) return kept;
  const file = path.join(os.tmpdir(), `engine-sandbox-info-${process.pid}-${randomBytes(6).toString('hex')}`);
  let fd: number;
  try {
    // O_APPEND: bubblewrap's writes land at the end, which is the start again once the file is emptied.
    fd = openSync(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch {
    return openSync('/dev/null', 'w');
  }
  try {
    unlinkSync(file);
  } catch {
    /* left for the system's temp clean-up: it holds a pid, nothing else */
  }
  return fd;
}

/**
 * An info file back to the free ones, emptied; closed when it cannot be emptied, its sandbox may
 * live on, or enough are kept. A process of the engine's user outside any sandbox could open a
 * kept one through /proc/<engine>/fd and write a pid into each later report, as it could the
 * pipe's of one start before (and could ptrace the engine): a sandboxed process sees neither.
 * Impure.
 */
function giveBackInfoFile(fd: number, sandboxGone: boolean): void {
  try {
    if (!sandboxGone || freeInfoFiles.length >= MAX_FREE_INFO_FILES) throw new Error('not kept');
    ftruncateSync(fd, 0);
    freeInfoFiles.push(fd);
  } catch {
    closeSync(fd);
  }
}

/** The host pid of the sandbox's init, from bubblewrap's `--info-fd` JSON; null when it wrote none (it failed first). Impure. */
function readSandboxInit(fd: number): number | null {
  try {
    const buffer = Buffer.alloc(4096);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const m = /"child-pid"\s*:\s*(\d+)/.exec(buffer.toString('utf8', 0, n));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** stdin is null when the child was given none (the null device). */
type PipedChild = ChildProcessByStdio<Writable | null, Readable, Readable>;

/** The limits of one group, and ending it: SIGTERM, then SIGKILL after the grace. */
class GroupLimits {
  timedOut = false;
  idleTimedOut = false;
  private killing = false;
  private readonly timers: LongTimeout[] = [];
  private idleTimer: LongTimeout | undefined;
  readonly grace: number;

  constructor(
    private readonly pid: number | null,
    private readonly options: Pick<SpawnGroupOptions, 'timeoutMs' | 'idleTimeoutMs' | 'graceMs'>,
  ) {
    this.grace = options.graceMs ?? DEFAULT_GRACE_MS;
  }

  /** End the whole group now; later calls change nothing. */
  readonly terminate = (): void => {
    const pid = this.pid;
    if (this.killing || pid === null) return;
    this.killing = true;
    signalGroup(pid, 'SIGTERM');
    const kill = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.grace).unref();
    this.timers.push({ clear: () => clearTimeout(kill) });
  };

  /** (Re)starts the idle limit: at spawn and on every byte of output. */
  readonly armIdle = (): void => {
    if (!this.options.idleTimeoutMs) return;
    this.idleTimer?.clear();
    this.idleTimer = setLongTimeout(() => {
      this.idleTimedOut = true;
      this.terminate();
    }, this.options.idleTimeoutMs);
  };

  /** Starts the wall clock and the idle limit. */
  start(): void {
    if (this.options.timeoutMs) {
      this.timers.push(
        setLongTimeout(() => {
          this.timedOut = true;
          this.terminate();
        }, this.options.timeoutMs),
      );
    }
    this.armIdle();
  }

  clear(): void {
    for (const t of this.timers) t.clear();
    this.idleTimer?.clear();
  }
}

/** Output goes to the callbacks and counts as activity; stdin gets its text and is closed. */
function connectStreams(child: PipedChild, options: SpawnGroupOptions, onActivity: () => void): void {
  child.stdout.on('data', (chunk: Buffer) => {
    onActivity();
    options.onStdout?.(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    onActivity();
    options.onStderr?.(chunk);
  });
  if (!child.stdin) return;
  child.stdin.on('error', () => {
    /* a child that exits without reading stdin closes the pipe: not an error of ours */
  });
  child.stdin.end(options.stdin ?? '');
}

/** The result once the child's pipes closed and nothing of its group is left. */
function waitForClose(child: PipedChild, pid: number | null, limits: GroupLimits, started: number, sandboxInit: { read: () => number | null; release: (gone: boolean) => void } | null): Promise<SpawnGroupResult> {
  return new Promise<SpawnGroupResult>((resolve) => {
    let spawnError: string | null = null;
    child.on('error', (error) => {
      spawnError = error.message;
    });
    // A grandchild that keeps our pipes open would hold 'close' back forever: once the
    // child itself has exited, nothing of its group may stay. A process that left the group
    // (setsid) is out of the sweep's reach without a sandbox: after the grace its pipes are
    // closed from this side, so 'close' comes and no limit or signal is needed to get on.
    let heldOpen = false;
    let release: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      if (pid !== null) signalGroup(pid, 'SIGKILL');
      release = setTimeout(() => {
        heldOpen = true;
        for (const stream of child.stdio) (stream as Readable | Writable | null)?.destroy();
      }, limits.grace);
      release.unref();
    });
    child.on('close', (exitCode, signal) => {
      limits.clear();
      if (release) clearTimeout(release);
      // Whatever the child left running in its group goes with it, before we report.
      const init = sandboxInit?.read() ?? null;
      const swept = pid === null ? Promise.resolve(true) : (signalGroup(pid, 'SIGKILL'), init === null ? waitGroupGone(pid, 5000) : waitSandboxGone(pid, init, 5000));
      void swept.then((gone) => {
        // Kept for the next start only once the sandbox it named is gone (its pid namespace with it).
        sandboxInit?.release(gone && init !== null);
        resolve({
          exitCode,
          signal,
          timedOut: limits.timedOut,
          idleTimedOut: limits.idleTimedOut,
          error: spawnError,
          durationMs: Math.round(monotonicMs() - started),
          pid,
          ...(heldOpen ? { outputHeldOpen: true } : {}),
          ...(sandboxInit === null ? {} : { sandboxInitPid: init }),
        });
      });
    });
  });
}

/** Send a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends `pgids` without the event loop, for a process about to exit: SIGTERM to each group,
 * then SIGKILL to those still alive after `graceMs` (looked at every 25 ms; nothing else of
 * the process runs meanwhile, so no step goes on past the stop). Returns how many had to be
 * killed. Impure (blocks the thread).
 */
export function endGroupsBlocking(pgids: readonly number[], graceMs: number): number {
  for (const pgid of pgids) signalGroup(pgid, 'SIGTERM');
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const until = performance.now() + graceMs;
  let left = pgids.filter(groupAlive);
  while (left.length > 0 && performance.now() < until) {
    Atomics.wait(nap, 0, 0, 25);
    left = left.filter(groupAlive);
  }
  for (const pgid of left) signalGroup(pgid, 'SIGKILL');
  // Killed: gone at once, unless stuck in the kernel (a dead mount); not waited on past a moment.
  const killed = performance.now() + 200;
  while (left.some(groupAlive) && performance.now() < killed) Atomics.wait(nap, 0, 0, 10);
  return left.length;
}

/** How long the groups get to end on SIGTERM before SIGKILL when the engine stops at once (a second signal, or an error that ends the command). */
const STOP_AT_ONCE_GRACE_MS = 1500;

/**
 * Ends every process group this process started that is still live (live-groups.ts), for a
 * process about to exit: endGroupsBlocking with the stop-at-once grace. Impure (blocks).
 */
export function endLiveGroupsBlocking(): number {
  return endGroupsBlocking(liveGroups(), STOP_AT_ONCE_GRACE_MS);
}

/**
 * True while any process of the group is alive. On Linux a zombie (dead, not yet reaped by
 * its new parent) does not count: it runs nothing and holds nothing.
 */
export function groupAlive(pgid: number): boolean {
  if (!groupExists(pgid)) return false;
  if (process.platform !== 'linux') return true;
  return listGroupMembers(pgid).length > 0;
}

/** True while any process, a zombie included, is in the group: one signal-0 probe. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Live (non-zombie) pids whose process group is `pgid`, read from /proc. Linux only. */
export function listGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat && stat.state !== 'Z' && stat.pgrp === pgid) members.push(Number(name));
  }
  return members;
}

/**
 * True while a process runs. A zombie (dead, not yet reaped by its new parent) does not count:
 * it runs nothing and holds nothing. Linux reads /proc; elsewhere a signal-0 probe decides.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  const stat = readProcStat(pid);
  return stat !== null && stat.state !== 'Z';
}

/** State and process group of a pid from /proc/<pid>/stat, or null when it is gone. */
function readProcStat(pid: number): { state: string; pgrp: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the parenthesised command name: state ppid pgrp ...
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, pgrp: Number(rest[2]) };
}

/** Wait until no live member of the group is left, up to `limitMs`. */
export async function waitGroupGone(pgid: number, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  // A sandbox's init is usually still exiting when bubblewrap is gone, and gone 1-5 ms later:
  // look again soon first, then every 20 ms.
  for (let wait = 5; groupAlive(pgid); wait = 20) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, wait));
  }
  return true;
}

/**
 * Wait until a sandboxed group is gone, up to `limitMs`: bubblewrap (the group's leader) has
 * exited, and its pid namespace empties as its init dies (the kernel ends every other process
 * in it first). So what is left to wait for is that init: gone, a zombie, or its pid now
 * another group's. Only a process of the namespace can be in the group, so no scan of /proc is
 * needed (waitGroupGone's, a millisecond or more on each call). Linux only, like bubblewrap.
 */
export async function waitSandboxGone(pgid: number, initPid: number, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
    const init = readProcStat(initPid);
    if (!groupExists(pgid) || !init || init.state === 'Z' || init.pgrp !== pgid) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * End a group left behind (e.g. by an engine that died): TERM, wait up to `graceMs` for it
 * to go, then KILL. Resolves once no member is left or KILL was sent.
 */
export async function endGroup(pgid: number, graceMs = DEFAULT_GRACE_MS): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, 2000);
}
