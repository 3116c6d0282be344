import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * What stands in the engine's git dir where git or the engine goes by name and the engine
 * never put it. Without the OS sandbox a worker can reach that directory (it is beside its
 * workspace), and git goes through whatever it finds there:
 *   - a link (or a file) where a folder must be: `objects`, `refs`, `info` and the folders in
 *     them (`objects/00`…`ff`, `objects/pack`, `objects/info`, `refs/heads`, `refs/tags`). git
 *     wrote each new object through a link at `objects` or `objects/ab` into whatever folder it
 *     named, and the engine's reset removed `objects/info` through one, in another repository;
 *   - anything in `objects/pack` (the engine's git never packs: `gc.auto=0`, every blob loose):
 *     git reads a pack before loose objects and checks no hash on the way, so a forged pack
 *     naming the id of the tree a snapshot will write showed the checks another tree than the
 *     one committed;
 *   - anything in `objects/info` but `alternates` (a commit-graph or a list of packs);
 *   - something other than a regular file at `HEAD`, `index` or `engine-stat-mark`: a FIFO
 *     there held the engine forever at its next read or write, a link was read through
 *     (`engine-run-dir` is read only by a FIFO-safe read, and kept).
 * Named relative to the git dir, outermost first; nothing is looked for inside a folder
 * already named. About fifteen `lstat`s and three `readdir`s. Impure.
 */
export function misplacedEntries(gitDir: string): string[] {
  const out: string[] = [];
  for (const rel of FILES) {
    const st = lstatSync(path.join(gitDir, rel), { throwIfNoEntry: false });
    if (st !== undefined && !st.isFile()) out.push(rel);
  }
  // Missing or misplaced: nothing inside it is looked at (a link leads elsewhere).
  const notFolder = new Set<string>();
  for (const rel of GIT_FOLDERS) {
    const st = notFolder.has(path.dirname(rel)) ? undefined : lstatSync(path.join(gitDir, rel), { throwIfNoEntry: false });
    if (st?.isDirectory()) continue;
    notFolder.add(rel);
    if (st !== undefined) out.push(rel);
  }
  const inside = (rel: string): Dirent[] => (notFolder.has(rel) ? [] : listed(gitDir, rel));
  for (const e of inside('objects')) if (FAN_OUT.test(e.name) && !e.isDirectory()) out.push(`objects/${e.name}`);
  for (const e of inside('objects/pack')) out.push(`objects/pack/${e.name}`);
  for (const e of inside('objects/info')) if (e.name !== 'alternates') out.push(`objects/info/${e.name}`);
  return out;
}

/**
 * The folders of a git dir that git goes through by name (besides the fan-out folders of
 * `objects`), each after the folder it is in.
 */
export const GIT_FOLDERS = ['info', 'objects', 'objects/pack', 'objects/info', 'refs', 'refs/heads', 'refs/tags'];
/** Files of the engine's git dir read or written by name. */
const FILES = ['HEAD', 'index', 'engine-stat-mark'];
/** The names git gives the fan-out folders of loose objects. */
export const FAN_OUT = /^[0-9a-f]{2}$/;

/** The entries of the folder `rel` of the git dir; none when it cannot be listed. Impure. */
function listed(gitDir: string, rel: string): Dirent[] {
  try {
    return readdirSync(path.join(gitDir, rel), { withFileTypes: true });
  } catch {
    return [];
  }
}
