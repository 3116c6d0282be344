import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { engine, makeFixture } from '../helpers/run-fixture.js';
import { removeBranchAt, removeUntouchedRunBranch } from '../../engine/git/repo.js';

// A hostile review: the branch `engine/<id>` of a run that never began (a failed start, a run
// the doctor blocked) is taken away only while nothing has touched it, but
// - a repository that keeps no reflog (core.logAllRefUpdates=false) kept it every time, and a
//   summary then said it was removed;
// - one whose config verifies signatures in logs (log.showSignature) ran the program its config
//   names (gpg.program) and counted that program's words as reflog entries;
// - a symbolic ref at the branch's name made the engine delete the branch it names;
// - a kept branch was not said: the hint named commands that do not remove it;
// - resume's clean-up of a half-made run deleted the branch whatever had happened to it.

const runArgs = (f: ReturnType<typeof makeFixture>, id: string) => ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'];
const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

/**
 * A directory with a `git` that, when the engine asks git to remove a run's branch for `reason`,
 * first commits on that branch as a user would, then runs the real git: the branch has moved
 * under the engine's compare-and-swap.
 */
function movingGit(dir: string, reason: string): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    path.join(bin, 'git'),
    [
      '#!/bin/sh',
      'for a in "$@"; do',
      `  if [ "$a" = ${JSON.stringify(reason)} ]; then`,
      '    for b in "$@"; do case "$b" in --git-dir=*) gd="${b#--git-dir=}";; esac; done',
      `    c=$(${realGit} --git-dir="$gd" commit-tree -p refs/heads/engine/r1 -m "user work" "refs/heads/engine/r1^{tree}")`,
      `    ${realGit} --git-dir="$gd" update-ref -m user refs/heads/engine/r1 "$c"`,
      '  fi',
      'done',
      `exec ${realGit} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(path.join(bin, 'git'), 0o755);
  return bin;
}

const author = { GIT_AUTHOR_NAME: 'U', GIT_AUTHOR_EMAIL: 'u@example.com', GIT_COMMITTER_NAME: 'U', GIT_COMMITTER_EMAIL: 'u@example.com' };

t.test('a repository that keeps no reflog: a failed start still takes its branch away', async (t) => {
  const f = makeFixture();
  f.git('config', 'core.logAllRefUpdates', 'false');
  const home = path.join(f.dir, 'home');
  const failed = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'throw@run.workspace#1' } });
  t.equal(failed.code, 70, failed.stderr);
  t.equal(f.git('branch', '--list', 'engine/*'), '', 'no run branch is left');
  const again = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(again.code, 0, `the same id runs again\n${again.stderr}`);
});

t.test('a repository that verifies signatures in logs: its program is never run, the branch goes', async (t) => {
  const f = makeFixture();
  const log = path.join(f.dir, 'verifier.log');
  const verifier = path.join(f.dir, 'verifier.sh');
  writeFileSync(verifier, `#!/bin/sh\necho "called $*" >> ${JSON.stringify(log)}\necho '[GNUPG:] GOODSIG 0 someone'\nexit 0\n`);
  chmodSync(verifier, 0o755);
  // HEAD a commit with a signature header: reading its log with log.showSignature verifies it.
  const tree = f.git('rev-parse', 'HEAD^{tree}');
  const parent = f.git('rev-parse', 'HEAD');
  const text = `tree ${tree}\nparent ${parent}\nauthor U <u@example.com> 1700000000 +0000\ncommitter U <u@example.com> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n xx\n -----END PGP SIGNATURE-----\n\nsigned\n`;
  const signed = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: f.repo, input: text, encoding: 'utf8' }).trim();
  f.git('update-ref', 'refs/heads/main', signed);
  f.git('config', 'log.showSignature', 'true');
  f.git('config', 'gpg.program', verifier);
  const home = path.join(f.dir, 'home');
  const failed = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'throw@run.workspace#1' } });
  t.equal(failed.code, 70, failed.stderr);
  t.equal(f.git('branch', '--list', 'engine/*'), '', 'no run branch is left');
  t.notOk(existsSync(log), 'the program the repository names to verify signatures never ran');
});

