import { parseArgs } from 'node:util';
import { writeSync } from 'node:fs';
import { writeFreshFile } from '../util/open-own-file.js';
import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../vocabulary/exit-codes.js';
import { formatDiagnostic, InputError, type Diagnostic } from '../vocabulary/diagnostics.js';
import { processIo, type CliIo } from './io.js';
import { UsageError, type Command } from './command.js';
import { commands } from './commands/index.js';
import { wasHungUp } from './hang-up.js';
import { engineVersion, schemaVersion } from '../version.js';
import { packageRoot } from '../paths.js';
import { closest } from '../util/closest.js';
import { machineFailureOf } from '../util/machine-failure.js';
import { permissionRefusalOf } from '../util/permission-refusal.js';
import { collectSecrets, DEFAULT_REDACT, redactText } from '../workers/redact.js';
import { closeInheritedDescriptors } from '../proc/inherited-fds.js';
import { endLiveGroupsBlocking } from '../proc/spawn-group.js';
import { sayStanding, unwrapRunFailure, type RunStanding } from './run-standing.js';
import { printable, terminalSafeJson } from '../util/printable.js';
import { loadedPlugins, othersAtWork, pendingAwaits, pluginInStack } from '../util/pending-awaits.js';
import { messageOf, stackOf } from '../util/message-of.js';
import { armStdoutGuard } from '../util/own-stdout.js';
import { engineCommand, useEngineCommand } from '../vocabulary/engine-command.js';
import { invocationWords } from './invocation.js';

// The launcher puts a run's V8 flags back before it writes a code cache (bin/engine.js).
export { restoreStartFlags } from '../runtime/heap.js';

/**
 * The CLI kernel: argv → command → exit code. Expected failures are exit codes chosen by the
 * commands; anything thrown that is not a UsageError is a bug (exit 70, "please report").
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  // `engine help run` is `engine run --help`.
  if (argv[0] === 'help' && argv.length === 2 && commands.some((c) => c.name === argv[1])) argv = [argv[1]!, '--help'];
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(renderOverview());
    return name === undefined ? EXIT.invalid : EXIT.ok;
  }
  if (name === '--version' || name === '-V' || name === '-v' || name === 'version') {
    io.stdout(`${engineVersion}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    // Arguments are shown as text safe for a terminal: an escape in one would drive it.
    io.stderr(printable(`engine: error E_USAGE unknown command "${name}"${suggest(name)}\n`));
    io.stderr(`run "${engineCommand('--help')}" for the list of commands\n`);
    return EXIT.invalid;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(renderHelp(command));
    return EXIT.ok;
  }
  try {
    const parsed = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: command.allowPositionals,
      strict: true,
      tokens: true,
    });
    const twice = givenTwice(parsed.tokens, command.options);
    if (twice !== null) throw new UsageError(twice);
    const empty = emptyOption(parsed.values);
    if (empty !== null) throw new UsageError(emptyOptionMessage(empty, command));
    return await command.run(parsed as Parameters<Command['run']>[0], io);
  } catch (thrown) {
    const { error, standing } = unwrapRunFailure(thrown);
    if (error instanceof UsageError || isParseArgsError(error)) {
      const message = isParseArgsError(error) ? parseArgsMessage(error as Error & { code: string }, command, rest) : (error as Error).message;
      io.stderr(printable(`engine ${command.name}: error E_USAGE ${message}\n`));
      io.stderr(`usage: ${engineCommand(command.usage)}\n`);
      // With --json stdout is JSON only, and always one document (or, for a run, one run.rejected): a script reads why there too.
      if (rest.includes('--json')) io.stdout(`${usageJson(command.name, command.usage, message)}\n`);
      return EXIT.invalid;
    }
    if (error instanceof InputError) return reportInputError(error.diagnostic, command.name, rest.includes('--json'), io);
    // What the command started goes first: a worker the failure left running would go on
    // unattended, past its time limits, and its pipes would keep this process alive.
    endLiveGroupsBlocking();
    const machine = machineFailureOf(error);
    if (machine) return reportMachineFailure(error, machine, command.name, standing, io);
    const refused = permissionRefusalOf(error);
    if (refused) return reportRefusedPermission(refused, command.name, standing, io);
    return reportBug(error, io, argv, process.env, standing);
  }
}

/**
 * Bad input a command threw (InputError: a run store that is a file): said as a diagnostic,
 * exit 2, with --json also as the one document a usage error gives. Impure (writes).
 */
