import t from 'tap';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// A hostile review: without the OS sandbox a worker can replace a run's state.json,
// timeline.jsonl or a call's meta.json with a link to a file outside the run store (the
// user's ~/.ssh/id_rsa, /etc/passwd); `report` followed it and showed what it found. A run's
// own records are read only as regular files, never through a link in their last component:
// such a run is counted damaged, and the report warns and shows nothing of the linked file.

const SECRET = 'SECRET-7f3a9c-do-not-show';

t.test('report shows nothing of a file a run record links to, and counts the run damaged', async (t) => {
  const f = makeFixture();
  t.equal(engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r', '--no-progress', '--max-ticks', '3'], { cwd: f.dir }).code, 1);
  const runs = path.join(f.repo, '.engine', 'runs');
  const runDir = path.join(runs, 'r');
  const pristine = path.join(f.dir, 'pristine');
  cpSync(runs, pristine, { recursive: true });
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  const timeline = readFileSync(path.join(runDir, 'timeline.jsonl'), 'utf8');
  const call = readdirSync(path.join(runDir, 'calls'))[0]!;
  // Outside the store, each a file the report would show if it read it: a state whose goal is
  // the secret, a timeline with an event named by it, a meta.json of a call that says it.
  const outside = (name: string, text: string) => {
    const file = path.join(f.dir, name);
    writeFileSync(file, text);
    return file;
  };
  const secretState = outside('secret-state.json', JSON.stringify({ ...state, task: { ...state.task, goal: SECRET } }));
  const secretTimeline = outside('secret-timeline.jsonl', `${timeline}{"type":"${SECRET}","seq":100000}\n`);
  const secretMeta = outside('secret-meta.json', JSON.stringify({ error: SECRET, dialect: SECRET }));
  const reset = () => {
    rmSync(runs, { recursive: true, force: true });
    cpSync(pristine, runs, { recursive: true });
    rmSync(path.join(runs, 'index.jsonl'), { force: true });
  };
  const link = (target: string, rel: string) => {
    rmSync(path.join(runDir, rel));
    symlinkSync(target, path.join(runDir, rel));
  };
  const reports = (what: string) => {
    const page = path.join(f.dir, 'page.html');
    rmSync(page, { force: true });
    const out: string[] = [];
    for (const args of [['report', '--all'], ['report', 'r'], ['report', '--all', '--json'], ['report', 'r', '--json'], ['report', '--all', '--html', page]]) {
      const r = engine([...args, '--repo', f.repo], { cwd: f.dir });
      t.not(r.code, 70, `${what}, ${args.join(' ')}: no internal error (${r.stderr})`);
      out.push(r.stdout, r.stderr);
      t.notMatch(`${r.stdout}${r.stderr}`, SECRET, `${what}, ${args.join(' ')}: the linked file is not shown`);
    }
    // No page when no run can be read (E_NO_RUNS).
    if (existsSync(page)) t.notMatch(readFileSync(page, 'utf8'), SECRET, `${what}: the page shows nothing of the linked file`);
    return out.join('');
  };

  reset();
  t.match(reports('no link'), /\br\b/, 'the run is reported as it stands');
  reset();
  link(secretState, 'state.json');
  t.match(reports('state.json a link'), /state\.json\s+cannot\s+be\s+read/, 'state.json a link: the run is left out and named');
  reset();
  link(secretTimeline, 'timeline.jsonl');
  t.match(reports('timeline.jsonl a link'), /W_RUN_RECORD run r: its timeline\.jsonl cannot be\s+read \(it\s+is\s+a\s+link/, 'timeline.jsonl a link: a warning, no KPIs for the run');
  // resume of a run whose timeline is a link: refused, nothing appended through it.
  const before = readFileSync(secretTimeline, 'utf8');
  const resume = engine(['resume', 'r', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.not(resume.code, 70, `resume: no internal error (${resume.stderr})`);
  t.notMatch(`${resume.stdout}${resume.stderr}`, SECRET);
  t.equal(readFileSync(secretTimeline, 'utf8'), before, 'resume: nothing written through the link');
  reset();
  link(secretMeta, `calls/${call}/meta.json`);
  reports("a call's meta.json a link");
  // With the store's index made while the records were plain, and a link put in after.
  for (const [what, target, rel] of [['state.json', secretState, 'state.json'], ['timeline.jsonl', secretTimeline, 'timeline.jsonl']] as const) {
    reset();
    t.equal(engine(['report', '--all', '--repo', f.repo], { cwd: f.dir }).code, 0, 'the index is made');
    // The same size as the record it replaces: the index's size check cannot tell.
    writeFileSync(target, readFileSync(path.join(runDir, rel), 'utf8').replace(/"goal":"g"/, `"goal":"${SECRET.slice(0, 1)}"`));
    link(target, rel);
    t.match(reports(`${what} a link after the index was made`), /cannot\s+be\s+read/, `${what} a link after the index was made: the run is counted damaged, not taken from its index line`);
  }
  // The folders above the records may be links: a store reached through one is read.
  reset();
  const moved = path.join(f.dir, 'elsewhere');
  cpSync(path.join(f.repo, '.engine'), moved, { recursive: true });
  rmSync(path.join(f.repo, '.engine'), { recursive: true });
  symlinkSync(moved, path.join(f.repo, '.engine'));
  const r = engine(['report', 'r', '--repo', f.repo], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Milestones of run r/, '.engine a link: the run is reported');
  const resumed = engine(['resume', 'r', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.not(resumed.code, 70, resumed.stderr);
});
