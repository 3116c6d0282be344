// test cost: about 12 s: runs with the real CLIs, looking for leaked secrets (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync, lstatSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify, parse } from 'yaml';
import { readJsonl } from '../helpers/run-fixture.js';
import { packageRoot } from '../../engine/paths.js';
import { initRepo, scratchBase, spawnEngine, type EngineResult } from './helpers/spawn-engine.js';

// Issue 15: the user's secrets reach no file the run leaves — run store (worker homes
// included), workspace, run branch — nor the engine's output, through the real codex and
// claude against the scripted model, whether the run completes, stops or is killed and resumed.
// The named keys hold values that do not look like keys (only the allow-list and the name
// globs can keep them out); the custom name holds an `sk-…` value (only its shape marks it).
const CANARIES: Record<string, string> = {
  OPENAI_API_KEY: 'canary-openai-9f8e7d6c',
  ANTHROPIC_API_KEY: 'canary-anthropic-1a2b3c4d',
  GITHUB_TOKEN: 'canary-github-5e6f7a8b',
  AWS_SECRET_ACCESS_KEY: 'canary-aws-0c9d8e7f',
  MY_APP_SETTING: 'sk-canaryCustom0123456789abcdefABC',
};
const pipeline = path.join(packageRoot, 'pipelines/default.pipeline.yaml');
const scenario = path.join(import.meta.dirname, 'fixtures', 'contract.scenario.yaml');
const json = (file: string): any => JSON.parse(readFileSync(file, 'utf8'));

