import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFixture, engine, engineHere } from '../helpers/run-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// engine run checks its inputs in one order (prepareRun): the pipeline, then the host, the
// repo and the task, then the policy, then the identity. Each case below has two faults at
// once; the one earlier in that order must be the one reported, and nothing may be made.
// The CLI kernel in this process (`engineHere`) for each, but where a worker plugin module
// that does not load is refused: each import of it is a process's first.

const runsOf = (repo: string) => {
  const dir = path.join(repo, '.engine', 'runs');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n !== '.gitignore') : [];
};

t.test('a broken pipeline in a directory that is no git repo: the pipeline is reported', async (t) => {
  const f = makeFixture();
  const notRepo = path.join(f.dir, 'plain');
  mkdirSync(notRepo);
  const bad = path.join(f.dir, 'bad.pipeline.yaml');
  writeFileSync(bad, 'apiVersion: engine/v1\nkind: Pipeline\nsteps: [\n');
  const r = await engineHere(['run', bad, '--repo', notRepo, '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /bad\.pipeline\.yaml/);
  t.notMatch(r.stderr, /not a git repository/, 'the repo is checked after the pipeline');
  t.notMatch(r.stderr, /--task FILE or --goal TEXT/, 'the task is checked after the pipeline');

  const good = await engineHere(['run', f.pipelineFile, '--repo', notRepo, '--no-progress'], { cwd: f.dir });
  t.equal(good.code, 2, good.stderr);
  t.match(good.stderr, /error E_USAGE .*plain is not a git repository/);
  // Nothing there, a file, a bare repository: each said for what it is (a new user's probe was told 'git init' of all).
  const file = path.join(f.dir, 'a-file');
  writeFileSync(file, 'x');
  const bare = path.join(f.dir, 'bare.git');
  execFileSync('git', ['clone', '-q', '--bare', f.repo, bare]);
  for (const [repo, said] of [
    [path.join(f.dir, 'nothing-here'), /error E_FILE --repo .*nothing-here: no such directory/],
    [file, /error E_FILE --repo .*a-file is a file, not a directory/],
    [bare, /error E_USAGE .*bare\.git is a bare git repository: a run starts from a working tree/],
  ] as const) {
    const r2 = await engineHere(['run', f.pipelineFile, '--repo', repo, '--goal', 'g', '--no-progress'], { cwd: f.dir });
    t.equal(r2.code, 2, r2.stderr);
    t.match(r2.stderr, said);
  }
  // Without --repo the repo is the one the current directory is in: ". is not a git
  // repository" named neither the directory nor the option that names another.
  const here = await engineHere(['run', f.pipelineFile, '--goal', 'g', '--no-progress'], { cwd: notRepo });
  t.equal(here.code, 2, here.stderr);
  t.equal(here.stderr, `.: error E_USAGE ${notRepo} is not a git repository (run "git init" there first, or pass the repo with --repo DIR)\n`);
});

t.test('a broken repo policy and no goal: the missing goal is reported; with a goal, the policy', async (t) => {
  const f = makeFixture();
  mkdirSync(path.join(f.repo, '.engine'), { recursive: true });
  writeFileSync(path.join(f.repo, '.engine', 'policy.yaml'), 'apiVersion: engine/v1\nkind: Policy\nbudgets: { max_ticks: "many" }\n');
  const noGoal = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.equal(noGoal.code, 2, noGoal.stderr);
  t.match(noGoal.stderr, /error E_USAGE .*give the work to do with --task FILE or --goal TEXT/);
  t.notMatch(noGoal.stderr, /policy\.yaml/, 'the policy is resolved after the task is read');

  const withGoal = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--no-progress'], { cwd: f.dir });
  t.equal(withGoal.code, 2, withGoal.stderr);
  t.match(withGoal.stderr, /policy\.yaml/);
  t.match(withGoal.stderr, /max_ticks/);
  t.same(runsOf(f.repo), [], 'no run was made');
});

t.test('a git.author the schema takes but git would not, and a bad run id: the identity is reported, and no run is made', async (t) => {
  const f = makeFixture();
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--set', 'git.author=Nobody <no body>', '--run-id', '../escape', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_USAGE .*git\.author must look like "Name <email>"/);
  t.notMatch(r.stderr, /not a valid run id/, 'the run id is checked after the identity');
  t.same(runsOf(f.repo), [], 'no run was made');

  const id = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', '../escape', '--no-progress'], { cwd: f.dir });
  t.equal(id.code, 2, id.stderr);
  t.match(id.stderr, /error E_USAGE .*"\.\.\/escape" is not a valid run id/);
  t.same(runsOf(f.repo), [], 'no run was made');
  // Beside run a's workspace are a.git (its engine git dir) and a.homes: a run of that id would work in them.
  for (const taken of ['a.git', 'a.homes']) {
    const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', taken, '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, new RegExp(`"${taken.replace('.', '\\.')}" is not a valid run id .*not ending in "\\.", \\.git, \\.homes or \\.lock`));
  }
  // Names git refuses for a branch: each was exit 70, "refusing to update ref with bad name".
  for (const bad of ['x.lock', 'a.', 'a..b']) {
    const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', bad, '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 2, `${bad}: ${r.stderr}`);
    t.match(r.stderr, /is not a valid run id/);
  }
  t.same(runsOf(f.repo), [], 'no run was made');
});

