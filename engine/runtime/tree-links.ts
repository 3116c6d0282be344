import { listTreeLinks, type TreeEntryChange } from '../git/changes.js';
import { linkObjects } from '../governance/check-entries.js';
import { workspaceTarget } from '../git/workspace.js';
import type { Runtime } from './types.js';

/** How many links each tree of a workspace is known to hold, by `<git dir>\0<tree>` (the last few). */
const counts = new Map<string, number>();
const KEEP = 64;

/**
 * Every link of `tree` (path → target), for checking a step's change by each name it has
 * through them: asked of git when the tree may hold one, none when it cannot — the diff from
 * `base` changed no link (`changedLinks` 0) and `base` is known to hold none. A link the user
 * committed earlier (`.github -> ci`) was followed only in a step that changed a link, so a
 * write into `ci/workflows/` was checked by that name alone. A repository with no link pays
 * one listing, its first step's. Impure (git, when it must).
 */
export async function linksOfTree(rt: Runtime, base: string, tree: string, entries: readonly TreeEntryChange[]): Promise<Map<string, string>> {
  const key = (t: string) => `${rt.ws.gitDir}\0${t}`;
  const changedLinks = linkObjects(entries).length;
  if (changedLinks === 0 && counts.get(key(base)) === 0) {
    remember(key(tree), 0);
    return new Map();
  }
  const links = await listTreeLinks(workspaceTarget(rt.ws), tree);
  remember(key(tree), links.size);
  // No link now, none made, none removed or turned into a file: `base` held none either (the
  // run's start, which the first checkpoint's check starts from, then needs no listing).
  if (links.size === 0 && changedLinks === 0 && !entries.some((e) => e.status === 'deleted' || e.status === 'type_changed')) remember(key(base), 0);
  return links;
}

function remember(key: string, count: number): void {
  counts.delete(key);
  counts.set(key, count);
  if (counts.size > KEEP) counts.delete(counts.keys().next().value!);
}
