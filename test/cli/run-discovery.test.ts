import t from 'tap';
import { copyFileSync, mkdirSync, realpathSync } from 'node:fs';
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
