/**
 * The engine's stdout is its output (`--json`: one document, or exactly the run's events). Code
 * of others run in its process, a worker plugin's, wrote there too: `console.log("plugin
 * loaded")` at a plugin's top level made `validate --json`, `doctor --json` and `run --json`
 * print a first line no JSON reader takes. Once such code is to run, everything written to
 * process.stdout but the engine's own output goes to stderr. Impure (process state).
 */

type Write = typeof process.stdout.write;
let own: Write | null = null;
/** Set by the engine's own process (cli/main.ts runCli): a process that only imports the engine (a test runner, a host of its own) keeps its stdout as it is. */
let armed = false;

/** Lets keepStdoutOwn take process.stdout: the engine's CLI process only. */
export function armStdoutGuard(): void {
  armed = true;
}

/** From now on process.stdout.write writes to stderr; the engine writes through writeOwnStdout. Idempotent; nothing unless armed. */
export function keepStdoutOwn(): void {
  if (!armed || own) return;
  const stdout = process.stdout;
  own = stdout.write.bind(stdout) as Write;
  stdout.write = ((...args: Parameters<Write>) => (process.stderr.write as (...a: Parameters<Write>) => boolean)(...args)) as Write;
}

/** The engine's own text to stdout, whether or not keepStdoutOwn was called. */
export function writeOwnStdout(text: string): boolean {
  return own ? own(text) : process.stdout.write(text);
}
