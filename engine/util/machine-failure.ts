import { existsSync, statfsSync } from 'node:fs';
import path from 'node:path';

/**
 * Failures of the machine the engine runs on, told apart from the engine's bugs: a full disk,
 * no file descriptors, no memory, no process that can be started. Neither the user's input nor
 * the engine is wrong then, and the user acts on the machine (docs/errors.md, exit 71).
 */

/** The system's error codes that say the machine ran out of something. */
const MACHINE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EMFILE: 'the engine process has too many open files',
  ENFILE: 'the machine has too many open files',
  ENOMEM: 'the machine is out of memory',
  EAGAIN: 'a process or thread could not be started (a resource is temporarily unavailable)',
  EIO: 'an input/output error of a device',
  EROFS: 'a file system the engine writes is read-only',
};

/** What git and the shell say in their own words when the machine refuses them. */
const MACHINE_WORDS: Array<[RegExp, string]> = [
  [/No space left on device/i, 'no space left on the device'],
  [/Disk quota exceeded/i, 'the disk quota is exceeded'],
  [/Too many open files/i, 'too many open files'],
  [/Cannot allocate memory|out of memory/i, 'the machine is out of memory'],
  [/Cannot fork|fork failed|Resource temporarily unavailable/i, 'a process could not be started (the machine allows no more)'],
  [/Input\/output error/i, 'an input/output error of a device'],
  [/Read-only file system/i, 'a file system the engine writes is read-only'],
];

/** Less than this free on a file system the error names: it is full (git does not always say why a write failed). */
const FULL_BYTES = 1024 * 1024;

/** How much a file system holds free, for the directory given. Impure (statfs). */
export type FreeSpace = (dir: string) => { bytes: number; files: number } | null;

const freeSpaceOf: FreeSpace = (dir) => {
  try {
    const s = statfsSync(dir);
    return { bytes: s.bavail * s.bsize, files: s.ffree };
  } catch {
    return null;
  }
};

/**
 * Why an error thrown inside the engine is the machine's failure, in words, or null when
 * nothing says so (it is then the engine's bug). Read from the error's system code, from the
 * words of the programs' messages it carries, or from a file system it names that is full
 * (`couldn't write '….lock'` is all git says of a full disk). Impure (statfs of those paths).
 */
export function machineFailureOf(error: unknown, free: FreeSpace = freeSpaceOf): string | null {
  const e = error as (NodeJS.ErrnoException & { stderr?: unknown }) | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // EAGAIN of a read is a FIFO or socket that had nothing yet (a worker may plant one): only a
  // process that could not be started says the machine is out of processes.
  if (MACHINE_CODES[code] && (code !== 'EAGAIN' || String(e?.syscall ?? '').startsWith('spawn'))) return MACHINE_CODES[code]!;
  const text = `${typeof e?.message === 'string' ? e.message : String(error)}\n${typeof e?.stderr === 'string' ? e.stderr : ''}`;
  for (const [re, why] of MACHINE_WORDS) if (re.test(text)) return why;
  for (const dir of namedDirectories(text)) {
    const f = free(dir);
    if (f && (f.bytes < FULL_BYTES || f.files === 0)) return f.files === 0 ? `the file system of ${dir} has no free inodes` : `the file system of ${dir} is full (${Math.floor(f.bytes / 1024)} KiB free)`;
  }
  return null;
}

/** The nearest existing directory of each absolute path a message names (quoted or in parentheses). Impure (exists). */
function namedDirectories(text: string): string[] {
  const dirs = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s'"(])(\/[^\s'"()]+)/g)) {
    let p = path.normalize(m[1]!);
    for (let i = 0; i < 64 && !existsSync(p); i++) p = path.dirname(p);
    dirs.add(p);
    if (dirs.size >= 8) break;
  }
  return [...dirs];
}
