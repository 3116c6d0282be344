import { constants, copyFileSync, linkSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONVERSION_ERRORS, removablePath } from './refused-paths.js';
import { runGit, type GitTarget } from './run-git.js';
import { removeTree } from '../util/remove-tree.js';

/**
 * The files of a workspace that `git add` would read and could not convert from the encoding
 * their `working-tree-encoding` attribute names, all found in a few git runs. `git add` dies
 * at the first such file, so finding them one failed `git add` at a time cost one process
 * each, every one hashing again what came before it (hundreds of files: minutes, then the
 * engine gave up). `git hash-object` without `-w` converts as `git add` does but only reports
 * a failed conversion and goes on.
 *
 * git's report names the file, and a worker names its files: a name (or a folder's, in
 * another of git's warnings) with a line break in it was made to read as a report of another
 * file. So git is asked about names of the engine's own: each file is linked under a number
 * in a folder of the engine's git dir (out of every worker's reach), with an attributes file
 * giving each number the encoding `git check-attr` gave the file, the workspace's index left
 * out. Not found here: a file that converts but not back to the same bytes (git checks that
 * only for the encodings in `core.checkRoundtripEncoding`, SHIFT-JIS by default, and only
 * when it writes an object): the caller's one-at-a-time way still meets those. Impure (git,
 * links and removes in the engine's git dir).
 */
export async function findUnconvertible(target: GitTarget, dir: string, excluded: ReadonlySet<string>): Promise<string[]> {
  const listed = await runGit(target, ['ls-files', '-z', '--others', '--modified', '--exclude-standard']);
  const files = [...new Set(listed.stdout.split('\0'))].filter((rel) => rel !== '' && !isExcluded(rel, excluded) && isPlainFile(dir, rel));
  if (files.length === 0) return [];
  const attrs = await runGit(target, ['check-attr', '-z', '--stdin', 'working-tree-encoding'], { input: files.map((f) => `${f}\0`).join('') });
  const encoded = encodedFiles(attrs.stdout);
  // The attribute without a value ("set", or that word as its value): git converts nothing
  // and stops (`true/false are no valid working-tree-encodings`) without naming the file.
  const out = encoded.filter((f) => f.encoding === 'set').map((f) => f.path);
  const rest = encoded.filter((f) => f.encoding !== 'set');
  for (let at = 0; at < rest.length; at += FILES_PER_RUN) out.push(...(await unconvertibleAmong(target.gitDir, dir, rest.slice(at, at + FILES_PER_RUN))));
  return out;
}

/** Files per run of `git hash-object`: its reports (about 250 characters each) stay far below the longest string node holds. */
const FILES_PER_RUN = 100_000;

/**
 * Those of `files` git cannot convert, asked under numbers in a folder of `gitDir` (see
 * findUnconvertible): a folder per encoding, one attributes line for each (git matches every
 * file against every line: one line per file cost time growing with the square of their
 * number), and one number per file, however many names it has in the workspace. Impure.
 */
async function unconvertibleAmong(gitDir: string, dir: string, files: readonly { path: string; encoding: string }[]): Promise<string[]> {
  const check = path.join(gitDir, 'conversion-check');
  removeTree(check);
  mkdirSync(check);
  try {
    const folders = new Map<string, string>();
    const numbers = new Map<string, number>();
    const names: string[][] = [];
    const asked: string[] = [];
    for (const f of files) {
      const st = lstatSync(path.join(dir, f.path), { throwIfNoEntry: false, bigint: true });
      if (!st?.isFile()) continue;
      let folder = folders.get(f.encoding);
      if (folder === undefined) {
        folders.set(f.encoding, (folder = `e${folders.size}`));
        mkdirSync(path.join(check, folder));
      }
      const key = `${st.dev}:${st.ino}:${folder}`;
      let n = numbers.get(key);
      if (n === undefined) {
        if (!placeInto(path.join(dir, f.path), path.join(check, folder, `f${names.length}`))) continue;
        numbers.set(key, (n = names.length));
        names.push([]);
        asked.push(`${folder}/f${n}`);
      }
      names[n]!.push(f.path);
    }
    if (asked.length === 0) return [];
    writeFileSync(path.join(check, '.gitattributes'), [...folders].map(([encoding, folder]) => `${folder}/* working-tree-encoding=${encoding}\n`).join(''), { flag: 'wx' });
    // Exit 128: git stopped at a file that went away meanwhile; what it said before still holds.
    const hashed = await runGit({ gitDir, workTree: check }, ['hash-object', '--stdin-paths'], { input: asked.map((a) => `${a}\n`).join(''), okCodes: [128], env: { GIT_INDEX_FILE: path.join(check, 'no-index') } });
    return reportedNumbers(hashed.stderr ?? '').flatMap((i) => names[i] ?? []);
  } finally {
    removeTree(check);
  }
}

/**
 * Puts the file `from` at `to`: a hard link (the same bytes at no cost), else a copy (a file
 * with as many links as the file system allows takes no more); false when neither can be
 * made. Impure.
 */
function placeInto(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch {
    try {
      copyFileSync(from, to, constants.COPYFILE_EXCL);
      return true;
    } catch {
      return false;
    }
  }
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

/**
 * The paths `git check-attr -z` gave an encoding to convert from (not unset or unspecified;
 * `set`, the attribute without a value, included), with it; a value an attributes line could
 * not carry again (an ASCII space or control character in it, or longer than git reads a line
 * to hold with the rest) is left out. Pure.
 */
export function encodedFiles(stdout: string): { path: string; encoding: string }[] {
  const fields = stdout.split('\0');
  const out: { path: string; encoding: string }[] = [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const value = fields[i + 2]!;
    if (value !== '' && value !== 'unspecified' && value !== 'unset' && value.length <= 1024 && !/[\0-\x20\x7f]/.test(value)) out.push({ path: fields[i]!, encoding: value });
  }
  return out;
}

/** The numbers (n of `e<k>/f<n>`) git's stderr reports it could not convert, each report at the start of a line. Pure. */
export function reportedNumbers(stderr: string): number[] {
  const found = new Set<number>();
  for (const line of stderr.split('\n')) {
    for (const r of CONVERSION_ERRORS) {
      if (!line.startsWith(r.before)) continue;
      const m = /^e\d+\/f(\d+)(?=')/.exec(line.slice(r.before.length));
      if (m && r.after.test(line.slice(r.before.length + m[0].length))) found.add(Number(m[1]));
    }
  }
  return [...found].sort((a, b) => a - b);
}
