import { cpSync, mkdtempSync, writeFileSync, readFileSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify, parse } from 'yaml';
import { repoWorkspacesDir, workspaceHomesOf, workspacesRoot } from '../../engine/git/workspace.js';
import { agentCjs, agentWorker, writeAgentScript, type AgentScript } from './scripted-agent.js';

export { writeAgentScript, type AgentScript };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const engineBin = path.join(root, 'bin', 'engine.js');

export const twoMilestones: AgentScript = {
  plan: [
    { id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] },
    { id: 'm2', goal: 'write b', files_expected: ['src/b.txt'] },
  ],
  implement: { '1': { 'src/a.txt': 'alpha\n' }, '2': { 'src/b.txt': 'beta\n' } },
};

const fixedDates = { GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' };
let templateRepo: string | null = null;

/**
 * The repo every fixture starts from: `README.md` in one commit on `main`, made by git once per
 * test process and copied for each fixture (a repository is plain files that name no path of
 * their own). Each git is a fork of the test process, and a test that drives runs in its own
 * heap has hundreds of MiB to copy: the five gits of each fixture were 1.3 s of the 11 s of
 * CPU test/runtime/governance.test.ts spent in its own process. The copy is the same
 * repository (fixed dates, the same commit). Its index records the template's inodes and
 * change times, as a user's index often records stale ones: a git that refreshed it would
 * rewrite the user's `.git/index`, which the engine never does (test/isolation checks it).
 */
function fixtureRepo(): string {
  if (templateRepo !== null) return templateRepo;
  const repo = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-fixture-repo-')), 'repo');
  mkdirSync(repo);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...fixedDates } });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test');
  git('config', 'user.email', 'test@example.com');
  writeFileSync(path.join(repo, 'README.md'), '# target\n');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  templateRepo = repo;
  return repo;
}

/** A temp dir with a git repo (one commit), a pipeline of fake command workers and a script. */
export function makeFixture(opts: { script?: AgentScript; pipeline?: (p: Record<string, any>) => void; policy?: Record<string, unknown>; fixedPath?: string } = {}) {
  // A fixed path (emptied first) lets two runs see byte-identical absolute paths.
  const dir = opts.fixedPath ? path.join(os.tmpdir(), `engine-fixed-${opts.fixedPath}-${process.pid}`) : mkdtempSync(path.join(os.tmpdir(), 'engine-run-'));
  if (opts.fixedPath) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
  }
  const repo = path.join(dir, 'repo');
  cpSync(fixtureRepo(), repo, { recursive: true, preserveTimestamps: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...fixedDates } }).trim();
  const scriptFile = path.join(dir, 'agent.json');
  writeAgentScript(scriptFile, opts.script ?? twoMilestones);
  const pipeline = parse(readFileSync(path.join(root, 'pipelines', 'default.pipeline.yaml'), 'utf8'));
  const worker = { ...agentWorker(scriptFile), idle_timeout_s: 20, timeout_s: 60 };
  pipeline.workers = { planner: worker, implementer: worker, reviewer: worker };
  opts.pipeline?.(pipeline);
  const pipelineFile = path.join(dir, 'test.pipeline.yaml');
  writeFileSync(pipelineFile, stringify(pipeline));
  const policyFile = path.join(dir, 'test.policy.yaml');
  writeFileSync(
    policyFile,
    stringify({
      apiVersion: 'engine/v1',
      kind: 'Policy',
      auto_approve: { enabled: false },
      explore: { mode: 'off' },
      verification: { tiers: { tier0: { commands: ['test -f README.md'] }, tier2: { commands: ['test -f src/a.txt'] } } },
      ...opts.policy,
    }),
  );
  return { dir, repo, pipelineFile, policyFile, scriptFile, git };
}

