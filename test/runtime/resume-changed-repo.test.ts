import t from 'tap';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { makeFixture, engineHere, workspaceOf } from '../helpers/run-fixture.js';

// A stopped run whose repository, or whose state.json, changed while no engine ran: each was
// an internal error (exit 70) whose message said to resume, which failed the same way again.
// Each is refused (E_RESUME, exit 2), nothing of the run written, saying what to do.

type Fixture = ReturnType<typeof makeFixture>;
const runDir = (repo: string, id: string) => path.join(repo, '.engine', 'runs', id);
const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };
const start = (f: Fixture, id: string, extra: string[] = []) =>
  engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir, env: clock });
const resume = (f: Fixture, id: string, extra: string[] = [], repo = f.repo) => engineHere(['resume', id, '--repo', repo, '--no-progress', ...extra], { cwd: f.dir, env: clock });
const read = (f: Fixture, id: string, file: string) => readFileSync(path.join(runDir(f.repo, id), file), 'utf8');

t.test('the repository moved since the run stopped: refused, naming where the run was started', async (t) => {
  const f = makeFixture();
  t.equal((await start(f, 'mv', ['--max-ticks', '4'])).code, 1);
  const moved = path.join(f.dir, 'repo2');
  renameSync(f.repo, moved);
  for (const how of [['--repo', moved], ['--store', path.join(moved, '.engine', 'runs')]]) {
    const r = await engineHere(['resume', 'mv', ...how, '--no-progress'], { cwd: f.dir, env: clock });
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, `error E_RESUME the run's repository ${f.repo} is not there any more (moved or removed)`);
    t.match(r.stderr, /put it back there to resume the run/);
  }
  renameSync(moved, f.repo);
  const back = await resume(f, 'mv');
  t.equal(back.code, 0, `moved back, the run resumes\n${back.stderr}`);
});

t.test("the run's commits pruned from the repository: refused, saying they are gone", async (t) => {
  const f = makeFixture();
  f.git('checkout', '-q', '-b', 'feature');
  writeFileSync(path.join(f.repo, 'feature.txt'), 'f\n');
  f.git('add', 'feature.txt');
  f.git('commit', '-q', '-m', 'feature');
  t.equal((await start(f, 'gc', ['--max-ticks', '4'])).code, 1);
  f.git('checkout', '-q', 'main');
  f.git('branch', '-q', '-D', 'feature', 'engine/gc');
  f.git('reflog', 'expire', '--expire=now', '--all');
  f.git('gc', '-q', '--prune=now');
  const timeline = read(f, 'gc', 'timeline.jsonl');
  const r = await resume(f, 'gc');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_RESUME the run's commits are gone from the repository .*its base commit \(base_sha\) "[0-9a-f]{40}"/);
  t.equal(read(f, 'gc', 'timeline.jsonl'), timeline, 'a refusal records nothing');
});

t.test('a branch `engine` made since the run stopped: refused with the rename a new run is told', async (t) => {
  const f = makeFixture();
  t.equal((await start(f, 'br', ['--max-ticks', '4'])).code, 1);
  const tip = f.git('rev-parse', 'engine/br').trim();
  f.git('branch', '-q', '-D', 'engine/br');
  f.git('branch', 'engine');
  const r = await resume(f, 'br');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_RESUME the branch engine in .* is in the way of the run's branch engine\/br .*branch -m engine <new-name>\), then resume/);
  f.git('branch', '-m', 'engine', 'mine');
  // The run's own branch was deleted to make room: that is said next, with how to set it back.
  const gone = await resume(f, 'br');
  t.equal(gone.code, 2, gone.stderr);
  t.match(gone.stderr, `error E_RESUME the run's branch engine/br is gone, not at ${tip}`);
  f.git('branch', 'engine/br', tip);
  const again = await resume(f, 'br');
  t.equal(again.code, 0, `renamed and set back, the run resumes to its end\n${again.stderr}`);
});

