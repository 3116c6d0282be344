// test cost: about 4 s: one whole run as an unprivileged user.
import t from 'tap';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { engineBin, makeFixture } from '../helpers/run-fixture.js';

// An engine not run as root cannot enter a directory, or read a file, that a worker took its
// own permissions from (chmod 000): git skipped the directory as it staged and then could not
// clean it when rolling back, the removal of the workspace and of the worker's home failed at
// the run's end (exit 70, the run otherwise complete), and `engine clean` was stuck on it.
// git records no permission but a file's execute bit, so the engine gives its user back what
// its own files and directories lack (read, and enter and write for a directory) before git
// looks and before it removes them. Run as `nobody` (the tests run as root in CI).

const NOBODY = 65534;
/** A secret of the engine's environment (not the worker's) that the worker's script writes into its home. */
const SECRET = 'sk-unreadable-0123456789abcdef';
const setpriv = spawnSync('setpriv', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root to run the engine as another user' : !setpriv ? 'needs setpriv (util-linux)' : false;

function chownTree(dir: string): void {
  chownSync(dir, NOBODY, NOBODY);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p);
    else chownSync(p, NOBODY, NOBODY);
  }
}

/**
 * The engine's install reachable by `nobody`: a clone in a private temp dir (CI's, mode 0700)
 * is not. Each folder above the install that others cannot search gets that one bit for the
 * test, and its mode back at the end.
 */
function letNobodyReach(t: { teardown(fn: () => void): void }): void {
  const changed: [string, number][] = [];
  for (let dir = path.dirname(engineBin); ; dir = path.dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push([dir, mode]);
    }
    if (dir === path.dirname(dir)) break;
  }
  t.teardown(() => {
    for (const [dir, mode] of changed) chmodSync(dir, mode);
  });
}

/** A run as nobody whose implementer runs `extra` too; its exit, stderr and fixture. */
function runAsNobody(extra: string) {
  const implement = [
    'cat >/dev/null',
    'mkdir -p src/locked/deep "$HOME/cache/deep"',
    'echo alpha > src/a.txt; echo deep > src/locked/deep/f; echo hidden > src/hidden.txt; echo x > "$HOME/cache/deep/x"',
    extra,
    'chmod 000 src/locked src/hidden.txt "$HOME/cache"',
    `printf 'Done.\\nBEGIN_MARKERS\\n%s\\nEND_MARKERS\\n' '{"status":"done","summary":"wrote","files_changed":["src/a.txt"],"commands_run":[],"needs":null}'`,
  ].join('\n');
  const f = makeFixture({
    script: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }], implement: { '1': { 'src/a.txt': 'alpha\n' } } },
    pipeline: (p) => (p.workers.implementer = { use: 'command', bin: '/bin/sh', args: ['-c', implement], isolate_home: true, idle_timeout_s: 20, timeout_s: 60 }),
  });
  const home = path.join(f.dir, 'home');
  mkdirSync(home);
  writeFileSync(path.join(f.dir, '.gitconfig'), '');
  chownTree(f.dir);
  const env = { PATH: process.env.PATH, HOME: home, ENGINE_HOME: path.join(home, 'engine'), NO_COLOR: '1', GIT_CONFIG_GLOBAL: path.join(f.dir, '.gitconfig'), SERVICE_API_KEY: SECRET };
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r', '--no-progress'], { cwd: f.dir, encoding: 'utf8', timeout: 120_000 });
  return { r, f, home };
}

t.test('a worker that makes its files unreadable to the engine: the run completes, what it wrote is checkpointed, nothing is left', { skip }, async (t) => {
  letNobodyReach(t);
  const { r, f, home } = runAsNobody(':');
  t.equal(r.status, 0, `the run completes\n${r.stderr}`);
  const tree = execFileSync('git', ['-c', 'safe.directory=*', '-C', f.repo, 'ls-tree', '-r', '--name-only', 'engine/r'], { encoding: 'utf8' }).trim().split('\n').sort();
  t.same(tree, ['README.md', 'src/a.txt', 'src/hidden.txt', 'src/locked/deep/f'], 'everything the worker wrote is on the run branch');
  const workspaces = path.join(home, 'engine', 'workspaces');
  const left = existsSync(workspaces) ? readdirSync(workspaces, { recursive: true }).map(String).filter((p) => p.includes('cache') || p.includes('locked')) : [];
  t.same(left, [], 'the workspace and the worker\'s home are removed');
});

t.test('and a violation beside it: the rollback cleans the unreadable folder (exit 3, not an engine error)', { skip }, async (t) => {
  letNobodyReach(t);
  const { r } = runAsNobody("echo '{}' > package-lock.json");
  t.equal(r.status, 3, `the run stops on the violation (exit ${r.status})\n${r.stderr}${r.stdout}`);
  t.notMatch(r.stderr, /internal error/);
});

// The home scrub replaces a file holding a secret by a scrubbed copy: in a folder the worker
// made read-only (0555) the copy could not be made (exit 70, found by a hostile review).
t.test('a secret in a file of a read-only folder of the home is scrubbed', { skip }, async (t) => {
  letNobodyReach(t);
  // A violation stops the run: its workspace and homes are kept for a resume.
  const { r, home } = runAsNobody(`mkdir -p "$HOME/ro" && echo 'key ${SECRET}' > "$HOME/ro/notes" && chmod 555 "$HOME/ro"; echo '{}' > package-lock.json`);
  t.equal(r.status, 3, `the run stops on the violation, its homes kept\n${r.stderr}`);
  t.notMatch(r.stderr, /internal error/);
  const left = spawnSync('grep', ['-r', '-l', SECRET, path.join(home, 'engine')], { encoding: 'utf8' });
  t.equal(left.stdout.trim(), '', 'no file under the engine home holds the secret');
});

t.test('a run directory the engine may not search: report reads the other runs and names it, never an error', { skip }, async (t) => {
  letNobodyReach(t);
  const { r, f, home } = runAsNobody(':');
  t.equal(r.status, 0, `the run completes\n${r.stderr}`);
  const locked = path.join(f.repo, '.engine', 'runs', 'x');
  mkdirSync(locked);
  chownSync(locked, NOBODY, NOBODY);
  chmodSync(locked, 0o000);
  t.teardown(() => chmodSync(locked, 0o755));
  const env = { PATH: process.env.PATH, HOME: home, ENGINE_HOME: path.join(home, 'engine'), NO_COLOR: '1', GIT_CONFIG_GLOBAL: path.join(f.dir, '.gitconfig') };
  const report = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, engineBin, 'report', '--all', '--repo', f.repo], { cwd: f.dir, encoding: 'utf8', timeout: 60_000 });
  // Its lstat's EACCES was E_PERMISSION (exit 77) for the whole report, and for `resume latest` and `tier: auto` with it.
  t.equal(report.status, 0, `report reads the store\n${report.stderr}`);
  t.match(report.stdout, /\br\s+completed/, 'the run that can be read is reported');
  t.match(report.stderr, /warning W_RUN_RECORD 1 run directory of \S+ left out, its state\.json cannot be read: x /, 'the one that cannot is named');
});
