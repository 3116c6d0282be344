// test cost: about 6 s: one hostile scenario, a whole run in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runScenario, INERT_OR_VIOLATION } from './helpers/scenario.js';

// Contract §5: under the OS sandbox the user's checkout is read-only to the worker. Started
// by root (CI jobs, containers, devcontainers), bubblewrap kept every capability for the
// sandboxed process: a worker remounted the read-only binds writable, wrote into the user's
// checkout and planted a hook in its .git, and the run completed (the engine does not walk
// what the sandbox keeps out). Run as root, this test is that attack; as another user the
// remount fails anyway.
t.test('a worker remounts the read-only binds writable (the engine started by root)', async (t) => {
  const sh = [
    'grep CapEff /proc/self/status',
    'mount -o remount,bind,rw "$ISO_REPO" && echo pwned > "$ISO_REPO/PWNED-remount"',
    'mount -o remount,bind,rw "$ISO_REPO/.git" ; printf "#!/bin/sh\\necho hook\\n" > "$ISO_REPO/.git/hooks/pre-commit"',
    'mount -o remount,bind,rw "$ISO_HOME" && echo x > "$ISO_HOME/PWNED-home"',
  ].join('; ');
  runScenario(t, {
    name: 'rootcaps',
    spec: { calls: { implement: { sh } } },
    // Without the sandbox the worker needs no remount to write there: what it writes by
    // absolute path is the engine's to see (other scenarios); here the bwrap mode is the point.
    expect: INERT_OR_VIOLATION,
    tolerate: (mode) => (mode === 'off' ? { items: ['hooks', 'gitdir'], treePaths: ['PWNED-remount'] } : {}),
    onBranch: (t, _entries, { f, mode }) => {
      if (mode === 'bwrap') t.notOk(existsSync(path.join(f.home, 'PWNED-home')), "under bwrap the user's home stays read-only");
    },
  });
});