/** Every file under `dir` (symlinks not followed) that holds one of the canary values, with the names found. */
function filesWithCanaries(dir: string): string[] {
  const hits: string[] = [];
  const needles = Object.entries(CANARIES).map(([name, v]) => [name, Buffer.from(v)] as const);
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const f = path.join(d, name);
      const st = lstatSync(f);
      if (st.isDirectory()) walk(f);
      else if (st.isFile()) {
        const data = readFileSync(f);
        for (const [n, v] of needles) if (data.includes(v)) hits.push(`${path.relative(dir, f)} (${n})`);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return hits;
}

function canariesIn(text: string): string[] {
  return Object.entries(CANARIES)
    .filter(([, v]) => text.includes(v))
    .map(([n]) => n);
}

/** Where a run could have left a secret: every place is checked, each hit named. */
function leaks(repo: string, runId: string, outputs: EngineResult[]): Record<string, string[]> {
  const runDir = path.join(repo, '.engine', 'runs', runId);
  const state = json(path.join(runDir, 'state.json'));
  const branch = spawnSync('git', ['-C', repo, 'log', '-p', '--all', '--format=%H%n%B'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
  return {
    store: filesWithCanaries(path.join(repo, '.engine')),
    // The workspace and the CLIs' homes beside it, while the run keeps them (a stopped run).
    workspace: existsSync(state.workspace) ? filesWithCanaries(state.workspace) : [],
    homes: existsSync(`${state.workspace}.homes`) ? filesWithCanaries(`${state.workspace}.homes`) : [],
    branch: canariesIn(branch),
    output: outputs.flatMap((o) => canariesIn(o.stdout + o.stderr)),
  };
}

const none = { store: [], workspace: [], homes: [], branch: [], output: [] };

/**
 * A run of the contract scenario. The scenario is named by a task file, which the run records,
 * so a resume talks to the same scripted model (`--scenario` alone is not recorded).
 */
async function engineRun(base: string, repo: string, runId: string, extra: string[], env: NodeJS.ProcessEnv = {}, pipelineFile = pipeline): Promise<EngineResult> {
  const task = path.join(base, `${runId}.task.yaml`);
  writeFileSync(task, stringify({ apiVersion: 'engine/v1', kind: 'Task', name: runId, goal: 'a hello script', scenario }));
  return spawnEngine(['run', pipelineFile, '--repo', repo, '--task', task, '--run-id', runId, '--set', 'explore.mode=off', '--set', 'auto_approve.enabled=false', '--no-progress', ...extra], {
    cwd: base,
    env: { ...CANARIES, ...env },
  });
}

t.test('through the real claude and codex, no canary is left anywhere', async (t) => {
  const base = scratchBase(t, 'secrets');
  // claude implements in the governance run: its Write tool lands a file outside the allowed
  // roots whatever the machine (codex's own sandbox fails writes where bubblewrap is installed,
  // issue 9). The other runs go through codex.
  const p = parse(readFileSync(pipeline, 'utf8'));
  p.workers.implementer = { use: 'claude' };
  const govPipeline = path.join(base, 'gov.pipeline.yaml');
  writeFileSync(govPipeline, stringify(p));
  const repos = Object.fromEntries(['done', 'gov', 'budget', 'kill'].map((n) => [n, initRepo(path.join(base, n))]));
  // The runs go at once: each spends most of its time waiting on the CLIs.
  const done = engineRun(base, repos.done!, 'done', []);
  // The implementer's file is made a dependency file: its write is a governance stop after the
  // call (a plan outside the allowed roots would be refused before any implementer ran).
  const gov = engineRun(base, repos.gov!, 'gov', ['--set', 'governance.lockfiles=["hello.js"]'], {}, govPipeline);
  const budget = engineRun(base, repos.budget!, 'budget', ['--set', 'budgets.max_ticks=3']);
  const kill = (async () => {
    const killed = await engineRun(base, repos.kill!, 'kill', [], { ENGINE_FAULT: 'kill@worker.started#2' });
    const afterKill = leaks(repos.kill!, 'kill', [killed]);
    const resumed = await spawnEngine(['resume', 'kill', '--repo', repos.kill!, '--no-progress'], { cwd: base, env: CANARIES });
    return { killed, afterKill, resumed };
  })();

  t.test('a run that completes', async (t) => {
    const r = await done;
    t.equal(r.code, 0, r.stdout + r.stderr);
    t.same(leaks(repos.done!, 'done', [r]), none);
  });

  t.test('a run stopped by governance keeps the homes, without a canary in them', async (t) => {
    const r = await gov;
    t.not(r.code, 0, r.stdout + r.stderr);
    const runDir = path.join(repos.gov!, '.engine', 'runs', 'gov');
    t.equal(json(path.join(runDir, 'state.json')).stop_reason, 'governance_violation');
    // The homes are kept for resume: what the CLI wrote there is what this test searches.
    t.ok(readdirSync(path.join(`${json(path.join(runDir, 'state.json')).workspace}.homes`, 'implementer')).length > 0, 'claude kept its home, beside its workspace');
    t.same(leaks(repos.gov!, 'gov', [r]), none);
  });

  t.test("a run stopped on a budget after codex ran keeps codex's home, without a canary in it", async (t) => {
    const r = await budget;
    t.equal(r.code, 1, r.stdout + r.stderr);
    const runDir = path.join(repos.budget!, '.engine', 'runs', 'budget');
    t.equal(json(path.join(runDir, 'state.json')).stop_reason, 'budget_exhausted');
    const home = path.join(`${json(path.join(runDir, 'state.json')).workspace}.homes`, 'implementer');
    t.ok(readdirSync(home).includes('sessions'), 'codex kept its session in its home');
    const config = readFileSync(path.join(home, 'config.toml'), 'utf8');
    t.match(config, /\[features\]\nshell_snapshot = false/, 'codex writes no shell snapshot');
    t.match(config, /\[history\]\npersistence = "none"/, 'nor a prompt history');
    t.notOk(existsSync(path.join(home, 'shell_snapshots')), 'no shell_snapshots directory');
    t.same(leaks(repos.budget!, 'budget', [r]), none);
  });

  t.test('a run whose engine is killed while codex works, then resumed', async (t) => {
    const { killed, afterKill, resumed } = await kill;
    t.equal(killed.code, null, 'the engine died where told');
    t.same(afterKill, none, 'nothing after the kill');
    t.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    t.same(leaks(repos.kill!, 'kill', [killed, resumed]), none, 'nothing after the resume');
  });
});

t.test('a command worker sees only what it was given; verification sees no provider key and no secret-named variable', async (t) => {
  const base = scratchBase(t, 'environ');
  const repo = initRepo(path.join(base, 'repo'));
  spawnSync('git', ['-C', repo, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'initial']);
  const agent = path.join(packageRoot, 'test', 'fixtures', 'workers', 'scripted-agent.cjs');
  const dump = path.join(packageRoot, 'test', 'fixtures', 'workers', 'dump-environ.mjs');
  const script = path.join(base, 'agent.json');
  writeFileSync(script, JSON.stringify({ plan: [{ id: 'm1', goal: 'dump', files_expected: ['src/env-self.txt'] }], implement: {} }));
  const p = parse(readFileSync(pipeline, 'utf8'));
  const worker = { use: 'command', bin: process.execPath, args: [agent], env: { AGENT_SCRIPT: script } };
  // The implementer is a shell (the worker process) that starts the dump, then the agent.
  const implementer = { use: 'command', bin: 'sh', args: ['-c', `"${process.execPath}" "${dump}" && exec "${process.execPath}" "${agent}"`], env: { AGENT_SCRIPT: script, GIVEN_BY_PIPELINE: 'given-by-the-pipeline' }, env_pass: ['PASSED_THROUGH'] };
  p.workers = { planner: worker, implementer, reviewer: worker };
  const pipelineFile = path.join(base, 'environ.pipeline.yaml');
  writeFileSync(pipelineFile, stringify(p));
  // Passes only when the provider keys and the secret-named variables are gone and the user's other variables are there.
  const check = '! env | grep -q canary-openai && ! env | grep -q canary-anthropic && ! env | grep -q canary-github && ! env | grep -q canary-aws && test "$PASSED_THROUGH" = passed-through-value';
  const r = await spawnEngine(
    ['run', pipelineFile, '--repo', repo, '--goal', 'dump', '--run-id', 'env', '--set', 'explore.mode=off', '--set', 'auto_approve.enabled=false', '--set', `verification.tiers.tier0.commands=${JSON.stringify([check])}`, '--no-progress'],
    { cwd: base, env: { ...CANARIES, PASSED_THROUGH: 'passed-through-value' } },
  );
  t.equal(r.code, 0, r.stdout + r.stderr);
  const show = (file: string): string => spawnSync('git', ['-C', repo, 'show', `engine/env:src/${file}`], { encoding: 'utf8' }).stdout;
  for (const file of ['env-self.txt', 'env-parent.txt']) {
    const env = show(file);
    t.match(env, /^PATH=/m, `${file}: the dump is real`);
    t.match(env, /^PASSED_THROUGH=passed-through-value$/m, `${file}: env_pass passes a name`);
    t.match(env, /^GIVEN_BY_PIPELINE=given-by-the-pipeline$/m, `${file}: the worker's env map is set`);
    t.same(canariesIn(env), [], `${file}: none of the values it was not given`);
  }
  t.same(leaks(repo, 'env', [r]), none);
  const verify = readJsonl(path.join(repo, '.engine', 'runs', 'env', 'timeline.jsonl')).find((e) => e.type === 'verify.finished');
  t.equal(verify?.pass, true, 'verification had the user\'s other variables, no provider key and no GITHUB_TOKEN or AWS_SECRET_ACCESS_KEY');
});
