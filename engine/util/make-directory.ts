import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * `mkdir -p`: makes `dir` and every missing directory above it, one level at a time; an
 * existing directory (or a link to one) is no error, anything else in the way is (ENOTDIR,
 * EEXIST, EACCES...). Not Node's `mkdirSync(dir, { recursive: true })`: on a path the system
 * refuses with ENOENT although the parent exists (anything under /proc) that one retries for
 * ever, the event loop blocked, so not even SIGTERM ends the process. Impure.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; ) {
    const st = statSync(at, { throwIfNoEntry: false });
    if (st) {
      if (st.isDirectory()) break;
      throw Object.assign(new Error(`${missing.length ? 'ENOTDIR: not a directory' : 'EEXIST: file already exists'}, mkdir '${missing.at(-1) ?? at}'`), {
        code: missing.length ? 'ENOTDIR' : 'EEXIST',
        path: missing.at(-1) ?? at,
        syscall: 'mkdir',
      });
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (error) {
      // Made meanwhile by another process: fine when it is a directory.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(d).isDirectory()) throw error;
    }
  }
}