t.test('a run store or workspaces\' root the file system refuses is E_FILE (exit 2), not an internal error, and nothing is made', async (t) => {
  // Both made `engine run` exit 70 ("a bug in the engine") from mkdir's ENOTDIR.
  const f = makeFixture();
  const storeFile = path.join(f.dir, 'store-is-a-file');
  writeFileSync(storeFile, 'mine\n');
  const store = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--store', storeFile, '--no-progress'], { cwd: f.dir });
  t.equal(store.code, 2, store.stderr);
  t.match(store.stderr, /error E_FILE cannot make the run store .*store-is-a-file: is a file, not a directory \(--store DIR names another\)/);
  t.equal(readFileSync(storeFile, 'utf8'), 'mine\n', 'the file is kept');

  const homeFile = path.join(f.dir, 'home-is-a-file');
  writeFileSync(homeFile, 'mine\n');
  const home = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env: { ENGINE_HOME: homeFile } });
  t.equal(home.code, 2, home.stderr);
  t.match(home.stderr, /error E_FILE cannot make the workspaces' root .*home-is-a-file\/workspaces: a part of the path is a file, not a directory/);
  t.same(runsOf(f.repo), [], 'no run was made');
});

t.test("a workspaces' root inside the repository is refused: the workers' homes would be in the checkout", async (t) => {
  // A hostile probe ran with --workspaces <repo>/.cache/ws under bubblewrap: its home, kept by
  // the stopped run, held a test the user's node --test then ran outside the sandbox.
  const f = makeFixture();
  for (const extra of [['--workspaces', path.join(f.repo, '.cache', 'ws')], []]) {
    const env = extra.length ? {} : { ENGINE_HOME: path.join(f.repo, '.engine-home') };
    const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress', ...extra], { cwd: f.dir, env });
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, /error E_USAGE the workspaces' root .* is inside the repository .*: the workers' workspaces and homes would be in your checkout/);
    // Said of what the user named: the flag, or ENGINE_HOME (it was `--workspaces`, a flag not given).
    t.match(r.stderr, extra.length ? /^--workspaces: error E_USAGE/m : /^ENGINE_HOME: error E_USAGE/m);
  }
  t.same(runsOf(f.repo), [], 'no run was made');
  // Refused before anything is made: the directories it names were made in the checkout.
  t.notOk(existsSync(path.join(f.repo, '.cache')), 'no directory made in the checkout');
  t.notOk(existsSync(path.join(f.repo, '.engine-home')));
});

