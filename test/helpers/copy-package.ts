import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A copy of the built package in a temp dir of its own (removed at the test's end), for a test
 * that writes into an install: bin, dist (code caches included), schemas, pipelines, policies,
 * templates and package.json copied, every package of node_modules linked but its .cache.
 */
export function copyBuiltPackage(t: { teardown(fn: () => void): void }, prefix = 'engine-package-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const sub of ['bin', 'dist', 'schemas', 'pipelines', 'policies', 'templates']) cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  mkdirSync(path.join(dir, 'node_modules'));
  for (const name of readdirSync(path.join(root, 'node_modules'))) {
    if (name !== '.cache') symlinkSync(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name));
  }
  return dir;
}