function reportInputError(d: Diagnostic, name: string, json: boolean, io: CliIo): number {
  io.stderr(printable(`${formatDiagnostic(d)}\n`));
  if (json) io.stdout(`${diagnosticsJson(name, [d])}\n`);
  return EXIT.invalid;
}

/** What a command given --json prints for a usage error: `run.rejected` for a run-driving command, else one document with the diagnostic. Pure. */
export function usageJson(name: string, usage: string, message: string): string {
  return diagnosticsJson(name, [{ code: 'E_USAGE', severity: 'error', message, file: `engine ${name}`, line: 0, col: 0, hint: `usage: ${engineCommand(usage)}` }]);
}

/** One JSON document of a refused command's diagnostics: `run.rejected` for a run-driving command. Pure. */
function diagnosticsJson(name: string, diagnostics: Diagnostic[]): string {
  const doc = RUN_DRIVING.has(name) ? { type: 'run.rejected', schema_version: schemaVersion, engine_version: engineVersion, exit_code: EXIT.invalid, diagnostics } : { exit_code: EXIT.invalid, diagnostics };
  return terminalSafeJson(JSON.stringify(doc));
}

/** The commands whose --json output is a run's events. */
const RUN_DRIVING = new Set(['run', 'resume', 'demo']);

/**
 * The first option given an empty string, or null. No option of any command means anything by
 * one: `--repo ''` ran in the current directory's repository, `--store ''` put the run at the
 * repository's top where `git status` shows it, `--workspaces ''` was ignored. Pure.
 */
export function emptyOption(values: Record<string, unknown>): string | null {
  for (const [name, value] of Object.entries(values)) {
    if (value === '' || (Array.isArray(value) && value.includes(''))) return name;
  }
  return null;
}

/**
 * What an option given an empty value is told: to leave it out only where that gives a
 * default (its help says one); `--goal ''` left out is no goal, `--set ''` no setting. Pure.
 */
function emptyOptionMessage(name: string, command: Command): string {
  const hasDefault = /\(default\b/.test(command.optionHelp?.[name] ?? '');
  return `--${name} was given an empty value (an unset variable in "$VAR"?): it takes one${hasDefault ? '; leave the option out for its default' : ''}`;
}

/**
 * Exit 71 for a failure of the machine (machineFailureOf): what failed and why, and that the
 * work is not lost. Not a bug report: the user acts on the machine, not on the engine.
 * `standing`: where a run-driving command's run stands (null for other commands).
 */
export function reportMachineFailure(error: unknown, why: string, commandName: string, standing: RunStanding | null, io: CliIo, env: NodeJS.ProcessEnv = process.env): number {
  const message = printable(redactEnv(messageOf(error), env));
  io.stderr(`engine ${commandName}: error E_MACHINE ${why}: ${message}\n(a failure of the machine, not of the engine or its input: mend it first)\n${standingLine(standing)}`);
  return EXIT.machine;
}

/**
 * Exit 77 for a file or folder the system refused the engine (permissionRefusalOf): where, and
 * what to do. Not a bug report: the user gives the place back, then runs or resumes.
 */
export function reportRefusedPermission(refused: string, commandName: string, standing: RunStanding | null, io: CliIo, env: NodeJS.ProcessEnv = process.env): number {
  io.stderr(
    `engine ${commandName}: error E_PERMISSION the system refused the engine a file or folder it needs: ${printable(redactEnv(refused, env))}\n` +
      `(its owner, mode or attributes keep the engine out: a \`sudo\` git command, a \`chmod\` or a \`chattr +i\`? Give it back to the user the engine runs as first)\n` + standingLine(standing),
  );
  return EXIT.permission;
}

/** The last line of a run-driving command's failure: where its run stands (nothing for other commands). Pure. */
function standingLine(standing: RunStanding | null): string {
  return standing ? `${printable(sayStanding(standing))}\n` : '';
}

/**
 * How long a failed command's process may take to end once its error is said: what it had open
 * (a model server, a socket, a plugin's interval) is not waited for past it. ENGINE_EXIT_GRACE_S
 * seconds, 2 by default.
 */
export function exitGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.ENGINE_EXIT_GRACE_S);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 2000;
}

