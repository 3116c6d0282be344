import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { absolutePath, findOwnProgram } from './find-program.js';
import { withoutInherited } from './inherited-fds.js';
import { printable } from '../util/printable.js';
import { shellQuote } from '../util/shell-quote.js';
import { trackGroup } from './live-groups.js';

/**
 * Short commands started by a long-lived `/bin/sh` instead of by this process. Node starts a
 * child by forking the whole engine (its heap, its threads' stacks, its page tables), and the
 * copy is torn down again by the child's exec: on the machines measured that cost more CPU
 * than the git command the child then runs (docs/git.md, "How a git process is started"). A shell is a small process, so
 * its fork is cheap; the engine writes it one line per command and reads the command's output
 * back from the shell's own stdout and stderr, each ended by a line only this engine process
 * knows (a random marker the commands never see).
 *
 * What goes this way: a command with argv, and stdin text the shell can hand on as a
 * here-document (lines, none of them the command's end word, no NUL byte: object ids for
 * `cat-file --batch`, a commit message), whose whole output is kept (git's reads and writes of
 * the engine's own repositories). A command with other stdin bytes (a pack, paths ended by
 * NUL), an environment the shell cannot express, or a NUL byte anywhere is run by node's own
 * spawn (`runDirect`), as is everything when /bin/sh cannot be started or
 * ENGINE_NO_SPAWN_SHELL=1 is set. Commands run one at a time per shell, in the order asked; a
 * second shell takes commands while the first is busy. Impure (processes).
 */

export interface ShellRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Why the program could not be started (e.g. not installed), as the system or the shell said it; null when it ran. */
  startError: string | null;
}

/** Why `bin` could not be run, for a message (`<bin> could not be run: <reason>`), or null when it ran. Pure. */
export function describeStartError(bin: string, run: Pick<ShellRun, 'startError'>): string | null {
  return run.startError === null ? null : `${bin} could not be run: ${run.startError}`;
}

/** The result of a program that could not be started, and why. Pure. */
function notStarted(why: string, stdout: Buffer = Buffer.alloc(0)): ShellRun {
  return { exitCode: null, signal: null, stdout, stderr: Buffer.alloc(0), startError: why };
}

/** How many commands went through the shell, and how many shells were started (benchmarks and tests read it). */
export const shellStats = { commands: 0, shells: 0 };

/**
 * Runs `bin argv…` in `cwd` with exactly `env` (an unset value is no variable, as for node's
 * spawn) and stdin empty (or `input`), resolving with its
 * exit and whole output. Through the shared shell when it can, else node's own spawn.
 * `timeoutMs` (0: none) bounds the command from the moment it begins. Impure.
 */
export function runCaptured(bin: string, argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, input: string | Buffer = '', o: { timeoutMs?: number } = {}): Promise<ShellRun> {
  const timeoutMs = o.timeoutMs ?? 0;
  // The engine's own commands run in workspaces a worker writes: a program found where a
  // relative or empty PATH entry looks would be the worker's, run outside its sandbox. So a
  // bare name is looked up on PATH's absolute entries, and the command gets only those.
  const program = findOwnProgram(bin, env);
  if (program === null) return Promise.resolve(notStarted(`not found in PATH (its absolute directories: ${absolutePath(env.PATH ?? '') || 'none'})`));
  const own = env.PATH === undefined ? env : { ...env, PATH: absolutePath(env.PATH) };
  const text = input.length === 0 ? '' : hereDocumentText(input);
  if (text === null || process.env.ENGINE_NO_SPAWN_SHELL === '1') return runDirect(program, argv, cwd, own, input, timeoutMs);
  return currentShell(own)?.run(program, argv, cwd, own, timeoutMs, text) ?? runDirect(program, argv, cwd, own, input, timeoutMs);
}

/**
 * One short-lived process started by node, argv only, its stdin written and closed, its whole
 * output kept. Impure.
 */
export function runDirect(bin: string, argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, input: string | Buffer, timeoutMs = 0): Promise<ShellRun> {
  return new Promise((resolve) => {
    // Out of the terminal's process group, as the shell's commands are (Shell).
    const child = spawn(bin, argv, { cwd, env, stdio: withoutInherited(['pipe', 'pipe', 'pipe']), windowsHide: true, timeout: timeoutMs, killSignal: 'SIGKILL', detached: true }) as ChildProcessByStdio<Writable, Readable, Readable>;
    trackGroup(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let startError: string | null = null;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      startError = e.message;
    });
    // A command that exits without reading its stdin closes the pipe: not an error of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    child.on('close', (exitCode, signal) => resolve(startError === null ? { exitCode, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), startError: null } : notStarted(startError)));
  });
}


