import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { WatchedTree } from '../governance/watch-files.js';

/**
 * The real directories of the engine's runtime dependencies (its package.json `dependencies`,
 * and theirs, as Node resolves each from the package that needs it), in the order found. The
 * engine loads code from them at run time (ajv for a schema the build did not compile,
 * Handlebars' compiler for a template it did not precompile, every one of them when the ES
 * modules run): without the OS sandbox a worker can write there. A package not found is left
 * out (Node would not load it either). Impure (reads package.json files).
 */
export function findDependencyDirs(packageRoot: string, roots: readonly string[] | null = loadedAtRunTime()): string[] {
  const found = new Set<string>();
  const queue = [packageRoot];
  for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    for (const name of dir === packageRoot && roots ? roots : dependencyNames(dir)) {
      const at = resolvePackageDir(dir, name);
      if (at === null || found.has(at)) continue;
      found.add(at);
      queue.push(at);
    }
  }
  return [...found];
}

/**
 * The packages the engine can load code from at run time, with their own dependencies: when
 * it runs as the bundle (`dist/engine.cjs`, the shipped launcher's way), only those it
 * requires from node_modules on demand (ajv, Handlebars' compiler), as the rest is bundled
 * or vendored in dist/; null (every dependency) when the ES modules run. Impure (module URL).
 */
function loadedAtRunTime(): readonly string[] | null {
  return import.meta.url.endsWith('.cjs') ? ['ajv', 'handlebars'] : null;
}

/**
 * The dependency directories as watched trees of the engine's install (rule `engine_install`),
 * one per parent folder: every file Node could load from them, compared by its stat after each
 * step, as the install's own files are. A tree the OS sandbox keeps every process out of is
 * not walked (watchOutside's keptOut). Pure.
 */
export function dependencyTrees(dirs: readonly string[]): WatchedTree[] {
  const byParent = new Map<string, string[]>();
  for (const dir of dirs) {
    const parent = path.dirname(dir);
    byParent.set(parent, [...(byParent.get(parent) ?? []), path.basename(dir)]);
  }
  return [...byParent].map(([root, paths]) => ({ rule: 'engine_install', root, paths, label: (rel: string) => path.join(root, rel), inert: isInertInPackage }));
}

/** Source maps, TypeScript sources and declarations, Markdown: nothing Node loads unless a watched file points at it. */
function isInertInPackage(name: string): boolean {
  return name.endsWith('.map') || name.endsWith('.ts') || name.endsWith('.md');
}

function dependencyNames(dir: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    return Object.keys(manifest.dependencies ?? {});
  } catch {
    return [];
  }
}

/** Where Node finds package `name` from `dir`: the nearest node_modules/<name> up the tree, its real path; null if none. */
function resolvePackageDir(dir: string, name: string): string | null {
  for (let at = dir; ; at = path.dirname(at)) {
    if (path.basename(at) !== 'node_modules') {
      try {
        return realpathSync(path.join(at, 'node_modules', name));
      } catch {
        // not here: one folder up
      }
    }
    if (path.dirname(at) === at) return null;
  }
}