t.test('a symbolic ref at a run branch\'s name: never followed to the branch it names', async (t) => {
  const f = makeFixture();
  const main = f.git('rev-parse', 'main');
  const gitDir = path.join(f.repo, '.git');
  mkdirSync(path.join(gitDir, 'refs', 'heads', 'engine'), { recursive: true });
  writeFileSync(path.join(gitDir, 'refs', 'heads', 'engine', 'r1'), 'ref: refs/heads/main\n');
  t.equal(await removeUntouchedRunBranch({ gitDir }, 'engine/r1', main, 'test'), false, 'not a run branch the engine made: kept');
  t.equal(f.git('rev-parse', 'main'), main, 'main is where it was');
  t.equal(await removeBranchAt({ gitDir }, 'engine/r1', main, 'test'), true, 'removed by name, at the commit it resolves to');
  t.equal(f.git('rev-parse', 'main'), main, 'the symbolic ref went, main stayed');
  t.notOk(existsSync(path.join(gitDir, 'refs', 'heads', 'engine', 'r1')));
});

t.test('a failed start whose branch moved meanwhile keeps it and says so', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const bin = movingGit(f.dir, 'engine: run not begun');
  const failed = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'throw@run.workspace#1', PATH: `${bin}:${process.env.PATH}`, ...author } });
  t.equal(failed.code, 70, failed.stderr);
  t.equal(f.git('log', '-1', '--format=%s', 'engine/r1'), 'user work', 'the branch is kept, with the commit made on it');
  t.match(failed.stderr, /its branch engine\/r1 was kept in \S+ \(something checked it out or moved it since it was made, or git could not remove it\): look at it, then `git -C \S+ branch -D engine\/r1` removes it/);
});

t.test('a run the doctor blocked whose branch moved meanwhile: kept, and its summary says so', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: 'codex', bin: path.join('/nonexistent', 'codex') }) });
  const bin = movingGit(f.dir, 'engine: run blocked before its first step');
  const r = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { OPENAI_API_KEY: 'test-key', PATH: `${bin}:${process.env.PATH}`, ...author } });
  t.equal(r.code, 4, r.stderr);
  t.equal(f.git('log', '-1', '--format=%s', 'engine/r1'), 'user work');
  const runDir = path.join(f.repo, '.engine', 'runs', 'r1');
  t.equal(JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8')).branch_kept, true);
  const summary = readFileSync(path.join(runDir, 'summary.md'), 'utf8');
  t.match(summary, /- branch: `engine\/r1` in `\S+`, kept \(something checked it out or moved it since it was made\): look at it, then `git -C \S+ branch -D engine\/r1` removes it/);
  t.notMatch(summary, /branch: none/);
});

t.test('a half-made run whose branch the user committed to: its clean-up keeps the branch', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const killed = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'kill@run.workspace#1' } });
  t.equal(killed.signal, 'SIGKILL', killed.stderr);
  t.equal(f.git('branch', '--list', 'engine/*'), 'engine/r1', 'the killed start left its branch');
  const user = execFileSync('git', ['commit-tree', '-p', 'engine/r1', '-m', 'user work', 'engine/r1^{tree}'], { cwd: f.repo, env: { ...process.env, ...author }, encoding: 'utf8' }).trim();
  f.git('update-ref', 'refs/heads/engine/r1', user);
  const again = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(again.code, 2, again.stderr);
  t.match(again.stderr, /the branch engine\/r1 is in \S+ already/);
  t.equal(f.git('rev-parse', 'engine/r1'), user, 'the user\'s commit is still on the branch');
});

