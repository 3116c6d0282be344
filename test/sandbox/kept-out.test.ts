import t from 'tap';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse, stringify } from 'yaml';
import { bareNode, childEnv, makeFixture, readJsonl } from '../helpers/run-fixture.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';
import { decideSandbox } from '../../engine/sandbox/sandbox-status.js';
import { sandboxKeptOut, wrapCommand } from '../../engine/sandbox/wrap-command.js';
import { packageRoot } from '../../engine/paths.js';

// After a step the engine walks what lies outside the workspace (its own install, the user's
// repository) to catch a write there. Under the OS sandbox it skips a tree no sandboxed
// process was granted: those writes fail on a read-only mount. The skip must never hide a
// write that a grant let through: a grant that is the tree, lies in it, holds it, or reaches
// it through a link.

const active = () => decideSandbox({ mode: 'bwrap', writable: [] }, { ok: true, bin: '/usr/bin/bwrap', error: null } as never);

t.test('sandboxKeptOut: which grants reach a tree', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-kept-out-'));
  const install = path.join(dir, 'install');
  mkdirSync(path.join(install, 'templates'), { recursive: true });
  mkdirSync(path.join(dir, 'ws'));
  mkdirSync(path.join(dir, 'cache'));
  symlinkSync(path.join(install, 'templates'), path.join(dir, 'link'));
  const tree = [path.join(install, 'templates'), path.join(install, 'dist')];
  const grant = (writable: string[], readOnly = false) => {
    const s = active();
    wrapCommand(s, { bin: 'sh', args: [], cwd: path.join(dir, 'ws'), workspace: path.join(dir, 'ws'), readOnly, home: null, writable });
    return sandboxKeptOut(s, tree);
  };
  t.ok(sandboxKeptOut(active(), tree), 'nothing ran yet: nothing was granted');
  t.ok(grant([path.join(dir, 'cache')]), 'an unrelated grant');
  t.ok(grant([path.join(dir, 'install-other')]), 'a sibling whose name starts alike');
  t.notOk(grant([path.join(install, 'templates')]), 'the tree itself');
  t.notOk(grant([path.join(install, 'templates', 'sub')]), 'a path inside the tree');
  t.notOk(grant([install]), 'a path that holds the tree');
  t.notOk(grant(['/']), 'the root');
  t.notOk(grant([path.join(dir, 'link')]), 'a link to the tree');
  t.notOk(grant([path.join(dir, 'link', 'x')]), 'a path under a link to the tree');
  const s = active();
  wrapCommand(s, { bin: 'sh', args: [], cwd: install, workspace: install, readOnly: false, home: null });
  t.notOk(sandboxKeptOut(s, tree), 'a writable workspace that holds the tree');
  const ro = active();
  wrapCommand(ro, { bin: 'sh', args: [], cwd: install, workspace: install, readOnly: true, home: null });
  t.ok(sandboxKeptOut(ro, tree), 'a read-only workspace grants nothing');
  const home = active();
  wrapCommand(home, { bin: 'sh', args: [], cwd: path.join(dir, 'ws'), workspace: path.join(dir, 'ws'), readOnly: true, home: path.join(install, 'templates') });
  t.notOk(sandboxKeptOut(home, tree), 'a home inside the tree');
  // The same list asked again is answered from what was given for it, until a new grant.
  const later = active();
  wrapCommand(later, { bin: 'sh', args: [], cwd: path.join(dir, 'ws'), workspace: path.join(dir, 'ws'), readOnly: false, home: null, writable: [path.join(dir, 'cache')] });
  t.ok(sandboxKeptOut(later, tree), 'kept out before the grant');
  t.ok(sandboxKeptOut(later, tree), 'asked again: still kept out');
  wrapCommand(later, { bin: 'sh', args: [], cwd: path.join(dir, 'ws'), workspace: path.join(dir, 'ws'), readOnly: false, home: null, writable: [path.join(dir, 'link')] });
  t.notOk(sandboxKeptOut(later, tree), 'the same list after a grant that reaches it');
  t.notOk(sandboxKeptOut(later, [...tree]), 'and an equal list');
  const off = decideSandbox({ mode: 'off', writable: [] }, null);
  t.notOk(sandboxKeptOut(off, tree), 'without the sandbox every tree is walked');
});

const bwrap = probeBwrap(process.env);
const skip = bwrap.ok ? false : `bubblewrap does not work here (${bwrap.error}): install it (apt-get install bubblewrap) to run the sandbox tests`;

