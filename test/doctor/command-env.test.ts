import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineHere, makeFixture } from '../helpers/run-fixture.js';

// The doctor says where workspaces go from the command's environment (ENGINE_HOME), as a run
// decides it: it read the process's, so a command given another environment (an engine run
// in a process of its own host) was told of a place its runs would not use.

t.test("the doctor's workspaces finding follows the command's ENGINE_HOME, not the process's", async (t) => {
  const f = makeFixture({});
  const home = mkdtempSync(path.join(os.tmpdir(), 'engine-doctor-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  t.not(process.env.ENGINE_HOME, home);
  const r = await engineHere(['doctor', '--repo', f.repo, '--json'], { cwd: f.dir, env: { ENGINE_HOME: home } });
  const report = JSON.parse(r.stdout) as { checks: { id: string; message: string }[] };
  const found = report.checks.find((x) => x.id === 'workspaces');
  t.match(found?.message, `workspaces go to ${path.join(home, 'workspaces')}`, r.stderr);
});