/** Stdin text past this goes through node's spawn: the shell would hold it all, and fork to write it. */
const MAX_HERE_DOCUMENT = 256 * 1024;

/**
 * `input` as the text of a here-document, or null when the shell cannot hand it on exactly:
 * not valid UTF-8, a NUL byte, or no newline at its end (a here-document's lines each end with
 * one). Its end word is random per command, and a line equal to it is refused where the
 * command is made (renderShellCommand). Pure.
 */
export function hereDocumentText(input: string | Buffer): string | null {
  if (input.length > MAX_HERE_DOCUMENT) return null;
  if (typeof input !== 'string' && !isUtf8(input)) return null;
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (!text.endsWith('\n') || text.includes('\0')) return null;
  return text;
}

/** A name the shell can export or unset. Pure. */
const isShellName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);

/**
 * What a subshell does before it execs a program: go to `cwd` (exit 126 when it cannot) and
 * make the environment exactly `env`, from the shell's own `base`. Null when the shell cannot
 * say it (a NUL byte, a variable name it cannot set). Pure.
 */
export function renderSetup(cwd: string, env: NodeJS.ProcessEnv, base: NodeJS.ProcessEnv): string[] | null {
  if (cwd.includes('\0')) return null;
  const setup = [`cd -- ${shellQuote(cwd)} || exit 126`];
  for (const [name, value] of Object.entries(base)) if (value !== undefined && env[name] === undefined) {
    if (!isShellName(name)) return null;
    setup.push(`unset ${name}`);
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || base[name] === value) continue;
    if (!isShellName(name) || value.includes('\0')) return null;
    setup.push(`export ${name}=${shellQuote(value)}`);
  }
  return setup;
}

/** `bin argv…` as shell words; null when one holds a NUL byte. Pure. */
function renderArgv(bin: string, argv: readonly string[]): string | null {
  const words = [bin, ...argv];
  return words.some((w) => w.includes('\0')) ? null : words.map(shellQuote).join(' ');
}

/**
 * The shell's command for one run: in a subshell, the setup (renderSetup), then exec the
 * program with stdin from the null device, or from `input` (hereDocumentText) as a
 * here-document whose quoted end word (`${marker}-in-${id}`) the shell expands nothing in;
 * then print the end lines. Null when the shell cannot say it (a line of the input equal to
 * the end word included). Pure.
 */
export function renderShellCommand(marker: string, id: number, bin: string, argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, base: NodeJS.ProcessEnv, input = ''): string | null {
  const setup = renderSetup(cwd, env, base);
  const words = renderArgv(bin, argv);
  if (setup === null || words === null) return null;
  const end = `${marker}-in-${id}`;
  if (input !== '' && (hereDocumentText(input) === null || input.split('\n').includes(end))) return null;
  const stdin = input === '' ? '</dev/null' : `<<'${end}'\n${input}${end}\n`;
  const body = [...setup, `exec ${words} ${stdin}`].join('; ');
  // `$?` of the subshell: the program's exit code, or 128 + the signal that ended it.
  return `(${body}); s=$?; printf '\\n%s %s %s\\n' '${marker}' ${id} "$s"; printf '\\n%s %s\\n' '${marker}' ${id} >&2\n`;
}

interface Pending {
  id: number;
  bin: string;
  /** The same command again, for a shell that died before it began (a new shell, or node's spawn). */
  again: () => Promise<ShellRun>;
  resolve: (run: ShellRun) => void;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
}

type ShellChild = ChildProcessByStdio<Writable, Readable, Readable>;

/** One `/bin/sh -s` and the commands it is running, in order. */
class Shell {
  private readonly marker = `engine-end-${randomBytes(16).toString('hex')}`;
  private readonly child: ShellChild;
  private readonly queue: Pending[] = [];
  private readonly out = new Collected();
  private readonly err = new Collected();
  private nextId = 1;
  /** The command whose time limit ended the shell. */
  private timedOut: number | null = null;
  dead = false;