const resumeArgs = (f: ReturnType<typeof makeFixture>, id: string, extra: string[] = []) => ['resume', id, '--repo', f.repo, '--no-progress', ...extra];

t.test('a half-made run of an id another store\'s run now works under: its clean-up takes neither that run\'s workspace nor its branch', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const storeA = path.join(f.dir, 'store-a');
  const storeB = path.join(f.dir, 'store-b');
  const killed = engine([...runArgs(f, 'r1'), '--store', storeA], { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'kill@run.workspace#1' } });
  t.equal(killed.signal, 'SIGKILL', killed.stderr);
  // The user clears what the killed start left (its workspace, its branch) by hand, and store B's run of the same id takes the place.
  const workspaces = path.join(home, 'workspaces');
  execFileSync('rm', ['-rf', workspaces]);
  f.git('branch', '-D', 'engine/r1');
  const running = engine([...runArgs(f, 'r1'), '--store', storeB], { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'kill@worker.spawned#1' } });
  t.equal(running.signal, 'SIGKILL', running.stderr);
  const branch = f.git('rev-parse', 'engine/r1');
  const cleaned = engine([...resumeArgs(f, 'r1'), '--store', storeA], { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(cleaned.code, 2, cleaned.stderr);
  t.match(cleaned.stderr, /removed what it had made \(run directory [^)]*store-a\/r1\)/, 'store A\'s half-made run directory only');
  t.equal(f.git('rev-parse', 'engine/r1'), branch, 'store B\'s run keeps its branch');
  const resumed = engine([...resumeArgs(f, 'r1'), '--store', storeB], { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(resumed.code, 0, `store B's run resumes to its end\n${resumed.stderr}`);
});

t.test('a half-made run\'s branch that a rebase is working on is kept, and said', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const killed = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'kill@run.workspace#1' } });
  t.equal(killed.signal, 'SIGKILL', killed.stderr);
  const tip = f.git('rev-parse', 'engine/r1');
  f.git('checkout', '-q', 'engine/r1');
  execFileSync('git', ['rebase', '-i', '--root'], { cwd: f.repo, env: { ...process.env, ...author, GIT_SEQUENCE_EDITOR: 'sed -i s/^pick/edit/' }, stdio: 'ignore' });
  t.equal(f.git('rev-parse', '--abbrev-ref', 'HEAD'), 'HEAD', 'HEAD is detached: the rebase stopped to edit');
  const cleaned = engine(resumeArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(cleaned.code, 2, cleaned.stderr);
  t.match(cleaned.stderr, /kept its branch engine\/r1 in \S+, which the repository cannot show nothing touched since .*: look at it, then `git -C \S+ branch -D engine\/r1` removes it/);
  t.equal(f.git('rev-parse', 'engine/r1'), tip, 'the branch is where the rebase will write it back');
  execFileSync('git', ['rebase', '--continue'], { cwd: f.repo, env: { ...process.env, ...author, GIT_EDITOR: 'true' }, stdio: 'ignore' });
  t.equal(f.git('rev-parse', '--abbrev-ref', 'HEAD'), 'engine/r1', 'the rebase ends on its branch');
});

t.test('a half-made run in a repository that keeps no reflog: its branch is kept, and said with the command that removes it', async (t) => {
  const f = makeFixture();
  f.git('config', 'core.logAllRefUpdates', 'false');
  const home = path.join(f.dir, 'home');
  const killed = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'kill@run.workspace#1' } });
  t.equal(killed.signal, 'SIGKILL', killed.stderr);
  const cleaned = engine(resumeArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(cleaned.code, 2, cleaned.stderr);
  t.match(cleaned.stderr, /removed what it had made \(workspace \S+, run directory \S+\); kept its branch engine\/r1 in \S+, .*`git -C \S+ branch -D engine\/r1` removes it/);
  f.git('branch', '-D', 'engine/r1');
  const again = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(again.code, 0, `once it is gone the same id runs\n${again.stderr}`);
});
