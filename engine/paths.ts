import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';

/**
 * The engine package's root (where schemas/, templates/, pipelines/ live), found from this
 * module's own location so it works from engine/ (tsx in tests) and dist/engine/ (the CLI).
 */
export const packageRoot: string = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'schemas'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`engine package root not found above ${start}`);
    dir = parent;
  }
}

export const schemasDir = path.join(packageRoot, 'schemas');
export const templatesDir = path.join(packageRoot, 'templates');

/** The version from package.json, read once. */
export { engineVersion } from './version.js';
