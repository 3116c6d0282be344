// test cost: about 10 s: one hostile scenario, a run and a resume in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertOutcome, runScenario, VIOLATION } from './helpers/scenario.js';
import { runResume } from './helpers/fixture.js';

// Contract §5: the engine scrubs its secrets' values out of the workers' homes, and nothing
// else. Without the OS sandbox a worker can make a home, or a name in the run's homes folder,
// a link to the user's home: the scrub after its call (of files changed since it began: a
// touch is enough) and the whole scrub of a resume then rewrote the user's own files, their
// ~/.npmrc's token replaced by a redaction mark.
const TOKEN = 'npm_live_0123456789abcdefghijklmn';
const NPMRC = `//registry.example/:_authToken=${TOKEN}\n`;

t.test("a worker's home, and a name among the run's homes, made links to the user's home", async (t) => {
  const sh = [
    'H="$(dirname "$PWD")/$(basename "$PWD").homes"',
    // Its own home (the engine's per-call scrub searches it), replaced by a link, and one more name (a resume's scrub searches every one).
    'rm -rf "$H/implementer" && ln -sfn "$ISO_HOME" "$H/implementer"',
    'ln -sfn "$ISO_HOME" "$H/zz"',
    'touch "$ISO_HOME/.npmrc"',
    // A change outside the allowed roots: the run stops, to be resumed.
    'mkdir -p lib && echo x > lib/x.txt',
  ].join('; ');
  runScenario(t, {
    name: 'homescrub',
    spec: { calls: { 'implement#1': { sh, once: true } } },
    env: (f) => {
      writeFileSync(path.join(f.home, '.npmrc'), NPMRC);
      return { DEPLOY_TOKEN: TOKEN };
    },
    expect: VIOLATION,
    afterRun: (t, { f, id, run, mode }) => {
      assertOutcome(t, f, id, run, VIOLATION);
      const npmrc = path.join(f.home, '.npmrc');
      t.equal(readFileSync(npmrc, 'utf8'), NPMRC, "after the run: the user's ~/.npmrc keeps its token");
      const resumed = runResume(f, id, mode);
      t.not(resumed.code, 70, `the resume is no engine bug\n${resumed.stderr.slice(-1500)}`);
      t.ok(existsSync(npmrc) && readFileSync(npmrc, 'utf8') === NPMRC, "after the resume: the user's ~/.npmrc keeps its token");
    },
  });
});

t.test("the run's homes folder itself made a link to the user's home", async (t) => {
  const sh = [
    'H="$(dirname "$PWD")/$(basename "$PWD").homes"',
    'mv "$H" "$H.moved" && ln -sfn "$ISO_HOME" "$H"',
    'touch "$ISO_HOME/.docker/config.json"',
    'mkdir -p lib && echo x > lib/x.txt',
  ].join('; ');
  runScenario(t, {
    name: 'homesdir',
    spec: { calls: { 'implement#1': { sh, once: true } } },
    env: (f) => {
      // One level down: each entry of the homes folder is searched as a home.
      mkdirSync(path.join(f.home, '.docker'));
      writeFileSync(path.join(f.home, '.docker', 'config.json'), NPMRC);
      return { DEPLOY_TOKEN: TOKEN };
    },
    expect: VIOLATION,
    afterRun: (t, { f, id, run, mode }) => {
      assertOutcome(t, f, id, run, VIOLATION);
      const resumed = runResume(f, id, mode);
      t.not(resumed.code, 70, `the resume is no engine bug\n${resumed.stderr.slice(-1500)}`);
      const file = path.join(f.home, '.docker', 'config.json');
      t.ok(existsSync(file) && readFileSync(file, 'utf8') === NPMRC, "after the resume: the user's ~/.docker/config.json keeps its token");
    },
  });
});
