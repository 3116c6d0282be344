import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFixture, engineHere, readJsonl, workspaceOf } from '../helpers/run-fixture.js';

const runDir = (repo: string, id: string) => path.join(repo, '.engine', 'runs', id);
// Runs and resumes in this process (the CLI kernel) on the stepping clock: what is refused
// and why depends on the records, not on the engine being a process of its own.
const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };
const start = (f: ReturnType<typeof makeFixture>, id: string, extra: string[] = []) =>
  engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir, env: clock });
const resume = (f: ReturnType<typeof makeFixture>, id: string, extra: string[] = []) => engineHere(['resume', id, '--repo', f.repo, '--no-progress', ...extra], { cwd: f.dir, env: clock });
const state = (f: ReturnType<typeof makeFixture>, id: string) => JSON.parse(readFileSync(path.join(runDir(f.repo, id), 'state.json'), 'utf8'));

t.test('a hand edit in the workspace of a stopped run: refused, then --force discards it', async (t) => {
  const f = makeFixture();
  t.equal((await start(f, 'h1', ['--max-ticks', '2'])).code, 1);
  const wt = workspaceOf(f.repo, 'h1');
  writeFileSync(path.join(wt, 'README.md'), '# edited by hand\n');
  writeFileSync(path.join(wt, 'notes.txt'), 'mine\n');
  const timelineBefore = readFileSync(path.join(runDir(f.repo, 'h1'), 'timeline.jsonl'), 'utf8');

  const refused = await resume(f, 'h1');
  t.equal(refused.code, 2, refused.stderr);
  t.match(refused.stderr, /error E_RESUME .*changed by hand.*README\.md/);
  t.match(refused.stderr, /notes\.txt/);
  t.equal(readFileSync(path.join(runDir(f.repo, 'h1'), 'timeline.jsonl'), 'utf8'), timelineBefore, 'a refusal records nothing');
  t.equal(readFileSync(path.join(wt, 'README.md'), 'utf8'), '# edited by hand\n', 'a refusal touches nothing');

  const forced = await resume(f, 'h1', ['--force']);
  t.equal(forced.code, 0, forced.stderr);
  const events = readJsonl(path.join(runDir(f.repo, 'h1'), 'timeline.jsonl'));
  const resumed = events.find((e) => e.type === 'run.resumed');
  t.equal(resumed.forced, true);
  t.same([...resumed.hand_edits].sort(), ['README.md', 'notes.txt']);
  t.equal(events.at(-1).stop_reason, 'completed');
  const s = state(f, 'h1');
  t.equal(s.counters.human_interventions, 1, 'one forced resume is one intervention');
  t.equal(s.kpis.human_interventions, 1);
  t.equal(f.git('show', 'engine/h1:README.md'), '# target', 'the edit was discarded');
  t.notOk(existsSync(path.join(wt, 'notes.txt')), 'the new file was discarded');
});

t.test('`latest` resumes the newest run of the store, as report latest names it; none, or a completed one, is refused', async (t) => {
  // The stepping clock gives both runs one creation time: the store orders them by id then, as report does.
  const f = makeFixture();
  const none = await resume(f, 'latest');
  t.equal(none.code, 2);
  t.match(none.stderr, /error E_RESUME no run in .* to resume/);
  t.equal((await start(f, 'r1-older', ['--max-ticks', '2'])).code, 1);
  t.equal((await start(f, 'r2-newer', ['--max-ticks', '2'])).code, 1);
  const r = await resume(f, 'latest');
  t.equal(r.code, 0, r.stderr);
  t.equal(state(f, 'r2-newer').status, 'completed', 'the newest');
  t.equal(state(f, 'r1-older').status, 'stopped', 'not the other');
  const again = await resume(f, 'latest');
  t.equal(again.code, 2);
  t.match(again.stderr, /error E_RESUME run r2-newer already completed/, 'the newest is completed: refused as by its id');
});

t.test('a changed environment fingerprint is refused unless --force', async (t) => {
  const f = makeFixture();
  t.equal((await start(f, 'fp', ['--max-ticks', '2'])).code, 1);
  const envFile = path.join(runDir(f.repo, 'fp'), 'env.json');
  const env = JSON.parse(readFileSync(envFile, 'utf8'));
  writeFileSync(envFile, JSON.stringify({ ...env, node: 'v0.0.1', engine_version: '0.0.0-old' }, null, 2));
  const refused = await resume(f, 'fp');
  t.equal(refused.code, 2, refused.stderr);
  t.match(refused.stderr, /error E_RESUME the environment changed since the run started \(node, engine_version\)/);
  const forced = await resume(f, 'fp', ['--force']);
  t.equal(forced.code, 0, forced.stderr);
  const resumed = readJsonl(path.join(runDir(f.repo, 'fp'), 'timeline.jsonl')).find((e) => e.type === 'run.resumed');
  t.equal(resumed.forced, true);
  t.equal(state(f, 'fp').kpis.human_interventions, 1);
});

t.test("a worker's CLI changed under it: refused with the worker and the versions named", async (t) => {
  // The message said only "(workers)": a new user could not tell what had changed.
  const f = makeFixture();
  t.equal((await start(f, 'wv', ['--max-ticks', '2'])).code, 1);
  const envFile = path.join(runDir(f.repo, 'wv'), 'env.json');
  const env = JSON.parse(readFileSync(envFile, 'utf8'));
  writeFileSync(envFile, JSON.stringify({ ...env, workers: { ...env.workers, implementer: { ...env.workers.implementer, version: '0.1.0-old' } } }, null, 2));
  const refused = await resume(f, 'wv');
  t.equal(refused.code, 2, refused.stderr);
  t.match(refused.stderr, /error E_RESUME the environment changed since the run started \(workers: implementer: version 0\.1\.0-old → none\); resume with --force/);
});

