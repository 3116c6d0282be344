import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';
import { agentWorker } from '../helpers/scripted-agent.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';
import { hiddenPathFolders, installOf, programInSandbox } from '../../engine/sandbox/wrap-command.js';

// A review of the packed install: CLIs installed globally under a prefix in /tmp (and Node
// version managers that put their folders under /run) were found on PATH by `engine doctor`
// (ok), and every sandboxed call then failed, `bwrap: execvp claude: No such file or
// directory`: the sandbox's private /tmp and /run hide them, and the worker was started by
// its bare name. Such a program is now started from where it was found, bound again read-only
// with its install; a link in it relative to its folder still leads where it did.

const bwrap = probeBwrap(process.env);
const skip = bwrap.ok ? false : `bubblewrap does not work here (${bwrap.error}): install it (apt-get install bubblewrap) to run the sandbox tests`;

/** `<dir>/prefix`: lib/agent/run.sh running the scripted agent, and bin/fake-agent a link to it relative to bin/, as npm's global bins are. */
function globalInstall(dir: string, agent: { args: string[] }): string {
  const prefix = path.join(dir, 'prefix');
  mkdirSync(path.join(prefix, 'lib', 'agent'), { recursive: true });
  mkdirSync(path.join(prefix, 'bin'));
  const run = path.join(prefix, 'lib', 'agent', 'run.sh');
  writeFileSync(run, `#!/bin/sh\nexec /bin/sh ${agent.args.map((a) => `'${a}'`).join(' ')} "$@"\n`);
  chmodSync(run, 0o755);
  symlinkSync('../lib/agent/run.sh', path.join(prefix, 'bin', 'fake-agent'));
  return prefix;
}

t.test('a worker found on PATH under /tmp runs in the sandbox, its install bound again read-only', { skip }, async (t) => {
  let prefix = '';
  const f = makeFixture({
    pipeline: (p) => {
      for (const w of Object.values(p.workers) as Array<Record<string, unknown>>) {
        w.bin = 'fake-agent';
        w.args = [];
      }
    },
  });
  // Apart from the pipeline's folder, which the sandbox shows.
  const apart = mkdtempSync(path.join(os.tmpdir(), 'engine-prefix-'));
  t.teardown(() => rmSync(apart, { recursive: true, force: true }));
  prefix = globalInstall(apart, agentWorker(f.scriptFile));
  t.ok(prefix.startsWith('/tmp/'), 'the install is where the sandbox hides it');
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'hb', '--no-progress'], { cwd: f.dir, env: { PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` } });
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'hb', 'timeline.jsonl'));
  t.match(events[0], { type: 'run.started', sandbox: { active: true } }, 'under the OS sandbox');
  t.equal(events.filter((e) => e.type === 'worker.finished').length >= 3, true, 'every worker call ran');
});

t.test('what the sandbox needs of a program named bare: nothing more where it shows it; its install and real path where it hides it', async (t) => {
  const f = makeFixture();
  const prefix = globalInstall(f.dir, agentWorker(f.scriptFile));
  const env = { PATH: `${path.join(prefix, 'bin')}:/usr/bin:/bin` };
  t.same(programInSandbox('sh', f.dir, env), { bin: 'sh', readable: [] }, 'a program the sandbox shows: as named');
  t.same(programInSandbox('/bin/sh', f.dir, env), { bin: '/bin/sh', readable: installOf('/bin/sh') }, 'a path: as named, with its install');
  const hidden = programInSandbox('fake-agent', f.dir, env);
  t.equal(hidden.bin, path.join(prefix, 'bin', 'fake-agent'), 'its real path is hidden too: started by the path it was found at');
  t.ok(hidden.readable.includes(path.join(prefix, 'bin')), 'its folder');
  t.ok(hidden.readable.includes(path.join(prefix, 'lib', 'agent')), 'and where its link leads');
});

/**
 * `<dir>/shells/42`, a link to `<dir>/install` (fnm's multishell folders under
 * $XDG_RUNTIME_DIR lead to a Node install so): bin/fake-check links to ../lib/check.sh.
 */
function linkedInstall(dir: string): string {
  const install = path.join(dir, 'install');
  mkdirSync(path.join(install, 'bin'), { recursive: true });
  mkdirSync(path.join(install, 'lib'));
  writeFileSync(path.join(install, 'lib', 'check.sh'), '#!/bin/sh\nexit 0\n');
  chmodSync(path.join(install, 'lib', 'check.sh'), 0o755);
  symlinkSync('../lib/check.sh', path.join(install, 'bin', 'fake-check'));
  mkdirSync(path.join(dir, 'shells'));
  symlinkSync(install, path.join(dir, 'shells', '42'));
  return path.join(dir, 'shells', '42', 'bin');
}

t.test('PATH folders the sandbox hides: each bin folder again, or the link it lies in; never a runtime folder itself', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-path-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plain = path.join(dir, 'prefix', 'bin');
  mkdirSync(plain, { recursive: true });
  const linked = linkedInstall(dir);
  t.same(hiddenPathFolders({ PATH: `${plain}:${linked}:/run/user/1000:/usr/bin:relative/bin` }), [plain, path.dirname(linked)]);
  t.same(hiddenPathFolders({}), []);
});

t.test('a verification command found on PATH in a linked Node install under /tmp runs in the sandbox, its link relative to its folder too', { skip }, async (t) => {
  const apart = mkdtempSync(path.join(os.tmpdir(), 'engine-shells-'));
  t.teardown(() => rmSync(apart, { recursive: true, force: true }));
  const bin = linkedInstall(apart);
  const f = makeFixture({ policy: { verification: { tiers: { tier0: { commands: ['fake-check'] }, tier2: { commands: ['fake-check'] } } } } });
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'vc', '--no-progress'], { cwd: f.dir, env: { PATH: `${bin}:${process.env.PATH}` } });
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'vc', 'timeline.jsonl'));
  t.match(events[0], { type: 'run.started', sandbox: { active: true } });
  t.ok(events.some((e) => e.type === 'verify.finished' && e.pass === true && e.skipped === false), 'the tier passed: fake-check ran');
});
