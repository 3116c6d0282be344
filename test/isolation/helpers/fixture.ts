/**
 * The isolation suite's fixture: a temp dir holding a user's repo (with uncommitted edits, a
 * staged file, a tag, a second branch and git's sample hooks), a pipeline whose three workers
 * are the hostile agent, the commands a worker may plant (each appends to a log that must stay
 * absent), and the engine's environment (HOME, ENGINE_HOME and XDG_STATE_HOME inside the temp
 * dir, so nothing of the machine's own is read or written).
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { bareNode, childEnv } from '../../helpers/run-fixture.js';

export const engineRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const agent = path.join(engineRoot, 'test', 'isolation', 'fixtures', 'hostile-agent.sh');

export type Mode = 'off' | 'bwrap';

/** Both sandbox modes; bwrap only where it is installed and works (a clear skip otherwise). */
export function modes(): { mode: Mode; skip: string | false }[] {
  return [
    { mode: 'off', skip: false },
    { mode: 'bwrap', skip: bwrapMissing() },
  ];
}

let bwrapState: string | false | undefined;
function bwrapMissing(): string | false {
  if (bwrapState !== undefined) return bwrapState;
  const r = spawnSync('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', 'true'], { encoding: 'utf8' });
  bwrapState = r.error ? 'bwrap is not installed (Debian package bubblewrap): the sandboxed half of this scenario cannot run' : r.status !== 0 ? `bwrap does not work here (${r.stderr.trim()}): the sandboxed half cannot run` : false;
  return bwrapState;
}

/**
 * ISO_LEGACY=1 leaves out the sandbox keys, so the suite can be pointed at an engine that does
 * not know them yet (to see each attack bite); the bwrap half then runs unsandboxed.
 */
export const legacy = process.env.ISO_LEGACY === '1';

/** git for the test's own reads: no system or global config, no hooks, no fsmonitor. */
export function safeGit(cwd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync('git', ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'core.untrackedCache=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...childEnv(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr}`);
  return r.status === 0 ? r.stdout : '';
}

export interface IsoSpec {
  plan?: { id: string; goal: string; files_expected: string[] }[];
  calls?: Record<string, { sh?: string; once?: boolean; markers?: Record<string, unknown> }>;
}

export interface IsoFixture {
  dir: string;
  repo: string;
  scratch: string;
  log: string;
  home: string;
  engineHome: string;
  pipelineFile: string;
  agentDir: string;
  base: string;
  engineBin: string;
  engineDir: string;
  env: NodeJS.ProcessEnv;
  git: (...args: string[]) => string;
}

const OLD = new Date('2020-01-01T00:00:00Z');

/**
 * Build the user's repo and the run's surroundings. `repoPolicy` becomes the committed
 * `.engine/policy.yaml` (the team's config); `engineDir` runs another copy of the engine.
 */
export function makeIsoFixture(opts: { spec: IsoSpec; repoPolicy?: Record<string, unknown>; files?: Record<string, string>; engineDir?: string; explore?: boolean; runId?: string }): IsoFixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-iso-'));
  const repo = path.join(dir, 'repo');
  const scratch = path.join(dir, 'scratch');
  const home = path.join(dir, 'home');
  const engineHome = path.join(dir, 'engine-home');
  // The planted commands live in scratch: visible (and writable) inside the sandbox too, so a
  // worker under bwrap can plant them as well as one without.
  const binDir = path.join(scratch, 'bin');
  for (const d of [repo, scratch, home, engineHome, binDir]) mkdirSync(d, { recursive: true });
  const log = path.join(scratch, 'planted.log');

  // The commands a worker plants: each logs its name; the filter one passes its input through.
  writeFileSync(path.join(binDir, 'plant'), `#!/bin/sh\necho "planted: $(basename "$0") $*" >> '${log}'\nexit 0\n`);
  writeFileSync(path.join(binDir, 'plant-filter'), `#!/bin/sh\necho "planted: filter $*" >> '${log}'\nexec cat\n`);
  chmodSync(path.join(binDir, 'plant'), 0o755);
  chmodSync(path.join(binDir, 'plant-filter'), 0o755);

  const gitEnv = { ...childEnv(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: gitEnv }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'User');
  git('config', 'user.email', 'user@example.com');
  const policy = {
    apiVersion: 'engine/v1',
    kind: 'Policy',
    governance: { allowed_roots: ['src/**'] },
    explore: { mode: opts.explore ? 'on' : 'off' },
    auto_approve: { enabled: true },
    verification: { tiers: { tier0: { commands: ['test -f README.md'] }, tier2: { commands: ['true'] } } },
    ...opts.repoPolicy,
  };
  const files: Record<string, string> = {
    'README.md': '# target\n',
    'src/keep.txt': 'kept\n',
    'lib/util.txt': 'util\n',
    '.engine/.gitignore': 'runs/\n',
    '.engine/policy.yaml': stringify(policy),
    ...opts.files,
  };
  writeTree(repo, files);
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  git('tag', 'v1');
  git('branch', 'feature');
  const base = git('rev-parse', 'HEAD');
  // The user's work in progress: a tracked edit, a staged file and an untracked file.
  writeTree(repo, { 'README.md': '# target\n\nmy uncommitted edit\n', 'staged.txt': 'staged\n', 'notes.txt': 'untracked notes\n' });
  git('add', 'staged.txt');
  safeGit(repo, ['status', '--porcelain']);

  const agentDir = path.join(dir, 'agent');
  writeAgentDir(agentDir, opts.spec);
  const engineDir = opts.engineDir ?? engineRoot;
  const pipeline = parse(readFileSync(path.join(engineRoot, 'pipelines', 'default.pipeline.yaml'), 'utf8'));
  const env = {
    ISO_AGENT_DIR: agentDir,
    ISO_REPO: repo,
    ISO_LOG: log,
    ISO_SCRATCH: scratch,
    ISO_PLANT: path.join(binDir, 'plant'),
    ISO_PLANT_FILTER: path.join(binDir, 'plant-filter'),
    ISO_ENGINE: engineDir,
    ISO_HOME: home,
    ISO_RUN_ID: opts.runId ?? '',
  };
  const worker = { use: 'command', bin: '/bin/sh', args: [agent], env, idle_timeout_s: 30, timeout_s: 60 };
  pipeline.workers = { planner: worker, implementer: worker, reviewer: worker };
  const pipelineFile = path.join(dir, 'iso.pipeline.yaml');
  writeFileSync(pipelineFile, stringify(pipeline));
  return {
    dir,
    repo,
    scratch,
    log,
    home,
    engineHome,
    pipelineFile,
    agentDir,
    base,
    engineDir,
    engineBin: path.join(engineDir, 'bin', 'engine.js'),
    env: { HOME: home, ENGINE_HOME: engineHome, XDG_STATE_HOME: path.join(home, '.local', 'state'), XDG_CONFIG_HOME: path.join(home, '.config') },
    git,
  };
}

