import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

function readVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string; bin?: unknown };
      if (pkg.bin) return pkg.version ?? '0.0.0';
    } catch {
      /* keep walking up */
    }
    const parent = path.dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

/** The engine's version (package.json). */
export const engineVersion: string = readVersion();
/** Version of the worker protocol (contract §4 `engine-contract`). */
export const contractVersion = 1;
/** Version of every record the engine writes (state.json, timeline events, meta.json). */
export const schemaVersion = 1;
