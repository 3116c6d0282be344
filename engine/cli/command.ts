import type { ParseArgsConfig } from 'node:util';
import path from 'node:path';
import type { CliIo } from './io.js';
import { repoDirProblem } from '../util/repo-top.js';

/**
 * One subcommand. `options` is a node:util parseArgs option table, so every command parses
 * the same way and `--help` is generated from the same data.
 */
export interface Command {
  name: string;
  summary: string;
  /** Usage line(s) after `engine `, e.g. `validate <file>... [--json]`. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Help text for each option, by option name. */
  optionHelp?: Record<string, string>;
  allowPositionals: boolean;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** Thrown for usage errors; the kernel prints it and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Read a string option, or undefined. Pure. */
export function str(args: ParsedArgs, key: string): string | undefined {
  const v = args.values[key];
  return typeof v === 'string' ? v : undefined;
}

/** Read a repeatable string option as a list. Pure. */
export function list(args: ParsedArgs, key: string): string[] {
  const v = args.values[key];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/** Read a boolean flag. Pure. */
export function flag(args: ParsedArgs, key: string): boolean {
  return args.values[key] === true;
}

/**
 * `--repo` as the directory it names (resolved against `cwd`), or undefined when not given;
 * throws UsageError when it names no directory (repoDirProblem). Impure (stats).
 */
export function repoOption(args: ParsedArgs, cwd: string): string | undefined {
  const given = str(args, 'repo');
  if (given === undefined) return undefined;
  const dir = path.resolve(cwd, given);
  const problem = repoDirProblem(given, dir);
  if (problem) throw new UsageError(problem);
  return dir;
}

/** Read an integer option; throws UsageError when it is not one. Pure. */
export function int(args: ParsedArgs, key: string): number | undefined {
  const v = str(args, key);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${key} takes a whole number, got "${v}"`);
  // 400 digits read as Infinity, which state.json then held as null: resume refused the run.
  if (!Number.isSafeInteger(Number(v))) throw new UsageError(`--${key} takes a whole number up to ${Number.MAX_SAFE_INTEGER}, got ${v.length > 30 ? `${v.slice(0, 30)}… (${v.length} digits)` : v}`);
  return Number(v);
}
