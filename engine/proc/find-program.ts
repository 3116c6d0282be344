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
