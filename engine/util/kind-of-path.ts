import { statSync } from 'node:fs';

/**
 * What a path is, its links followed: a regular file, a directory, something else (a FIFO, a
 * device, a socket), or nothing that can be stat'ed (missing, a path through a file, a link
 * loop, a folder not to be read, a NUL in the name). The config's path rules and the worker
 * plugin loader ask the same question before they open anything. Impure (stats).
 */
export function kindOfPath(p: string): 'file' | 'directory' | 'other' | 'none' {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'none';
  }
}
