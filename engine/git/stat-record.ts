import { createHash, randomBytes } from 'node:crypto';
import { closeSync, type Dirent, fstatSync, lstatSync, readdirSync, readFileSync, readlinkSync, readSync, renameSync, writeSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { DEEP_DIR_BYTES } from '../util/deep-path.js';
import { openOwnFile, writeFreshFile } from '../util/open-own-file.js';
import { readPlainFileSync, readRegularFileSync } from '../util/read-or-null.js';
import { openRegularSync } from '../util/open-regular.js';
import { fdPath, NO_DESCRIPTORS, openWithin, removeFile, removeTree, removeWithin } from '../util/remove-tree.js';
import { isUtf8Name, shownName } from '../util/shown-name.js';
import { grantOwner, lacksOwnerBits } from '../util/grant-owner.js';
import { blocksGit } from './special-files.js';

/**
 * What the workspace looked like when the engine last snapshotted it, so that a step that
 * changed nothing costs no git process (docs/git.md, "Snapshots"). The record holds the tree,
 * the stat data git wrote into the engine's index for every file it staged, the stat and the
 * names of every directory of the workspace, and the ignore and attribute files git does not
 * track. The workspace is unchanged when every one of them stats the same:
 *
 * - a file: same type, executable bit, inode, size, mtime and ctime (to the nanosecond). ctime
 *   is set by the kernel on every change of content or metadata and cannot be put back, so a
 *   change that keeps the size and restores the mtime (`touch -d`) is seen;
 * - a directory: same inode, mtime and ctime. Creating, removing or renaming an entry changes
 *   them, so a new file, in a new directory or an old one (empty, or holding only ignored
 *   files), is seen without listing anything;
 * - the racy-timestamp rule (git's, Documentation/technical/racy-git.txt): timestamps come from
 *   a coarse clock, so a change made in the same tick as the stat that was recorded leaves them
 *   as they were. An entry whose mtime or ctime is not older than the moment the recording
 *   began is therefore not trusted: a file is hashed again (as git does), a directory listed
 *   again and its names compared.
 *
 * Anything the record cannot vouch for — a nested repository (a gitlink), a conflicted or
 * flagged index entry, an index the engine did not leave, an unreadable directory, a workspace
 * of more than DIR_LIMIT directories — means no record, and the caller asks git.
 */
export interface StatRecord {
  tree: string;
  /** ctime of the mark written before the recording began: the racy threshold. */
  since: bigint;
  /** The engine's index as the snapshot left it: any other writer voids the record. */
  index: FileId;
  dirs: DirStat[];
  entries: IndexEntry[];
  /** `.gitignore` and `.gitattributes` files, tracked or not: they change what git stages. */
  extras: ExtraFile[];
}

export interface FileId {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export interface DirStat {
  rel: string;
  ino: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  names: string[];
}

/** One stage-0 entry of the index, with the stat data git recorded (inode and size truncated to 32 bits, as git stores them). */
export interface IndexEntry {
  path: string;
  mode: number;
  sha: string;
  ino: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export interface ExtraFile {
  rel: string;
  stat: FileId;
  sha: string;
}

/** A path's stat now, as judgeEntry needs it. */
export interface StatNow {
  kind: 'file' | 'link' | 'other';
  exec: boolean;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** Beyond this many directories the walk costs more than git would: no record. */
export const DIR_LIMIT = 20_000;
const MARK = 'engine-stat-mark';

/**
 * Writes the mark in the engine's git dir and returns its ctime: the file system's own "now",
 * at its own granularity. Taken before anything is recorded. `planted`: the mark's name held a
 * link (to a file of the user's, say), which was replaced, never written through; without
 * the OS sandbox a worker can plant one there. Impure.
 */
export function markNow(gitDir: string): { since: bigint | null; planted: string | null } {
  const file = path.join(gitDir, MARK);
  try {
    const { fd, replaced } = openOwnFile(file);
    try {
      // Any write moves the ctime; the bytes are not read. Emptying the file first would cost more than the write.
      writeSync(fd, String(process.pid), 0);
      return { since: fstatSync(fd, { bigint: true }).ctimeNs, planted: replaced ? file : null };
    } finally {
      closeSync(fd);
    }
  } catch {
    return { since: null, planted: null };
  }
}

/** The bytes not on disk (holes) a snapshot lets git read in all files: past it, sparse files are removed first (snapshot.ts). */
export const HOLE_BUDGET_BYTES = 256 * 2 ** 20;
/** A file this small is not counted: a file system can keep it inside its inode (no blocks at all). */
const INLINE_BYTES = 4096;

/**
 * One pass over the workspace (its own `.git` left out: git never reads it) for six things:
 * each file git opens where it stages, or that the engine's index tracks (`tracked`), that is
 * a FIFO, socket or device (git would wait on it for ever, or refuse it: special-files.ts) is
 * removed and named in `special`; each
 * regular file larger than `maxFileBytes` is named in `oversize` (a sparse file of a terabyte
 * costs a worker an instant, and git would read all of it); each directory holding a `.git`
 * (a nested repository) is named in `nested`; each directory too deep to enter
 * (util/deep-path.ts) is named in `deep`; each entry whose name is not UTF-8 is removed and
 * named in `undecodable`; and the
 * record of the walk, every directory with its stat taken before its listing and the ignore
 * and attribute files, or null when the workspace holds a nested repository, an unreadable
 * or too deep directory, a linked ignore file, a removed special file, or more than `limit`
 * directories.
 * The removal covers the whole tree whatever becomes of the record (it was a second walk of
 * its own: about as long as this one on a workspace of 20,000 files). Impure (reads the file
 * system, removes files).
 */
export function walkWorkspace(root: string, limit = DIR_LIMIT, maxFileBytes = Infinity, tracked: (rel: string) => boolean = () => false, statted: StatsByPath = NO_STATS): { record: { dirs: DirStat[]; extras: ExtraFile[] } | null; special: string[]; oversize: string[]; nested: string[]; sparse: { path: string; holes: number }[]; deep: string[]; undecodable: string[] } {
  let dirs: DirStat[] | null = [];
  const deep: string[] = [];
  const undecodable: string[] = [];
  // Counted in bytes once for the root; a child adds its name and a slash.
  const rootBytes = Buffer.byteLength(root);
  const extras: ExtraFile[] = [];
  const special: string[] = [];
  const oversize: string[] = [];
  const nested: string[] = [];
  const sparse: { path: string; holes: number }[] = [];
  const stack = [''];
  // Whether a file can be unreadable to this process (root reads any).
  const unreadable = process.getuid?.() !== 0;
  while (stack.length) {
    const rel = stack.pop()!;
    const abs = rel ? path.join(root, rel) : root;
    let names: Dirent[];
    let st: BigIntStats;
    try {
      st = lstatSync(abs, { bigint: true });
      // A directory of the engine's user it cannot enter (a worker's chmod): git would skip
      // it and fail to clean it; its permissions are given back (git records none).
      if (st.isDirectory() && lacksOwnerBits(Number(st.mode), Number(st.uid), 0o700) && grantOwner(abs, 0o700)) dirs = null;
      names = listEntries(root, rel, undecodable);
      if (undecodable.length) dirs = null;
    } catch {
      dirs = null;
      continue;
    }
    if (!st.isDirectory()) {
      dirs = null;
      continue;
    }
    if (dirs && dirs.length >= limit) dirs = null;
    dirs?.push({ rel, ino: st.ino, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, names: names.map((d) => d.name).sort() });
    for (const d of names) {
      const child = rel ? `${rel}/${d.name}` : d.name;
      if (d.name === '.git') {
        if (rel === '') continue;
        dirs = null;
        nested.push(rel);
      }
      // A file git stages (not one inside a nested repository's .git): its status, when its
      // size or its permissions matter.
      const fst = d.isFile() && (maxFileBytes !== Infinity || unreadable) && !/(^|\/)\.git\//.test(child) ? fileStat(root, child, statted) : undefined;
      // A file of the engine's user it cannot read fails git's add: read is given back.
      if (fst && unreadable && lacksOwnerBits(fst.mode, fst.uid, 0o400) && grantOwner(path.join(root, child), 0o400)) dirs = null;
      if (d.isDirectory()) {
        if (rootBytes + 1 + Buffer.byteLength(child) <= DEEP_DIR_BYTES) stack.push(child);
        else {
          deep.push(child);
          dirs = null;
        }
      } else if (fst && maxFileBytes !== Infinity && fst.size > maxFileBytes) {
        // Its size, before git reads it: git reads a file whole to stage it. (One git stages
        // without reading, tracked and unchanged, keeps the record: the caller decides.)
        oversize.push(child);
      } else if (fst && fst.size > INLINE_BYTES && fst.size > fst.blocks * 512) {
        // What git would read of it that is not on disk: counted over the snapshot.
        sparse.push({ path: child, holes: fst.size - fst.blocks * 512 });
      } else if (blocksGit(d, child, tracked)) {
        removeWithin(root, child);
        special.push(child);
        dirs = null;
      } else if (dirs && (d.name === '.gitignore' || d.name === '.gitattributes')) {
        const extra = readExtra(root, child);
        if (extra) extras.push(extra);
        else dirs = null;
      }
    }
  }
  return { record: dirs ? { dirs, extras } : null, special: special.sort(), oversize: oversize.sort(), nested: nested.sort(), sparse, deep: deep.sort(), undecodable: undecodable.sort() };
}

const NO_STATS: StatsByPath = new Map();

/** What the walk needs of a regular file's lstat. */
export interface FileStat {
  size: number;
  blocks: number;
  mode: number;
  uid: number;
}

/** Regular files' stats by workspace-relative path (a Map will do). */
export interface StatsByPath {
  get(rel: string): FileStat | undefined;
}

/**
 * The stats checkRecord took of the index's regular files: four numbers each in one array,
 * by the entry's place; the map from path to place is made on the first question (a check
 * that finds nothing changed never asks). Impure (keeps what it is given).
 */
export class StatTable implements StatsByPath {
  private readonly values: Float64Array;
  private places: Map<string, number> | null = null;

  constructor(private readonly entries: readonly { path: string }[]) {
    // NaN: no regular file was statted at that place.
    this.values = new Float64Array(entries.length * 4).fill(Number.NaN);
  }

  put(i: number, st: BigIntStats): void {
    const v = this.values;
    v[i * 4] = Number(st.size);
    v[i * 4 + 1] = Number(st.blocks);
    v[i * 4 + 2] = Number(st.mode);
    v[i * 4 + 3] = Number(st.uid);
  }

  get(rel: string): FileStat | undefined {
    if (!this.places) {
      this.places = new Map();
      this.entries.forEach((e, i) => this.places!.set(e.path, i));
    }
    const i = this.places.get(rel);
    if (i === undefined || Number.isNaN(this.values[i * 4]!)) return undefined;
    const v = this.values;
    return { size: v[i * 4]!, blocks: v[i * 4 + 1]!, mode: v[i * 4 + 2]!, uid: v[i * 4 + 3]! };
  }
}

/**
 * The file `rel` of `root` as lstat sees it: as `statted` has it (checkRecord statted every
 * regular file of the index a moment before), else asked now. Undefined when it is gone. A
 * process the step left running (only without the OS sandbox, which ends them all) can change
 * the file after that stat as after this one: the walk's checks race it from here to git's
 * `add`, as they always did from their own stat. Impure (stats).
 */
function fileStat(root: string, rel: string, statted: StatsByPath): FileStat | undefined {
  return statted.get(rel) ?? lstatSync(path.join(root, rel), { throwIfNoEntry: false });
}

/**
 * The entries of the directory `rel` of `root`. One whose name is not UTF-8 (listed as text,
 * a name that opens nothing: the walk could not enter it, a FIFO below held git for ever, and
 * removing the workspace failed) is removed first, whole, and named in `undecodable` with its
 * bytes as %XX. Impure (lists, renames, removes).
 */
function listEntries(root: string, rel: string, undecodable: string[]): Dirent[] {
  const abs = rel ? path.join(root, rel) : root;
  const names = readdirSync(abs, { withFileTypes: true });
  if (!names.some((d) => d.name.includes('\uFFFD'))) return names;
  // Renamed and removed through one descriptor of the folder, reached from the root without a
  // link: its path can be made to lead elsewhere between one rename and the next.
  const fd = openWithin(root, rel);
  if (fd === null) return [];
  const at = fd === NO_DESCRIPTORS ? abs : fdPath(fd);
  try {
    for (const raw of readdirSync(at, { encoding: 'buffer' })) {
      if (isUtf8Name(raw)) continue;
      const free = `.engine-non-utf8-${randomBytes(6).toString('hex')}`;
      try {
        renameSync(Buffer.concat([Buffer.from(`${at}/`), raw]), `${at}/${free}`);
      } catch {
        continue;
      }
      removeTree(`${at}/${free}`, path.join(abs, free));
      undecodable.push(rel ? `${rel}/${shownName(raw)}` : shownName(raw));
    }
    return readdirSync(at, { withFileTypes: true });
  } finally {
    if (fd !== NO_DESCRIPTORS) closeSync(fd);
  }
}

function readExtra(root: string, rel: string): ExtraFile | null {
  try {
    const read = readPlainFileSync(path.join(root, rel));
    return read ? { rel, stat: fileId(read.st), sha: blobSha(read.bytes) } : null;
  } catch {
    return null;
  }
}

function fileId(st: BigIntStats): FileId {
  return { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

/** The engine's index file, parsed, its identity and the bytes parsed; null when it cannot vouch for the workspace. Impure. */
export function readIndex(gitDir: string): { index: FileId; entries: IndexEntry[]; bytes: Buffer } | null {
  let opened;
  try {
    // Only a regular file: a FIFO put there would hold the engine.
    opened = openRegularSync(path.join(gitDir, 'index'), { bigint: true });
  } catch {
    return null;
  }
  if (!opened) return null;
  try {
    const bytes = readFileSync(opened.fd);
    const entries = parseIndex(bytes);
    return entries ? { index: fileId(opened.st), entries, bytes } : null;
  } catch {
    return null;
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * The entries of a version 2 or 3 index (SHA-1) the record can vouch for. Null for anything
 * else: another version, a conflict stage, an assume-valid, skip-worktree or intent-to-add
 * flag, a gitlink, a name that is not UTF-8. Pure.
 */
export function parseIndex(buf: Buffer): IndexEntry[] | null {
  const all = parseIndexEntries(buf);
  if (!all || all.some((e) => e.flags & 0xf000 || (e.mode !== 0o100644 && e.mode !== 0o100755 && e.mode !== 0o120000))) return null;
  // The same objects, their offset and flags left on them: a copy of each without them was one
  // more object a file at every snapshot, for nothing that reads them.
  return all;
}

/** Every entry of a version 2 or 3 index with its offset and flags; null for another format. Pure. */
/**
 * The paths of the engine's index of the workspace (git dir `gitDir`) whose names are not
 * UTF-8, each with those bytes as %XX: right after the workspace is made, what the
 * repository's own commit tracks. Such a path is neither named nor checked by the engine (the
 * snapshot removes it, non_utf8_path). None when the index cannot be read. Impure (reads).
 */
export function nonUtf8IndexPaths(gitDir: string): string[] {
  let buf: Buffer;
  try {
    buf = readRegularFileSync(path.join(gitDir, 'index'));
  } catch {
    return [];
  }
  const out: string[] = [];
  visitIndexEntries(buf, (_at, _flags, nameAt, end) => {
    const raw = buf.subarray(nameAt, end);
    if (!isUtf8Name(raw)) out.push(shownName(raw));
  });
  return out;
}

/**
 * Calls `visit` with each entry of an index (version 2 or 3): where it starts, its flags and
 * where its name lies in `buf`. False for an index of another version or one cut short (after
 * visiting the entries before the cut), or when `visit` returned false (it stops there). Pure
 * but for `visit`.
 */
function visitIndexEntries(buf: Buffer, visit: (at: number, flags: number, nameAt: number, end: number) => boolean | void): boolean {
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') return false;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return false;
  const count = buf.readUInt32BE(8);
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 62 > buf.length) return false;
    const flags = buf.readUInt16BE(at + 60);
    const nameAt = at + (flags & 0x4000 ? 64 : 62);
    const len = flags & 0xfff;
    const end = len < 0xfff ? nameAt + len : buf.indexOf(0, nameAt);
    if (end < 0 || end > buf.length || visit(at, flags, nameAt, end) === false) return false;
    at += (end - at + 8) & ~7;
  }
  return true;
}

export function parseIndexEntries(buf: Buffer): (IndexEntry & { at: number; flags: number })[] | null {
  const out: (IndexEntry & { at: number; flags: number })[] = [];
  const ns = (o: number) => BigInt(buf.readUInt32BE(o)) * 1_000_000_000n + BigInt(buf.readUInt32BE(o + 4));
  const read = visitIndexEntries(buf, (at, flags, nameAt, end) => {
    const name = buf.toString('utf8', nameAt, end);
    if (Buffer.byteLength(name) !== end - nameAt || name.includes('\ufffd')) return false;
    out.push({ at, flags, path: name, mode: buf.readUInt32BE(at + 24), sha: buf.toString('hex', at + 40, at + 60), ino: buf.readUInt32BE(at + 20), size: buf.readUInt32BE(at + 36), ctimeNs: ns(at), mtimeNs: ns(at + 8) });
  });
  return read ? out : null;
}

/**
 * Before `git add`: every entry of the engine's index whose file does not stat exactly (to
 * the nanosecond) as recorded, or that is racy against `since` (default: the index's own
 * mtime), gets its ctime set to 0 so that git hashes it again. git compares whole seconds
 * only and leaves ctime out of its racy rule: a file rewritten with its size kept and its
 * mtime put back, within the second of its last stat, would otherwise keep its old content
 * in the tree. `suspects`: the paths a full check of this same index already found (no
 * second look at the files). Impure (reads, may rewrite the index).
 */
export function smudgeIndex(gitDir: string, root: string, since: bigint | null, suspects: ReadonlySet<string> | null = null): void {
  const file = path.join(gitDir, 'index');
  let buf: Buffer;
  let mtime: bigint;
  try {
    buf = readRegularFileSync(file);
    mtime = lstatSync(file, { bigint: true }).mtimeNs;
  } catch {
    return;
  }
  // With the suspects known, only where they are is wanted: no entry is made into an object.
  const smudge = suspects ? entriesAt(buf, (p) => suspects.has(p)) : changedEntriesAt(buf, root, since ?? mtime);
  if (!smudge) {
    // An index the engine cannot read is not trusted at all: git stages from nothing.
    removeFile(file);
    return;
  }
  for (const at of smudge) buf.fill(0, at, at + 8);
  if (smudge.length === 0) return;
  const body = buf.subarray(0, buf.length - 20);
  if (buf.subarray(buf.length - 20).some((b) => b !== 0)) createHash('sha1').update(body).digest().copy(buf, buf.length - 20);
  const tmp = path.join(gitDir, `engine-index.${process.pid}.tmp`);
  writeFreshFile(tmp, buf);
  renameSync(tmp, file);
}

/**
 * Where each entry of an index (gitlinks left out) whose path `pick` takes begins; null for an
 * index parseIndexEntries refuses (another version, cut short, a name that is not UTF-8). Pure
 * but for `pick`.
 */
function entriesAt(buf: Buffer, pick: (path: string) => boolean): number[] | null {
  const out: number[] = [];
  const read = visitIndexEntries(buf, (at, _flags, nameAt, end) => {
    const name = buf.toString('utf8', nameAt, end);
    if (Buffer.byteLength(name) !== end - nameAt || name.includes('\ufffd')) return false;
    if (buf.readUInt32BE(at + 24) !== 0o160000 && pick(name)) out.push(at);
  });
  return read ? out : null;
}

/** Where each entry of an index (gitlinks left out) begins whose file does not stat as recorded, or is racy against `since`; null for an index parseIndexEntries refuses. Impure (stats). */
function changedEntriesAt(buf: Buffer, root: string, since: bigint): number[] | null {
  const entries = parseIndexEntries(buf);
  if (!entries) return null;
  return entries
    .filter((e) => {
      if (e.mode === 0o160000) return false;
      const st = statOrNull(`${root}/${e.path}`);
      return !st || judgeEntry(e, statNow(st), since) !== 'same';
    })
    .map((e) => e.at);
}

/**
 * Whether a file's stat now matches what was recorded: 'same', 'changed', or 'hash' when only
 * its content can tell (racily clean: recorded at or after `since`; or a size git smudged to
 * 0). Pure.
 */
export function judgeEntry(rec: Pick<IndexEntry, 'mode' | 'ino' | 'size' | 'mtimeNs' | 'ctimeNs'>, now: StatNow, since: bigint): 'same' | 'hash' | 'changed' {
  const link = rec.mode === 0o120000;
  if (now.kind !== (link ? 'link' : 'file')) return 'changed';
  if (!link && now.exec !== (rec.mode === 0o100755)) return 'changed';
  if (BigInt.asUintN(32, now.ino) !== BigInt(rec.ino) || now.mtimeNs !== rec.mtimeNs || now.ctimeNs !== rec.ctimeNs) return 'changed';
  const size = now.size % 2 ** 32;
  if (size !== rec.size) return rec.size === 0 ? 'hash' : 'changed';
  return rec.mtimeNs >= since || rec.ctimeNs >= since ? 'hash' : 'same';
}

/**
 * Which of `paths` (workspace-relative) stat exactly as the engine's index recorded them: git
 * stages those without reading them, or (racy against `since`: recorded in the clock tick of
 * the mark, as at a first snapshot right after the checkout) reads at most the size the index
 * already holds. An entry whose size git zeroed is not one of them. Impure (reads the index, stats).
 */
export function unchangedInIndex(gitDir: string, root: string, paths: readonly string[], since: bigint | null): Set<string> {
  const out = new Set<string>();
  const index = since === null ? null : readIndex(gitDir);
  if (!index || since === null) return out;
  const wanted = new Set(paths);
  for (const e of index.entries) {
    if (!wanted.has(e.path)) continue;
    const st = statOrNull(`${root}/${e.path}`);
    if (!st) continue;
    const now = statNow(st);
    const verdict = judgeEntry(e, now, since);
    if (verdict === 'same' || (verdict === 'hash' && now.size === e.size)) out.add(e.path);
  }
  return out;
}

/**
 * Whether the workspace is, file for file, what the record describes (see StatRecord), so
 * its tree is `rec.tree`. Any doubt answers false. When the engine's index is still the one
 * recorded, every file is looked at and `suspects` lists those that did not stat the same
 * (for smudgeIndex); otherwise it is null. When the answer is no, `stats` holds what each
 * regular file statted as (`lstat`), for the walk that follows (walkWorkspace: not one more
 * stat per file of the workspace). Impure (stats; reads a racy file).
 */
export function checkRecord(rec: StatRecord, root: string, gitDir: string): { unchanged: boolean; suspects: Set<string> | null; stats?: StatTable } {
  const index = statOrNull(path.join(gitDir, 'index'));
  if (!index || !sameId(rec.index, fileId(index))) return { unchanged: false, suspects: null };
  const suspects = new Set<string>();
  // Four numbers a file in one array, not its BigIntStats: what is kept outlives the loop (a
  // scavenge meanwhile copies it, then promotes it), and most checks find nothing changed.
  const stats = new StatTable(rec.entries);
  for (let i = 0; i < rec.entries.length; i++) {
    const e = rec.entries[i]!;
    const abs = `${root}/${e.path}`;
    const st = statOrNull(abs);
    if (st?.isFile()) stats.put(i, st);
    const verdict = st ? judgeEntry(e, statNow(st), rec.since) : 'changed';
    if (verdict === 'changed' || (verdict === 'hash' && contentSha(abs, st!) !== e.sha)) suspects.add(e.path);
  }
  if (suspects.size) return { unchanged: false, suspects, stats };
  for (const d of rec.dirs) if (!dirUnchanged(d, root, rec.since)) return { unchanged: false, suspects, stats };
  for (const x of rec.extras) {
    const abs = `${root}/${x.rel}`;
    const st = statOrNull(abs);
    if (!st || !st.isFile() || !sameId(x.stat, fileId(st))) return { unchanged: false, suspects, stats };
    if ((x.stat.mtimeNs >= rec.since || x.stat.ctimeNs >= rec.since) && contentSha(abs, st) !== x.sha) return { unchanged: false, suspects, stats };
  }
  return { unchanged: true, suspects };
}

function dirUnchanged(d: DirStat, root: string, since: bigint): boolean {
  const abs = d.rel ? path.join(root, d.rel) : root;
  const st = statOrNull(abs);
  if (!st || !st.isDirectory() || st.ino !== d.ino || st.mtimeNs !== d.mtimeNs || st.ctimeNs !== d.ctimeNs) return false;
  if (d.mtimeNs < since && d.ctimeNs < since) return true;
  try {
    const names = readdirSync(abs).sort();
    return names.length === d.names.length && names.every((n, i) => n === d.names[i]);
  } catch {
    return false;
  }
}

function statNow(st: BigIntStats): StatNow {
  const kind = st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : 'other';
  return { kind, exec: (st.mode & 0o100n) !== 0n, ino: st.ino, size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

function statOrNull(abs: string): BigIntStats | null {
  try {
    return lstatSync(abs, { bigint: true, throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

function sameId(a: FileId, b: FileId): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

function contentSha(abs: string, st: BigIntStats): string | null {
  try {
    return st.isSymbolicLink() ? blobSha(readlinkSync(abs, { encoding: 'buffer' })) : fileBlobSha(abs);
  } catch {
    return null;
  }
}

/** How much of a file is read at a time to hash it. */
const HASH_CHUNK = 1 << 20;

/**
 * git's object id of a file's bytes, read a chunk at a time: a worker's file can be gigabytes
 * (a sparse one costs it nothing), and read whole it was as much of the engine's memory.
 * Null when it changed size while read. Impure (reads the file).
 */
function fileBlobSha(abs: string): string | null {
  // A FIFO put at the name since its stat is not waited on (not a file: null).
  const opened = openRegularSync(abs);
  if (!opened) return null;
  const { fd, st } = opened;
  try {
    const size = st.size;
    const hash = createHash('sha1').update(`blob ${size}\0`);
    const buf = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(size, 1)));
    let total = 0;
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      hash.update(buf.subarray(0, n));
      total += n;
    }
    return total === size ? hash.digest('hex') : null;
  } finally {
    closeSync(fd);
  }
}

/** git's object id of a blob with these bytes. Pure. */
export function blobSha(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}