  /** Commands given and not yet done. */
  get waiting(): number {
    return this.queue.length;
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  /** The shell's own environment, as it was given at its start (a copy: the caller's object may change later). */
  readonly base: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv) {
    this.base = { ...env };
    // A process group of its own (detached): a terminal's Ctrl-C signals its whole foreground
    // group, and a git it killed mid-command would read as git failing (an engine bug, or "not a
    // git repository"). The engine hears the signal and decides what it ends. The shell still
    // goes with the engine: its input closes when the engine dies.
    this.child = spawn('/bin/sh', ['-s'], { cwd: '/', env: this.base, stdio: withoutInherited(['pipe', 'pipe', 'pipe']), windowsHide: true, detached: true }) as ShellChild;
    trackGroup(this.child);
    shellStats.shells++;
    // A shell that died closes its input (EPIPE here) and its output: the commands still
    // waiting are settled once everything it wrote has been read.
    this.child.stdin.on('error', () => {});
    // No shell at all (it has no pid): what was given to it runs as if it had never been
    // (node's spawn). Any other error of the process object changes nothing by itself.
    this.child.on('error', () => {
      if (this.child.pid === undefined) this.fail(null);
    });
    // Its output ends when the shell and every program it started are gone ('close'); a program
    // the shell left running (a time limit ended the shell) can hold it open long after. So
    // an ended shell is also given up shortly after it exits, whatever is still open.
    // What the shell said last goes with it: dash ends with 2 when it cannot fork ("Cannot fork").
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      const said = printable(this.err.lastLine(200));
      this.fail(`the shell it was given to ended (${signal ?? `exit ${code}`}${said ? `: ${said}` : ''})`);
    };
    this.child.on('close', ended);
    this.child.on('exit', (code, signal) => setTimeout(() => ended(code, signal), 100).unref());
    this.child.stdout.on('data', (b: Buffer) => {
      this.out.push(b);
      this.settle();
    });
    this.child.stderr.on('data', (b: Buffer) => {
      this.err.push(b);
      this.settle();
    });
    this.idle();
  }

  /** The command's run through this shell, `input` on its stdin; null when the shell cannot say it. */
  run(bin: string, argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number, input = ''): Promise<ShellRun> | null {
    const line = renderShellCommand(this.marker, this.nextId, bin, argv, cwd, env, this.base, input);
    if (line === null) return null;
    const id = this.nextId++;
    shellStats.commands++;
    return new Promise((resolve) => {
      this.queue.push({ id, bin, resolve, timeoutMs, again: () => runCaptured(bin, argv, cwd, env, input, { timeoutMs }) });
      if (this.queue.length === 1) this.begin();
      this.child.stdin.write(line);
    });
  }

  /**
   * The head of the queue has begun: the shell keeps the engine alive until it is done, and
   * its time limit runs. A command that outlives it ends the shell (its program, a child of
   * the shell, is left to itself; bubblewrap under --die-with-parent goes with the shell).
   */
  private begin(): void {
    this.child.ref();
    for (const s of [this.child.stdout, this.child.stderr] as Array<Readable & { ref?: () => void }>) s.ref?.();
    const head = this.queue[0]!;
    if (head.timeoutMs > 0) {
      head.timer = setTimeout(() => {
        this.timedOut = head.id;
        this.child.kill('SIGKILL');
      }, head.timeoutMs);
    }
  }

  private idle(): void {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr] as Array<{ unref?: () => void }>) s.unref?.();
  }

  /** Finishes the oldest command once both of its end lines have arrived. */
  private settle(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head || this.dead) return;
      const outEnd = this.out.findLine(`\n${this.marker} ${head.id} `);
      const errEnd = this.err.findLine(`\n${this.marker} ${head.id}`);
      if (!outEnd || !errEnd) return;
      clearTimeout(head.timer);
      const status = Number(outEnd.rest);
      const stdout = this.out.take(outEnd.at, outEnd.end);
      const stderr = this.err.take(errEnd.at, errEnd.end);
      this.queue.shift();
      if (this.queue.length === 0) this.idle();
      else this.begin();
      head.resolve(toRun(status, stdout, stderr));
    }
  }

  /**
   * The shell is gone. The command it was running fails (it may have done its work: it is
   * not run again); the ones behind it never began and are run again, by a new shell. A
   * shell that never started (`reason` null) ran nothing: everything goes to node's spawn,
   * from now on.
   */
  private fail(reason: string | null): void {
    if (this.dead) return;
    this.dead = true;
    const at = shells.indexOf(this);
    if (at >= 0) shells.splice(at, 1);
    if (reason === null) noShell = true;
    const [head, ...rest] = this.queue.splice(0);
    if (head) {
      clearTimeout(head.timer);
      if (reason === null) void head.again().then(head.resolve);
      else head.resolve(notStarted(this.timedOut === head.id ? `it did not finish within ${head.timeoutMs} ms` : reason));
    }
    for (const p of rest) void p.again().then(p.resolve);
    this.idle();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) stream.destroy();
  }
}

