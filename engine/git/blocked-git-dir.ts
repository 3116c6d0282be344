import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The engine's git dir of a workspace will not take what git writes there, told from the
 * directory itself, never from git's words (git quotes paths, and a worker names its files):
 * a lock put back each time it was removed (`locked`: a process left running outside the
 * sandbox), or folders the system will not let the engine write (`refused`: their permissions
 * or attributes changed, `chmod`, `chattr +i`). The engine made that directory its own;
 * nothing can be read or written through it meanwhile. Without the OS sandbox only: under it
 * no worker process reaches that directory.
 */
export class EngineGitBlockedError extends Error {
  override name = 'EngineGitBlockedError';
  constructor(
    readonly gitDir: string,
    readonly why: string,
    readonly kind: 'locked' | 'refused',
  ) {
    super(
      kind === 'locked'
        ? `the engine's git dir ${gitDir} keeps being locked (${why}: a process left running outside the sandbox?)`
        : `the engine's git dir ${gitDir} refuses the engine's writes (${why}: its permissions or attributes were changed by something other than the engine?)`,
    );
  }
}

/** The system's answers that say a folder is not the engine's to write any more (a full or read-only disk is the machine's). */
const REFUSED = new Set(['EACCES', 'EPERM']);

/**
 * The first folder of the engine's git dir git or the engine writes into (the dir itself,
 * `info/`, `objects/` and its fan-out folders, `refs/` and those in it) that the system will not let this process write,
 * with the system's answer; null when every one can be written. Asked only once git or the
 * engine failed there, so its cost (a few hundred `access` calls) is not on any normal path.
 * Impure (access, readdir).
 */
export function refusedFolder(gitDir: string): string | null {
  const folders = [gitDir, path.join(gitDir, 'info'), path.join(gitDir, 'objects'), ...subfolders(path.join(gitDir, 'objects')), path.join(gitDir, 'refs'), ...subfolders(path.join(gitDir, 'refs'))];
  for (const dir of folders) {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (REFUSED.has(code)) return `${dir}: ${code === 'EPERM' ? 'operation not permitted' : 'permission denied'}`;
    }
  }
  return null;
}

/** The folders directly in `dir` (links not followed); none when it cannot be read. Impure. */
function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}
