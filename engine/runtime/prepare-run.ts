import path from 'node:path';
import { userConfigOf, userConfigProblems } from './user-config.js';
import type { TimelineEvent } from '../generated/event.js';
import type { RunState } from '../generated/state.js';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { hasErrors } from '../vocabulary/diagnostics.js';
import { EXIT } from '../vocabulary/exit-codes.js';
import { loadPipeline } from '../config/index.js';
import { resolvePolicy, type ResolvePolicyOptions } from '../config/policy/resolve-policy.js';
import { compilePipeline } from '../compile/compile.js';
import type { CompiledPipeline } from '../compile/ir.js';
import type { RepoRef } from '../git/repo.js';
import { configIdentity, policyIdentity, type GitIdentity } from '../git/identity.js';
import type { RunEnv } from './clock.js';
import { openRuntime, type OpenRuntimeOptions } from './open-runtime.js';
import { probeBwrapAsync, type BwrapProbe } from '../sandbox/probe-bwrap.js';
import { prepareResumeConfig, type ResumeConfig } from './resume-config.js';
import type { Runtime, RunPolicy } from './types.js';
import { unloadablePlugins } from '../workers/load-plugin.js';
import { templateProblems } from '../workers/check-template.js';
import { templateOverrideDir } from './snapshot-config.js';
import { repoTemplatesDir } from '../config/repo-pipeline.js';

/** Bad input: nothing was made (or what was made is left as it was); the diagnostics say why. */
export type Rejection = { kind: 'rejected'; diagnostics: Diagnostic[]; exitCode: number };

/** Where a run's pipeline and policy come from: the one place start and resume differ here. */
export type ConfigSource =
  /** `engine run`: the pipeline and the `--policy` files as given, read now, over the repo's layers. */
  | { from: 'files'; pipelineFile: string; policyFiles: string[]; sets: string[] }
  /** `engine resume`: the run's config snapshot, or the repo's current files with `--reload-config`. */
  | { from: 'snapshot'; runDir: string; state: RunState; policyFiles: string[]; sets: string[]; reload: boolean };

export interface PrepareRunOptions<S extends { repo: string }> {
  config: ConfigSource;
  cwd: string;
  /**
   * What must be known between the pipeline and the policy (bad input is reported in that
   * order): start checks the host, finds the repo and reads the task; resume has state.json.
   * `repo` is the repo's top, whose layers the policy reads.
   */
  locate: () => Promise<S | Rejection>;
  /** The environment the run's children get (its PATH finds bubblewrap); default this process's. */
  processEnv?: NodeJS.ProcessEnv;
}

/** A run's inputs, checked and compiled; nothing of the run is touched yet. */
export interface PreparedRun<S> {
  site: S;
  ir: CompiledPipeline;
  /** The pipeline file the run stands for (recorded in env.json; its directory resolves the workers' paths). */
  pipelineFile: string;
  pipelineDir: string;
  policy: RunPolicy;
  policyHash: string;
  /** Resume's config: the snapshot taken, what differs from it, and how to commit it; null for a start. */
  snapshot: ResumeConfig | null;
  /** The bubblewrap probe, started as soon as the policy asked for the sandbox; null for `sandbox.mode: off`. */
  sandboxProbe: Promise<BwrapProbe> | null;
}

/**
 * The prologue of `engine run` and `engine resume`: the run's config found, its pipeline
 * loaded and compiled, the caller's own checks, the policy resolved. Impure (reads files).
 */
export async function prepareRun<S extends { repo: string }>(o: PrepareRunOptions<S>): Promise<PreparedRun<S> | Rejection> {
  const config = configFiles(o.config, o.cwd);
  if (isRejection(config)) return config;
  // The site is looked for (git processes, nothing written) while the pipeline is read and
  // compiled; a pipeline's errors are still the ones reported first.
  const located = o.locate();
  located.catch(() => undefined);
  const pipeline = await loadPipeline(config.load, path.dirname(config.origin));
  if (!pipeline.data || hasErrors(pipeline.diagnostics)) return rejected(pipeline.diagnostics);
  const ir = compilePipeline(pipeline.data);
  const site = await located;
  if (isRejection(site)) return site;
  const policy = await resolvePolicy({ ...config.layers, repo: site.repo, cwd: o.cwd });
  if (!policy.policy || hasErrors(policy.diagnostics)) return rejected(policy.diagnostics);
  const pipelineFile = config.origin;
  // A worker plugin that is missing, does not load or is no plugin: refused at its `use`, before anything is made.
  const unloadable = await unloadablePlugins(ir, path.dirname(pipelineFile), pipeline);
  if (unloadable.length) return rejected(unloadable);
  // A repo's prompt template that would stop the run as it is rendered, said before any call.
  const templates = templateProblems(ir, templatesOf(o.config, site.repo), (f) => path.relative(o.cwd, f) || f);
  if (templates.length) return rejected(o.config.from === 'snapshot' && !o.config.reload ? templates.map((d) => ({ ...d, hint: `the run's copy of your template: mend .engine/templates/ and resume with --reload-config; ${d.hint}` })) : templates);
  // A plugin's userConfig that cannot be walked would leave the user's config it names unwatched.
  const problems = await userConfigProblems(ir, path.dirname(pipelineFile), o.processEnv ?? process.env);
  if (problems.length) return rejected(problems.map((p) => ({ code: 'E_PLUGIN_INVALID', severity: 'error', message: p.message, file: `workers.${p.worker}.use`, line: 0, col: 0, hint: "mend what it names: the environment the worker is given (its spec's env, or your shell's), or the plugin's userConfig (or leave that out)" })));
  // Runs while the caller makes the run directory and the workspace; openPrepared waits for it.
  const sandboxProbe = policy.policy.sandbox.mode === 'off' ? null : probeBwrapAsync(o.processEnv ?? process.env);
  return { site, ir, pipelineFile, pipelineDir: path.dirname(pipelineFile), policy: policy.policy as RunPolicy, policyHash: policy.hash, snapshot: config.snapshot, sandboxProbe };
}

