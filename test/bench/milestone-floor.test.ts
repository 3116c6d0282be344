import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFixture } from '../helpers/run-fixture.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';

// The milestone bench's second baseline (bench/fixtures/milestone-floor.sh) does the work it
// claims: per milestone, the three children (sandboxed when asked) and the four git commands.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = path.join(root, 'bench', 'fixtures', 'milestone-floor.sh');
const hasBwrap = probeBwrap(process.env).ok;

/** A git repo with one commit (the run fixture's), removed after the test. */
function scratchRepo(t: { teardown(fn: () => void): void }): string {
  const f = makeFixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  return f.repo;
}

for (const sandbox of ['0', '1']) {
  t.test(`the floor of ${sandbox === '1' ? 'sandboxed' : 'plain'} milestones runs their processes`, { skip: sandbox === '1' && !hasBwrap ? 'bubblewrap does not run here' : false }, async (t) => {
    const repo = scratchRepo(t);
    // One trace file per process (-ff): lines of processes running side by side are never split.
    const traceDir = path.join(repo, '..', 'floor-trace');
    mkdirSync(traceDir);
    const traced = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
    const cmd = traced ? ['strace', '-ff', '-qq', '-e', 'trace=execve', '-o', path.join(traceDir, 'pid'), '/bin/sh', script, repo, '3', sandbox] : ['/bin/sh', script, repo, '3', sandbox];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.same(readdirSync(path.join(repo, 'src')).sort(), ['m1.txt', 'm2.txt', 'm3.txt'], 'one file per milestone');
    t.equal(execFileSync('git', ['rev-parse', 'floor'], { cwd: repo, encoding: 'utf8' }), execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }), 'the branch was updated');
    if (!traced) return;
    const lines = readdirSync(traceDir).flatMap((f) => readFileSync(path.join(traceDir, f), 'utf8').split('\n'));
    const execs = lines.filter((l) => /^execve\(/.test(l) && / = 0$/.test(l));
    const count = (re: RegExp) => execs.filter((l) => re.test(l)).length;
    t.equal(count(/^execve\("[^"]*\/git"/), 12, 'four git commands per milestone');
    t.equal(count(/^execve\("[^"]*\/true"/), 9, 'three children per milestone');
    t.equal(count(/^execve\("[^"]*\/bwrap"/), sandbox === '1' ? 9 : 0, sandbox === '1' ? 'each child in a sandbox' : 'no sandbox');
  });
}

t.test('the script refuses to run without its arguments', async (t) => {
  const r = spawnSync('/bin/sh', [script], { encoding: 'utf8' });
  t.not(r.status, 0);
  t.notOk(existsSync(path.join(process.cwd(), 'src', 'm1.txt')));
});
