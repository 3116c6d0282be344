import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';
import { holdsUncheckpointed } from '../../engine/runtime/finish-run.js';

// A new user ran the README's first pipeline (implement, then verify, then completed: no
// checkpoint step) with a worker that wrote a file. The run completed, its summary said the
// workspace was "removed: the branch holds the result", and the file was nowhere: the branch
// was the base, the workspace gone. A completed run whose workspace holds changes no
// checkpoint took now keeps its workspace and says so.

t.test("the README's first pipeline: the worker's file is kept in the workspace, and the run says the branch lacks it", async (t) => {
  const f = makeFixture({
    script: { plan: [], implement: { '-': { 'hello.txt': 'hello\n' } } },
    pipeline: (p) => {
      p.workers = { implementer: p.workers.implementer };
      p.start = 'implement';
      p.steps = [
        { id: 'implement', type: 'worker', worker: 'implementer', phase: 'implement', on: { done: 'verify', no_changes_needed: 'verify', blocked: { stop: 'worker_failed' }, framework_fix_needed: { stop: 'framework_fix_needed' } } },
        { id: 'verify', type: 'verify', tier: 'tier0', on: { pass: { stop: 'completed' }, fail: { goto: 'implement', attempts: 'verification.max_attempts', exhausted: { stop: 'verification_failed' } } } },
      ];
    },
  });
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'say hello', '--policy', f.policyFile, '--run-id', 'first', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr.slice(-1500));
  const state = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'first', 'state.json'), 'utf8'));
  t.equal(state.status, 'completed');
  t.equal(f.git('rev-parse', 'engine/first'), f.git('rev-parse', 'main'), 'no checkpoint: the branch is the base');
  t.equal(readFileSync(path.join(state.workspace, 'hello.txt'), 'utf8'), 'hello\n', "the worker's file is still in the workspace");
  t.match(r.stderr, new RegExp(`warning: the run completed with changes no checkpoint took .*the branch does not have them; they are in the workspace, kept: ${state.workspace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\`engine clean --resumable\` removes it\\)`));
  const summary = readFileSync(path.join(f.repo, '.engine', 'runs', 'first', 'summary.md'), 'utf8');
  t.match(summary, /- workspace: `.*` \(kept: it holds changes no checkpoint took, which the branch does not have/);
  t.notMatch(summary, /the branch holds the result/);
  t.equal(state.workspace_kept, true, 'state.json says the workspace was kept');
  const clean = engine(['clean', '--repo', f.repo], { cwd: f.dir });
  t.equal(clean.code, 0, clean.stderr);
  t.match(clean.stdout, /kept +first .*completed with changes no checkpoint took: they are only in this workspace; --resumable removes it/);
  t.ok(existsSync(path.join(state.workspace, 'hello.txt')), '`engine clean` keeps it');
});

t.test('a run whose last change was checkpointed removes its workspace as before', async (t) => {
  const f = makeFixture();
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'cp', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr.slice(-1500));
  const state = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'cp', 'state.json'), 'utf8'));
  t.notOk(existsSync(state.workspace), 'removed');
  t.notMatch(r.stderr, /no checkpoint took/);
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', 'cp', 'summary.md'), 'utf8'), /\(removed: the branch holds the result\)/);
  t.same(readdirSync(path.join(f.repo, '.engine', 'runs', 'cp')).filter((n) => n.endsWith('.patch')), []);
});

t.test('holdsUncheckpointed compares the last tree with the branch head', async (t) => {
  const empty = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
  t.equal(holdsUncheckpointed('aaa', 'aaa'), false, 'the same tree');
  t.equal(holdsUncheckpointed('bbb', 'aaa'), true, 'a tree the branch does not have');
  t.equal(holdsUncheckpointed(null, 'aaa'), false, 'no tree recorded');
  t.equal(holdsUncheckpointed(empty, null), false, 'an orphan branch, nothing written');
  t.equal(holdsUncheckpointed('bbb', null), true, 'an orphan branch, something written');
});
