/**
 * Where a program is: a path (with a slash) relative to `cwd`, else the first executable of
 * that name on PATH — what `sh -c` and spawn would find. Impure (file checks).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export function findProgram(name: string, o: { cwd: string; env: NodeJS.ProcessEnv }): string | null {
  if (name.includes('/')) {
    const file = path.resolve(o.cwd, name);
    return isExecutable(file) ? file : null;
  }
  for (const dir of (o.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(path.resolve(o.cwd, dir), name);
    if (isExecutable(file)) return file;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * PATH's absolute entries, in order: an empty entry (the current directory to the shell) or a
 * relative one (`./node_modules/.bin`) names whatever directory a program is started in, for
 * the engine's own commands a workspace a worker writes. Pure.
 */
export function absolutePath(value: string): string {
  return value.split(path.delimiter).filter((dir) => path.isAbsolute(dir)).join(path.delimiter);
}

const trusted = new Map<string, string | null>();

/**
 * A program the engine itself runs (git, bubblewrap), found on the absolute entries of the
 * environment's PATH only (see absolutePath): never a file a worker put where a relative
 * entry looks. A name with a slash is taken as it is. Remembered per PATH and name. Impure
 * (file checks).
 */
export function findOwnProgram(name: string, env: NodeJS.ProcessEnv): string | null {
  if (name.includes('/')) return name;
  const key = `${env.PATH ?? ''}\0${name}`;
  let found = trusted.get(key);
  if (found === undefined) {
    found = findProgram(name, { cwd: '/', env: { PATH: absolutePath(env.PATH ?? '') } });
    trusted.set(key, found);
  }
  return found;
}
