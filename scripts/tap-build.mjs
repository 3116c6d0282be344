// tap compiles its Test class with the plugins the config names (`tap build`, into
// node_modules/@tapjs/test/test-built). A fresh install holds the default build, whose plugins
// include @tapjs/typescript. package.json turns that plugin off (test/helpers/esbuild-register.mjs
// compiles TypeScript instead), so tap rebuilds at the start of the first run after an install;
// but the runner has by then read the node options of the build it started with, and gives
// every test process of that run `--import=@tapjs/typescript/import` anyway. That import loads
// ts-node and TypeScript (about 0.8 s of CPU and wall time per process, some 80 processes per
// `npm test`), which then compile nothing. Building before the runner starts gives the first
// run the same test processes as every later one.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Whether tap's built Test class has the plugins the config (read from the working directory) names. */
export async function tapBuildIsCurrent() {
  const [{ TapConfig }, { signature }] = await Promise.all([import('@tapjs/config'), import('@tapjs/test')]);
  return (await TapConfig.load()).pluginSignature === signature;
}

/**
 * Runs `tap build` in root when the built Test class was made with other plugins than the
 * config names; returns whether it did. Exits the process when the build fails (tap's own
 * error output stays on the terminal).
 */
export async function buildTapWhenStale(root) {
  if (await tapBuildIsCurrent()) return false;
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tap'), ['build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`tap build failed (exit ${r.status ?? r.signal}): the test processes would load the plugins of the build installed`);
    process.exit(r.status || 1);
  }
  return true;
}