/**
 * Bytes read from one of the shell's streams, searched for end lines without reading any byte
 * twice (outputs of many megabytes arrive in 64 KiB pieces).
 */
export class Collected {
  private buf = Buffer.alloc(0);
  private len = 0;
  private scanned = 0;
  private found: { mark: string; at: number } | null = null;

  push(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.len + chunk.length, this.buf.length * 2, 4096));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }

  /**
   * Where `mark` begins, where its line ends (after the newline) and the text between the mark
   * and that newline; null until the whole line is there.
   */
  findLine(mark: string): { at: number; end: number; rest: string } | null {
    if (this.found?.mark !== mark) {
      const needle = Buffer.from(mark);
      const from = Math.max(0, this.scanned - needle.length + 1);
      const at = this.buf.subarray(0, this.len).indexOf(needle, from);
      this.scanned = this.len;
      if (at < 0) return null;
      this.found = { mark, at };
    }
    const at = this.found.at;
    const nl = this.buf.subarray(0, this.len).indexOf(10, at + mark.length);
    if (nl < 0) return null;
    return { at, end: nl + 1, rest: this.buf.subarray(at + mark.length, nl).toString('latin1') };
  }

  /** The last line with text of what has not been taken (at most `max` characters of it). */
  lastLine(max: number): string {
    const lines = this.buf.subarray(0, this.len).toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    return (lines.at(-1) ?? '').slice(-max);
  }

  /** The bytes before `at` (a copy), dropping everything up to `end`. */
  take(at: number, end: number): Buffer {
    const bytes = Buffer.from(this.buf.subarray(0, at));
    this.buf.copy(this.buf, 0, end, this.len);
    this.len -= end;
    this.scanned = 0;
    this.found = null;
    return bytes;
  }
}

/** The shell's `$?` as node reports a child: 128 + n is signal n; 127 with "not found" is a program that is not there. Pure. */
function toRun(status: number, stdout: Buffer, stderr: Buffer): ShellRun {
  if (status === 127 && stdout.length === 0 && /not found|No such file/i.test(stderr.toString('utf8'))) {
    return notStarted(stderr.toString('utf8').trim(), stdout);
  }
  if (status > 128 && status < 128 + 65) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === status - 128)?.[0] as NodeJS.Signals | undefined;
    if (name) return { exitCode: null, signal: name, stdout, stderr, startError: null };
  }
  return { exitCode: Number.isInteger(status) ? status : null, signal: null, stdout, stderr, startError: null };
}

/** The shells of this process: a second one starts only while the first is busy. */
const shells: Shell[] = [];
/** How many shells run commands side by side (two: a probe or a slow git does not hold up the next command). */
const MAX_SHELLS = 2;
/** /bin/sh could not be started in this process: node's spawn from then on. */
let noShell = false;

/** The pid of the shell the next command goes to when all are idle, or null (tests end it to see what a dead shell does). */
export function currentShellPid(): number | null {
  return shells[0]?.pid ?? null;
}

/** A shell for the next command: an idle one, else a new one (started with `env`), else the least busy. Impure. */
function currentShell(env: NodeJS.ProcessEnv): Shell | null {
  if (process.platform === 'win32' || noShell) return null;
  const idle = shells.find((sh) => sh.waiting === 0);
  if (idle) return idle;
  if (shells.length < MAX_SHELLS) {
    try {
      const sh = new Shell(env);
      shells.push(sh);
      return sh;
    } catch {
      return null;
    }
  }
  return shells.reduce((a, b) => (b.waiting < a.waiting ? b : a));
}
