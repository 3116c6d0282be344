import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Resume's look before it drives a step (engine/git/branch-movable.ts) must refuse exactly
// what git's update-ref would refuse the same user: a refusal where git would move the branch
// stops a run that could go on; none where git would not lets the run reach its checkpoint
// and stop there as a worker's doing. Each case is asked of both, as the user the engine runs
// as: root, and `nobody` through setpriv (a repository of theirs, with what a `sudo git` left).

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const asRoot = process.getuid?.() === 0;
const setpriv = spawnSync('setpriv', ['--version']).status === 0;
const skip = !asRoot ? 'needs root (chattr, chown and setpriv)' : !setpriv ? 'setpriv is not here' : false;
/** The built module and the one it imports (which import Node's only), run by a plain node as the user: what bin/engine.js runs. */
const built = ['git/branch-movable.js', 'util/nearest-existing.js'];

function sh(cmd: string, args: string[], user: 'root' | 'nobody', cwd?: string) {
  const as = user === 'root' ? [cmd, ...args] : ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', cmd, ...args];
  return spawnSync(as[0]!, as.slice(1), { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
}

interface Case {
  name: string;
  user: 'root' | 'nobody';
  /** What a `sudo git`, a chmod or a chattr left, with the repo's .git and the branch's ref. */
  make(git: string, ref: string): void;
  undo?(git: string, ref: string): void;
}

const cases: Case[] = [
  { name: 'a ref file root owns (a `sudo git update-ref`), in a folder of the user', user: 'nobody', make: (_g, ref) => chownSync(ref, 0, 0) },
  { name: "the branch's folder root owns", user: 'nobody', make: (_g, ref) => chownSync(path.dirname(ref), 0, 0) },
  { name: "the branch's reflog root owns, mode 644", user: 'nobody', make: (g) => chownSync(path.join(g, 'logs', 'refs', 'heads', 'engine', 'r1'), 0, 0) },
  { name: "the branch's folder immutable", user: 'root', make: (_g, ref) => spawnSync('chattr', ['+i', path.dirname(ref)]), undo: (_g, ref) => spawnSync('chattr', ['-i', path.dirname(ref)]) },
  { name: 'the reflog immutable', user: 'root', make: (g) => spawnSync('chattr', ['+i', path.join(g, 'logs', 'refs', 'heads', 'engine', 'r1')]), undo: (g) => spawnSync('chattr', ['-i', path.join(g, 'logs', 'refs', 'heads', 'engine', 'r1')]) },
  { name: 'a mode 555 folder, for root', user: 'root', make: (_g, ref) => spawnSync('chmod', ['555', path.dirname(ref)]) },
  { name: 'nothing in the way', user: 'nobody', make: () => {} },
];

for (const c of cases) {
  t.test(`the check and git agree: ${c.name}`, { skip }, async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-branch-movable-'));
    const repo = path.join(dir, 'repo');
    t.teardown(() => {
      spawnSync('chattr', ['-R', '-i', dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    const git = (...args: string[]) => sh('git', args, c.user, repo);
    spawnSync('git', ['init', '-q', '-b', 'main', repo]);
    // A copy beside the repo: the checkout may be in a folder `nobody` cannot enter (a mktemp -d clone).
    for (const rel of built) {
      mkdirSync(path.dirname(path.join(dir, 'engine', rel)), { recursive: true });
      copyFileSync(path.join(root, 'dist', 'engine', rel), path.join(dir, 'engine', rel));
    }
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    const checker = path.join(dir, 'engine', built[0]!);
    if (c.user === 'nobody') spawnSync('chown', ['-R', 'nobody:nogroup', dir]);
    t.equal(git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'one').status, 0);
    t.equal(git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'two').status, 0);
    const [one, two] = [git('rev-parse', 'HEAD~1').stdout.trim(), git('rev-parse', 'HEAD').stdout.trim()];
    t.equal(git('update-ref', '-m', 'engine: run', 'refs/heads/engine/r1', one, '').status, 0, 'the run branch made');
    const gitDir = path.join(repo, '.git');
    const ref = path.join(gitDir, 'refs', 'heads', 'engine', 'r1');
    c.make(gitDir, ref);
    const check = sh(process.execPath, ['--input-type=module', '-e', `import { assertBranchMovable } from ${JSON.stringify(checker)}; try { assertBranchMovable(${JSON.stringify(gitDir)}, 'engine/r1'); console.log('movable'); } catch (e) { console.log(e.code, e.syscall, e.path); }`], c.user);
    const moved = git('update-ref', '-m', 'engine: checkpoint', 'refs/heads/engine/r1', two, one);
    c.undo?.(gitDir, ref);
    t.equal(check.stderr, '', 'the check ran');
    t.equal(check.stdout.trim() === 'movable', moved.status === 0, `the check says ${check.stdout.trim()}; git ${moved.status === 0 ? 'moved the branch' : `refused: ${moved.stderr.trim()}`}`);
  });
}

// A link at the user's refs/heads/engine that leads nowhere (put there by a worker without the
// OS sandbox, or by hand) is no refused permission: git refuses it at the checkpoint, which
// stops the run as a change to the user's repository. The look before a resume threw the
// link's ENOENT instead, which ended the resume as an internal error (exit 70).
t.test('a link that leads nowhere at refs/heads/engine: the check refuses no permission for it', async (t) => {
  const { assertBranchMovable } = await import('../../engine/git/branch-movable.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-branch-movable-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'refs', 'heads'), { recursive: true });
  mkdirSync(path.join(dir, 'logs', 'refs', 'heads', 'engine'), { recursive: true });
  symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'refs', 'heads', 'engine'));
  symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'logs', 'refs', 'heads', 'engine', 'r1'));
  t.doesNotThrow(() => assertBranchMovable(dir, 'engine/r1'));
});
