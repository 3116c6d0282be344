import { lstatSync } from 'node:fs';
import path from 'node:path';
import { CONVERSION_ERRORS, lineStart, removablePath } from './refused-paths.js';
import { runGit, type GitResult, type GitTarget } from './run-git.js';

/**
 * The files of a workspace that `git add` would read and could not convert from the encoding
 * their `working-tree-encoding` attribute names, all found in a few git runs. `git add` dies
 * at the first such file, so finding them one failed `git add` at a time cost one process
 * each, every one hashing again what came before it (hundreds of files: minutes, then the
 * engine gave up). `git hash-object` without `-w` converts as `git add` does but only reports
 * a failed conversion and goes on, naming the file. Not found here: a file that converts but
 * not back to the same bytes (git checks that only for the encodings in
 * `core.checkRoundtripEncoding`, SHIFT-JIS by default, and only when it writes an object):
 * the caller's one-at-a-time way still meets those. Impure (git, lstat).
 */
export async function findUnconvertible(target: GitTarget, dir: string, excluded: ReadonlySet<string>): Promise<string[]> {
  const listed = await runGit(target, ['ls-files', '-z', '--others', '--modified', '--exclude-standard']);
  const files = [...new Set(listed.stdout.split('\0'))].filter((rel) => rel !== '' && !isExcluded(rel, excluded) && isPlainFile(dir, rel));
  if (files.length === 0) return [];
  const attrs = await runGit(target, ['check-attr', '-z', '--stdin', 'working-tree-encoding'], { input: files.map((f) => `${f}\0`).join('') });
  const converted = encodedFiles(attrs.stdout);
  // A name with a quote or a line break in it can be made to read as the end of one report
  // and the start of another: such files are never read out of a report (failingAmong).
  const plain = converted.filter(isPlainName);
  const odd = converted.filter((f) => !isPlainName(f));
  const out: string[] = [];
  for (const chunk of chunksOf(plain, REPORTS_PER_RUN)) out.push(...namedUnconvertible((await hashWithFilters(target, chunk)).stderr ?? '', new Set(chunk)));
  for (const chunk of chunksOf(odd, REPORTS_PER_RUN)) out.push(...(await failingAmong(target, chunk)));
  return out;
}

/**
 * How much git may say of one run's files, at most, in characters: a report and its hint name
 * a file twice in about 200 characters of their own, and the whole must stay far below the
 * longest string node can hold (2^29 characters: past it, an engine error).
 */
const REPORTS_PER_RUN = 64 * 2 ** 20;

/** `git hash-object --stdin-paths` (not written) of `files`: what it said of each conversion. Impure (git). */
function hashWithFilters(target: GitTarget, files: readonly string[]): Promise<GitResult> {
  // Exit 128: git stopped at a file that went away meanwhile; what it said before still holds.
  return runGit(target, ['hash-object', '--stdin-paths'], { input: files.map((f) => `${quoteForStdin(f)}\n`).join(''), okCodes: [128] });
}

/**
 * Those of `files` git cannot convert, without reading a name out of git's words: a run that
 * reports nothing clears all its files (git names only a file it failed to convert), one that
 * reports something is split in two and each half run again, down to a single file. Cost:
 * two runs per file git cannot convert, at most, times the halvings. Impure (git).
 */
async function failingAmong(target: GitTarget, files: readonly string[]): Promise<string[]> {
  if (files.length === 0 || !reportsAny((await hashWithFilters(target, files)).stderr ?? '')) return [];
  if (files.length === 1) return [...files];
  const half = Math.ceil(files.length / 2);
  return [...(await failingAmong(target, files.slice(0, half))), ...(await failingAmong(target, files.slice(half)))];
}

/** Whether git's stderr holds a report of a failed conversion, at the start of a line. Pure. */
function reportsAny(stderr: string): boolean {
  return CONVERSION_ERRORS.some((r) => lineStart(stderr, r.before, 0) >= 0);
}

/** A name no report can be misread in: no quote, no control character. Pure. */
export function isPlainName(rel: string): boolean {
  return !/['\0-\x1f\x7f]/.test(rel);
}

/** `files` in consecutive runs whose reports (each file's name twice and 256 characters) fit in `chars` (a larger one alone). Pure. */
export function chunksOf(files: readonly string[], chars: number): string[][] {
  const out: string[][] = [];
  let size = 0;
  for (const file of files) {
    const report = 2 * file.length + 256;
    if (out.length === 0 || size + report > chars) {
      out.push([]);
      size = 0;
    }
    out.at(-1)!.push(file);
    size += report;
  }
  return out;
}

/** Whether `rel` is one of `excluded` or inside one. Pure. */
function isExcluded(rel: string, excluded: ReadonlySet<string>): boolean {
  if (excluded.size === 0) return false;
  for (let at = rel.length; at > 0; at = rel.lastIndexOf('/', at - 1)) if (excluded.has(rel.slice(0, at))) return true;
  return false;
}

/** A regular file reached without a link (git converts no link, and no folder). Impure (lstat). */
function isPlainFile(dir: string, rel: string): boolean {
  return removablePath(dir, rel) && lstatSync(path.join(dir, rel), { throwIfNoEntry: false })?.isFile() === true;
}

/** The paths `git check-attr -z` gave an encoding to convert from (not unset, unspecified or set). Pure. */
export function encodedFiles(stdout: string): string[] {
  const fields = stdout.split('\0');
  const out: string[] = [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const value = fields[i + 2]!;
    if (value !== '' && value !== 'unspecified' && value !== 'unset' && value !== 'set') out.push(fields[i]!);
  }
  return out;
}

/**
 * A path as a line of `--stdin-paths`: as it is, or in C quotes when it starts with a quote
 * or holds a newline, a backslash or another control character (git unquotes a line that
 * starts with a quote). Pure.
 */
export function quoteForStdin(rel: string): string {
  if (!/^"|[\0-\x1f\x7f\\]/.test(rel)) return rel;
  const body = rel.replace(/[\0-\x1f\x7f"\\]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`));
  return `"${body}"`;
}

/**
 * The files of `asked` (names without a quote or a line break: isPlainName) that git's stderr
 * reports it could not convert: each report at the start of a line, its path up to the first
 * quote. Pure.
 */
export function namedUnconvertible(stderr: string, asked: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  for (const r of CONVERSION_ERRORS) {
    for (let at = lineStart(stderr, r.before, 0); at >= 0; at = lineStart(stderr, r.before, at + 1)) {
      const from = at + r.before.length;
      const end = stderr.indexOf("'", from);
      const name = end < 0 ? '' : stderr.slice(from, end);
      if (end >= 0 && r.after.test(stderr.slice(end, end + 512)) && asked.has(name)) found.add(name);
    }
  }
  return [...found];
}
