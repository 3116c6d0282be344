import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';

// O_NOFOLLOW stops a symbolic link at a run's record, not a hard one: without the OS sandbox a
// worker can link a file of the user's on the same file system (one holding a secret) at
// state.json or a call's meta.json, a regular file there that `report` showed when it parsed.
// The engine makes every record new (a temp file renamed over it, an exclusive create, an
// append) with one name. One exception: rewriteFile (engine/store/atomic.ts) swaps state.json
// by linking its inode aside as `.state.json.old` before renaming the spare over it, so for
// that moment, and for good when the engine dies in it, the record has two names, both in the
// run. A record with more names, or a second one elsewhere, is refused. The check is of the
// descriptor's stat, then of the sibling's name: a process racing between the two can still
// win, as it can between open(2) and fstat(2) (docs/report.md).

/**
 * Whether a run record at `file`, `st` the stat of what was opened there, has no name but the
 * engine's: one, or two where the other is rewriteFile's `.<name>.old` (the same inode).
 * Impure (lstats the sibling).
 */
export function hasOwnNamesOnly(file: string, st: Stats): boolean {
  if (st.nlink <= 1) return true;
  if (st.nlink !== 2) return false;
  try {
    const aside = lstatSync(path.join(path.dirname(file), `.${path.basename(file)}.old`));
    return aside.isFile() && aside.ino === st.ino && aside.dev === st.dev;
  } catch {
    return false;
  }
}

/** Whether `file` itself (no link followed) is a regular file with no name but the engine's (hasOwnNamesOnly). Impure. */
export function isOwnRecordFile(file: string): boolean {
  try {
    const st = lstatSync(file);
    return st.isFile() && hasOwnNamesOnly(file, st);
  } catch {
    return false;
  }
}

/** The error a reader of a run's records throws for one with another name (code EMLINK). Pure. */
export function otherNameError(file: string): Error {
  return Object.assign(new Error(`${file} has another name (a hard link), not read`), { code: 'EMLINK' });
}
