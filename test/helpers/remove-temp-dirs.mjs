// Loaded into every test process by tap (`node-arg` in package.json's "tap" block): the temp
// directories a test file makes with mkdtempSync (scratch repos, homes, stores) are removed
// when its process exits, unless it failed (then they are kept to look at) or
// ENGINE_TEST_KEEP_TMP=1 is set. Before, each `npm test` left about a thousand of them in the
// system's temp dir, and a developer's /tmp grew by that much at every run.
//
// Only in the test process itself (its script is a test file): a node child that a test starts
// with the test's own options loads this too, and the directories it makes may be what the
// test reads after the child's end.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const script = process.argv[1] ?? '';
if (/\.test\.(ts|mjs)$/.test(script) && process.env.ENGINE_TEST_KEEP_TMP !== '1') {
  const tmp = os.tmpdir();
  const made = [];
  const mkdtemp = fs.mkdtempSync;
  fs.mkdtempSync = function mkdtempSync(prefix, options) {
    const dir = mkdtemp.call(fs, prefix, options);
    if (typeof dir === 'string' && path.dirname(path.resolve(dir)) === tmp) made.push(dir);
    return dir;
  };
  syncBuiltinESMExports();
  // `code` is the exit code the process ends with (process.exitCode included).
  process.on('exit', (code) => {
    if (code !== 0) return;
    for (const dir of made) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        /* a child still writing in it, or a mount inside: left behind */
      }
    }
  });
}
