import { closeSync, constants, existsSync, openSync } from 'node:fs';

/** A directory held open, and the path that names it for another process, whatever it is called by then. */
export interface PinnedDirectory {
  /** `/proc/<engine pid>/fd/<n>` on Linux (the kernel resolves it to the open directory itself); elsewhere the path given. */
  path: string;
  close(): void;
}

/**
 * Opens `dir` without following a link at its last component (ELOOP when one is there,
 * ENOTDIR when it is no directory) and gives a path to it that a child process resolves to
 * that very directory, even if it was renamed and something else put at its name meanwhile:
 * the engine's own `/proc/<pid>/fd/<n>` (readable by the engine's user). Where /proc is not
 * there (macOS, a container without it), the plain path, checked only as it was opened. Impure.
 */
export function pinDirectory(dir: string): PinnedDirectory {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  const viaProc = `/proc/${process.pid}/fd/${fd}`;
  const path = process.platform === 'linux' && existsSync(viaProc) ? viaProc : dir;
  let open = true;
  return {
    path,
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