/** Entry point of bin/engine.js: the engine's own process. */
export async function runCli(argv: string[]): Promise<number> {
  closeInheritedDescriptors();
  // stdout is this process's output: a plugin's console.log goes to stderr (util/own-stdout.ts).
  armStdoutGuard();
  useEngineCommand(() => invocationWords({ launcher: process.argv[1] ?? '', env: process.env, cwd: process.cwd() }));
  const end: CommandEnd = { settled: false, decided: null, exitStack: '', viaExit: false };
  const guards = guardProcessEnd(argv, end);
  const code = await main(argv, processIo());
  end.settled = true;
  end.decided = code;
  keepExitCode(code);
  endByHangUp();
  guards.release();
  // A command that failed with an error (a bug, the machine, a refused file) may have left
  // servers or streams open that nothing will close, and so may a plugin's code (an interval,
  // a server: validate, doctor and run never ended): the process ends soon regardless, once
  // what it wrote has reached its readers (a reader 30 s behind got 64 KiB of a run's --json).
  if (code === EXIT.internal || code === EXIT.machine || code === EXIT.permission || loadedPlugins().length) setTimeout(() => exitWhenWritten(code, guards.realExit), exitGraceMs()).unref();
  return code;
}

/** What the process's guards share while a command runs: whether its end is decided, by what code, and who called exit. */
interface CommandEnd {
  settled: boolean;
  decided: number | null;
  exitStack: string;
  viaExit: boolean;
}

/**
 * The guards of the process's end while a command runs, for whatever of others' code runs in
 * it (a worker plugin's). A promise nothing will settle leaves the event loop empty, and Node
 * would end the process with exit 0 as if the command had succeeded (util/pending-awaits.ts).
 * The process ending by no decision of the engine's: a plugin's `process.exit(0)` made `engine
 * run` exit 0, silent, its run left `running`; from a plugin's timer it was said to be the
 * engine's bug (exit 70), so the stack of the exit call is kept. An error no code caught (a
 * plugin's un-awaited promise) was the engine's bug too. Impure (process state).
 */
function guardProcessEnd(argv: readonly string[], end: CommandEnd): { realExit: (code: number) => never; release: () => void } {
  const stalled = (): void => {
    if (end.settled) return;
    end.settled = true;
    process.exitCode = reportStall(pendingAwaits(), processIo(), argv);
  };
  process.once('beforeExit', stalled);
  const realExit = process.exit.bind(process) as (code: number) => never;
  // Node's own, undeclared in its types: process.exit's last step, which a plugin can call past it.
  const proc = process as NodeJS.Process & { reallyExit: (code?: number) => void };
  const realReallyExit = proc.reallyExit.bind(process);
  process.exit = ((requested?: number | string | null) => {
    end.exitStack = new Error().stack ?? '';
    end.viaExit = true;
    // Once the command has its exit code, nothing else decides it (a plugin's late exit(0) made a failed validate exit 0).
    return realExit((end.decided ?? requested ?? undefined) as number);
  }) as typeof process.exit;
  proc.reallyExit = (requested?: number) => {
    // Called past process.exit, no `exit` listener runs: what cutShort would say is said here.
    if (!end.viaExit && !end.settled && requested !== EXIT.interrupted) {
      end.settled = true;
      const code = reportCutShort(requested ?? 0, othersAtWork(), argv, pluginInStack(new Error().stack ?? ''));
      endLiveGroupsBlocking();
      return realReallyExit(code);
    }
    realReallyExit(end.decided ?? requested);
  };
  const cutShort = (exitCode: number): void => {
    if (end.settled || exitCode === EXIT.interrupted) return;
    process.exitCode = reportCutShort(exitCode, othersAtWork(), argv, pluginInStack(end.exitStack));
    // What the command had started goes with it, as for every error that ends a command.
    endLiveGroupsBlocking();
  };
  process.on('exit', cutShort);
  const uncaught = (error: unknown): void => {
    const late = end.settled;
    end.settled = true;
    // After the command, a plugin's error changes nothing; the engine's own (its output could
    // not be written: a full disk) is still said, and decides the exit code.
    if (late && isPluginError(error, loadedPlugins())) return reportLatePluginError(error);
    const code = reportUncaught(error, loadedPlugins(), processIo(), argv);
    end.decided = code;
    endLiveGroupsBlocking();
    realExit(code);
  };
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', uncaught);
  return {
    realExit,
    release: () => {
      process.off('beforeExit', stalled);
      process.off('exit', cutShort);
    },
  };
}

