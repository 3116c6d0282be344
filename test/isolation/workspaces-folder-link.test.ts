// test cost: about 8 s: one hostile scenario, two runs in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runScenario, INERT_OR_VIOLATION, assertOutcome } from './helpers/scenario.js';
import { readState, runRun } from './helpers/fixture.js';
import { resolveLinks } from '../../engine/util/resolve-links.js';

// Contract §5: workspaces live outside the user's checkout (the workers' homes beside them are
// writable under the sandbox; inside the checkout a planted file would be found and run by the
// user's own tools). Without the OS sandbox a worker moved this repo's workspaces folder into
// the checkout and left a link in its place: the next run made its workspace and homes there.
t.test("this repo's workspaces folder moved into the checkout, a link left in its place", async (t) => {
  const sh = 'W="$(dirname "$PWD")"; mkdir -p "$ISO_REPO/build" && mv "$W" "$ISO_REPO/build/wsf" && ln -s "$ISO_REPO/build/wsf" "$W"';
  runScenario(t, {
    name: 'wsfolder',
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: INERT_OR_VIOLATION,
    tolerate: (mode) => (mode === 'off' ? { treePaths: ['build'] } : {}),
    afterRun: (t, { f, id, run, mode }) => {
      assertOutcome(t, f, id, run, INERT_OR_VIOLATION);
      const nextId = `${id}-next`;
      const next = runRun(f, nextId, mode);
      t.not(next.code, 70, `the next run is no engine bug\n${next.stderr.slice(-1500)}`);
      // A run that completes removes its workspace: what it was is in its state.json (none: refused before it began).
      const workspace = readState(f, nextId)?.workspace as string | undefined;
      t.notOk(workspace !== undefined && resolveLinks(workspace).startsWith(`${resolveLinks(f.repo)}/`), `the next run's workspace is not in the user's checkout (${workspace ?? 'none'})`);
      t.notOk(existsSync(path.join(f.repo, 'build', 'wsf', `${nextId}.homes`)), "nor are its workers' homes");
      if (mode === 'off') t.match(next.stderr, /workspaces folder of this repository/, 'the next run says why it refuses');
    },
  });
});