type ConfigFiles = { load: string; origin: string; layers: Omit<ResolvePolicyOptions, 'repo' | 'cwd'>; snapshot: ResumeConfig | null };

/** The pipeline file to load (and the one it stands for) and the policy layers. Impure for a snapshot (reads it). */
function configFiles(c: ConfigSource, cwd: string): ConfigFiles | Rejection {
  if (c.from === 'files') return { load: c.pipelineFile, origin: c.pipelineFile, layers: { files: c.policyFiles, sets: c.sets }, snapshot: null };
  // The config the run started with (config/), never the repo's current files, unless
  // --reload-config; what differs is shown either way.
  const s = c.state;
  const config = prepareResumeConfig({ runDir: c.runDir, repo: s.repo, cwd, statePipelinePath: s.pipeline.path, statePolicyFiles: s.policy.files, policyFiles: c.policyFiles, sets: c.sets, reload: c.reload });
  if ('error' in config) return resumeRejection(config.error, config.file);
  const layers = { defaultFile: config.defaultFile, userFile: config.userFile, repoFile: config.repoFile, files: config.policyFiles, sets: config.sets };
  return { load: config.pipelineFile, origin: config.pipelineOrigin, layers, snapshot: config };
}

/** Where the run's prompt templates are overridden: the repo's, or for a resume the run's copy (unless --reload-config). Pure. */
function templatesOf(c: ConfigSource, repo: string): string {
  return c.from === 'snapshot' && !c.reload ? templateOverrideDir(c.runDir, repo) : repoTemplatesDir(repo);
}

/** Whether a stage said no. Pure. */
export function isRejection(x: unknown): x is Rejection {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'rejected';
}

/** Diagnostics as a rejection with the bad-input exit code. Pure. */
export function rejected(diagnostics: Diagnostic[]): Rejection {
  return { kind: 'rejected', diagnostics, exitCode: EXIT.invalid };
}

/** A resume refused: E_RESUME, exit 2. Pure. */
export function resumeRejection(message: string, file = 'engine resume'): Rejection {
  return rejected([{ code: 'E_RESUME', severity: 'error', message, file, line: 0, col: 0 }]);
}

/**
 * The checkpoint identity, or the policy's malformed `git.author` as an error. git failing to
 * read the configuration is not the policy's fault: that is thrown. `configRead`: git's
 * configuration already being read for `repo` (configIdentity), taken instead of a new read.
 * Impure (reads git config).
 */
export async function identityOf(repo: RepoRef, policy: RunPolicy, configRead?: Promise<GitIdentity>): Promise<GitIdentity | { error: string }> {
  let fromPolicy: GitIdentity | null;
  try {
    fromPolicy = policyIdentity(policy.git.author);
  } catch (error) {
    return { error: (error as Error).message };
  }
  return fromPolicy ?? (configRead ?? configIdentity(repo));
}

/** What a session of a run is given by its command: the clock, the process, the stop signal, the event tap. */
export interface SessionOptions {
  env: RunEnv;
  processEnv: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onEvent?: (e: TimelineEvent) => void;
}

/** The runtime of a prepared run: its own parts (workspace, state, records) from the caller. Impure (opens the timeline). */
export async function openPrepared(p: PreparedRun<unknown>, s: SessionOptions, parts: Pick<OpenRuntimeOptions, 'task' | 'repo' | 'ws' | 'headTree' | 'identity' | 'paths' | 'state' | 'modelEndpoint'>): Promise<Runtime> {
  const probe = p.sandboxProbe ? await p.sandboxProbe : null;
  const userConfig = await userConfigOf(p.ir, p.pipelineDir, parts.modelEndpoint, s.processEnv);
  return openRuntime({ ir: p.ir, pipelineDir: p.pipelineDir, policy: p.policy, ...parts, env: s.env, childEnv: { ...s.processEnv }, signal: s.signal, onEvent: s.onEvent, sandboxProbe: probe, userConfig });
}