t.test('a timeline grown past what the engine writes: resume refuses it unread, report passes it over', async (t) => {
  // A hostile probe grew a stopped run's timeline.jsonl past 600 MB (sparse, as `truncate -s`
  // makes it): resume and report --all ended with exit 70 making one string of it.
  const f = makeFixture();
  t.equal((await start(f, 'big', ['--max-ticks', '2'])).code, 1);
  const timeline = path.join(runDir(f.repo, 'big'), 'timeline.jsonl');
  truncateSync(timeline, statSync(timeline).size + 600 * 2 ** 20);
  const refused = await resume(f, 'big');
  t.equal(refused.code, 2, refused.stderr);
  t.match(refused.stderr, /error E_RESUME run big's timeline\.jsonl is \d+ bytes, more than the engine writes of a run \(268435456\)/);
  const report = await engineHere(['report', '--all', '--repo', f.repo], { cwd: f.dir, env: clock });
  t.equal(report.code, 0, report.stderr);
  t.notMatch(report.stderr, /internal error/);
  // Said of its size, before a byte of it is read: read whole, it cost 12 s of CPU to say
  // that no string could be made of it.
  t.match(report.stderr, /warning W_RUN_RECORD run big: its timeline\.jsonl is \d+ bytes, more than the engine writes of a run \(268435456\), not read; no KPIs for this run/);
});

t.test('an unknown run id and a completed run are refused with exit 2', async (t) => {
  const f = makeFixture();
  const unknown = await resume(f, 'no-such-run');
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /error E_RESUME no run "no-such-run" found/);
  const json = await engineHere(['resume', 'no-such-run', '--repo', f.repo, '--json'], { cwd: f.dir, env: clock });
  t.equal(json.code, 2);
  const lines = json.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  const doc = JSON.parse(lines[0]!);
  t.equal(doc.type, 'run.rejected');
  t.equal(doc.diagnostics[0].code, 'E_RESUME');

  t.equal((await start(f, 'done')).code, 0);
  const completed = await resume(f, 'done');
  t.equal(completed.code, 2);
  t.match(completed.stderr, /error E_RESUME run done already completed/);
  t.equal((await resume(f, 'done', ['--force'])).code, 2, '--force does not reopen a completed run');
});

// A new user's probe: a stopped run whose timeline.jsonl was removed, or replaced by a
// directory, made `engine resume` an internal error (exit 70); replaced by a FIFO (what a
// worker without the OS sandbox can put in the run store), it held resume in open(2) past
// SIGINT and SIGTERM, and `report --all` with it. Each is refused or reported, at once.
for (const [what, replace] of [
  ['removed', (file: string) => rmSync(file)],
  ['a directory', (file: string) => (rmSync(file), mkdirSync(file))],
  ['a FIFO', (file: string) => (rmSync(file), execFileSync('mkfifo', [file]))],
] as const) {
  t.test(`a stopped run whose timeline.jsonl is ${what}: resume refuses it (exit 2), report shows the rest`, async (t) => {
    const f = makeFixture();
    const id = `tl-${what.replace(/\W/g, '')}`;
    t.equal((await start(f, id, ['--max-ticks', '2'])).code, 1);
    replace(path.join(runDir(f.repo, id), 'timeline.jsonl'));
    const refused = await resume(f, id);
    t.equal(refused.code, 2, refused.stderr);
    t.match(refused.stderr, /error E_RESUME run \S+'s timeline\.jsonl cannot be read \((it is missing|it is no regular file)\); the engine will not resume/);
    const report = await engineHere(['report', '--all', '--repo', f.repo], { cwd: f.dir, env: clock });
    t.equal(report.code, 0, report.stderr);
    t.match(report.stderr + report.stdout, /timeline\.jsonl/, 'the report says what is wrong with the run');
  });
}

// A new user's probe: the summary a stopped run printed said `engine resume <id>`, which from
// another directory, or for a run in a store of its own, found no such run (exit 2). The
// summary and memo.md now give the command that works where it is pasted.
t.test('the summary of a stopped run in a store elsewhere gives a resume command that works pasted in a shell anywhere', async (t) => {
  const f = makeFixture();
  // A space, a `$`, a backtick and a quote: pasted, the path stays one word and runs nothing.
  const store = path.join(f.dir, "my $HOME `id` it's store");
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--store', store, '--run-id', 'away', '--max-ticks', '2', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 1, r.stderr);
  const said = /Continue with: `(engine resume [^`]+|engine resume .+)`$/m.exec(r.stdout)?.[1];
  t.ok(said, r.stdout);
  t.match(readFileSync(path.join(store, 'away', 'memo.md'), 'utf8'), said!, 'memo.md gives the same');
  // What a shell makes of it, word by word.
  const words = execFileSync('/bin/sh', ['-c', `engine() { for a; do printf '%s\\0' "$a"; done; }; ${said}`], { encoding: 'utf8' }).split('\0').slice(0, -1);
  t.same(words, ['resume', 'away', '--repo', f.repo, '--store', store], 'the shell reads the words the engine meant');
  const resumed = await engineHere([...words, '--no-progress'], { cwd: os.tmpdir() });
  t.equal(resumed.code, 0, resumed.stderr);
});