/**
 * A run its closed terminal stopped (its stop recorded) ends by the hang-up itself. Node 20
 * ending normally on a hung-up terminal fails restoring its modes (an assertion, then SIGABRT
 * or SIGSEGV, a core dump where they are kept: nodejs/node#51519). Impure.
 */
function endByHangUp(): void {
  if (!wasHungUp() || !(process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY)) return;
  process.removeAllListeners('SIGHUP');
  process.kill(process.pid, 'SIGHUP');
}

/**
 * process.exitCode fixed at the command's code: a plugin's `process.on('exit', () => {
 * process.exitCode = 0 })` made a failed validate and a stopped run exit 0. Impure.
 */
function keepExitCode(code: number): void {
  process.exitCode = code;
  try {
    Object.defineProperty(process, 'exitCode', { configurable: true, enumerable: true, get: () => code, set: () => {} });
  } catch {
    /* a runtime that does not let it be redefined: the wrappers of exit still hold */
  }
}

/** Exits with `code` once stdout and stderr hold nothing unwritten, looking again every 50 ms (unref'd: the loop's own end comes first). Impure. */
function exitWhenWritten(code: number, exit: (code: number) => never): void {
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) exit(code);
  else setTimeout(() => exitWhenWritten(code, exit), 50).unref();
}

/** Whether an error that reached no code is a plugin's: plugins are imported and its stack names one of them, or none of the engine's files. Pure but for module state. */
function isPluginError(error: unknown, plugins: readonly string[]): boolean {
  const stack = stackOf(error);
  return plugins.length > 0 && (pluginInStack(stack) !== null || !namesEngineFile(stack));
}

/**
 * An error no code caught while the command ran. With worker plugins imported and a stack that
 * names a plugin's file or none of the engine's own, the plugin's (an un-awaited promise, a
 * throw in its timer): E_PLUGIN_FAULT, exit 1, a run it was in left to resume. Else the
 * engine's bug: exit 70 with its log. Impure (writes stderr, maybe a log).
 */
export function reportUncaught(error: unknown, plugins: readonly string[], io: CliIo, argv: readonly string[] = []): number {
  const named = pluginInStack(stackOf(error));
  if (isPluginError(error, plugins)) {
    const who = named ?? (plugins.length === 1 ? plugins[0]! : `one of ${plugins.join(', ')}`);
    io.stderr(printable(`engine: error E_PLUGIN_FAULT worker plugin ${who}: an error its code raised where nothing awaited it (an un-awaited promise, a throw in a timer or a callback): ${messageOf(error)}; fix the plugin (a run it was in can be resumed after)\n`));
    return EXIT.stopped;
  }
  // The engine's own: the machine's failure (its output to a full disk), else a bug.
  const machine = machineFailureOf(error);
  if (machine) return reportMachineFailure(error, machine, argv[0] ?? 'engine', null, io);
  return reportBug(error, io, argv);
}

/** After the command ended, a plugin's error changes nothing: said on stderr, the exit code kept. Impure. */
function reportLatePluginError(error: unknown): void {
  try {
    writeSync(2, printable(`engine: a worker plugin's error after the command ended (its exit code stands): ${messageOf(error)}\n`));
  } catch {
    /* stderr gone */
  }
}

/**
 * Whether a stack names a file of the engine's own (its bundle or its sources): under the
 * package's root and not in a package below it. The root itself is often in a node_modules
 * (an installed engine): every engine bug was the plugin's there. Pure.
 */
