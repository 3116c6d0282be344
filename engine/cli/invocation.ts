import { closeSync, lstatSync, readSync, realpathSync, statSync } from 'node:fs';
import { openRegularSync } from '../util/open-regular.js';
import path from 'node:path';
import { shellWord } from '../util/shell-quote.js';
import { isWithin } from '../util/is-within.js';
import type { EngineWords } from '../vocabulary/engine-command.js';

/** What decides how the user starts this engine: its launcher as run, the environment and the working directory. */
export interface InvocationFacts {
  /** process.argv[1]: the launcher as the shell or npm ran it (absolute, its links not followed). */
  launcher: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The package's name, as `npx` fetches it. */
const PACKAGE = '@engine/engine';

/**
 * The words that start this engine (vocabulary/engine-command.ts):
 * - `engine` when that name, looked up on PATH, is this launcher (a global install, a link);
 *   under npm (`npx`, `npm run`) the `node_modules/.bin` folders npm put on PATH are not the
 *   shell's and are passed over;
 * - a one-off `npx @engine/engine` (run from npm's own cache): the same again;
 * - a local install (the launcher in a project's node_modules, by the path it was run by or
 *   the file it is, and that project's `node_modules/.bin/engine` leads to it: npm's link,
 *   pnpm's or yarn's script): `npx engine` from inside the project, the bin's path from
 *   elsewhere and in records;
 * - in a node_modules without such a bin (a dependency's own copy): the launcher's path;
 * - else `engine` (a checkout of the engine, run as `node bin/engine.js`, is its developers'
 *   own to start). Impure (reads the file system).
 */
export function invocationWords(facts: InvocationFacts): EngineWords {
  const given = path.resolve(facts.cwd, facts.launcher);
  const launcher = realOrNull(given);
  if (launcher === null || onPath(launcher, facts.env)) return both('engine');
  if (/(^|\/)_npx\//.test(given) || /(^|\/)_npx\//.test(launcher)) return both(`npx ${PACKAGE}`);
  const project = installingProject(given) ?? installingProject(launcher);
  if (project === null) return both('engine');
  const bin = path.join(project, 'node_modules', '.bin', 'engine');
  if (!leadsTo(bin, launcher)) return both(shellWord(launcher));
  return { here: isWithin(path.resolve(facts.cwd), project) ? 'npx engine' : shellWord(bin), anywhere: shellWord(bin) };
}

function both(words: string): EngineWords {
  return { here: words, anywhere: words };
}

/** Whether `engine` on PATH is `launcher`, npm's own .bin folders passed over when npm started the engine. Impure. */
function onPath(launcher: string, env: NodeJS.ProcessEnv): boolean {
  const underNpm = Boolean(env.npm_command ?? env.npm_lifecycle_event ?? env.npm_execpath);
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '' || !path.isAbsolute(dir)) continue;
    if (underNpm && path.basename(dir) === '.bin' && path.basename(path.dirname(dir)) === 'node_modules') continue;
    const found = realOrNull(path.join(dir, 'engine'));
    if (found !== null) return found === launcher;
  }
  return false;
}

/** The project whose node_modules holds `file` (the outermost, for a package installed in another's), or null. Pure. */
export function installingProject(file: string): string | null {
  const parts = file.split(path.sep);
  const at = parts.indexOf('node_modules');
  return at > 0 ? parts.slice(0, at).join(path.sep) || path.sep : null;
}

/**
 * Whether the bin `bin` runs `launcher`: a link that resolves to it (npm), or a script that
 * names it (pnpm and yarn write `"$basedir/<path to it>"`: pnpm 9 through the package's link
 * in node_modules, which resolves to its store under node_modules/.pnpm). Another version of
 * the engine at the project's top, with this one a dependency's own, is not it. Impure.
 */
function leadsTo(bin: string, launcher: string): boolean {
  const st = lstatSync(bin, { throwIfNoEntry: false });
  if (!st) return false;
  if (st.isSymbolicLink()) return realOrNull(bin) === launcher;
  if (!st.isFile()) return false;
  const head = readHead(bin, 64 * 1024);
  if (head.includes(path.relative(path.dirname(bin), launcher)) || head.includes(launcher)) return true;
  for (const [, named] of head.matchAll(/\$basedir\/([^"'`\s$]+)/g)) if (realOrNull(path.resolve(path.dirname(bin), named!)) === launcher) return true;
  return false;
}

function readHead(file: string, max: number): string {
  let opened;
  try {
    opened = openRegularSync(file);
  } catch {
    return '';
  }
  if (!opened) return '';
  try {
    const buf = Buffer.alloc(Math.min(max, opened.st.size));
    return buf.subarray(0, readSync(opened.fd, buf, 0, buf.length, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    closeSync(opened.fd);
  }
}

function realOrNull(file: string): string | null {
  try {
    return statSync(file).isFile() ? realpathSync(file) : null;
  } catch {
    return null;
  }
}
