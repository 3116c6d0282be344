/**
 * A worker CLI writes its own files into its private home (codex's shell snapshots and
 * session rollouts, claude's projects and history): the engine's redaction never sees them.
 * After each call the home is searched for the values of the engine's secrets; a file with a
 * hit is replaced by its scrubbed copy (the redaction mark in a text file, the same number of
 * `*` in a binary one, so a database keeps its layout) and reported by file and variable
 * name, never by value. Replaced, never rewritten in place: a name in the home can be a hard
 * link to a file of the user's (a worker without the OS sandbox can make one), which must
 * keep its content. Impure (reads and replaces files).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, renameSync, symlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { redactionMark, type Secret } from './redact.js';
import { compareText } from '../util/compare-text.js';
import { openFreshFile } from '../util/open-own-file.js';
import { fdPath, openFolder, removeFile, removeWithin } from '../util/remove-tree.js';
import { DEEP_DIR_BYTES, tooDeepToEnter } from '../util/deep-path.js';
import { isUtf8Name, shownName } from '../util/shown-name.js';
import { isOwnDirectory } from '../util/is-own-directory.js';
import { grantOwner, lacksOwnerBits } from '../util/grant-owner.js';

export interface HomeScrubHit {
  /** Path relative to the home. */
  file: string;
  /** Names of the variables whose values were found there. */
  names: string[];
  /** Why the file was removed unsearched (too large to search), when it was. */
  removed?: string;
}

export interface ScrubHomeOptions {
  /** Only files whose status changed at or after this time (ms since the epoch); 0 for all. */
  changedSinceMs?: number;
}

/** A file larger than this is not searched but removed: it could hide a secret past what is read. */
export const FILE_SEARCH_CAP = 64 * 2 ** 20;
/** What one scrub reads in all; a file past it is removed unsearched too. */
export const SCRUB_SEARCH_CAP = 512 * 2 ** 20;
const CHUNK = 2 ** 20;
/** How many folders deep the scrub walks, each held open: a home deeper is removed from there unsearched. */
const MAX_DEPTH = 256;

/**
 * Searches every regular file under `home` (symlinks are not followed) and scrubs the hits.
 * A home that is not a directory of its own (a worker without the OS sandbox can make it a
 * link, to the user's home say) is not searched: what it names is not the worker's. What it
 * reads is bounded (a worker can make a sparse file of a terabyte in an instant): a file past
 * FILE_SEARCH_CAP, or past SCRUB_SEARCH_CAP read in all, is removed unsearched and reported.
 */
export function scrubHome(home: string, secrets: readonly Secret[], options: ScrubHomeOptions = {}): HomeScrubHit[] {
  if (secrets.length === 0 || !isOwnDirectory(home)) return [];
  const w: ScrubWalk = { home, secrets, since: options.changedSinceMs ?? 0, budget: SCRUB_SEARCH_CAP, notRoot: process.getuid?.() !== 0, hits: [] };
  scrubInto(w, home, '', 0, lstatSync(home));
  const hits = w.hits;
  // A renamed file whose content had a hit too: one report, both variables.
  const byFile = new Map<string, HomeScrubHit>();
  for (const h of hits) {
    const known = byFile.get(h.file);
    if (known) known.names = [...new Set([...known.names, ...h.names])];
    else byFile.set(h.file, h);
  }
  return [...byFile.values()].sort((a, b) => compareText(a.file, b.file));
}

/** One scrub of a home: what it searches for, and what it found so far. */
interface ScrubWalk {
  home: string;
  secrets: readonly Secret[];
  since: number;
  /** What is left of SCRUB_SEARCH_CAP. */
  budget: number;
  notRoot: boolean;
  hits: HomeScrubHit[];
}

/**
 * A folder (named through its parent's descriptor) opened without following a link, then
 * scrubbed. Each folder is walked through a descriptor of it: by path, a folder a process left
 * running (no OS sandbox) swapped for a link led the scrub's rewrites and renames to the
 * user's own files (a token in ~/.npmrc). Impure.
 */
function scrubInto(w: ScrubWalk, named: string, rel: string, depth: number, st: { mode: number; uid: number }): void {
  // A scrubbed copy replaces a file: the folder must be writable to this user (a worker can
  // make it read-only, 0555), and listable (000). Given back: the home is the worker's.
  if (w.notRoot && lacksOwnerBits(st.mode, st.uid, 0o700)) grantOwner(named, 0o700);
  // Elsewhere than Linux, by its path (the window a swap needs stays open there).
  if (process.platform !== 'linux') return scrubFolder(w, named, rel, depth);
  let fd: number | null;
  try {
    fd = openFolder(named);
  } catch {
    return;
  }
  if (fd === null) return;
  try {
    scrubFolder(w, fdPath(fd), rel, depth);
  } finally {
    closeSync(fd);
  }
}