/**
 * The environment for engine processes started by tests: tap's coverage hooks (NODE_OPTIONS)
 * are left out, since they would load into every engine and worker child and slow each one.
 * tap puts its hook back into the NODE_OPTIONS of whatever a test spawns, whatever env it is
 * given: start node children through `/usr/bin/env` with `bareNode` to keep it out for good.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ENGINE_HOME: process.env.ENGINE_HOME ?? testEngineHome(), ...extra };
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('_TAPJS_')) delete env[k];
  return env;
}

/**
 * `spawn('/usr/bin/env', [...bareNode, script, ...args])` starts `node script args` without
 * tap's process-info hook: env drops the NODE_OPTIONS tap adds to every child of a test and
 * then becomes node (same pid, so signals reach it). Without this each engine child, and every
 * worker and CLI it starts, would load the hook, record coverage and write it at exit. env by
 * its full path, since a test may give the engine a PATH without it.
 */
export const bareNode: readonly string[] = ['-u', 'NODE_OPTIONS', process.execPath];

let engineHome: string | null = null;

/** One ENGINE_HOME per test process (workspaces go there), so tests never touch ~/.local/state. */
export function testEngineHome(): string {
  engineHome ??= mkdtempSync(path.join(os.tmpdir(), 'engine-home-'));
  return engineHome;
}

/** Run the engine CLI for real (a child process). */
export function engine(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const r = spawnSync('/usr/bin/env', [...bareNode, engineBin, ...args], {
    cwd: opts.cwd,
    env: childEnv(opts.env),
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The engine CLI in this process: the kernel bin/engine.js hands argv to, with an in-memory io.
 * For what needs no process of its own (usage and input errors, exit 2); runs, crashes,
 * signals and the launcher itself go through `engine`.
 */
export async function engineHere(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const { main } = await import('../../engine/cli/main.js');
  const { memoryIo } = await import('../../engine/cli/io.js');
  const io = memoryIo({ cwd: opts.cwd, env: childEnv(opts.env) });
  const code = await main(args, io);
  return { code, signal: null, stdout: io.out.join(''), stderr: io.err.join('') };
}

/**
 * Where a run's private CLI homes will be (`<workspace>.homes`, beside its workspace under
 * ENGINE_HOME), known before the run starts: for a worker script that writes into its home.
 */
export function homesOf(repo: string, runId: string, engineHomeDir: string = process.env.ENGINE_HOME ?? testEngineHome()): string {
  return workspaceHomesOf(path.join(repoWorkspacesDir(workspacesRoot({ ENGINE_HOME: engineHomeDir }), realpathSync(repo)), runId));
}

/** The workspace of a run (from its state.json in the repo's default run store). */
export function workspaceOf(repo: string, runId: string): string {
  return JSON.parse(readFileSync(path.join(repo, '.engine', 'runs', runId, 'state.json'), 'utf8')).workspace;
}

export function readJsonl(file: string): any[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/**
 * Files in `side` for a run whose every worker first runs `prelude` (shell) and then answers as
 * the scripted agent does with `twoMilestones`: for a worker that does something to the
 * machine before it answers (fills a disk, takes a folder). The policy: no explore, no
 * auto-approve, `true` as tier0 and tier2, and `policy` over that.
 */
export function writePreludeRun(side: string, prelude: string, policy: Record<string, unknown> = {}): { pipelineFile: string; policyFile: string } {
  const script = path.join(side, 'agent.json');
  writeFileSync(script, JSON.stringify(twoMilestones));
  const worker = path.join(side, 'prelude-then-answer.sh');
  writeFileSync(worker, `#!/bin/sh\n${prelude}\nexec ${process.execPath} ${agentCjs}\n`, { mode: 0o755 });
  const pipeline = parse(readFileSync(path.join(root, 'pipelines', 'default.pipeline.yaml'), 'utf8'));
  const spec = { use: 'command', bin: worker, env: { AGENT_SCRIPT: script }, idle_timeout_s: 20, timeout_s: 60 };
  pipeline.workers = { planner: spec, implementer: spec, reviewer: spec };
  const pipelineFile = path.join(side, 'prelude.pipeline.yaml');
  writeFileSync(pipelineFile, stringify(pipeline));
  const policyFile = path.join(side, 'policy.yaml');
  writeFileSync(policyFile, stringify({ apiVersion: 'engine/v1', kind: 'Policy', auto_approve: { enabled: false }, explore: { mode: 'off' }, verification: { tiers: { tier0: { commands: ['true'] }, tier2: { commands: ['true'] } } }, ...policy }));
  return { pipelineFile, policyFile };
}
