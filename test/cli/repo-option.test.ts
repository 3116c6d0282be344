import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineHere } from '../helpers/run-fixture.js';

// A hostile review: `--repo` naming a file, or a path through one, ended policy, report and
// resume with ENOTDIR (exit 70); `policy --repo /nonexistent` printed the built-in defaults
// (a typo dropped the repo's own policy without a word); clean said `/bin/sh: cd: can't cd`.
t.test('--repo that names no directory is a usage error of every command that takes it', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-repo-option-'));
  const file = path.join(dir, 'afile');
  writeFileSync(file, 'hi\n');
  const cases: [string[], RegExp][] = [
    [['policy', '--repo', file], /^engine policy: error E_USAGE --repo .*afile is a file, not a directory$/m],
    [['policy', '--repo', path.join(dir, 'nonexistent')], /^engine policy: error E_USAGE --repo .*nonexistent: no such directory$/m],
    [['report', '--repo', file], /^engine report: error E_USAGE --repo .*afile is a file, not a directory$/m],
    [['resume', 'latest', '--repo', file], /^engine resume: error E_USAGE --repo .*afile is a file, not a directory$/m],
    [['clean', '--repo', path.join(dir, 'nonexistent')], /^engine clean: error E_USAGE --repo .*nonexistent: no such directory$/m],
    [['doctor', '--repo', file], /: error E_FILE --repo .*afile is a file, not a directory$/m],
    [['run', '--goal', 'g', '--repo', path.join(file, 'sub')], /: error E_FILE --repo .*afile\/sub: no such directory$/m],
  ];
  for (const [argv, want] of cases) {
    const r = await engineHere(argv, { cwd: dir, env: { ENGINE_HOME: path.join(dir, 'home') } });
    t.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    t.match(r.stderr, want, argv.join(' '));
  }
});