/** The entries of the folder reached as `at` (`relDir` in the home), each scrubbed. Impure. */
function scrubFolder(w: ScrubWalk, at: string, relDir: string, depth: number): void {
  let raw: Buffer[];
  try {
    raw = readdirSync(at, { encoding: 'buffer' });
  } catch {
    return;
  }
  const names = raw.map((name) => utf8Name(at, name)).filter((n): n is string => n !== null);
  for (const listed of names.sort(compareText)) scrubEntry(w, at, relDir, depth, listed);
}

/** One entry: its name, a link's target, a folder's contents, a file's bytes. Impure. */
function scrubEntry(w: ScrubWalk, at: string, relDir: string, depth: number, listed: string): void {
  let st;
  try {
    st = lstatSync(path.join(at, listed));
  } catch {
    return;
  }
  const changed = Math.max(st.ctimeMs, st.mtimeMs) >= w.since;
  const renamed = changed ? scrubName(at, listed, w.secrets) : null;
  const name = renamed?.name ?? listed;
  const file = path.join(at, name);
  const rel = relDir ? `${relDir}/${name}` : name;
  if (renamed) w.hits.push({ file: rel, names: renamed.found });
  if (st.isSymbolicLink() && changed) {
    const found = scrubLinkTarget(file, w.secrets);
    if (found.length) w.hits.push({ file: rel, names: found });
  }
  if (st.isDirectory() && (tooDeepToEnter(path.join(w.home, rel)) || depth >= MAX_DEPTH)) {
    // What lies below cannot be named by path (or held open level by level) to be searched: gone whole, unsearched.
    removeWithin(w.home, rel);
    w.hits.push({ file: rel, names: [], removed: `deeper than a path can name (${DEEP_DIR_BYTES + 1} bytes and more, or ${MAX_DEPTH} folders): not searchable` });
  } else if (st.isDirectory()) scrubInto(w, file, rel, depth + 1, st);
  else if (st.isFile() && st.size > 0 && changed) scrubContent(w, file, rel, st);
}

/** A file's bytes searched and scrubbed, or the file removed when it cannot be searched whole. Impure. */
function scrubContent(w: ScrubWalk, file: string, rel: string, st: { size: number; mode: number; uid: number }): void {
  const tooLarge = st.size > FILE_SEARCH_CAP ? `larger than the ${FILE_SEARCH_CAP / 2 ** 20} MiB a file is searched to` : st.size > w.budget ? `beyond the ${SCRUB_SEARCH_CAP / 2 ** 20} MiB a scrub searches in all` : null;
  if (tooLarge) {
    removeWithin(w.home, rel);
    w.hits.push({ file: rel, names: [], removed: tooLarge });
    return;
  }
  w.budget -= st.size;
  if (lacksOwnerBits(st.mode, st.uid, 0o400)) grantOwner(file, 0o400);
  const found = scrubFile(file, w.secrets);
  if (found === GREW) {
    removeWithin(w.home, rel);
    w.hits.push({ file: rel, names: [], removed: `grew past the ${FILE_SEARCH_CAP / 2 ** 20} MiB a file is searched to as it was read` });
  } else if (found.length) w.hits.push({ file: rel, names: found });
}

/**
 * An entry's name as text: a name that is not UTF-8 (the listing as text changes it, and the
 * changed name opens nothing) is renamed to its text with each byte that is not shown as
 * `%XX`, to a free name; null when it cannot be. Impure (renames).
 */
function utf8Name(dir: string, raw: Buffer): string | null {
  if (isUtf8Name(raw)) return raw.toString('utf8');
  return renameToFree(dir, Buffer.concat([Buffer.from(`${dir}/`), raw]), Buffer.from(shownName(raw)));
}

/** The names of the secrets whose values `bytes` holds. Pure. */
function secretsIn(bytes: Buffer, secrets: readonly Secret[]): Secret[] {
  return secrets.filter((s) => bytes.includes(s.value));
}

