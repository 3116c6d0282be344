import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A tmpfs of `size` (e.g. `64k`, `3m`) mounted at a new directory under the temp dir, for a
 * file system that fills; or why none can be had here (not root, no mount). The caller
 * unmounts it (`umount -l`) and removes the directory. Impure.
 */
export function mountSmall(size: string, prefix = 'engine-full-disk-'): { dir: string } | { skip: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `no tmpfs can be mounted here (${(r.stderr || r.error?.message || '').trim()})` };
  }
  return { dir };
}
