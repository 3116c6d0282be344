import { closeSync, lstatSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fdPath, NO_DESCRIPTORS, openWithin, removeWithin } from '../util/remove-tree.js';
import { ignoredPathsOf, neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';
import { blockedOr, EngineGitBlockedError } from './blocked-git-dir.js';

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

/**
 * The paths of `listed` that `kept` does not hold: neither one of them (a folder with or
 * without its slash, as a shared path's link is listed without one) nor inside a kept folder.
 * A folder that holds a kept path is not among them (it is kept for that path's sake: git lists
 * a folder whole once all of it is ignored, such as after a worker removed the one tracked file
 * beside a set-up's output). Pure.
 */
export function newIgnored(listed: readonly string[], kept: readonly string[]): string[] {
  const bare = (p: string) => p.replace(/\/+$/, '');
  const keptNames = new Set(kept.map(bare));
  const keptFolders = kept.filter((k) => k.endsWith('/'));
  return listed.filter((p) => {
    const name = bare(p);
    if (name === '' || keptNames.has(name)) return false;
    if (keptFolders.some((k) => p.startsWith(k))) return false;
    return !kept.some((k) => k.startsWith(`${name}/`));
  });
}

/**
 * Removes the workspace's ignored paths that `kept` does not hold (newIgnored), each reached
 * from the workspace one name at a time, never through a link (removeWithin), and returns
 * them. Impure (git, file system).
 */
export async function removeNewIgnored(ws: Workspace, kept: readonly string[]): Promise<string[]> {
  const gone = newIgnored(await listIgnored(ws), kept);
  for (const rel of gone) removeWithin(ws.dir, rel.replace(/\/+$/, ''));
  return gone;
}

/**
 * The shared paths that are no longer the engine's link to the user's checkout (a worker
 * replaced `node_modules` with a folder of its own, or pointed the link elsewhere): each is
 * removed and linked again, and returned. The link is made inside its folder reached without
 * following a link (openWithin); a folder that is gone or was made a link is left as it is
 * (the verification then finds no dependencies there). Impure (file system).
 */
export function restoreSharedLinks(ws: Workspace): string[] {
  const restored: string[] = [];
  for (const rel of ws.shared) {
    const want = path.join(ws.repo.top, rel);
    if (isLinkTo(path.join(ws.dir, rel), want)) continue;
    removeWithin(ws.dir, rel);
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    const fd = openWithin(ws.dir, parent, rel);
    if (fd === null) continue;
    try {
      symlinkSync(want, fd === NO_DESCRIPTORS ? path.join(ws.dir, rel) : `${fdPath(fd)}/${path.basename(rel)}`);
      restored.push(rel);
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
