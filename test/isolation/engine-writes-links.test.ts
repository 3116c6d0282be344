// test cost: about 10 s: one hostile scenario, two runs in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assertOutcome, runScenario, VIOLATION } from './helpers/scenario.js';
import { readState, runRun } from './helpers/fixture.js';

// Contract §5: the engine writes only its own files. Without the OS sandbox a worker can put
// links at the names the engine writes by path next: the patch of a change it rolls back
// (git wrote it to a temp name holding the engine's pid), the workspaces folder's note of
// its repo (written by the next run), the store's .gitignore (written by the next run when
// missing). Through them the engine rewrote a file the link named: the user's pre-commit hook
// became the patch (a line of the worker's own, run by the user's next commit), a dotfile
// became a path, the user's global git ignore was made with `*` in it.
t.test("links at the names of the engine's next writes: the rolled-back patch, the workspaces' .repo, the store's .gitignore", async (t) => {
  const sh = [
    // The user's files the links will name (made by the worker, as it can without the sandbox: the run's own first).
    'printf "#!/bin/sh\\necho user hook\\n" > "$ISO_HOME/victim-hook"; printf "user dotfile\\n" > "$ISO_HOME/victim-dotfile"',
    'e=$PPID; while [ "$e" -gt 1 ] && [ "$(cat /proc/$e/comm)" != node ]; do e=$(cut -d" " -f4 /proc/$e/stat); done',
    'for r in "$ISO_REPO/.engine/runs"/*/; do ln -sf "$ISO_HOME/victim-hook" "$r.attempted.patch.$e.git"; done',
    // A change outside the allowed roots, so that the engine rolls it back and keeps a patch of it.
    'mkdir -p lib && printf "%s\\n" "echo PAYLOAD" > lib/evil.txt',
    'ln -sf "$ISO_HOME/victim-dotfile" "$(dirname "$PWD")/.repo"',
    'rm -f "$ISO_REPO/.engine/runs/.gitignore"; ln -s "$ISO_HOME/global-git-ignore" "$ISO_REPO/.engine/runs/.gitignore"',
  ].join('; ');
  runScenario(t, {
    name: 'writelinks',
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    afterRun: (t, { f, id, run, mode }) => {
      assertOutcome(t, f, id, run, VIOLATION);
      t.equal(readState(f, id)?.stop_reason, 'governance_violation');
      // The next run writes the workspaces folder's .repo and, when missing, the store's .gitignore.
      const next = runRun(f, `${id}-next`, mode);
      t.not(next.code, 70, `the next run is no engine bug\n${next.stderr.slice(-1500)}`);
      // Under bubblewrap the worker cannot write the user's home: there are no such files.
      const read = (name: string) => (existsSync(path.join(f.home, name)) ? readFileSync(path.join(f.home, name), 'utf8') : null);
      if (mode === 'off') t.equal(read('victim-hook'), '#!/bin/sh\necho user hook\n', 'the file the patch link named is untouched');
      if (mode === 'off') t.equal(read('victim-dotfile'), 'user dotfile\n', 'the file the .repo link named is untouched');
      t.notOk(existsSync(path.join(f.home, 'global-git-ignore')), 'no file made where the .gitignore link pointed');
    },
  });
});