t.test('a scenario file that is not a scenario: E_YAML/E_SCHEMA at its line (exit 2), nothing made; resume the same', async (t) => {
  // It made `engine run` exit 70 ("a bug in the engine") and left a half-made run directory.
  const f = makeFixture();
  const scenario = path.join(f.dir, 'bad.scenario.yaml');
  const task = path.join(f.dir, 'bad.task.yaml');
  writeFileSync(task, 'apiVersion: engine/v1\nkind: Task\nname: bad\ngoal: g\ntask_kind: incremental\nscenario: bad.scenario.yaml\n');
  writeFileSync(scenario, 'apiVersion: engine/v1\nkind: Scenario\ncalls: [\n');
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--task', task, '--policy', f.policyFile, '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /bad\.scenario\.yaml:\d+:\d+: error E_YAML/);
  t.same(runsOf(f.repo), [], 'no run was made');
  const good = readFileSync(path.join(root, 'tasks', 'golden', 'add-function.scenario.yaml'), 'utf8');
  writeFileSync(scenario, `${good}no_such_key: 1\n`);
  const schema = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--task', task, '--policy', f.policyFile, '--no-progress'], { cwd: f.dir });
  t.equal(schema.code, 2, schema.stderr);
  t.match(schema.stderr, new RegExp(`bad\\.scenario\\.yaml:${good.split('\n').length}:1: error E_UNKNOWN_KEY`));
  t.same(runsOf(f.repo), [], 'no run was made');

  // A run started with a good scenario, stopped, and its scenario broken before the resume.
  writeFileSync(scenario, good);
  const started = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--task', task, '--policy', f.policyFile, '--run-id', 'sc', '--set', 'budgets.max_ticks=1', '--no-progress'], { cwd: f.dir });
  t.not(started.code, 70, started.stderr);
  t.ok(existsSync(path.join(f.repo, '.engine', 'runs', 'sc', 'state.json')), started.stderr);
  writeFileSync(scenario, 'apiVersion: engine/v1\nkind: Scenario\ncalls: [\n');
  const resumed = await engineHere(['resume', 'sc', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.equal(resumed.code, 2, resumed.stderr);
  t.match(resumed.stderr, /bad\.scenario\.yaml:\d+:\d+: error E_YAML/);
});

// A new user's probe: a pipeline whose worker plugin module was missing, failed to import or
// exported no plugin passed `validate`, and its run was made and stopped doctor_blocked (exit
// 4), though the docs promised E_PLUGIN_MISSING / E_PLUGIN_INVALID. Now validate, run and
// doctor refuse each kind at the worker's `use`, exit 2, nothing made; a module that does not
// load is said with the place in it (a review found validate said ok of one that threw on
// import, and a syntax error had no line).
t.test('a worker plugin that is missing, throws on import or is no plugin: refused at its use (exit 2), nothing made', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: './plugins/impl.js' }) });
  mkdirSync(path.join(f.dir, 'plugins'));
  const useAt = /^(\d+):(\d+)$/;
  const lines = readFileSync(f.pipelineFile, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes('./plugins/impl.js')) + 1;
  const col = lines[line - 1]!.indexOf('./plugins/impl.js') + 1;
  t.match(`${line}:${col}`, useAt);
  const impl = path.join(f.dir, 'plugins', 'impl.js');
  const at = (line: number, col: number) => `${impl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:${col}: `;
  for (const [text, code, why] of [
    [null, 'E_PLUGIN_MISSING', /not found/],
    ['throw new Error("boom at import");\n', 'E_PLUGIN_INVALID', new RegExp(`failed to load: ${at(1, 7)}boom at import`)],
    ['export default { name: "half" };\n', 'E_PLUGIN_INVALID', /is not a worker plugin/],
    // A syntax error is said where it is: its line and column in the plugin's own file.
    ['export default {\n  name: "x",\n  foo(}\n};\n', 'E_PLUGIN_INVALID', new RegExp(`failed to load: ${at(3, 7)}SyntaxError: Unexpected token '}'`)],
    ['const table = JSON.parse("{");\nexport default table;\n', 'E_PLUGIN_INVALID', new RegExp(`failed to load: ${at(1, 20)}SyntaxError: .*JSON`)],
  ] as const) {
    if (text !== null) writeFileSync(impl, text);
    // validate says what run says: it imports the module, as a run would (it said ok of one that threw).
    const v = engine(['validate', f.pipelineFile], { cwd: f.dir });
    t.equal(v.code, 2, `validate, ${code}: ${v.stderr}`);
    t.match(v.stderr, new RegExp(`test\\.pipeline\\.yaml:${line}:${col}: error ${code} `));
    t.match(v.stderr, why, `validate, ${code}`);
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 2, `${code}: ${r.stderr}`);
    t.match(r.stderr, new RegExp(`test\\.pipeline\\.yaml:${line}:${col}: error ${code} `));
    t.match(r.stderr, why);
    t.same(runsOf(f.repo), [], 'no run was made');
    // The doctor says the same: bad input (exit 2), not "a run would stop doctor_blocked (exit 4)".
    const d = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir });
    t.equal(d.code, 2, `doctor, ${code}: ${d.stdout}${d.stderr}`);
    t.match(d.stdout + d.stderr, new RegExp(`test\\.pipeline\\.yaml:${line}:${col}: error ${code} `));
    // Said once, at the pipeline: the worker's own line repeated it and added "exit 4".
    t.notMatch(d.stdout, /^block +worker\.implementer/m, `doctor, ${code}: one finding for the module`);
    t.notMatch(d.stdout, /exit 4/, `doctor, ${code}: no word of doctor_blocked`);
  }
});

