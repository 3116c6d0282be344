// test cost: about 6 s: one hostile scenario, a whole run in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { runScenario, INERT_OR_VIOLATION } from './helpers/scenario.js';

// Contract §5: nothing a worker writes runs outside its sandbox. Many users' PATH has a
// relative entry (`./node_modules/.bin`, `node_modules/.bin`) or an empty one (a leading or
// doubled `:`, which the shell reads as the current directory). The engine runs its own git
// in the workspace: found by such an entry, the `git` is one the worker put there, and it ran
// outside the sandbox with the user's whole environment, for every snapshot.
t.test("a git planted in the workspace where a relative or empty entry of the user's PATH looks", async (t) => {
  // The planted git logs through the fixture's plant command (its path written in: the engine's environment has no ISO_* variables).
  const plantGit = (dir: string) => `mkdir -p ${dir} && printf '#!/bin/sh\\n%s git-from-${dir.replace(/\W/g, '_')} "$@"\\nexec /usr/bin/git "$@"\\n' "$ISO_PLANT" > ${dir}/git && chmod +x ${dir}/git`;
  const sh = [plantGit('node_modules/.bin'), plantGit('.'), plantGit('bin')].join('; ');
  runScenario(t, {
    name: 'relpath',
    spec: { calls: { implement: { sh } } },
    roots: ['src/**', 'node_modules/**', 'git', 'bin/**'],
    env: () => ({ PATH: `:./node_modules/.bin:bin::${process.env.PATH ?? '/usr/bin:/bin'}` }),
    // The planted files are inside the allowed roots: the run may complete; what must not
    // happen is the planted git running (the shared check: the planted log stays empty).
    expect: INERT_OR_VIOLATION,
  });
});
