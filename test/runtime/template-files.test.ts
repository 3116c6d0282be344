import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// A hostile review of the repo's prompt templates (.engine/templates/<name>.md), bad input a
// user or a teammate's commit can give.

const runArgs = (f: ReturnType<typeof makeFixture>, extra: string[] = []) => ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress', ...extra];

t.test('a template that is a FIFO, or past 8 MiB, is refused before anything is made (a FIFO held the run in open() for good, deaf to Ctrl-C and SIGTERM)', async (t) => {
  const f = makeFixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const templates = path.join(f.repo, '.engine', 'templates');
  mkdirSync(templates, { recursive: true });
  execFileSync('mkfifo', [path.join(templates, 'plan.md')]);
  const r = engine(runArgs(f), { cwd: f.dir });
  t.equal(r.signal, null, 'not killed by the helper\'s time limit');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /plan\.md:1:1: error E_TEMPLATE cannot read the template: .*not a regular file/);
  const doctor = engine(['doctor', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile], { cwd: f.dir });
  t.match(doctor.stdout + doctor.stderr, /plan\.md:1:1: error E_TEMPLATE cannot read the template/, 'the doctor says it too, without waiting');

  rmSync(path.join(templates, 'plan.md'));
  writeFileSync(path.join(templates, 'plan.md'), '');
  truncateSync(path.join(templates, 'plan.md'), 8 * 2 ** 20 + 1);
  const big = engine(runArgs(f), { cwd: f.dir });
  t.equal(big.code, 2, `a template past 8 MiB: ${big.stderr}`);
  t.match(big.stderr, /plan\.md:1:1: error E_TEMPLATE cannot read the template: .*more than 8388608/);
});

t.test('a template that fails only as it is rendered stops the step worker_failed, and resumes once mended (it was exit 70, on every resume too)', async (t) => {
  const f = makeFixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const templates = path.join(f.repo, '.engine', 'templates');
  mkdirSync(templates, { recursive: true });
  const shipped = readFileSync(path.join(import.meta.dirname, '..', '..', 'templates', 'prompts', 'plan.md'), 'utf8');
  // The explore step is off in the fixture's policy: `explore` is null, and strict mode looks
  // `assumptions` up in null. The check cannot know the policy's explore mode from the template.
  writeFileSync(path.join(templates, 'plan.md'), `${shipped}\n{{explore.assumptions}}\n`);
  const r = engine(runArgs(f, ['--run-id', 'tpl']), { cwd: f.dir });
  t.equal(r.code, 1, r.stderr);
  const state = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'tpl', 'state.json'), 'utf8'));
  t.match(state, { status: 'stopped', stop_reason: 'worker_failed', stop_detail: /planner: the prompt template .*plan\.md could not be rendered: .*assumptions.*; mend the template, then resume with --reload-config/ });
  t.notMatch(r.stderr, /internal error|exit 70/i);
  writeFileSync(path.join(templates, 'plan.md'), shipped);
  const resumed = engine(['resume', 'tpl', '--repo', f.repo, '--reload-config', '--no-progress'], { cwd: f.dir });
  t.equal(resumed.code, 0, resumed.stderr);
});
