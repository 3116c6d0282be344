import t from 'tap';
import { mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { engine } from '../helpers/run-fixture.js';
import { makeFixture as makeInstantFixture } from '../../bench/fixtures/instant-run.mjs';

// A repo in a folder of 250 characters: its workspaces' folder `<name>-<hash8>` was 259, and
// `engine run` ended with ENAMETOOLONG (exit 70) before its first step.
t.test('a run of a repo whose folder name is 250 characters completes', async (t) => {
  const f = makeInstantFixture(1, 'off');
  const repo = path.join(f.dir, 'R'.repeat(250));
  renameSync(f.repo, repo);
  mkdirSync(path.join(f.dir, 'home'));
  const r = engine(['run', f.pipelineFile, '--repo', repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env: { ENGINE_HOME: path.join(f.dir, 'home') } });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout + r.stderr, /completed/);
});
