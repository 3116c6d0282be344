import path from 'node:path';
import { CONTROL_CHARACTER } from '../util/printable.js';

/**
 * The repo-relative path `at` names once resolved component by component through `links`
 * (link path → target, repo-relative) the way the kernel resolves it; null when it leaves
 * the workspace, meets an absolute or unreadable target, or loops (more than 40 links). Pure.
 */
export function resolvePath(at: string, links: ReadonlyMap<string, string>): string | null {
  let parts = at.split('/');
  const stack: string[] = [];
  let hops = 0;
  while (parts.length) {
    const c = parts.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) return null;
      stack.pop();
      continue;
    }
    stack.push(c);
    const target = links.get(stack.join('/'));
    if (target === undefined) continue;
    if (++hops > 40 || target === '' || CONTROL_CHARACTER.test(target) || path.posix.isAbsolute(target) || /^[A-Za-z]:/.test(target) || target.includes('\\')) return null;
    stack.pop();
    parts = [...target.split('/'), ...parts];
  }
  return stack.join('/');
}

/** The other names of one path through a tree's links, and whether they are all there. */
export interface LinkedNames {
  names: string[];
  complete: boolean;
}

/**
 * A function giving the other names a path of the tree has through its `links`: with
 * `.github` a link to `ci`, `ci/workflows/x.yml` is also `.github/workflows/x.yml`, where a
 * checkout of the tree writes it. Chains of links too (a link inside a linked folder), breadth
 * first, at most `max` names (links that lead into each other's folders name without end;
 * then `complete` is false). A link that resolves nowhere (it leaves the workspace, loops)
 * or to a folder above itself names nothing. Pure.
 */
export function nameThroughLinks(links: ReadonlyMap<string, string>, max = 1024): (at: string) => LinkedNames {
  const dirs: [string, string][] = [];
  for (const link of links.keys()) {
    const to = resolvePath(link, links);
    // One to a folder above itself (`here -> .`) names all below it again at every depth:
    // it is left out (a changed one is checked by its own name: check-changes.ts).
    if (to !== null && to !== '' && !`${link}/`.startsWith(`${to}/`)) dirs.push([link, to]);
  }
  return (at) => {
    if (dirs.length === 0) return { names: [], complete: true };
    const seen = new Set([at]);
    const queue = [at];
    for (let i = 0; i < queue.length; i++) {
      const name = queue[i]!;
      for (const [link, to] of dirs) {
        const other = name === to || name.startsWith(`${to}/`) ? link + name.slice(to.length) : null;
        if (other === null || seen.has(other)) continue;
        if (seen.size >= max) return { names: queue.slice(1), complete: false };
        seen.add(other);
        queue.push(other);
      }
    }
    return { names: queue.slice(1), complete: true };
  };
}
