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
  const folder = (rel: string): boolean => {
    const st = lstatSync(path.join(gitDir, rel), { throwIfNoEntry: false });
    if (st === undefined || st.isDirectory()) return st !== undefined;
    out.push(rel);
    return false;
  };
  for (const rel of FILES) {
    const st = lstatSync(path.join(gitDir, rel), { throwIfNoEntry: false });
    if (st !== undefined && !st.isFile()) out.push(rel);
  }
  folder('info');
  if (folder('refs')) for (const rel of ['refs/heads', 'refs/tags']) folder(rel);
  if (!folder('objects')) return out;
  for (const e of listed(gitDir, 'objects')) {
    const rel = `objects/${e.name}`;
    if ((FAN_OUT.test(e.name) || e.name === 'pack' || e.name === 'info') && !e.isDirectory()) out.push(rel);
  }
  if (isFolder(gitDir, 'objects/pack')) for (const e of listed(gitDir, 'objects/pack')) out.push(`objects/pack/${e.name}`);
  if (isFolder(gitDir, 'objects/info')) for (const e of listed(gitDir, 'objects/info')) if (e.name !== 'alternates') out.push(`objects/info/${e.name}`);
  return out;
}

/** Files of the engine's git dir read or written by name. */
const FILES = ['HEAD', 'index', 'engine-stat-mark'];
/** The names git gives the fan-out folders of loose objects. */
const FAN_OUT = /^[0-9a-f]{2}$/;

function isFolder(gitDir: string, rel: string): boolean {
  return lstatSync(path.join(gitDir, rel), { throwIfNoEntry: false })?.isDirectory() === true;
}

function listed(gitDir: string, rel: string): Dirent[] {
  try {
    return readdirSync(path.join(gitDir, rel), { withFileTypes: true });
  } catch {
    return [];
  }
}
