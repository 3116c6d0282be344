import { statSync } from 'node:fs';
import { InputError } from '../vocabulary/diagnostics.js';
import { describeFsError, whyAt } from '../util/describe-fs-error.js';

/** What to do of a store that cannot be one. */
export const STORE_DIR_HINT = 'move what is there away, or name another store with --store DIR';

/**
 * Why `storeDir` cannot be read as a run store, or null: a directory, or nothing there yet (a
 * store with no runs). Something else in its place (a file, a FIFO, a path through a file) is
 * the user's to mend: `report` and `resume latest` listed it and ended with ENOTDIR as an
 * internal error, where `engine run` refuses it as E_FILE. Impure (stats).
 */
export function checkStoreDir(storeDir: string): string | null {
  try {
    const st = statSync(storeDir, { throwIfNoEntry: false });
    if (!st || st.isDirectory()) return null;
    const what = st.isFile() ? 'a file' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
    return `cannot read the run store ${storeDir}: it is ${what}, not a directory`;
  } catch (error) {
    const fs = describeFsError(error);
    // A part of the path refused (EACCES) is the system's refusal, said where the store is read.
    if (!fs || (error as NodeJS.ErrnoException).code !== 'ENOTDIR') return null;
    return `cannot read the run store ${storeDir}: ${whyAt(fs, storeDir)}`;
  }
}

/** Throws InputError (E_FILE, exit 2) when `storeDir` cannot be a run store (checkStoreDir). Impure (stats). */
export function assertStoreDir(storeDir: string): void {
  const problem = checkStoreDir(storeDir);
  if (problem) throw new InputError({ code: 'E_FILE', severity: 'error', message: problem, file: storeDir, line: 0, col: 0, hint: STORE_DIR_HINT });
}
