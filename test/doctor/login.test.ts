import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gatherLoginFacts, judgeLogin, type LoginFacts } from '../../engine/doctor/check-login.js';
import type { WorkerSpec } from '../../engine/generated/pipeline.js';
import { claudeWorker } from '../../engine/workers/claude-worker.js';
import { engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';

// The CLIs' logins are checked offline: a credential file or a key in the environment. The
// doctor warns; a run stops before its first worker call. HOME is a temp dir in every case, so
// the machine's own login never decides a result.

function home(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-home-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const workers: Record<string, WorkerSpec> = {
  planner: { use: 'claude' },
  implementer: { use: 'codex' },
  reviewer: { use: 'claude' },
  fake: { use: 'command', bin: 'node' },
};

t.test('nothing found: one finding per CLI, naming its workers, the file looked at and the keys', async (t) => {
  const h = home(t);
  const facts = gatherLoginFacts(workers, { HOME: h }, { platform: 'linux' });
  t.same(facts.map((f) => [f.cli, f.workers]), [['claude', ['planner', 'reviewer']], ['codex', ['implementer']]]);
  t.same(judgeLogin(facts[1]!, 'warn'), {
    id: 'login.codex',
    status: 'warn',
    message: `codex (worker implementer): not logged in: no ${h}/.codex/auth.json and no OPENAI_API_KEY in the environment`,
    hint: 'run `codex login`, or set OPENAI_API_KEY, or give the worker a model_endpoint; `engine run --scenario FILE` needs no login',
    effect: 'a run would stop doctor_blocked (exit 4) before its first call, unless it runs a scenario (--scenario, the demo)',
  });
  t.same(judgeLogin(facts[0]!, 'block'), {
    id: 'login.claude',
    status: 'block',
    message: `claude (workers planner, reviewer): not logged in: no ${h}/.claude/.credentials.json and no ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN in the environment`,
    hint: 'run `claude` and type /login in it, or set ANTHROPIC_API_KEY, or give the worker a model_endpoint; `engine run --scenario FILE` needs no login',
  });
});

t.test('a credential file in the CLI home (or its CODEX_HOME / CLAUDE_CONFIG_DIR) is a login', async (t) => {
  const h = home(t);
  mkdirSync(path.join(h, '.claude'));
  writeFileSync(path.join(h, '.claude', '.credentials.json'), '{}');
  const codexHome = path.join(h, 'elsewhere');
  mkdirSync(codexHome);
  writeFileSync(path.join(codexHome, 'auth.json'), '{}');
  const facts = gatherLoginFacts(workers, { HOME: h, CODEX_HOME: codexHome });
  t.same(facts.map((f) => judgeLogin(f, 'block')).map((f) => [f.status, f.message]), [
    ['ok', `claude (workers planner, reviewer): logged in (${h}/.claude/.credentials.json)`],
    ['ok', `codex (worker implementer): logged in (${codexHome}/auth.json)`],
  ]);
  // CLAUDE_CONFIG_DIR moves the file: the one in ~/.claude no longer counts.
  const moved = gatherLoginFacts(workers, { HOME: h, CODEX_HOME: codexHome, CLAUDE_CONFIG_DIR: path.join(h, 'empty') }, { platform: 'linux' });
  t.equal(judgeLogin(moved[0]!, 'block').status, 'block');
});

t.test('an API key in the environment or in a worker env counts; an empty one does not', async (t) => {
  const h = home(t);
  const byEnv = gatherLoginFacts(workers, { HOME: h, OPENAI_API_KEY: 'k', ANTHROPIC_AUTH_TOKEN: 't' });
  t.same(byEnv.map((f) => judgeLogin(f, 'block').message), ['claude (workers planner, reviewer): ANTHROPIC_AUTH_TOKEN set', 'codex (worker implementer): OPENAI_API_KEY set']);
  const bySpec = gatherLoginFacts({ implementer: { use: 'codex', env: { OPENAI_API_KEY: 'k' } } }, { HOME: h });
  t.equal(judgeLogin(bySpec[0]!, 'block').status, 'ok');
  const empty = gatherLoginFacts({ implementer: { use: 'codex' } }, { HOME: h, OPENAI_API_KEY: '' }, { platform: 'linux' });
  t.equal(judgeLogin(empty[0]!, 'block').status, 'block');
});

t.test('no login is needed with a model_endpoint or against the scripted model', async (t) => {
  const h = home(t);
  t.same(gatherLoginFacts({ a: { use: 'codex', model_endpoint: 'http://127.0.0.1:1' }, b: { use: 'command', bin: 'x' } }, { HOME: h }), []);
  t.same(gatherLoginFacts(workers, { HOME: h }, { scripted: true }), []);
  // One worker with an endpoint, one without: only the second needs the login.
  const mixed = gatherLoginFacts({ a: { use: 'claude', model_endpoint: 'http://127.0.0.1:1' }, b: { use: 'claude' } }, { HOME: h });
  t.same(mixed.map((f) => f.workers), [['b']]);
});

t.test('isolate_home: a private home holds no login, only a key works', async (t) => {
  const h = home(t);
  mkdirSync(path.join(h, '.codex'));
  writeFileSync(path.join(h, '.codex', 'auth.json'), '{}');
  const facts = gatherLoginFacts({ implementer: { use: 'codex', isolate_home: true } }, { HOME: h }, { platform: 'linux' });
  t.match(judgeLogin(facts[0]!, 'block'), { status: 'block', message: 'codex (worker implementer): not logged in: a private home (isolate_home) holds no login and no OPENAI_API_KEY in the environment' });
});

t.test('claude on macOS may keep its login in the Keychain: a warning, never a block', async (t) => {
  const f: LoginFacts = { cli: 'claude', check: claudeWorker.login!, workers: ['planner'], credentialFile: '/h/.claude/.credentials.json', credentialFound: false, keys: [], platform: 'darwin', endpoint: true };
  t.match(judgeLogin(f, 'block'), { status: 'warn', message: /the login may be in the macOS Keychain/ });
});

t.test('engine doctor warns about a missing login and still exits 0', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: 'codex' }) });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const h = home(t);
  const r = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir, env: { HOME: h, CODEX_HOME: '', OPENAI_API_KEY: '' } });
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, `warn   login.codex         codex (worker implementer): not logged in: no ${h}/.codex/auth.json and no OPENAI_API_KEY in the environment (hint: run \`codex login\``);
  // A new user read "nothing blocks a run" here, and the run was blocked on the login.
  t.match(r.stdout.trimEnd().split('\n').pop(), /^doctor: ok with \d warnings? \(.*login\.codex.*\); a run would stop doctor_blocked \(exit 4\) before its first call, unless it runs a scenario \(--scenario, the demo\) \(login\.codex\)$/);
  t.notMatch(r.stdout, /login\.claude/, 'no claude worker: no claude login needed');
});

t.test('engine run stops before its first worker call when a CLI is not logged in', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: 'codex' }) });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const h = home(t);
  const env = { HOME: h, CODEX_HOME: '', OPENAI_API_KEY: '' };
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--run-id', 'nologin', '--no-progress'], { cwd: f.dir, env });
  t.equal(r.code, 4, r.stdout + r.stderr);
  const runDir = path.join(f.repo, '.engine', 'runs', 'nologin');
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.match(state, { status: 'stopped', stop_reason: 'doctor_blocked', stop_detail: `login.codex: codex (worker implementer): not logged in: no ${h}/.codex/auth.json and no OPENAI_API_KEY in the environment; run \`engine doctor ${f.pipelineFile} --repo ${f.repo} --policy ${f.policyFile}\` for details` });
  t.equal(state.counters.worker_calls, 0, 'no worker was called');
  t.same(readJsonl(path.join(runDir, 'timeline.jsonl')).map((e) => e.type), ['run.started', 'doctor.blocked', 'run.finished']);
});
