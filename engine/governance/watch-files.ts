import { lstatSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { readRegularFileSync } from '../util/read-or-null.js';
import path from 'node:path';
import type { Violation, ViolationRule } from './check-changes.js';
import { digestIndexEntries } from './index-entries.js';
import { sha256Hex } from '../util/sha256-hex.js';

/**
 * Files outside the workspace that no step may change — the user's repository (HEAD, refs,
 * config, hooks, info, index), the engine's own install, the engine's git dir of the
 * workspace, the shared ignored paths of the user's checkout — each fingerprinted by what
 * `lstat` says (type, mode, size, mtime, ctime, inode), the user's index by the entries it stages.
 * A baseline is taken when a session starts driving the run; after every step the current
 * fingerprints are compared with it. Impure (reads the filesystem).
 */
export interface WatchedTree {
  rule: Extract<ViolationRule, 'user_repo' | 'engine_install' | 'engine_git' | 'shared_path' | 'cli_config'>;
  /** Absolute directory the paths are relative to. */
  root: string;
  /** Relative files or directories (walked) under root. */
  paths: readonly string[];
  /** Relative paths (and everything under them) left out. */
  skip?: readonly string[];
  /** Which relative paths are git index files, compared by their staged entries. */
  isIndex?: (rel: string) => boolean;
  /** Object id length of the repository those indexes belong to (20 SHA-1, 32 SHA-256). */
  hashBytes?: number;
  /** How violation paths are shown (default: relative to root). */
  label?: (rel: string) => string;
  /**
   * Files compared by what a function takes of their bytes (e.g. only the MCP servers of a
   * JSON file the CLI itself rewrites on every start), by relative path.
   */
  digests?: Readonly<Record<string, (bytes: Buffer) => string>>;
  /**
   * Every other file of the tree compared by what this takes of its bytes (e.g. their hash):
   * for config whose content is what matters, so that a write of the same bytes is no change.
   */
  digestAll?: (bytes: Buffer) => string;
  /** Entries nothing runs or reads (a source map, a type declaration), by name and relative path: not even stat'ed. */
  inert?: (name: string, rel: string) => boolean;
  /**
   * Relative directories whose files count by name, type, size and inode, not by their times:
   * git touches a pack's times to freshen it (any git writing an object a pack already holds,
   * the engine's own through its alternates included), and a pack is never written in place.
   */
  untimed?: readonly string[];
}

export type Fingerprints = Map<string, string>;

/** Fingerprints of every file of every watched tree, keyed `<rule>\0<root>\0<rel>`. `now` is the wall clock (ms), injectable for tests. Impure. */
export function fingerprintTrees(trees: readonly WatchedTree[], now: () => number = Date.now): Fingerprints {
  const out: Fingerprints = new Map();
  const settled = now() - SETTLED_MS;
  for (const t of trees) {
    const walking: Walking = { out, settled, t, skip: new Set(t.skip ?? []), listings: listingsOf(t) };
    for (const entry of rootEntries(t)) walk(entry, walking);
  }
  return out;
}

/**
 * One path of a watched tree as the walk meets it again and again: its names made once (the
 * walk runs over every watched file after every step without the OS sandbox, about 1,100
 * files, and building each file's key and stamp anew was half its cost), and the stat it
 * last had with the fingerprint made of it.
 */
interface Entry {
  rel: string;
  abs: string;
  key: string;
  /** The fingerprint of a plain file (not an index, a link or a digested file) and the stat it was made from. */
  last?: { mode: number; size: number; mtimeMs: number; ctimeMs: number; ino: number; text: string };
}

interface Walking {
  out: Fingerprints;
  /** A directory whose ctime is older than this (ms) has settled: its listing can be kept. */
  settled: number;
  t: WatchedTree;
  skip: Set<string>;
  listings: Map<string, Listing>;
}

/**
 * How long ago a directory must have last changed before its listing is reused. Any later
 * change to its entries moves its ctime (which nobody but the clock sets) past the one kept;
 * a change within the same timestamp tick as the listing could not be told apart, so a
 * directory that changed recently is listed again. Two seconds covers the coarsest timestamps
 * of the file systems the engine runs on (the kernel's coarse clock, 1–2 s on network and
 * FAT file systems).
 */
const SETTLED_MS = 2000;

/**
 * The entries of a directory walked, with the stat it was listed at. lstat of every entry
 * still runs at every walk (a file's change does not touch its directory); only the readdir
 * of a directory whose own stat is unchanged and settled is saved, with its entries' names.
 */
interface Listing {
  stamp: string;
  entries: Entry[];
}

/** Each tree's listings, by the directory's absolute path (a tree's skip and inert decide what a listing holds). */
const listingsByTree = new WeakMap<WatchedTree, Map<string, Listing>>();
const rootsByTree = new WeakMap<WatchedTree, Entry[]>();

function listingsOf(t: WatchedTree): Map<string, Listing> {
  let listings = listingsByTree.get(t);
  if (!listings) listingsByTree.set(t, (listings = new Map()));
  return listings;
}

function entryOf(t: WatchedTree, rel: string): Entry {
  return { rel, abs: t.root + path.sep + rel, key: `${t.rule}\0${t.root}\0${rel}` };
}

function rootEntries(t: WatchedTree): Entry[] {
  let roots = rootsByTree.get(t);
  if (!roots) rootsByTree.set(t, (roots = t.paths.map((rel) => entryOf(t, rel))));
  return roots;
}

/** The entries of a directory (those neither skipped nor inert): the kept listing when its stat says nothing was added, removed or renamed in it since; null when unreadable. */
function entriesIn(dir: Entry, st: Stats, w: Walking): Entry[] | null {
  const stamp = stampOf(st);
  const known = w.listings.get(dir.abs);
  if (known?.stamp === stamp) return known.entries;
  let names: string[];
  try {
    names = readdirSync(dir.abs);
  } catch {
    w.listings.delete(dir.abs);
    return null;
  }
  const entries: Entry[] = [];
  const kept = new Map(known?.entries.map((e) => [e.rel, e]));
  for (const name of names) {
    const rel = dir.rel === '' || dir.rel === '.' ? name : `${dir.rel}/${name}`;
    if (w.skip.has(rel) || w.t.inert?.(name, rel)) continue;
    entries.push(kept.get(rel) ?? entryOf(w.t, rel));
  }
  if (st.ctimeMs < w.settled) w.listings.set(dir.abs, { stamp, entries });
  else w.listings.delete(dir.abs);
  return entries;
}

/** The violations between a baseline and now: one per changed, added or removed file. Pure. */
export function compareFingerprints(trees: readonly WatchedTree[], before: Fingerprints, after: Fingerprints): Violation[] {
  const byKey = new Map(trees.map((t) => [`${t.rule}\0${t.root}`, t] as const));
  const out: Violation[] = [];
  for (const [key, value] of after) if (before.get(key) !== value) out.push(violationOf(key, byKey));
  for (const key of before.keys()) if (!after.has(key)) out.push(violationOf(key, byKey));
  return out.sort((a, b) => (a.rule + a.path < b.rule + b.path ? -1 : 1));
}

function violationOf(key: string, byKey: Map<string, WatchedTree>): Violation {
  const [rule, root, rel] = key.split('\0') as [WatchedTree['rule'], string, string];
  const tree = byKey.get(`${rule}\0${root}`);
  return { path: tree?.label ? tree.label(rel) : rel, rule, pattern: null };
}

/** The last digest of each file compared by one, with the stat it was taken at. */
const digested = new Map<string, { stamp: string; fn: (bytes: Buffer) => string; value: string }>();

/** A file's digest by `fn`; one it cannot read or take apart is its own value, so a change to or from it shows. */
function digestOf(abs: string, fn: (bytes: Buffer) => string): string {
  let bytes: Buffer;
  try {
    // Opened without blocking and read only as a regular file: one swapped for a FIFO after
    // the walk's lstat would hold the engine in open(2).
    bytes = readRegularFileSync(abs);
  } catch (error) {
    return `unreadable:${(error as Error).message}`;
  }
  try {
    return fn(bytes);
  } catch {
    // What the digest cannot read (not JSON, nested too deep) counts whole: a fixed mark
    // would let any change to such a file, a planted server included, pass unseen.
    return `bytes:${sha256Hex(bytes)}`;
  }
}

/**
 * Size, times and inode of a stat, or `absent`. Times in ms as doubles: a quarter of a
 * microsecond apart at today's dates, far finer than any two writes a step apart (a bigint
 * stat costs more, and this runs for every watched file after every step).
 */
function stampOf(st: Stats | undefined): string {
  return st ? `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}` : 'absent';
}

function readlinkOf(abs: string): string {
  try {
    return readlinkSync(abs);
  } catch {
    return '?';
  }
}

function walk(entry: Entry, w: Walking): void {
  const { t, out } = w;
  const { rel, abs, key } = entry;
  if (w.skip.has(rel)) return;
  // Runs after every step over every watched file: no exception for a missing one, no sort.
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isFile() && t.isIndex?.(rel)) {
    // Read as every digested file is: one swapped for a FIFO since its lstat is its own value, never a wait.
    out.set(key, digestOf(abs, (bytes) => `index:${digestIndexEntries(bytes, t.hashBytes ?? 20)}`));
    return;
  }
  // A link (a dotfiles manager's ~/.claude/settings.json) counts by itself and by what it
  // leads to: a write through it changes the target, not the link.
  const target = st.isSymbolicLink() ? { to: readlinkOf(abs), st: statSync(abs, { throwIfNoEntry: false }) } : null;
  const link = target ? `->${target.to}:${stampOf(target.st)}` : '';
  const digest = t.digests?.[rel] ?? t.digestAll;
  if (digest && (target ? target.st?.isFile() : st.isFile())) {
    // Read again only when the file changed: ~/.claude.json can be megabytes, walked after every step.
    const stamp = `${stampOf(st)}${link}`;
    let known = digested.get(abs);
    if (known?.stamp !== stamp || known.fn !== digest) digested.set(abs, (known = { stamp, fn: digest, value: digestOf(abs, digest) }));
    // A link counts by where it points, not by the target's stat: that changes at every rewrite the digest leaves out.
    out.set(key, `digest:${known.value}${target ? `:${target.to}` : ''}`);
    return;
  }
  // A directory counts by its entries (walked below), not its mtime, which git's own lock files touch.
  if (!st.isDirectory()) {
    out.set(key, target ? fileText(t, rel, st, link) : plainFileText(t, entry, st));
    return;
  }
  out.set(key, `dir:${st.mode}`);
  const entries = entriesIn(entry, st, w);
  if (entries) for (const child of entries) walk(child, w);
}

/** A file's fingerprint: ctime too, since nobody can set it back, so a write that restores size and mtime still shows. Pure. */
function fileText(t: WatchedTree, rel: string, st: Stats, link: string): string {
  return untimed(t, rel) ? `${st.mode}:${st.size}:${st.ino}${link}` : `${st.mode}:${stampOf(st)}${link}`;
}

/** fileText of a file that is not a link, the text kept while its stat stands (made anew, the numbers' text was most of a walk's cost). */
function plainFileText(t: WatchedTree, entry: Entry, st: Stats): string {
  const last = entry.last;
  if (last && last.mode === st.mode && last.size === st.size && last.mtimeMs === st.mtimeMs && last.ctimeMs === st.ctimeMs && last.ino === st.ino) return last.text;
  const text = fileText(t, entry.rel, st, '');
  entry.last = { mode: st.mode, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, text };
  return text;
}

/** Whether a file of the tree counts without its times (WatchedTree.untimed). Pure. */
function untimed(t: WatchedTree, rel: string): boolean {
  return t.untimed !== undefined && t.untimed.some((dir) => rel.startsWith(`${dir}/`));
}
