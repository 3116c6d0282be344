import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';

// O_NOFOLLOW stops a symbolic link at a run's record, not a hard one: without the OS sandbox a
// worker can link a file of the user's on the same file system (one holding a secret) at
// state.json or a call's meta.json, a regular file there that `report` showed when it parsed.
// The engine makes every record new (a temp file renamed over it, an exclusive create, an
// append) with one name. One exception: rewriteFile (engine/store/atomic.ts) swaps state.json
// by linking its inode aside as `.state.json.old` before renaming the spare over it, so for
// that moment, and for good when the engine dies in it, the record has two names, both in the
// run. A record with more names, or a second one elsewhere, is refused.
//
// The count is of the descriptor's stat (the file that is read), and no open(2) flag refuses
// a hard link: a process left running could link a file of the user's at the record, let the
// engine open it, then remove the record's name, and the fstat(2) after counted one name, the
// user's. So the name the descriptor was opened through is checked to be still linked after
// the count (openedNameLinked): a name once removed stays removed for that descriptor, so one
// name counted and that name linked is a file with no name but the one the engine opened. What
// remains is the swap's case of two names, checked by the sibling's name after the count: a
// process that renames the record to `.<name>.old` before that lstat(2) (and back after) can
// still pass off a second name elsewhere (docs/report.md).

/**
 * Whether a run record at `file`, `st` the stat of what was opened there, has no name but the
 * engine's: one, or two where the other is rewriteFile's `.<name>.old` (the same inode). With
 * `fd`, the descriptor `st` is of, only while the name it was opened through is still linked
 * (openedNameLinked, asked after every count). Impure (lstats the sibling, reads /proc).
 */
export function hasOwnNamesOnly(file: string, st: Stats, fd?: number): boolean {
  if (st.nlink > 2 || (st.nlink === 2 && !isSwapAside(file, st))) return false;
  if (fd === undefined) return true;
  const opened = openedName(fd);
  if (opened === null) return true;
  // Of two names, the one opened is the record's, not the swap's (the record renamed there).
  return !opened.endsWith(' (deleted)') && (st.nlink === 1 || path.basename(opened) === path.basename(file));
}

/** Whether rewriteFile's `.<name>.old` beside `file` is the inode of `st`, with two names still. Impure. */
function isSwapAside(file: string, st: Stats): boolean {
  try {
    const aside = lstatSync(path.join(path.dirname(file), `.${path.basename(file)}.old`));
    return aside.isFile() && aside.ino === st.ino && aside.dev === st.dev && aside.nlink === 2;
  } catch {
    return false;
  }
}

/**
 * Whether the name `fd` was opened through is still linked: on Linux /proc/self/fd/<fd> reads
 * `<path> (deleted)` once it is removed, for good (a new link at that name is another entry).
 * True where /proc cannot tell (another system): there the count stands alone. Impure.
 */
export function openedNameLinked(fd: number): boolean {
  return !openedName(fd)?.endsWith(' (deleted)');
}

/** Where /proc/self/fd/<fd> says the descriptor's name is now (Linux), or null. Impure. */
function openedName(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
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
