import { lstatSync, statSync } from 'node:fs';

/** What kindOfPath says a path is; `link` only with `noFollow`. */
export type PathKind = 'file' | 'directory' | 'link' | 'other' | 'none';

/**
 * What a path is, its links followed: a regular file, a directory, something else (a FIFO, a
 * device, a socket), or nothing that can be stat'ed (missing, a path through a file, a link
 * loop, a folder not to be read, a NUL in the name). The config's path rules and the worker
 * plugin loader ask the same question before they open anything. With `noFollow`, of the
 * last component itself (lstat): a symbolic link is `link`, whatever it leads to — what the
 * engine asks of a name a worker could have put a link at (a workspace's parts, a removal
 * mark, a folder of a run's records). Impure (stats).
 */
export function kindOfPath(p: string): Exclude<PathKind, 'link'>;
export function kindOfPath(p: string, options: { noFollow: true }): PathKind;
export function kindOfPath(p: string, options: { noFollow?: boolean } = {}): PathKind {
  try {
    const st = options.noFollow ? lstatSync(p) : statSync(p);
    return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : 'other';
  } catch {
    return 'none';
  }
}
