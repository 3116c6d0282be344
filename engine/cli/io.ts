/**
 * The world a command sees. `main(argv, io) → exit code` stays testable without spawning:
 * tests pass an in-memory io, the launcher passes the process.
 */
import { writeOwnStdout } from '../util/own-stdout.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stderr is an interactive terminal (live progress allowed). */
  isTTY: boolean;
  /** The terminal's width on stderr, when it is one (read at each use: it can be resized). */
  columns?: () => number | undefined;
  /** stdout is an interactive terminal (a summary is rendered for it, not printed as Markdown). */
  stdoutIsTTY?: boolean;
  /** Colour allowed: a TTY and NO_COLOR unset. */
  color: boolean;
}

/**
 * The process's own io. A reader that goes away (`engine demo --json | head`) is not an
 * error: output to that stream stops quietly (EPIPE) and the command finishes with its own
 * exit code. Impure: reads process state, listens for stream errors.
 */
export function processIo(): CliIo {
  const isTTY = Boolean(process.stderr.isTTY);
  return {
    // Through writeOwnStdout: a plugin's console.log goes to stderr (util/own-stdout.ts).
    stdout: quietWriter(process.stdout, writeOwnStdout),
    stderr: quietWriter(process.stderr),
    cwd: process.cwd(),
    env: process.env,
    isTTY,
    columns: () => process.stderr.columns,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    color: isTTY && !process.env.NO_COLOR,
  };
}

/** Writes to a stream until its reader has gone (EPIPE), then drops the text. Impure. */
function quietWriter(stream: NodeJS.WriteStream, write: (text: string) => void = (text) => void stream.write(text)): (text: string) => void {
  let gone = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // EIO: the terminal was closed (a SIGHUP's run goes on to record its stop).
    if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error;
    gone = true;
  });
  return (text) => {
    if (!gone && !stream.destroyed) write(text);
  };
}

/** An io that records everything, for tests. */
export function memoryIo(overrides: Partial<CliIo> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    cwd: process.cwd(),
    env: { ...process.env },
    isTTY: false,
    color: false,
    out,
    err,
    ...overrides,
  };
}
