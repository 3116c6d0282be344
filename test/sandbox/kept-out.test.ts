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
function runWriting(grant: (copy: string, store: string) => string, targetOf: (copy: string, store: string) => string = (copy) => path.join(copy, 'templates', 'pwn.txt')) {
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
  const call = readdirSync(path.join(runDir, 'calls')).find((c) => c.includes('-implement-'));
  return { r, target, events: readJsonl(path.join(runDir, 'timeline.jsonl')), stderr: call ? readFileSync(path.join(runDir, 'calls', call, 'stderr.log'), 'utf8') : '' };
}

t.test('a grant that is a link to the install: the install never changes unseen', { skip }, async (t) => {
  const h = runWriting((copy) => {
    // Outside /tmp: there the sandbox's private /tmp would hide the link itself.
    const linkDir = mkdtempSync(path.join(existsSync('/var/tmp') ? '/var/tmp' : os.homedir(), 'engine-kept-out-'));
    t.teardown(() => rmSync(linkDir, { recursive: true, force: true }));
    const link = path.join(linkDir, 'cache');
    symlinkSync(path.join(copy, 'templates'), link);
    return link;
  });
  // bubblewrap resolves a linked grant outside its new root: the write is refused, or the
  // mount fails and the worker with it. Should that change, the walk (never skipped for such
  // a grant) catches the write.
  if (existsSync(h.target)) t.match(h.events.find((e) => e.type === 'governance.violation')?.violations, [{ rule: 'engine_install' }], 'the write landed and was caught');
  else t.pass(`the write did not land (${h.events.at(-1)?.stop_reason ?? 'completed'})`);
});

t.test('a grant that holds the install: the write lands and the walk catches it', { skip }, async (t) => {
  const h = runWriting((copy) => copy);
  t.match(h.stderr, /wrote .*pwn\.txt/, 'the sandbox let the write through');
  t.equal(readFileSync(h.target, 'utf8'), 'pwned\n');
  t.equal(h.r.status, 3, h.r.stderr + h.r.stdout);
  const violation = h.events.find((e) => e.type === 'governance.violation');
  t.match(violation?.violations, [{ rule: 'engine_install', path: h.target }]);
  t.equal(h.events.at(-1).stop_reason, 'framework_fix_needed', "a write to the engine's own install is the framework's to fix");
});

t.test('a grant inside the install: caught', { skip }, async (t) => {
  const h = runWriting((copy) => path.join(copy, 'templates'));
  t.match(h.stderr, /wrote /);
  t.equal(h.r.status, 3);
  t.match(h.events.find((e) => e.type === 'governance.violation')?.violations, [{ rule: 'engine_install' }]);
});

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

t.test('a grant that holds the run store: a write to the timeline lands and is caught and undone', { skip }, async (t) => {
  const h = runWriting(
    (_copy, store) => store,
    (_copy, store) => path.join(store, 'w', 'timeline.jsonl'),
  );
  t.match(h.stderr, /wrote .*timeline\.jsonl/, 'the sandbox let the write through');
  t.not(h.r.status, 0, 'the run stopped');
  t.match(h.events.find((e) => e.type === 'governance.violation')?.violations, [{ rule: 'run_store', path: 'timeline.jsonl' }]);
  t.equal(h.events.at(-1).stop_reason, 'governance_violation');
  t.equal(h.events.at(-1).type, 'run.finished', 'the timeline was restored and the run ended in it');
});
