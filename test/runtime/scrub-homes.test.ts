import t from 'tap';
import { existsSync, mkdirSync, readFileSync, readdirSync, lstatSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine, homesOf, readJsonl, twoMilestones, writeAgentScript } from '../helpers/run-fixture.js';

// A CLI that writes a secret of the engine's environment into its home (as codex's shell
// snapshot did): the engine finds it after the call, scrubs it, and says so — by file and
// variable name, never by value — in the timeline, meta.json, the KPIs and summary.md.
const SECRET = 'tok-secret-value-42';
const env = { MY_SERVICE_TOKEN: SECRET };

function filesHolding(dir: string, value: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const f = path.join(d, n);
      const st = lstatSync(f);
      if (st.isDirectory()) walk(f);
      else if (st.isFile() && readFileSync(f).includes(value)) out.push(path.relative(dir, f));
    }
  };
  walk(dir);
  return out;
}

t.test('a secret a worker wrote into its home is scrubbed after the call and counted', async (t) => {
  const f = makeFixture();
  const runDir = path.join(f.repo, '.engine', 'runs', 'leak');
  const homes = homesOf(f.repo, 'leak');
  // The worker gets no MY_SERVICE_TOKEN (allow-list); the script plays a CLI that leaks it anyway.
  writeAgentScript(f.scriptFile, { ...twoMilestones, writes: { 'implement#1#1': { [path.join(homes, 'implementer', 'snap.sh')]: `export MY_SERVICE_TOKEN=${SECRET}\n` } } });
  // Stopped (resumably) after milestone 1's implement step: a completed run removes its homes.
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'leak', '--no-progress', '--max-ticks', '3'], { cwd: f.dir, env });
  t.equal(r.code, 1, r.stderr);
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  const warnings = events.filter((e) => e.type === 'warning' && e.code === 'secret_scrubbed');
  t.same(
    warnings.map((e) => ({ file: e.file, step: e.step, message: e.message })),
    [{ file: path.join('homes', 'implementer', 'snap.sh'), step: 'implement', message: `a worker's home held the value of MY_SERVICE_TOKEN: scrubbed in ${path.join('homes', 'implementer', 'snap.sh')}` }],
  );
  t.equal(readFileSync(path.join(homes, 'implementer', 'snap.sh'), 'utf8'), 'export MY_SERVICE_TOKEN=[REDACTED:MY_SERVICE_TOKEN]\n');
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.equal(state.kpis.secrets_scrubbed, 1);
  t.match(readFileSync(path.join(runDir, 'summary.md'), 'utf8'), /secrets scrubbed: 1 file/);
  const call = events.find((e) => e.type === 'worker.finished' && e.step === 'implement');
  t.equal(JSON.parse(readFileSync(path.join(runDir, call.call, 'meta.json'), 'utf8')).secrets_scrubbed, 1);
  t.same(filesHolding(path.join(f.repo, '.engine'), SECRET), [], 'the value is nowhere in the run store');
  t.same(filesHolding(homes, SECRET), [], 'nor in the homes');
  t.notOk((r.stdout + r.stderr).includes(SECRET));
});

t.test('resume searches every home whole: what a killed session left is scrubbed too', async (t) => {
  const f = makeFixture();
  const runDir = path.join(f.repo, '.engine', 'runs', 'k');
  const killed = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'k', '--no-progress'], { cwd: f.dir, env: { ...env, ENGINE_FAULT: 'kill@worker.finished#1' } });
  t.equal(killed.signal, 'SIGKILL');
  // What the dead engine's worker (or a process it left) wrote after the last scan.
  const homes = homesOf(f.repo, 'k');
  mkdirSync(path.join(homes, 'planner', 'state'), { recursive: true });
  writeFileSync(path.join(homes, 'planner', 'state', 'db.bin'), Buffer.concat([Buffer.from([0, 1]), Buffer.from(SECRET), Buffer.from([0])]));
  // The resume stops after its first step, so the homes are still there to look at.
  const resumed = engine(['resume', 'k', '--repo', f.repo, '--no-progress', '--max-ticks', '1'], { cwd: f.dir, env });
  t.equal(resumed.code, 1, resumed.stderr);
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  const w = events.filter((e) => e.type === 'warning' && e.code === 'secret_scrubbed');
  t.same(w.map((e) => e.file), [path.join('homes', 'planner', 'state', 'db.bin')]);
  t.ok(events.indexOf(w[0]) > events.findIndex((e) => e.type === 'run.resumed'), 'recorded by the resume');
  const db = readFileSync(path.join(homes, 'planner', 'state', 'db.bin'));
  t.equal(db.length, SECRET.length + 3, 'a binary file keeps its length');
  t.equal(JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8')).kpis.secrets_scrubbed, 1);
  t.same(existsSync(path.join(f.repo, '.engine')) ? filesHolding(path.join(f.repo, '.engine'), SECRET) : [], []);
});
