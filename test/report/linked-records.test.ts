import t, { type Test } from 'tap';
import { cpSync, existsSync, linkSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// A hostile review: without the OS sandbox a worker can replace a run's state.json,
// timeline.jsonl or a call's meta.json with a link to a file outside the run store (the
// user's ~/.ssh/id_rsa, /etc/passwd), or hard-link such a file of the user's (on the same
// file system) at its name; `report` showed what it found. A run's own records are read only
// as regular files of one name, never through a link in their last component: such a run is
// counted damaged, and the report warns and shows nothing of the file. The engine makes no
// record with a second name, but for the moment its state.json swap links the record aside as
// `.state.json.old` (and a crash can leave it so): that second name is allowed.

const SECRET = 'SECRET-7f3a9c-do-not-show';

/** How a worker puts a file of the user's at a record's name, and how the report says it. */
const PLANTS = [
  { kind: 'a link', plant: symlinkSync, timelineWhy: /W_RUN_RECORD run r: its timeline\.jsonl cannot be\s+read \(it\s+is\s+a\s+link/ },
  { kind: 'hard-linked', plant: linkSync, timelineWhy: /W_RUN_RECORD run r: its timeline\.jsonl cannot be\s+read \(it\s+has\s+another\s+name/ },
] as const;

/** A run stopped after three ticks, its store kept as it was to put back before each case. */
function stoppedRun(t: Test) {
  const f = makeFixture();
  t.equal(engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r', '--no-progress', '--max-ticks', '3'], { cwd: f.dir }).code, 1);
  return { f, runDir: path.join(f.repo, '.engine', 'runs', 'r') };
}

for (const { kind, plant, timelineWhy } of PLANTS) {
  t.test(`report shows nothing of a file ${kind} at a run record, and counts the run damaged`, async (t) => {
    const { f, runDir } = stoppedRun(t);
    const runs = path.dirname(runDir);
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
    const put = (target: string, rel: string) => {
      rmSync(path.join(runDir, rel));
      plant(target, path.join(runDir, rel));
    };
    const reports = (what: string) => {
      const page = path.join(f.dir, 'page.html');
      rmSync(page, { force: true });
      const out: string[] = [];
      for (const args of [['report', '--all'], ['report', 'r'], ['report', '--all', '--json'], ['report', 'r', '--json'], ['report', '--all', '--html', page]]) {
        const r = engine([...args, '--repo', f.repo], { cwd: f.dir });
        t.not(r.code, 70, `${what}, ${args.join(' ')}: no internal error (${r.stderr})`);
        out.push(r.stdout, r.stderr);
        t.notMatch(`${r.stdout}${r.stderr}`, SECRET, `${what}, ${args.join(' ')}: the planted file is not shown`);
      }
      // No page when no run can be read (E_NO_RUNS).
      if (existsSync(page)) {
        const html = readFileSync(page, 'utf8');
        t.notMatch(html, SECRET, `${what}: the page shows nothing of the planted file`);
        out.push(html);
      }
      return out.join('');
    };

    reset();
    t.match(reports('nothing planted'), /\br\b/, 'the run is reported as it stands');
    reset();
    put(secretState, 'state.json');
    t.match(reports(`state.json ${kind}`), /state\.json\s+cannot\s+be\s+read/, `state.json ${kind}: the run is left out and named`);
    reset();
    put(secretTimeline, 'timeline.jsonl');
    t.match(reports(`timeline.jsonl ${kind}`), timelineWhy, `timeline.jsonl ${kind}: a warning, no KPIs for the run`);
    // resume of such a run: nothing appended to the user's file.
    const before = readFileSync(secretTimeline, 'utf8');
    const resume = engine(['resume', 'r', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
    t.not(resume.code, 70, `resume: no internal error (${resume.stderr})`);
    t.not(resume.code, 0, 'resume: refused');
    t.notMatch(`${resume.stdout}${resume.stderr}`, SECRET);
    t.equal(readFileSync(secretTimeline, 'utf8'), before, "resume: nothing written into the user's file");
    reset();
    put(secretMeta, `calls/${call}/meta.json`);
    t.notMatch(reports(`a call's meta.json ${kind}`), `calls/${call}/meta.json`, `a call's meta.json ${kind}: the page does not link it`);
    // With the store's index made while the records were plain, and the file planted after.
    for (const [what, target, rel] of [['state.json', secretState, 'state.json'], ['timeline.jsonl', secretTimeline, 'timeline.jsonl']] as const) {
      reset();
      t.equal(engine(['report', '--all', '--repo', f.repo], { cwd: f.dir }).code, 0, 'the index is made');
      // The same size as the record it replaces: the index's size check cannot tell.
      writeFileSync(target, readFileSync(path.join(runDir, rel), 'utf8').replace(/"goal":\s*"g"/, `"goal":"${SECRET.slice(0, 1)}"`));
      put(target, rel);
      t.match(reports(`${what} ${kind} after the index was made`), /cannot\s+be\s+read/, `${what} ${kind} after the index was made: the run is counted damaged, not taken from its index line`);
    }
  });
}

t.test('the folders above the records may be links: a store reached through one is read', async (t) => {
  const { f } = stoppedRun(t);
  // The folders above the records may be links: a store reached through one is read.
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

t.test("the state.json swap's second name, which a crash can leave, is the engine's own", async (t) => {
  const { f, runDir } = stoppedRun(t);
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

t.test('a run store copied with `cp -a` reads and resumes as the original; one copied with `cp -al` reads as damaged', async (t) => {
  // docs/report.md: a copy made of hard links gives every record a second name, the one in
  // the other copy, which is what a worker's hard link to a file of the user's looks like.
  const { f } = stoppedRun(t);
  const store = path.join(f.repo, '.engine');
  const original = path.join(f.dir, 'original');
  renameSync(store, original);
  execFileSync('cp', ['-a', original, store]);
  const r = engine(['report', 'r', '--repo', f.repo], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Milestones of run r/, '`cp -a`: the run is reported');
  t.notMatch(r.stderr, /cannot\s+be\s+read|another\s+name/, '`cp -a`: nothing counted damaged');
  const resumed = engine(['resume', 'r', '--repo', f.repo, '--no-progress', '--max-ticks', '3'], { cwd: f.dir });
  t.not(resumed.code, 70, resumed.stderr);
  t.notMatch(resumed.stderr, /cannot be read|another name/, '`cp -a`: resume reads its records');
  rmSync(store, { recursive: true });
  execFileSync('cp', ['-al', original, store]);
  const all = engine(['report', '--all', '--repo', f.repo], { cwd: f.dir });
  t.match(all.stderr, /cannot\s+be\s+read/, '`cp -al`: the run is counted damaged');
  t.notMatch(all.stdout, /Milestones of run r/, '`cp -al`: not reported from its records');
});