/** `bytes` with each secret's value replaced by its redaction mark (`binary`: as many `*`, so a database keeps its layout). Pure. */
function masked(bytes: Buffer, found: readonly Secret[], binary = false): Buffer {
  let out = bytes;
  for (const s of found) out = replaceAll(out, s.value, binary ? Buffer.alloc(s.value.length, '*') : Buffer.from(redactionMark(s.name)));
  return out;
}

/** The variables' names of `found`, once each. Pure. */
function namesOf(found: readonly Secret[]): string[] {
  return [...new Set(found.map((s) => s.name))];
}

/** A temp name beside `file`, short of its own: the file's name may already be as long as names go. */
function scrubTemp(file: string): string {
  return path.join(path.dirname(file), `.scrub-${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * An entry of `dir` whose name holds a secret, renamed to the name with each secret's mark in
 * its place (a free one: a name already taken gets a random suffix, nothing is overwritten);
 * null when the name holds none or cannot be renamed. Impure (renames).
 */
function scrubName(dir: string, name: string, secrets: readonly Secret[]): { name: string; found: string[] } | null {
  const found = secretsIn(Buffer.from(name), secrets);
  if (found.length === 0) return null;
  const to = renameToFree(dir, path.join(dir, name), masked(Buffer.from(name), found));
  return to === null ? null : { name: to, found: namesOf(found) };
}

/**
 * Renames `from` to the name `to` in `dir`, or, when that is taken or longer than a name can
 * be (255 bytes: a mark can be longer than the secret it stands for), to its first 200 bytes
 * (a character cut there left out) with a random suffix; nothing is overwritten. The name
 * given, or null when none could be. Impure (renames).
 */
function renameToFree(dir: string, from: string | Buffer, to: Buffer): string | null {
  const head = to.subarray(0, 200).toString().replace(/\uFFFD+$/, '');
  for (let i = 0; i < 8; i++) {
    const name = i === 0 && to.length <= 255 ? to.toString() : `${head}.${randomBytes(6).toString('hex')}`;
    try {
      if (lstatSync(path.join(dir, name), { throwIfNoEntry: false })) continue;
      renameSync(from, path.join(dir, name));
      return name;
    } catch {
      return null;
    }
  }
  return null;
}

/** A link whose target holds a secret, replaced by one to the scrubbed target (never followed); the names found. Impure. */
function scrubLinkTarget(link: string, secrets: readonly Secret[]): string[] {
  let target: Buffer;
  try {
    target = readlinkSync(link, { encoding: 'buffer' });
  } catch {
    return [];
  }
  const found = secretsIn(target, secrets);
  if (found.length === 0) return [];
  const temp = scrubTemp(link);
  try {
    symlinkSync(masked(target, found), temp);
    renameSync(temp, link);
  } catch {
    removeFile(temp);
    return [];
  }
  return namesOf(found);
}

/** scrubFile's word for a file that grew past FILE_SEARCH_CAP after it was listed. */
const GREW = Symbol('grew');

/** Replaces one file by a copy with every secret replaced; returns the names found. */
function scrubFile(file: string, secrets: readonly Secret[]): string[] | typeof GREW {
  let data: Buffer;
  let mode: number;
  try {
    // A link put in the file's place since it was listed is not followed (ELOOP).
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return [];
      mode = st.mode & 0o777;
      // One byte past the cap: a file grown since it was listed is not searched in part.
      data = readHead(fd, FILE_SEARCH_CAP + 1);
      if (data.length > FILE_SEARCH_CAP) return GREW;
    } finally {
      closeSync(fd);
    }
  } catch {
    return [];
  }
  const found = secretsIn(data, secrets);
  if (found.length === 0) return [];
  replaceFile(file, masked(data, found, data.subarray(0, 8192).includes(0)), mode);
  return namesOf(found);
}

/** Up to `cap` bytes of an open file from its start, read a chunk at a time. Impure. */
function readHead(fd: number, cap: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < cap) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, cap - total));
    const n = readSync(fd, chunk, 0, chunk.length, total);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

/** A new file with `data` put in `file`'s place: the old one, and any other name it has, untouched. */
function replaceFile(file: string, data: Buffer, mode: number): void {
  const temp = scrubTemp(file);
  const fd = openFreshFile(temp, mode);
  try {
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    removeFile(temp);
    throw error;
  }
}

function replaceAll(data: Buffer, value: Buffer, mark: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = data.indexOf(value); at !== -1; at = data.indexOf(value, from)) {
    parts.push(data.subarray(from, at), mark);
    from = at + value.length;
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}
