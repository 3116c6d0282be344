import { existsSync } from 'node:fs';
import { deflateObject, holdsObject, looseObjectPath, objectId, readOrNull, writeObjectFile } from './loose-objects.js';
import type { IndexEntry } from './stat-record.js';

/**
 * What `git write-tree` does, without a git process: the tree objects of an index's entries,
 * written as loose objects where the store lacks them, and the root tree's id. Only for an
 * index the stat record can vouch for (stage 0, regular files, executables and links, no
 * flags: stat-record.ts parseIndex); anything else is left to git. A snapshot is one git
 * process (`add`) instead of two.
 */

/** Above this many entries git's cache of unchanged subtrees beats hashing every tree again. */
export const IN_PROCESS_ENTRIES = 20_000;

/** One tree object: its id and its whole bytes (`tree <size>\0<entries>`). */
export interface TreeObject {
  id: string;
  object: Buffer;
}

/**
 * The tree objects of index entries (sorted as an index sorts them, by path bytes), every
 * directory's tree before the tree holding it; the root's last. The entries' modes are
 * written as git writes them, a directory's as `40000`, and each tree's entries in git's
 * order (a directory's name compared as if it ended in `/`). Pure.
 */
export function treeObjectsOf(given: readonly Pick<IndexEntry, 'path' | 'mode' | 'sha'>[]): TreeObject[] {
  // An index is sorted by path bytes, so a directory's entries stand together; sorted again
  // all the same, each path encoded once (not at every comparison).
  const entries = given.map((e) => ({ ...e, bytes: Buffer.from(e.path) })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const out: TreeObject[] = [];
  const build = (from: number, to: number, prefix: string): string => {
    const items: { name: string; sortKey: Buffer; mode: string; sha: string }[] = [];
    let i = from;
    while (i < to) {
      const rest = entries[i]!.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        items.push({ name: rest, sortKey: Buffer.from(rest), mode: entries[i]!.mode.toString(8), sha: entries[i]!.sha });
        i++;
        continue;
      }
      const dir = rest.slice(0, slash);
      const sub = `${prefix}${dir}/`;
      let j = i;
      while (j < to && entries[j]!.path.startsWith(sub)) j++;
      items.push({ name: dir, sortKey: Buffer.from(`${dir}/`), mode: '40000', sha: build(i, j, sub) });
      i = j;
    }
    items.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    const body = Buffer.concat(items.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.sha, 'hex')]));
    const object = Buffer.concat([Buffer.from(`tree ${body.length}\0`), body]);
    const id = objectId(object);
    out.push({ id, object });
    return id;
  };
  build(0, entries.length, '');
  return out;
}

/**
 * Writes the trees of `entries` into `objectsDir` (a file already there is kept only when it
 * holds that very tree) and returns the root tree's id. `known`: ids this process already
 * wrote or checked, whose files are only looked for (one removed since is written again).
 * Impure (object files).
 */
export function writeTrees(objectsDir: string, entries: readonly Pick<IndexEntry, 'path' | 'mode' | 'sha'>[], known: Set<string>): string {
  const trees = treeObjectsOf(entries);
  for (const t of trees) {
    const file = looseObjectPath(objectsDir, t.id);
    if (known.has(t.id) && existsSync(file)) continue;
    if (!holdsObject(readOrNull(file), t.id)) writeObjectFile(file, deflateObject(t.object));
    known.add(t.id);
  }
  return trees.at(-1)!.id;
}