t.test('--reload-config with a pipeline without the step the run stands at: refused before anything is written', async (t) => {
  const f = makeFixture();
  t.equal((await start(f, 'rl', ['--max-ticks', '3'])).code, 1);
  t.equal(JSON.parse(read(f, 'rl', 'state.json')).position.step, 'review', 'the run stands at review');
  const original = readFileSync(f.pipelineFile, 'utf8');
  const pipeline = parse(original);
  pipeline.steps = pipeline.steps.filter((s: { id: string }) => s.id !== 'review');
  for (const s of pipeline.steps) if (s.else === 'review') s.else = 'checkpoint';
  writeFileSync(f.pipelineFile, stringify(pipeline));
  const env = read(f, 'rl', 'env.json');
  const manifest = read(f, 'rl', 'config/manifest.json');
  const r = await resume(f, 'rl', ['--reload-config']);
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_RESUME step `review`, where the run stands, is not in the pipeline .* resume without --reload-config/);
  t.equal(read(f, 'rl', 'env.json'), env, 'env.json is not written');
  t.equal(read(f, 'rl', 'config/manifest.json'), manifest, 'the snapshot is not written');
  writeFileSync(f.pipelineFile, original);
  const plain = await resume(f, 'rl');
  t.equal(plain.code, 0, `with the pipeline put back a plain resume goes on\n${plain.stderr}`);
});

t.test('--reload-config refused at a later check (a hand edit): env.json keeps the hash the snapshot has', async (t) => {
  // env.json took the new pipeline_hash before the workspace was checked: refused for the hand
  // edit, the run then had a hash no snapshot had, and a plain resume was refused for it.
  const f = makeFixture();
  t.equal((await start(f, 'he', ['--max-ticks', '3'])).code, 1);
  const pipeline = parse(readFileSync(f.pipelineFile, 'utf8'));
  pipeline.workers.reviewer = { ...pipeline.workers.reviewer, idle_timeout_s: 30 };
  writeFileSync(f.pipelineFile, stringify(pipeline));
  const env = read(f, 'he', 'env.json');
  const readme = path.join(workspaceOf(f.repo, 'he'), 'README.md');
  const before = readFileSync(readme, 'utf8');
  writeFileSync(readme, '# edited by hand\n');
  const r = await resume(f, 'he', ['--reload-config']);
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_RESUME the workspace was changed by hand/);
  t.equal(read(f, 'he', 'env.json'), env, 'env.json is not written');
  writeFileSync(readme, before);
  const taken = await resume(f, 'he', ['--reload-config']);
  t.equal(taken.code, 0, taken.stderr);
  t.not(JSON.parse(read(f, 'he', 'env.json')).pipeline_hash, JSON.parse(env).pipeline_hash, 'taken once the resume is accepted');
});

// Each keeps state.json's schema; each was an internal error or was taken as it was.
const edits: [string, (s: any) => void][] = [
  ['machine.value', (s) => (s.machine.value = 'nosuch')],
  ['workspace_tree', (s) => (s.workspace_tree = 'deadbeef')],
  ['head_sha', (s) => (s.head_sha = '0'.repeat(40))],
  ['base_sha', (s) => (s.base_sha = 'zz')],
  ['machine.context.milestone', (s) => (s.machine.context.milestone = 999)],
  ['machine.context.milestones', (s) => (s.machine.context.milestones = [])],
  ['position.step', (s) => (s.position.step = 'nosuch')],
  ['repo', (s) => (s.repo = '/nonexistent')],
  ['schema_version', (s) => (s.schema_version = 99)],
];

t.test('state.json edited within its schema: each edit refused, the run as the engine wrote it resumes', async (t) => {
  const f = makeFixture();
  t.equal((await start(f, 'ed', ['--max-ticks', '4'])).code, 1);
  const file = path.join(runDir(f.repo, 'ed'), 'state.json');
  const saved = path.join(f.dir, 'state.saved.json');
  cpSync(file, saved);
  for (const [field, edit] of edits) {
    const s = JSON.parse(readFileSync(saved, 'utf8'));
    edit(s);
    writeFileSync(file, JSON.stringify(s, null, 2));
    const r = await resume(f, 'ed');
    t.equal(r.code, 2, `${field}: ${r.stderr}`);
    t.match(r.stderr, /error E_RESUME /, field);
  }
  cpSync(saved, file);
  const r = await resume(f, 'ed');
  t.equal(r.code, 0, r.stderr);
});
