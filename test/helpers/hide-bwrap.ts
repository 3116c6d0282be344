import { mkdtempSync, readdirSync, symlinkSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A PATH on which `bwrap` cannot be found: each PATH dir that holds a `bwrap` is replaced by
 * a dir of symlinks to everything else in it. The engine and codex both look bwrap up on PATH
 * (codex 0.169.0 has no bundled bwrap in its npm package), so this is "a machine without
 * bubblewrap" for both. Impure (creates a temp dir).
 */
export function pathWithoutBwrap(pathValue = process.env.PATH ?? ''): string {
  const shadow = new Map<string, string>();
  return pathValue
    .split(path.delimiter)
    .map((dir) => {
      if (!dir || !existsSync(path.join(dir, 'bwrap'))) return dir;
      let copy = shadow.get(dir);
      if (!copy) {
        copy = mkdtempSync(path.join(os.tmpdir(), 'engine-nobwrap-'));
        for (const name of readdirSync(dir)) if (name !== 'bwrap') symlinkSync(path.join(dir, name), path.join(copy, name));
        shadow.set(dir, copy);
      }
      return copy;
    })
    .join(path.delimiter);
}
