// test cost: about 6 s: three real runs under bubblewrap.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';
import { decideSandbox } from '../../engine/sandbox/sandbox-status.js';
import { grantsKeepOut, wrapCommand } from '../../engine/sandbox/wrap-command.js';

// After a read-only step (explore, plan, review) whose worker ran under the OS sandbox with
// no grant reaching the workspace or the engine's git dir of it, the engine takes no snapshot:
// the workspace was a read-only mount and the sandbox ended every process with the call. A
// grant that reaches either (a plugin's own writable path, say) brings the snapshot back, and
// what the worker planted there is found (the engine's git dir is also walked after every
// step once a grant reaches it: docs/governance.md).

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bwrap = probeBwrap(process.env);
const skip = bwrap.ok ? false : `bubblewrap does not work here (${bwrap.error}): install it (apt-get install bubblewrap) to run the sandbox tests`;
const active = () => decideSandbox({ mode: 'bwrap', writable: [] }, { ok: true, bin: '/usr/bin/bwrap', error: null } as never);

t.test("grantsKeepOut: a command's own write grants against the workspace and its git dir", async (t) => {
  const ws = path.join(os.tmpdir(), 'engine-sealed', 'repo-1', 'run');
  const places = [ws, `${ws}.git`];
  const writes = (o: { readOnly: boolean; writable?: string[]; home?: string | null }) =>
    wrapCommand(active(), { bin: 'sh', args: [], cwd: ws, workspace: ws, readOnly: o.readOnly, home: o.home ?? `${ws}.homes/reviewer`, writable: o.writable ?? [] }).writes;
  t.ok(grantsKeepOut(writes({ readOnly: true }), places), 'a read-only step with its home beside the workspace');
  t.notOk(grantsKeepOut(writes({ readOnly: false }), places), 'a writable workspace');
  t.notOk(grantsKeepOut(writes({ readOnly: true, writable: [`${ws}.git`] }), places), "a grant of the engine's git dir");
  t.notOk(grantsKeepOut(writes({ readOnly: true, writable: [path.join(ws, 'cache')] }), places), 'a grant inside the workspace');
  t.notOk(grantsKeepOut(writes({ readOnly: true, writable: [path.dirname(ws)] }), places), 'a grant holding both');
  t.notOk(grantsKeepOut(writes({ readOnly: true, home: path.join(ws, '.home') }), places), 'a home inside the workspace');
  t.ok(grantsKeepOut(writes({ readOnly: true, writable: [`${ws}-other`] }), places), 'a sibling whose name starts alike');
  const off = decideSandbox({ mode: 'off', writable: [] }, null);
  t.equal(wrapCommand(off, { bin: 'sh', args: [], cwd: ws, workspace: ws, readOnly: true, home: null }).writes, null, 'no sandbox: no list of grants');
  t.notOk(grantsKeepOut(null, places), 'and then nothing is kept out');
});

/** A reviewer that tries the workspace and the engine's git dir of it, and approves. */
const REVIEWER = [
  'prompt=$(cat)',
  'try() { if (printf "%s\\n" "$2" >> "$1") 2>/dev/null; then echo "WROTE $1" >&2; else echo "refused $1" >&2; fi; }',
  'try "$PWD/review-pwn.txt" pwned',
  'try "$PWD.git/config" "[core]"',
  'try "$PWD.git/config" "	fsmonitor = touch /tmp/engine-sealed-pwn"',
  `printf 'BEGIN_MARKERS\\n{"verdict": "approve", "changes": []}\\nEND_MARKERS\\n'`,
].join('\n');

/** A run whose reviewer is REVIEWER, through `use` (default: the command worker). */
function reviewRun(use: string, id: string) {
  const f = makeFixture({
    script: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }], implement: { '1': { 'src/a.txt': 'alpha\n' } } },
    policy: { sandbox: { mode: 'bwrap', writable: [] } },
    pipeline: (p) => {
      p.workers.reviewer = { use, bin: 'sh', args: ['-c', REVIEWER], idle_timeout_s: 20, timeout_s: 60 };
    },
  });
  const commandWorker = path.join(root, 'dist', 'engine', 'workers', 'command-worker.js');
  // A plugin that hands its CLI the engine's git dir of the workspace as a place to write.
  writeFileSync(
    path.join(f.dir, 'grants-git.mjs'),
    `import { commandWorker } from ${JSON.stringify(commandWorker)};\nexport default { ...commandWorker, name: 'grants-git', invoke(ctx) { const inv = commandWorker.invoke(ctx); return { ...inv, writable: [...(inv.writable ?? []), ctx.cwd + '.git'] }; } };\n`,
  );
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress', '--run-id', id], { cwd: f.dir });
  const runDir = path.join(f.repo, '.engine', 'runs', id);
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  const call = readdirSync(path.join(runDir, 'calls')).find((c) => c.includes('-review-'));
  const stderr = call ? readFileSync(path.join(runDir, 'calls', call, 'stderr.log'), 'utf8') : '';
  return { f, r, events, stderr };
}

t.test('a sealed review: every write refused, no snapshot needed, the run completes with only the change', { skip }, async (t) => {
  const { f, r, events, stderr } = reviewRun('command', 'sealed');
  t.equal(r.code, 0, r.stderr);
  t.match(stderr, /refused \S+\/review-pwn\.txt/);
  t.match(stderr, /refused \S+\.git\/config/);
  t.notOk(stderr.includes('WROTE'), 'nothing was written');
  t.notOk(events.some((e) => e.type === 'governance.violation'));
  const finished = events.filter((e) => e.type === 'step.finished' && e.step === 'review');
  const implemented = events.filter((e) => e.type === 'step.finished' && e.step === 'implement');
  t.equal(finished.at(-1).tree, implemented.at(-1).tree, 'the review left the tree the implement step made');
  t.equal(f.git('ls-tree', '-r', '--name-only', 'engine/sealed'), 'README.md\nsrc/a.txt');
  t.notOk(existsSync('/tmp/engine-sealed-pwn'));
});

t.test("a grant that reaches the engine's git dir: what the review planted there is found", { skip }, async (t) => {
  const { r, events, stderr } = reviewRun('./grants-git.mjs', 'granted');
  t.match(stderr, /refused \S+\/review-pwn\.txt/, 'the workspace itself stays read-only');
  t.match(stderr, /WROTE \S+\.git\/config/, "the grant let the write into the engine's git dir through");
  t.equal(r.code, 3, r.stderr + r.stdout);
  const violation = events.find((e) => e.type === 'governance.violation');
  t.ok(violation, 'a governance violation');
  t.equal(violation?.step, 'review');
  t.match(JSON.stringify(violation?.violations), /config/);
  t.notOk(existsSync('/tmp/engine-sealed-pwn'), 'the planted fsmonitor never ran');
});
