import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine } from '../helpers/run-fixture.js';
import { packageRoot } from '../../engine/paths.js';

/** `engine run` without a pipeline argument finds the pipeline as doctor and policy do. */
const started = (stdout: string) => JSON.parse(stdout.split('\n')[0]!) as { type: string; pipeline: { path: string } };

t.test('the repo\'s .engine/pipeline.yaml when it has one', async (t) => {
  const f = makeFixture();
  mkdirSync(path.join(f.repo, '.engine'));
  copyFileSync(f.pipelineFile, path.join(f.repo, '.engine', 'pipeline.yaml'));
  const r = engine(['run', '--repo', f.repo, '--goal', 'write two files', '--policy', f.policyFile, '--json'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  const first = started(r.stdout);
  t.equal(first.type, 'run.started');
  t.equal(realpathSync(first.pipeline.path), realpathSync(path.join(f.repo, '.engine', 'pipeline.yaml')));
});

t.test('else the shipped default pipeline', async (t) => {
  const f = makeFixture();
  const scenario = path.join(packageRoot, 'tasks/golden/ambiguous-bootstrap.scenario.yaml');
  const r = engine(['run', '--goal', 'count things', '--scenario', scenario, '--max-ticks', '1', '--json'], { cwd: f.repo });
  t.equal(r.code, 1, `stopped resumably after one step: ${r.stderr}`);
  t.equal(started(r.stdout).pipeline.path, path.join(packageRoot, 'pipelines', 'default.pipeline.yaml'));
});

t.test('two positionals are still a usage error', async (t) => {
  const f = makeFixture();
  const r = engine(['run', 'a.yaml', 'b.yaml', '--goal', 'x'], { cwd: f.repo });
  t.equal(r.code, 2);
  t.equal(r.stderr.split('\n')[0], 'engine run: error E_USAGE unexpected argument "b.yaml"');
});

// A new user's probe, from `src/` of a repo with its own .engine/: `run` without a pipeline
// took the shipped one (a different and, with the real CLIs, paid pipeline), and the resume
// it printed, `report`, `policy` and `init` all looked in src/. Every command now starts from
// the top of the repository the current directory is in, as git does.
t.test('from a subdirectory of the repo every command works on the repo: run, resume, report, policy, doctor, init', async (t) => {
  const f = makeFixture();
  mkdirSync(path.join(f.repo, '.engine'));
  copyFileSync(f.pipelineFile, path.join(f.repo, '.engine', 'pipeline.yaml'));
  copyFileSync(f.policyFile, path.join(f.repo, '.engine', 'policy.yaml'));
  const sub = path.join(f.repo, 'src', 'deep');
  mkdirSync(sub, { recursive: true });
  const r = engine(['run', '--goal', 'write two files', '--max-ticks', '2', '--json', '--run-id', 'sub1'], { cwd: sub });
  t.equal(r.code, 1, `stopped resumably after two steps: ${r.stderr}`);
  t.equal(realpathSync(started(r.stdout).pipeline.path), realpathSync(path.join(f.repo, '.engine', 'pipeline.yaml')), "the repo's pipeline, not the shipped one");
  t.ok(existsSync(path.join(f.repo, '.engine', 'runs', 'sub1', 'state.json')), "the run is in the repo's store");
  const report = engine(['report', 'sub1'], { cwd: sub });
  t.equal(report.code, 0, report.stderr);
  t.match(report.stdout, /sub1/);
  const resumed = engine(['resume', 'sub1', '--no-progress'], { cwd: sub });
  t.equal(resumed.code, 0, resumed.stderr);
  const policy = engine(['policy'], { cwd: sub });
  t.equal(policy.code, 0, policy.stderr);
  t.match(policy.stdout, /\.engine\/policy\.yaml/, "the repo's policy is a layer");
  const doctor = engine(['doctor', '--json'], { cwd: sub });
  t.equal(realpathSync((JSON.parse(doctor.stdout) as { pipeline: string }).pipeline), realpathSync(path.join(f.repo, '.engine', 'pipeline.yaml')), "doctor checks the repo's pipeline");
  rmSync(path.join(f.repo, '.engine', 'pipeline.yaml'));
  const init = engine(['init'], { cwd: sub });
  t.equal(init.code, 0, init.stderr);
  t.ok(existsSync(path.join(f.repo, '.engine', 'pipeline.yaml')), 'init writes the repo\'s .engine/');
  t.notOk(existsSync(path.join(sub, '.engine')), 'not one in the subdirectory');
});