/** A copy of the engine's install (its node_modules linked): a test may let a worker write into it. */
function copyInstall(dir: string): string {
  const copy = path.join(dir, 'engine-copy');
  mkdirSync(copy);
  for (const p of ['bin', 'dist', 'templates', 'schemas', 'pipelines', 'policies', 'package.json']) {
    if (existsSync(path.join(packageRoot, p))) cpSync(path.join(packageRoot, p), path.join(copy, p), { recursive: true });
  }
  symlinkSync(path.join(packageRoot, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}

/** A command worker that tries to append to $TARGET, says on stderr whether it could, and does its milestone. */
const WRITER = [
  'prompt=$(cat)',
  'if (echo pwned >> "$TARGET") 2>/dev/null; then echo "wrote $TARGET" >&2; else echo "refused $TARGET" >&2; fi',
  'mkdir -p src && echo alpha > src/a.txt',
  `printf 'BEGIN_MARKERS\\n{"status": "done", "summary": "a", "files_changed": ["src/a.txt"], "commands_run": [], "needs": null}\\nEND_MARKERS\\n'`,
].join('\n');

/** One run of a copy of the engine whose implementer appends to a file (default: in the copy's templates); `grant` names sandbox.writable. */
function runWriting(grant: (copy: string, store: string) => string, targetOf: (copy: string, store: string) => string = (copy) => path.join(copy, 'templates', 'pwn.txt'), onRunDir?: (dir: string) => void) {
  const f = makeFixture({ script: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }], implement: { '1': { 'src/a.txt': 'alpha\n' } } }, policy: { sandbox: { mode: 'bwrap', writable: [] } } });
  const copy = copyInstall(f.dir);
  const store = path.join(f.repo, '.engine', 'runs');
  const target = targetOf(copy, store);
  const pipeline = parse(readFileSync(f.pipelineFile, 'utf8'));
  pipeline.workers.implementer = { use: 'command', bin: 'sh', args: ['-c', WRITER], env: { TARGET: target }, idle_timeout_s: 20, timeout_s: 60 };
  writeFileSync(f.pipelineFile, stringify(pipeline));
  const args = ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--set', `sandbox.writable=["${grant(copy, store)}"]`, '--run-id', 'w', '--no-progress'];
  const r = spawnSync('/usr/bin/env', [...bareNode, path.join(copy, 'bin', 'engine.js'), ...args], { cwd: f.dir, env: childEnv(), encoding: 'utf8', timeout: 120_000 });
  const runDir = path.join(f.repo, '.engine', 'runs', 'w');
  onRunDir?.(runDir);
  if (!existsSync(path.join(runDir, 'timeline.jsonl'))) return { r, target, events: [], stderr: '' };
  const call = readdirSync(path.join(runDir, 'calls')).find((c) => c.includes('-implement-'));
  return { r, target, events: readJsonl(path.join(runDir, 'timeline.jsonl')), stderr: call ? readFileSync(path.join(runDir, 'calls', call, 'stderr.log'), 'utf8') : '' };
}

/** The same run with a grant the policy may not give: refused, so no call or timeline to read. */
function runRefused(grant: (copy: string, store: string) => string) {
  let runDir = '';
  const h = runWriting(grant, undefined, (dir) => (runDir = dir));
  return { ...h, runDir };
}

// sandbox.writable may not name them at all (E_SANDBOX_WRITABLE, test/sandbox/check-writable.test.ts):
// a grant that is a link to the install, holds it, lies in it or holds the run store is
// refused before anything runs, and the worker's write never happens. The walk's own rule for
// such grants stays covered by the first test above.
for (const [what, grant, kept] of [
  ['a link to the install', 'link', "the engine's install"],
  ['a directory holding the install', 'holds', "the engine's install"],
  ['a directory inside the install', 'inside', "the engine's install"],
  ['the run store', 'store', 'the run store'],
] as const) {
  t.test(`a grant of ${what} is refused before any worker runs`, { skip }, async (t) => {
    const h = runRefused((copy, store) => {
      if (grant === 'holds') return copy;
      if (grant === 'inside') return path.join(copy, 'templates');
      if (grant === 'store') return store;
      // Outside /tmp: there the sandbox's private /tmp would hide the link itself.
      const linkDir = mkdtempSync(path.join(existsSync('/var/tmp') ? '/var/tmp' : os.homedir(), 'engine-kept-out-'));
      t.teardown(() => rmSync(linkDir, { recursive: true, force: true }));
      const link = path.join(linkDir, 'cache');
      symlinkSync(path.join(copy, 'templates'), link);
      return link;
    });
    t.equal(h.r.status, 2, h.r.stderr);
    t.match(h.r.stderr, new RegExp(`E_SANDBOX_WRITABLE sandbox\\.writable .*(holds|is inside) ${kept.replace("'", '.')}`));
    t.notOk(existsSync(h.target), 'nothing was written');
    t.notOk(existsSync(h.runDir), 'no run was made');
  });
}

t.test('no grant reaches the install: the write is refused, the walk is skipped, the run completes', { skip }, async (t) => {
  const h = runWriting((copy) => {
    const cache = path.join(path.dirname(copy), 'cache');
    mkdirSync(cache);
    return cache;
  });
  t.match(h.stderr, /refused .*pwn\.txt/, 'the read-only mount refused the write');
  t.notOk(existsSync(h.target));
  t.equal(h.r.status, 0, h.r.stderr + h.r.stdout);
  t.notOk(h.events.some((e) => e.type === 'governance.violation'));
});


