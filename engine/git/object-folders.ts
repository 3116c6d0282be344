import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The entries of a git dir's `objects/` where git keeps a folder of its own (the fan-out
 * folders `00`…`ff`, `pack`, `info`) that are no folder there: a link (git writes each new
 * object through it, into whatever it names, and reads objects from there as its own) or a
 * file. Without the OS sandbox a worker can put them in the engine's git dir; named relative
 * to the git dir (`objects/ab`). One `readdir` of `objects/`, no `stat`. Impure.
 */
export function misplacedObjectFolders(gitDir: string): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(gitDir, 'objects'), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => (/^[0-9a-f]{2}$/.test(e.name) || e.name === 'pack' || e.name === 'info') && !e.isDirectory()).map((e) => `objects/${e.name}`);
}