export function namesEngineFile(stack: string, root: string = packageRoot): boolean {
  const own = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  return stack.split('\n').some((line) => {
    const at = line.indexOf(own);
    return at >= 0 && !line.slice(at + own.length).includes(`node_modules${path.sep}`);
  });
}

/**
 * The process is ending (exit code `exitCode`) while the command runs, and the engine did not
 * end it. With a plugin's code running or awaited, the plugin ended it: exit 1, E_PLUGIN_EXITED
 * (a run it was in stays resumable, as for a stall). Else the engine's own code: a bug, 70.
 * Synchronous, as an `exit` listener must be: stderr written with writeSync. Impure.
 */
export function reportCutShort(exitCode: number, waiting: readonly string[], argv: readonly string[] = [], calledFrom: string | null = null): number {
  const say = (text: string): void => {
    try {
      writeSync(2, text);
    } catch {
      /* stderr gone: the exit code still says it */
    }
  };
  if (!waiting.length && calledFrom !== null) waiting = [`worker plugin ${calledFrom}`];
  if (waiting.length) {
    say(printable(`engine: error E_PLUGIN_EXITED ${waiting.join('; ')}: it ended the engine's process (process.exit(${exitCode})) while the command ran; fix the plugin (a run it was in can be resumed after)\n`));
    return EXIT.stopped;
  }
  say(`engine: internal error (a bug in the engine, please report it): the process was ended (exit ${exitCode}) while \`engine ${printable(argv.join(' '))}\` ran\n`);
  return EXIT.internal;
}

/**
 * The command stopped on a promise that will never settle. A worker plugin's (its module, a
 * hook): the plugin is at fault, exit 1 (a run it was in stays resumable). None of a plugin's:
 * the engine's own, a bug (exit 70). Impure (writes stderr, maybe a log).
 */
export function reportStall(waiting: readonly string[], io: CliIo, argv: readonly string[] = []): number {
  if (waiting.length) {
    io.stderr(printable(`engine: error E_PLUGIN_STALLED ${waiting.join('; ')}: its promise never settled (neither resolved nor rejected) and nothing else was left to wait on; fix the plugin (a run it was in can be resumed after)\n`));
    return EXIT.stopped;
  }
  return reportBug(new Error('the command stopped on a promise that never settles: nothing was left to wait on'), io, argv);
}

/**
 * Exit 70 with where to look: the stack goes to a log file (never for bad input, which is a
 * diagnostic), and stderr names it, and where a run-driving command's run stands.
 */
export function reportBug(error: unknown, io: CliIo, argv: readonly string[] = [], env: NodeJS.ProcessEnv = process.env, standing: RunStanding | null = null): number {
  const err = error instanceof Error ? error : new Error(String(error));
  const log = path.join(os.tmpdir(), `engine-internal-error-${Date.now()}-${process.pid}.log`);
  const body = redactEnv([`engine ${engineVersion}, node ${process.version}, ${os.platform()} ${os.arch()}`, `argv: ${JSON.stringify(argv)}`, '', localizeStack(err.stack ?? err.message, packageRoot), ''].join('\n'), env);
  let where = `the log is ${log}`;
  try {
    // Its name can be guessed, in a directory a worker without the OS sandbox can write: a
    // link planted there is replaced, never written through.
    writeFreshFile(log, body, 0o600);
  } catch {
    where = 'no log could be written; the stack follows';
    io.stderr(printable(body));
  }
  io.stderr(`engine: internal error (a bug in the engine, please report it): ${printable(redactEnv(err.message, env))}\n${where}\n${standingLine(standing)}`);
  return EXIT.internal;
}

/**
 * `text` with the environment's secrets masked. An error's message can quote what a worker
 * named (a file called after a secret's value, in git's error): masked as everywhere else the
 * engine writes. Pure.
 */
function redactEnv(text: string, env: NodeJS.ProcessEnv): string {
  return redactText(text, collectSecrets(DEFAULT_REDACT, [env]));
}

/**
 * A stack with the frames of the bundle and its vendor files named where this install has
 * them. V8 keeps a script's name in its code cache, and the install's caches were made where
 * the package was built: without this a user's report names files of the build machine. Pure.
 */