t.test('a run whose worker is a plugin module resumes: the module is found beside the pipeline, not beside its snapshot', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './echo-plugin.mjs' }) });
  copyFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'workers', 'plugins', 'echo-plugin.mjs'), path.join(f.dir, 'echo-plugin.mjs'));
  const started = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'plug', '--max-ticks', '2', '--no-progress'], { cwd: f.dir });
  t.equal(started.code, 1, started.stderr);
  const resumed = await engineHere(['resume', 'plug', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.notMatch(resumed.stderr, /E_PLUGIN/, 'not refused for its plugin');
  t.equal(resumed.code, 0, resumed.stderr);
});

// A new user's probe: `--run-id ID` when the branch engine/ID was already in the repository
// (an earlier run whose store was removed, a branch fetched from a teammate, a CI re-run)
// ended 70 ("a bug in the engine") and left a half-made run directory in the store.
t.test('a --run-id whose branch is in the repository already: E_USAGE at --run-id (exit 2), nothing left', async (t) => {
  const f = makeFixture();
  f.git('branch', 'engine/taken');
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'taken', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /^--run-id: error E_USAGE the branch engine\/taken is in .* already/m);
  t.same(runsOf(f.repo), [], 'no run directory is left');
  t.equal(f.git('rev-parse', 'engine/taken'), f.git('rev-parse', 'main'), 'the branch is untouched');
  const again = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'free', '--no-progress'], { cwd: f.dir });
  t.equal(again.code, 0, again.stderr);
  // A branch named `engine` is in the way of every engine/<id> (git says it otherwise).
  const g = makeFixture();
  g.git('branch', 'engine');
  const blocked = await engineHere(['run', g.pipelineFile, '--repo', g.repo, '--goal', 'g', '--policy', g.policyFile, '--run-id', 'any', '--no-progress'], { cwd: g.dir });
  t.equal(blocked.code, 2, blocked.stderr);
  t.match(blocked.stderr, /^\/.*: error E_USAGE the branch engine in .* is in the way of the run's branch engine\/any/m, 'said of the repository, not of a --run-id the user may not have given');
  t.match(blocked.stderr, `rename it (git -C ${g.repo} branch -m engine <new-name>)`, 'the rename resume names too, from any folder');
  t.same(runsOf(g.repo), [], 'no run directory is left');
});

// A new user's probe: a repo's template override with a variable the engine does not give
// (or that does not parse) passed validate and doctor, then ended the run 70 after its first
// calls ("not defined in [object Object]"), and every resume the same.
t.test("a repo's prompt template that would stop the run: E_TEMPLATE at its line (exit 2) from run and doctor, nothing made", async (t) => {
  const f = makeFixture();
  mkdirSync(path.join(f.repo, '.engine', 'templates'), { recursive: true });
  const file = path.join(f.repo, '.engine', 'templates', 'implement.md');
  for (const [text, at, why] of [
    ['Do {{goal}}.\nThen {{nonexistent_var}}\n', '2:8', /"nonexistent_var" is not a variable the engine gives a prompt/],
    ['{{goal}\n', '1:1', /the template does not parse/],
    ['{{#each milestones}}{{../gaol}}{{/each}}\n', '1:23', /"gaol" is not a variable/],
  ] as const) {
    writeFileSync(file, text);
    const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, new RegExp(`\\.engine/templates/implement\\.md:${at}: error E_TEMPLATE `));
    t.match(r.stderr, why);
    t.same(runsOf(f.repo), [], 'no run was made');
    const d = await engineHere(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir });
    t.equal(d.code, 2, d.stdout + d.stderr);
    t.match(d.stdout, /^block +templates +1 problem in the repo's prompt templates/m);
    t.match(d.stdout, /a run would be refused \(exit 2\) \(templates\)/);
  }
  // What the engine gives, in a block that changes the context and out of it, passes.
  writeFileSync(file, 'Do {{goal}} ({{step}}, attempt {{attempt}}).\n{{#each milestone.done_checks}}- {{this}} for {{../goal}}{{/each}}\n{{#if failure}}{{failure.output}}{{/if}}\n');
  const ok = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'tpl', '--no-progress'], { cwd: f.dir });
  t.equal(ok.code, 0, ok.stderr);
});
