import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { shellWord } from '../util/shell-quote.js';
import { isWithin } from '../util/is-within.js';

/** What decides how the user starts this engine: its launcher as run, the environment and the working directory. */
export interface InvocationFacts {
  /** process.argv[1]: the launcher as the shell or npm ran it. */
  launcher: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * The words that start this engine in the user's shell (vocabulary/engine-command.ts):
 * - `engine` when that name, looked up on PATH, is this launcher (a global install, a link);
 *   under npm (`npx`, `npm run`) the `node_modules/.bin` folders npm put on PATH are not the
 *   shell's and are passed over;
 * - when the launcher is in a project's node_modules and that project has its
 *   `node_modules/.bin/engine` (a local install: npm's link, pnpm's or yarn's script): `npx
 *   engine` from inside that project, that bin's path from anywhere else;
 * - else `engine` (a checkout of the engine, run as `node bin/engine.js`, is its developers'
 *   own to start). Impure (reads the file system).
 */
export function invocationWords(facts: InvocationFacts): string {
  const launcher = realOrNull(path.resolve(facts.cwd, facts.launcher));
  if (launcher === null || onPath(launcher, facts.env)) return 'engine';
  const project = installingProject(launcher);
  if (project === null) return 'engine';
  const bin = path.join(project, 'node_modules', '.bin', 'engine');
  // npm links it to the launcher; pnpm and yarn write a script that runs it.
  if (realOrNull(bin) === null) return 'engine';
  return isWithin(path.resolve(facts.cwd), project) ? 'npx engine' : shellWord(bin);
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

/** The project whose node_modules holds `launcher` (the outermost, for a package installed in another's), or null. Pure. */
export function installingProject(launcher: string): string | null {
  const parts = launcher.split(path.sep);
  const at = parts.indexOf('node_modules');
  return at > 0 ? parts.slice(0, at).join(path.sep) || path.sep : null;
}

function realOrNull(file: string): string | null {
  try {
    return statSync(file).isFile() ? realpathSync(file) : null;
  } catch {
    return null;
  }
}
