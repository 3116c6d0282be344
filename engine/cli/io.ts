/**
 * The world a command sees. `main(argv, io) → exit code` stays testable without spawning:
 * tests pass an in-memory io, the launcher passes the process.
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stderr is an interactive terminal (live progress allowed). */
  isTTY: boolean;
  /** Colour allowed: a TTY and NO_COLOR unset. */
  color: boolean;
}

/** The process's own io. Impure: reads process state. */
export function processIo(): CliIo {
  const isTTY = Boolean(process.stderr.isTTY);
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
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
