import { closeSync, lstatSync, readdirSync, readlinkSync, symlinkSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { fdPath, NO_DESCRIPTORS, openWithin, removeWithin } from '../util/remove-tree.js';
import { ignoredPathsOf, neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';
import { blockedOr, EngineGitBlockedError } from './blocked-git-dir.js';
import type { StatRecord } from './stat-record.js';

/**
 * The workspace's git-ignored paths as git lists them (`ls-files --others --ignored
 * --exclude-standard --directory`, through the engine's git dir, whatever was planted there
 * removed first: the workspace's own `.gitignore` files and the engine's excludes, never the
 * worker's `.git`): an ignored folder whole, with a trailing slash. A git dir taken from the
 * engine (no OS sandbox: a worker's process left running) throws EngineGitBlockedError.
 * Impure (git).
 */
export async function listIgnored(ws: Workspace): Promise<string[]> {
  neutralizeEngineGitDir(ws);
  try {
    return (await ignoredPathsOf(workspaceTarget(ws))).filter((p) => p !== '');
  } catch (error) {
    throw error instanceof EngineGitBlockedError ? error : blockedOr(ws.gitDir, error);
  }
}

/** What a path is to the kept ones: one of them or inside a kept folder, a folder on the way to one, or neither. */
type Standing = 'kept' | 'holds' | 'new';

/**
 * The kept paths, looked up by name (with or without a trailing slash): a path is kept when it
 * or a folder above it is one of them. A kept name with no slash is a shared link or a file of
 * the set-up's; what lies below it is there only when the worker made it a folder, and git
 * then lists that folder whole, under the kept name. Pure.
 */
function keptIndex(kept: readonly string[]): (p: string) => Standing {
  const bare = (p: string) => p.replace(/\/+$/, '');
  const names = new Set(kept.map(bare));
  // Every folder on the way to a kept path.
  const holders = new Set(kept.flatMap((k) => bare(k).split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  return (p) => {
    const name = bare(p);
    if (name === '') return 'kept';
    for (let at = name.length; at > 0; at = name.lastIndexOf('/', at - 1)) if (names.has(name.slice(0, at))) return 'kept';
    return holders.has(name) ? 'holds' : 'new';
  };
}

/**
 * Whether the workspace as the last snapshot's walk saw it (`rec`: every folder's names, and
 * the engine's index after git staged it) may hold an ignored path `kept` does not: a name
 * that is neither staged, nor a folder on the way to a staged file, nor kept (or inside a
 * kept folder). git stages every file it does not ignore, so false means nothing is there to
 * remove and git need not be asked. Pure.
 */
export function mayHoldNewIgnored(rec: Pick<StatRecord, 'dirs' | 'entries'>, kept: readonly string[]): boolean {
  const staged = new Set<string>();
  for (const e of rec.entries) {
    staged.add(e.path);
    for (let at = e.path.lastIndexOf('/'); at > 0; at = e.path.lastIndexOf('/', at - 1)) {
      const folder = e.path.slice(0, at);
      if (staged.has(folder)) break;
      staged.add(folder);
    }
  }
  const standing = keptIndex(kept);
  const isKept = (rel: string) => standing(rel) === 'kept';
  for (const d of rec.dirs) {
    if (d.rel !== '' && isKept(d.rel)) continue;
    for (const name of d.names) {
      if (d.rel === '' && name === '.git') continue;
      const child = d.rel ? `${d.rel}/${name}` : name;
      if (!staged.has(child) && !isKept(child)) return true;
    }
  }
  return false;
}

/**
 * The paths of `listed` that `kept` does not hold: neither one of them (a folder with or
 * without its slash, as a shared path's link is listed without one) nor inside a kept folder,
 * nor a folder on the way to one (heldAround). Pure.
 */
export function newIgnored(listed: readonly string[], kept: readonly string[]): string[] {
  const standing = keptIndex(kept);
  return listed.filter((p) => standing(p) === 'new');
}

/**
 * The folders of `listed` that hold a kept path: git lists a folder whole once all of it is
 * ignored (a worker removed the one tracked file beside a set-up's output in it), and the
 * worker's own files in it with it. Each is looked into (removeAroundKept). Pure.
 */
export function heldAround(listed: readonly string[], kept: readonly string[]): string[] {
  const standing = keptIndex(kept);
  return listed.filter((p) => standing(p) === 'holds').map((p) => p.replace(/\/+$/, ''));
}

/**
 * Removes the workspace's ignored paths that `kept` does not hold (newIgnored), each reached
 * from the workspace one name at a time, never through a link (removeWithin), and returns
 * them; inside a folder git listed whole around a kept path, everything but the way to it.
 * git is asked only when the last snapshot's walk left a name it did not stage
 * (mayHoldNewIgnored), or there is no such walk (a resume, a workspace too large to record).
 * Impure (git, file system).
 */
export async function removeNewIgnored(ws: Workspace, kept: readonly string[]): Promise<string[]> {
  // The last snapshot's walk (taken after the step before) saw nothing git could ignore.
  if (ws.snapshot && !mayHoldNewIgnored(ws.snapshot, kept)) return [];
  const listed = await listIgnored(ws);
  const gone = newIgnored(listed, kept);
  for (const rel of gone) removeWithin(ws.dir, rel.replace(/\/+$/, ''));
  for (const folder of heldAround(listed, kept)) gone.push(...removeAroundKept(ws.dir, folder, kept));
  return gone;
}

/**
 * Inside `folder` (a path of heldAround), all of it ignored: what is neither kept nor on the
 * way to a kept path is removed, and returned (a folder with its slash). Impure (file system).
 */
export function removeAroundKept(root: string, folder: string, kept: readonly string[]): string[] {
  return removeAround(root, folder, keptIndex(kept));
}

/**
 * Inside `folder`, all of it ignored: every entry that is neither kept nor a folder on the way
 * to a kept path is removed (and returned, a folder with its slash); a folder on the way is
 * looked into the same way. Listed through a descriptor reached without following a link (a
 * link on the way: that link goes, never what it names). One that cannot be listed (a process left running took
 * its read permission since the snapshot gave it back) goes whole, kept paths and all: what
 * is in it is not known. Impure (file system).
 */
function removeAround(root: string, folder: string, standing: (p: string) => Standing): string[] {
  const gone: string[] = [];
  const fd = openWithin(root, folder);
  // Not a folder (a link the worker put on the way, then ignored): it goes, never what it names.
  if (fd === null) return removeNotFolder(root, folder);
  let entries: Dirent[];
  try {
    entries = readdirSync(fd === NO_DESCRIPTORS ? path.join(root, folder) : fdPath(fd), { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    removeWithin(root, folder);
    return [`${folder}/`];
  } finally {
    if (fd !== NO_DESCRIPTORS) closeSync(fd);
  }
  for (const e of entries) {
    const rel = `${folder}/${e.name}`;
    const is = standing(rel);
    if (is === 'kept') continue;
    if (is === 'holds' && e.isDirectory()) {
      gone.push(...removeAround(root, rel, standing));
      continue;
    }
    removeWithin(root, rel);
    gone.push(e.isDirectory() ? `${rel}/` : rel);
  }
  return gone;
}

/** removeWithin of `rel`, a link or file where a folder was looked for; returned when one was there. Impure. */
function removeNotFolder(root: string, rel: string): string[] {
  if (!lstatSync(path.join(root, rel), { throwIfNoEntry: false })) return [];
  removeWithin(root, rel);
  return [rel];
}

/**
 * The shared paths that are no longer the engine's link to the user's checkout (a worker
 * replaced `node_modules` with a folder of its own, or pointed the link elsewhere): each is
 * removed and linked again, and returned. The link is made inside its folder reached without
 * following a link (openWithin); a folder that is gone or was made a link is left as it is
 * (the verification then finds no dependencies there). One filled again between the removal
 * and the link (a process a worker left running, without the OS sandbox) is left as it is
 * and not returned; the next verification looks again. `link`: how a link is made (a test
 * plays that race). Impure (file system).
 */
export function restoreSharedLinks(ws: Workspace, link: (target: string, at: string) => void = symlinkSync): string[] {
  const restored: string[] = [];
  for (const rel of ws.shared) {
    const want = path.join(ws.repo.top, rel);
    if (isLinkTo(path.join(ws.dir, rel), want)) continue;
    removeWithin(ws.dir, rel);
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    const fd = openWithin(ws.dir, parent, rel);
    if (fd === null) continue;
    try {
      link(want, fd === NO_DESCRIPTORS ? path.join(ws.dir, rel) : `${fdPath(fd)}/${path.basename(rel)}`);
      restored.push(rel);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      if (fd !== NO_DESCRIPTORS) closeSync(fd);
    }
  }
  return restored;
}

/** Whether `at` is a link whose text is `target`. Impure. */
function isLinkTo(at: string, target: string): boolean {
  try {
    return lstatSync(at).isSymbolicLink() && readlinkSync(at) === target;
  } catch {
    return false;
  }
}