export function localizeStack(stack: string, root: string): string {
  return stack.replace(/(\(|at )(\/[^\s():]*?)\/dist\/(engine\.cjs|vendor\/[A-Za-z0-9_.-]+\.cjs):(\d+)/g, (_m, lead: string, _built: string, file: string, line: string) => `${lead}${path.join(root, 'dist', file)}:${line}`);
}

/**
 * An option that takes one value given more than once, in words; null when none is.
 * parseArgs keeps the last: `run --goal a --goal b` ran `b`, `clean --repo A --repo B` cleaned
 * B, without a word. A flag given twice says the same thing twice, and is let be. Pure.
 */
export function givenTwice(tokens: readonly { kind: string; name?: string; value?: string | undefined }[] | undefined, options: Command['options']): string | null {
  const seen = new Map<string, string[]>();
  for (const token of tokens ?? []) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const spec = options[token.name];
    if (!spec || spec.type !== 'string' || spec.multiple) continue;
    const values = seen.get(token.name) ?? [];
    values.push(token.value ?? '');
    seen.set(token.name, values);
    if (values.length > 1) return `--${token.name} was given ${values.length} times (${values.map((v) => JSON.stringify(v)).join(', ')}): it takes one value`;
  }
  return null;
}

/**
 * node:util parseArgs' errors in the engine's words: an unknown option with the nearest
 * known one, an option missing its value, a stray argument. Pure.
 */
export function parseArgsMessage(error: Error & { code: string }, command: Command, argv: readonly string[] = []): string {
  const names = Object.keys(command.options).map((k) => `--${k}`);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /'(-{1,2}[^'\s]+)'/.exec(error.message)?.[1] ?? '';
    const flag = given.split('=')[0]!;
    const near = closest(flag, names);
    const also = near ? ` (did you mean ${near}?)` : names.length ? ` (options: ${names.join(', ')})` : ' (this command takes no options)';
    return `unknown option ${flag}${also}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(--[^'\s<]+)/.exec(error.message)?.[1]?.trim();
    if (flag && command.options[flag.slice(2)]?.type === 'string') {
      // `--time -1`: the parser reads the negative number as an option of its own.
      const next = argv[argv.indexOf(flag) + 1];
      if (argv.includes(flag) && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
        const bound = COUNT_OPTIONS.get(flag);
        return bound ? `${flag} ${bound}, got ${next}` : `${flag} needs a value (write ${flag}=${next} for one that begins with "-")`;
      }
      return `${flag} needs a value`;
    }
    if (flag) return `${flag} takes no value`;
  }
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(error.message)?.[1];
    return `unexpected argument ${arg !== undefined ? `"${arg}"` : ''}: this command takes only options`.replace('  ', ' ');
  }
  return error.message;
}

/** The options whose value is a count or a duration, and their bound: a negative one is refused as such. */
const COUNT_OPTIONS = new Map([
  ...['--time', '--max-ticks', '--repeat', '--jobs'].map((f) => [f, 'must be greater than 0'] as const),
  ['--older-than', 'must be 0 or more'],
  ['--port', 'must be 0..65535'],
]);

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function renderOverview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `engine ${engineVersion} — runs coding-agent workers through governed pipelines`,
    '',
    'usage: engine <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run "engine <command> --help" for the options of a command.',
    '',
  ].join('\n');
}

/** Help for one command, generated from its option table. Pure. */
export function renderHelp(command: Command): string {
  const opts = Object.entries(command.options).map(([key, o]) => {
    const short = o.short ? `-${o.short}, ` : '    ';
    const arg = o.type === 'string' ? ` <${key === 'set' ? 'KEY=VALUE' : 'value'}>` : '';
    const rep = o.multiple ? ' (repeatable)' : '';
    return `  ${short}--${key}${arg}${rep}${command.optionHelp?.[key] ? `\n        ${command.optionHelp[key]}` : ''}`;
  });
  return [`usage: engine ${command.usage}`, '', command.summary, '', 'options:', ...opts, '  -h, --help', ''].join('\n');
}

function suggest(name: string): string {
  const near = commands.map((c) => c.name).find((n) => n.startsWith(name.slice(0, 3)));
  return near ? ` (did you mean "${near}"?)` : '';
}
