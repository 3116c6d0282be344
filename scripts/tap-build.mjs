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

/**
 * Whether tap's built Test class has the plugins the config in `root` names. Asked of a child
 * process started in root: loading tap's config parses the process's own arguments and writes
 * every value it resolves into process.env (TAP_*), which the runner started next would take
 * over package.json. Throws when the child cannot say.
 */
export function tapBuildIsCurrent(root) {
  const ask = [
    "const [{ TapConfig }, { signature }] = await Promise.all([import('@tapjs/config'), import('@tapjs/test')]);",
    "process.stdout.write((await TapConfig.load()).pluginSignature === signature ? 'current' : 'stale');",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', ask], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (r.stdout === 'current' || r.stdout === 'stale') return r.stdout === 'current';
  throw new Error(`could not read tap's build and config in ${root}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}${r.stdout ? ` (it printed: ${r.stdout.slice(0, 200)})` : ''}`);
}

/**
 * Runs `tap build` in root when the built Test class was made with other plugins than the
 * config names; returns whether it did. Exits the process when the build fails (tap's own
 * error output stays on the terminal).
 */
export function buildTapWhenStale(root) {
  if (tapBuildIsCurrent(root)) return false;
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tap'), ['build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`tap build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): the test processes would load the plugins of the build installed`);
    process.exit(r.status || 1);
  }
  return true;
}
