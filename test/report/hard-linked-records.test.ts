import t from 'tap';
import { cpSync, existsSync, linkSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// A hostile review: O_NOFOLLOW stops a symbolic link at a run's record, not a hard one.
// Without the OS sandbox a worker can hard-link a file of the user's on the same file system
// (one holding a secret) at state.json or a call's meta.json; it is a regular file there, and
// `report` showed it when it parsed. The engine makes no record with a second name, but for
// the moment its state.json swap links the record aside as `.state.json.old` (and a crash can
// leave it so): a record with more than one name is refused like a linked one, unless that
// other name is the swap's.

const SECRET = 'SECRET-9b1e4d-do-not-show';

t.test('report shows nothing of a file hard-linked at a run record, and counts the run damaged', async (t) => {
  const f = makeFixture();
  t.equal(engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r', '--no-progress', '--max-ticks', '3'], { cwd: f.dir }).code, 1);
  const runs = path.join(f.repo, '.engine', 'runs');
  const runDir = path.join(runs, 'r');
  const pristine = path.join(f.dir, 'pristine');
  cpSync(runs, pristine, { recursive: true });
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  const timeline = readFileSync(path.join(runDir, 'timeline.jsonl'), 'utf8');
  const call = readdirSync(path.join(runDir, 'calls'))[0]!;
  // The user's files, outside the store on the same file system, each one the report would show.
  const secret = (name: string, text: string) => {
    const file = path.join(f.dir, name);
    writeFileSync(file, text);
    return file;
  };
  const secretState = secret('secret-state.json', JSON.stringify({ ...state, task: { ...state.task, goal: SECRET } }));
  const secretTimeline = secret('secret-timeline.jsonl', `${timeline}{"type":"${SECRET}","seq":100000}\n`);
  const secretMeta = secret('secret-meta.json', JSON.stringify({ error: SECRET, dialect: SECRET }));
  const reset = () => {
    rmSync(runs, { recursive: true, force: true });
    cpSync(pristine, runs, { recursive: true });
    rmSync(path.join(runs, 'index.jsonl'), { force: true });
  };
  const hardLink = (target: string, rel: string) => {
    rmSync(path.join(runDir, rel));
    linkSync(target, path.join(runDir, rel));
  };
  const reports = (what: string) => {
    const page = path.join(f.dir, 'page.html');
    rmSync(page, { force: true });
    const out: string[] = [];
    for (const args of [['report', '--all'], ['report', 'r'], ['report', '--all', '--json'], ['report', 'r', '--json'], ['report', '--all', '--html', page]]) {
      const r = engine([...args, '--repo', f.repo], { cwd: f.dir });
      t.not(r.code, 70, `${what}, ${args.join(' ')}: no internal error (${r.stderr})`);
      out.push(r.stdout, r.stderr);
      t.notMatch(`${r.stdout}${r.stderr}`, SECRET, `${what}, ${args.join(' ')}: the hard-linked file is not shown`);
    }
    if (existsSync(page)) {
      const html = readFileSync(page, 'utf8');
      t.notMatch(html, SECRET, `${what}: the page shows nothing of the hard-linked file`);
      out.push(html);
    }
    return out.join('');
  };

  reset();
  t.match(reports('no link'), /\br\b/, 'the run is reported as it stands');
  reset();
  hardLink(secretState, 'state.json');
  t.match(reports('state.json hard-linked'), /state\.json\s+cannot\s+be\s+read/, 'state.json hard-linked: the run is left out and named');
  reset();
  hardLink(secretTimeline, 'timeline.jsonl');
  t.match(reports('timeline.jsonl hard-linked'), /W_RUN_RECORD run r: its timeline\.jsonl cannot be\s+read \(it\s+has\s+another\s+name/, 'timeline.jsonl hard-linked: a warning, no KPIs for the run');
  // resume of such a run: refused, nothing appended to the user's file.
  const before = readFileSync(secretTimeline, 'utf8');
  const resume = engine(['resume', 'r', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.not(resume.code, 70, `resume: no internal error (${resume.stderr})`);
  t.not(resume.code, 0, 'resume: refused');
  t.notMatch(`${resume.stdout}${resume.stderr}`, SECRET);
  t.equal(readFileSync(secretTimeline, 'utf8'), before, 'resume: nothing written into the hard-linked file');
  reset();
  hardLink(secretMeta, `calls/${call}/meta.json`);
  t.notMatch(reports("a call's meta.json hard-linked"), `calls/${call}/meta.json`, "a call's meta.json hard-linked: the page does not link it");
  // An index made while the records had one name, and the link put in after.
  reset();
  t.equal(engine(['report', '--all', '--repo', f.repo], { cwd: f.dir }).code, 0, 'the index is made');
  writeFileSync(secretState, readFileSync(path.join(runDir, 'state.json'), 'utf8').replace(/"goal":\s*"g"/, `"goal":"${SECRET.slice(0, 1)}"`));
  hardLink(secretState, 'state.json');
  t.match(reports('state.json hard-linked after the index was made'), /state\.json\s+cannot\s+be\s+read/, 'not taken from its index line');
});

t.test("the state.json swap's second name, which a crash can leave, is the engine's own", async (t) => {
  const f = makeFixture();
  t.equal(engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r', '--no-progress', '--max-ticks', '3'], { cwd: f.dir }).code, 1);
  const runDir = path.join(f.repo, '.engine', 'runs', 'r');
  // rewriteFile killed between linking the record aside and renaming the spare over it.
  const old = path.join(runDir, '.state.json.old');
  rmSync(old, { force: true });
  linkSync(path.join(runDir, 'state.json'), old);
  const r = engine(['report', 'r', '--repo', f.repo], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Milestones of run r/, 'the run is reported');
  const resumed = engine(['resume', 'r', '--repo', f.repo, '--no-progress', '--max-ticks', '3'], { cwd: f.dir });
  t.not(resumed.code, 70, resumed.stderr);
  t.notMatch(resumed.stderr, /cannot be read/, 'resume reads its state.json');
  // A third name (the user's file linked at both) is not the swap's.
  const user = path.join(f.dir, 'user.json');
  rmSync(old, { force: true });
  linkSync(path.join(runDir, 'state.json'), user);
  linkSync(path.join(runDir, 'state.json'), old);
  t.match(engine(['report', '--all', '--repo', f.repo], { cwd: f.dir }).stderr, /state\.json\s+cannot\s+be\s+read/, 'three names: refused');
});
