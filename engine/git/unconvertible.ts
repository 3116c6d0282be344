import { lstatSync } from 'node:fs';
import path from 'node:path';
import { CONVERSION_ERRORS, lineStart, removablePath } from './refused-paths.js';
import { runGit, type GitTarget } from './run-git.js';

/**
 * The files of a workspace that `git add` would read and could not convert from the encoding
 * their `working-tree-encoding` attribute names, all found in one pass. `git add` dies at the
 * first such file, so finding them one failed `git add` at a time cost one process each,
 * every one hashing again what came before it (hundreds of files: minutes, then the engine
 * gave up). `git hash-object` without `-w` converts as `git add` does but only reports a
 * failed conversion and goes on, so one run over the files an attribute asks to convert names
 * every one. Not found here: a file that converts but not back to the same bytes (git checks
 * that only for the encodings in `core.checkRoundtripEncoding`, SHIFT-JIS by default, and only
 * when it writes an object): the caller's one-at-a-time way still meets those. Impure (git,
 * lstat).
 */
export async function findUnconvertible(target: GitTarget, dir: string, excluded: ReadonlySet<string>): Promise<string[]> {
  const listed = await runGit(target, ['ls-files', '-z', '--others', '--modified', '--exclude-standard']);
  const files = [...new Set(listed.stdout.split('\0'))].filter((rel) => rel !== '' && !isExcluded(rel, excluded) && isPlainFile(dir, rel));
  if (files.length === 0) return [];
  const attrs = await runGit(target, ['check-attr', '-z', '--stdin', 'working-tree-encoding'], { input: files.map((f) => `${f}\0`).join('') });
  const converted = encodedFiles(attrs.stdout);
  if (converted.length === 0) return [];
  // Exit 128: git stopped at a file that went away meanwhile; what it said before still holds.
  const hashed = await runGit(target, ['hash-object', '--stdin-paths'], { input: converted.map((f) => `${quoteForStdin(f)}\n`).join(''), okCodes: [128] });
  return namedUnconvertible(hashed.stderr ?? '', new Set(converted));
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

/** The longest path the system takes, in bytes (so in characters at most). */
const PATH_MAX = 4096;

/**
 * The files of `asked` that git's stderr reports it could not convert. A report is read at
 * the start of a line, its path as the longest reading that is one of the files asked about
 * (a name may hold a quote, a newline and text that looks like another report). Pure.
 */
export function namedUnconvertible(stderr: string, asked: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  for (const r of CONVERSION_ERRORS) {
    for (let at = lineStart(stderr, r.before, 0); at >= 0; ) {
      const from = at + r.before.length;
      let end = -1;
      // No path is longer than the system's limit on one (4,096 bytes): no reading past it.
      for (let q = stderr.indexOf("'", from); q >= 0 && q <= from + PATH_MAX; q = stderr.indexOf("'", q + 1)) if (r.after.test(stderr.slice(q, q + 512)) && asked.has(stderr.slice(from, q))) end = q;
      if (end >= 0) found.add(stderr.slice(from, end));
      at = lineStart(stderr, r.before, (end >= 0 ? end : at) + 1);
    }
  }
  return [...found];
}
