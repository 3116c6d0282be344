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
 * What the last build of a workspace's trees was made from, so that the next one builds only
 * the directories whose entries changed: its entries (sorted; never changed in place), and
 * each directory's tree id by its prefix (`''` the root, `src/`, `src/lib/`). Pure data: the
 * ids follow from the entries alone, whatever happened to the workspace in between.
 */
export interface TreeMemo {
  entries: readonly TreeEntry[];
  ids: Map<string, string>;
}

type TreeEntry = Pick<IndexEntry, 'path' | 'mode' | 'sha'>;

/**
 * The tree objects of index entries (sorted as an index sorts them, by path bytes), every
 * directory's tree before the tree holding it; the root's last. The entries' modes are
 * written as git writes them, a directory's as `40000`, and each tree's entries in git's
 * order (a directory's name compared as if it ended in `/`). With `memo` (the last build's),
 * a directory none of whose entries, at any depth, was added, removed or changed is not built
 * again: its id is the memo's, and its trees are not among `objects`. `memo` returned: this
 * build's entries and every directory's tree id by prefix (`''` the root, `src/`,
 * `src/lib/`). Pure.
 */
export function buildTrees(given: readonly TreeEntry[], memo?: TreeMemo): { objects: TreeObject[]; root: string; memo: TreeMemo } {
  // An index is sorted by path bytes, so a directory's entries stand together; one that is
  // not (git's own never is) is sorted.
  const entries = isSorted(given) ? given : [...given].sort((a, b) => byteOrder(a.path, b.path));
  const dirty = memo ? changedDirs(memo.entries, entries) : null;
  // The memo's ids stand for every directory not built again; a changed one's is replaced
  // below, and one that is gone is dropped at the end.
  const ids = new Map<string, string>(memo?.ids);
  const objects: TreeObject[] = [];
  const build = (from: number, to: number, prefix: string): string => {
    const kept = dirty && !dirty.has(prefix) ? ids.get(prefix) : undefined;
    if (kept !== undefined) return kept;
    dirty?.delete(prefix);
    const items: { name: string; sortKey: string; mode: string; sha: string }[] = [];
    let i = from;
    while (i < to) {
      const rest = entries[i]!.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        items.push({ name: rest, sortKey: rest, mode: entries[i]!.mode.toString(8), sha: entries[i]!.sha });
        i++;
        continue;
      }
      const dir = rest.slice(0, slash);
      const sub = `${prefix}${dir}/`;
      let j = i;
      while (j < to && entries[j]!.path.startsWith(sub)) j++;
      items.push({ name: dir, sortKey: `${dir}/`, mode: '40000', sha: build(i, j, sub) });
      i = j;
    }
    items.sort((a, b) => byteOrder(a.sortKey, b.sortKey));
    const object = treeObject(items);
    const id = objectId(object);
    objects.push({ id, object });
    ids.set(prefix, id);
    return id;
  };
  const root = build(0, entries.length, '');
  // What is still dirty was not built: a directory with no entries left.
  for (const gone of dirty ?? []) ids.delete(gone);
  return { objects, root, memo: { entries, ids } };
}

/** A tree object's bytes: `tree <size>\0`, then `<mode> <name>\0<20-byte id>` per item. Pure. */
function treeObject(items: readonly { name: string; mode: string; sha: string }[]): Buffer {
  let size = 0;
  for (const e of items) size += e.mode.length + 1 + Buffer.byteLength(e.name) + 1 + 20;
  const head = `tree ${size}\0`;
  const out = Buffer.allocUnsafe(head.length + size);
  let at = out.write(head, 0, 'latin1');
  for (const e of items) {
    at += out.write(`${e.mode} ${e.name}\0`, at);
    at += out.write(e.sha, at, 'hex');
  }
  // Every byte written (an id that is not 40 hex digits would leave some as they were found).
  if (at !== out.length) throw new Error(`tree object: ${at} of ${out.length} bytes written (an entry's id is not 40 hex digits)`);
  return out;
}

/**
 * The order of two paths' UTF-8 bytes, from their UTF-16 code units: the same but where both
 * are at or above U+D800 (a surrogate, half of a code point beyond U+FFFF, comes after
 * U+E000–U+FFFF in UTF-8 and before them in UTF-16). Pure.
 */
export function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return beyondBmp(x) - beyondBmp(y);
    return x - y;
  }
  return a.length - b.length;
}

const beyondBmp = (c: number): number => (c >= 0xd800 && c < 0xe000 ? c + 0x10000 : c);

function isSorted(entries: readonly TreeEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (byteOrder(entries[i - 1]!.path, entries[i]!.path) >= 0) return false;
  return true;
}

/** The prefixes of every directory holding (at any depth) a path added, removed or changed between two builds' sorted entries. Pure. */
function changedDirs(before: readonly TreeEntry[], now: readonly TreeEntry[]): Set<string> {
  const dirty = new Set<string>();
  const mark = (p: string) => {
    dirty.add('');
    for (let at = p.indexOf('/'); at >= 0; at = p.indexOf('/', at + 1)) dirty.add(p.slice(0, at + 1));
  };
  let i = 0;
  let j = 0;
  while (i < before.length || j < now.length) {
    const order = i >= before.length ? 1 : j >= now.length ? -1 : byteOrder(before[i]!.path, now[j]!.path);
    if (order < 0) mark(before[i++]!.path);
    else if (order > 0) mark(now[j++]!.path);
    else {
      if (before[i]!.sha !== now[j]!.sha || before[i]!.mode !== now[j]!.mode) mark(now[j]!.path);
      i++;
      j++;
    }
  }
  return dirty;
}

/** The tree objects of index entries, every one built (buildTrees without a memo). Pure. */
export function treeObjectsOf(given: readonly TreeEntry[]): TreeObject[] {
  return buildTrees(given).objects;
}

/**
 * Writes the trees of `entries` into `objectsDir` (a file already there is kept only when it
 * holds that very tree) and returns the root tree's id. `known`: ids this process already
 * wrote or checked, whose files are only looked for (one removed since is written again).
 * `memo` (the workspace's, updated here): the last build, so that only changed directories
 * are built again; every directory's tree file is still looked for, and one missing (a worker
 * without the OS sandbox can remove it) makes every tree be built and checked again.
 * Impure (object files).
 */
export function writeTrees(objectsDir: string, entries: readonly TreeEntry[], known: Set<string>, memo?: { last?: TreeMemo }): string {
  const built = buildTrees(entries, memo?.last);
  const fresh = new Set(built.objects.map((t) => t.id));
  for (const id of built.memo.ids.values()) {
    if (fresh.has(id) || existsSync(looseObjectPath(objectsDir, id))) continue;
    memo!.last = undefined;
    return writeTrees(objectsDir, entries, known, memo);
  }
  for (const t of built.objects) {
    const file = looseObjectPath(objectsDir, t.id);
    if (known.has(t.id) && existsSync(file)) continue;
    if (!holdsObject(readOrNull(file), t.id)) writeObjectFile(file, deflateObject(t.object));
    known.add(t.id);
  }
  if (memo) memo.last = built.memo;
  return built.root;
}
