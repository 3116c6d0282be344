import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import type { Test } from 'tap';

type Wrappable = 'openSync' | 'fstatSync';

/**
 * Replaces fs[name] with `wrap(original)` until the test ends; the engine's named imports of
 * node:fs follow it (syncBuiltinESMExports). A worker's process left running acts between two
 * of the engine's calls; through this a test makes it act at every such call, with no timing.
 */
export function wrapFs<K extends Wrappable>(t: Test, name: K, wrap: (original: (typeof fs)[K]) => (typeof fs)[K]): void {
  const original = fs[name];
  fs[name] = wrap(original);
  syncBuiltinESMExports();
  t.teardown(() => {
    fs[name] = original;
    syncBuiltinESMExports();
  });
}