const DEFAULT_PLAN = [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }];

/** The hostile agent's script directory (see fixtures/hostile-agent.sh). */
function writeAgentDir(dir: string, spec: IsoSpec): void {
  mkdirSync(dir, { recursive: true });
  const plan = spec.plan ?? DEFAULT_PLAN;
  const put = (name: string, text: string) => writeFileSync(path.join(dir, name), text);
  put('markers-plan.json', JSON.stringify({ milestones: plan.map((m) => ({ done_checks: [], risk_level: 'low', ...m })), assumptions: [] }));
  put('markers-explore.json', JSON.stringify({ info_needs: [], assumptions: [], files_expected: [] }));
  put('markers-review.json', JSON.stringify({ verdict: 'approve', changes: [] }));
  plan.forEach((m, i) => {
    put(`files-${i + 1}`, m.files_expected.map((p) => `${p}\n`).join(''));
    put(`markers-implement-${i + 1}.json`, JSON.stringify({ status: 'done', summary: `milestone ${i + 1}`, files_changed: m.files_expected, commands_run: [], needs: null }));
  });
  for (const [key, call] of Object.entries(spec.calls ?? {})) {
    if (call.sh !== undefined) put(`${key}.sh`, `${call.sh}\n`);
    if (call.once) put(`${key}.once`, '');
    if (call.markers) {
      if (call.sh === undefined) put(`${key}.sh`, ':\n');
      const [phase, milestone] = key.split('#');
      const base = JSON.parse(readFileSync(path.join(dir, existsSync(path.join(dir, `markers-${phase}-${milestone}.json`)) ? `markers-${phase}-${milestone}.json` : `markers-${phase}.json`), 'utf8'));
      put(`markers-${key}.json`, JSON.stringify({ ...base, ...call.markers }));
    }
  }
}

/** Files (mtime set in the past, so the index never holds a racily clean entry). */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    utimesSync(file, OLD, OLD);
  }
}

/** The sandbox flags of a mode (none under ISO_LEGACY). Scratch is writable for the agent's own marks. */
export function sandboxArgs(f: IsoFixture, mode: Mode): string[] {
  if (legacy) return [];
  return ['--set', `sandbox.mode=${mode}`, '--set', `sandbox.writable=${JSON.stringify([f.scratch])}`];
}

export interface EngineResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the engine CLI (the fixture's copy) for real, with the fixture's HOME and ENGINE_HOME. */
export function runEngine(f: IsoFixture, args: string[], opts: { timeoutMs?: number } = {}): EngineResult {
  const r = spawnSync('/usr/bin/env', [...bareNode, f.engineBin, ...args], {
    cwd: f.dir,
    env: childEnv(f.env),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 90_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** `engine run` of the fixture's pipeline on its repo, run id fixed. */
export function runRun(f: IsoFixture, id: string, mode: Mode, extra: string[] = []): EngineResult {
  return runEngine(f, ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'do the task', '--run-id', id, '--no-progress', ...sandboxArgs(f, mode), ...extra]);
}

/** A plain `engine resume` (no --reload-config, no --force). */
export function runResume(f: IsoFixture, id: string, mode: Mode, extra: string[] = []): EngineResult {
  return runEngine(f, ['resume', id, '--repo', f.repo, '--no-progress', ...sandboxArgs(f, mode), ...extra]);
}

/** The run's state.json (default run store), or null. */
export function readState(f: IsoFixture, id: string): Record<string, any> | null {
  const file = path.join(f.repo, '.engine', 'runs', id, 'state.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** A copy of the engine package in a temp dir (its own install, safe to attack). */
export function copyEngine(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-iso-install-'));
  for (const part of ['bin', 'dist', 'templates', 'schemas', 'policies', 'pipelines', 'package.json']) cpSync(path.join(engineRoot, part), path.join(dir, part), { recursive: true });
  symlinkSync(path.join(engineRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}
