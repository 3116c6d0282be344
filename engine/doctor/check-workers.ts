/**
 * Every worker of a pipeline: its plugin resolves, its bin is there and tells its version,
 * and that version prints an output dialect the parsers know. Gathering is impure (imports
 * a plugin module, file checks, `<bin> --version`); judging is pure. `engine run` uses the
 * same facts for its preflight and for env.json, so `--version` runs once per run.
 */
import path from 'node:path';
import { statSync } from 'node:fs';
import type { CompiledPipeline } from '../compile/ir.js';
import { packageRoot } from '../paths.js';
import { resolveWorkerPlugin } from '../workers/load-plugin.js';
import { builtinWorker, builtinWorkerNames } from '../workers/builtin-workers.js';
import { projectDirsOf } from '../workers/resolve-bin.js';
import type { CliFacts, WorkerPlugin } from '../workers/types.js';
import { findProgram } from '../proc/find-program.js';
import { judgeCliVersion } from './known-clis.js';
import { finding, type Finding } from './types.js';
import { messageOf } from '../util/message-of.js';
import { askVersion } from '../workers/ask-version.js';

export interface WorkerFacts {
  name: string;
  /** The worker's `use`: a built-in plugin name or a module path. */
  use: string;
  pluginError: string | null;
  /** What the plugin would run (spec.bin, a CLI in a node_modules/.bin, a name on PATH). */
  bin: string | null;
  /** `bin` is the worker's own `bin` setting (not the pinned CLI or a PATH name). */
  binFromSpec: boolean;
  binError: string | null;
  /** The file `bin` resolves to, or null when there is none. */
  binPath: string | null;
  /** Why a `bin` path that names something is not runnable ('is not executable', 'is a directory'), else null. */
  binUnrunnable?: string | null;
  /** A relative path `bin` that was not there: where it was looked for (the repository's top), and the file of that name beside the pipeline when there is one. */
  binTried?: { at: string; besidePipeline: string | null } | null;
  version: string | null;
  /** The CLI the plugin drives, with its tested versions (plugin `cli`), or null. */
  cli: CliFacts | null;
  /** The dialect the spec alone tells (plugin `dialectFor`: a command's `output`), or null. */
  dialect: string | null;
  /** What the plugin runs, in one line (plugin `summary`), or null. */
  summary: string | null;
  /** `engine doctor --live` may probe it (plugin `probe`, default true). */
  probe: boolean;
  /** Arguments that name a file of the repo by a relative path: the workspace's copy is what runs. */
  repoFileArgs: string[];
}

/**
 * Facts about each worker, in name order. The workers are looked at side by side, and a CLI
 * two workers share (planner and reviewer on claude) is asked its `--version` once: each ask
 * starts the CLI, which takes the better part of a second. Impure.
 */
export async function gatherWorkerFacts(ir: CompiledPipeline, pipelineDir: string, env: NodeJS.ProcessEnv, cwd: string): Promise<WorkerFacts[]> {
  const versions = new Map<string, Promise<string | null>>();
  return Promise.all(Object.keys(ir.workers).sort().map((name) => workerFacts(name, ir.workers[name]!, { pipelineDir, env, cwd, versions })));
}

async function workerFacts(name: string, spec: CompiledPipeline['workers'][string], o: { pipelineDir: string; env: NodeJS.ProcessEnv; cwd: string; versions: Map<string, Promise<string | null>> }): Promise<WorkerFacts> {
  const facts: WorkerFacts = { name, use: spec.use, pluginError: null, bin: null, binFromSpec: Boolean(spec.bin), binError: null, binPath: null, version: null, cli: null, dialect: null, summary: null, probe: true, repoFileArgs: repoFileArgs(spec.args ?? [], o.cwd) };
  let plugin: WorkerPlugin;
  try {
    plugin = await resolveWorkerPlugin(spec, o.pipelineDir);
  } catch (e) {
    facts.pluginError = messageOf(e);
    return facts;
  }
  facts.cli = plugin.cli ?? null;
  facts.dialect = plugin.dialectFor?.(spec) ?? null;
  facts.summary = plugin.summary ?? null;
  facts.probe = plugin.probe !== false;
  try {
    const bin: unknown = plugin.resolveBin(spec, packageRoot, projectDirsOf(o.cwd));
    if (typeof bin !== 'string' || bin === '') throw new Error(`its plugin's resolveBin() answered ${bin === '' ? 'an empty name' : typeof bin}, not a program`);
    facts.bin = bin;
  } catch (e) {
    facts.binError = messageOf(e);
    return facts;
  }
  facts.binPath = findProgram(facts.bin, { cwd: o.cwd, env: o.env });
  if (!facts.binPath) facts.binUnrunnable = whyNotRunnable(facts.bin, o.cwd);
  if (!facts.binPath && !facts.binUnrunnable) facts.binTried = triedAt(facts.bin, o.cwd, o.pipelineDir);
  // A plugin that cannot tell (an arbitrary command may do something else with --version)
  // answers null without asking.
  if (facts.binPath) {
    const key = `${spec.use}\0${facts.bin}\0${facts.binPath}`;
    const bin = facts.bin;
    if (!o.versions.has(key)) o.versions.set(key, askVersion(plugin, bin, o.env));
    facts.version = await o.versions.get(key)!;
  }
  return facts;
}

/**
 * Where a relative path `bin` was looked for (the repository's top: `bin` names the user's
 * checkout's file), and the file of that name beside the pipeline, which a `use:` path would
 * have found and a new user expected `bin` to find too. Null for a bare name or an absolute
 * path. Impure (stats).
 */
function triedAt(bin: string, cwd: string, pipelineDir: string): { at: string; besidePipeline: string | null } | null {
  if (!bin.includes('/') || path.isAbsolute(bin)) return null;
  const at = path.resolve(cwd, bin);
  const beside = path.resolve(pipelineDir, bin);
  return { at, besidePipeline: beside !== at && statSync(beside, { throwIfNoEntry: false })?.isFile() ? beside : null };
}

/**
 * Why a `bin` that is a path names something that cannot run: a file without execute
 * permission (a new user's probe was told 'not found' of one), a directory; null when nothing
 * is there or it is no path. Impure (stats).
 */
function whyNotRunnable(bin: string, cwd: string): string | null {
  if (!bin.includes('/')) return null;
  try {
    const st = statSync(path.resolve(cwd, bin), { throwIfNoEntry: false });
    if (!st) return null;
    if (st.isDirectory()) return 'is a directory, not a program';
    return st.isFile() ? 'is not executable (chmod +x it, or give an interpreter as bin and the script in args)' : 'is not a regular file';
  } catch {
    return null;
  }
}

/**
 * The arguments that name a regular file of the repo by a relative path (`./tools/agent.mjs`,
 * `tools/agent.mjs`): a call runs in the workspace, so the program reads the workspace's copy,
 * which a worker can rewrite for the calls after its own. Impure (file checks).
 */
function repoFileArgs(args: readonly string[], repo: string): string[] {
  return args.filter((a) => {
    if (a.startsWith('-') || path.isAbsolute(a) || a.length >= 4096) return false;
    try {
      return statSync(path.resolve(repo, a), { throwIfNoEntry: false })?.isFile() === true;
    } catch {
      return false; // no path a file system takes (a NUL in it, say)
    }
  });
}

/** The `workers` of env.json: plugin, bin's file name, version. Pure. */
export function fingerprintWorkers(facts: readonly WorkerFacts[]): Record<string, { plugin: string; bin: string | null; version: string | null }> {
  return Object.fromEntries(facts.map((f) => [f.name, { plugin: f.use, bin: f.bin === null ? null : path.basename(f.bin), version: f.version }]));
}

/** The output dialect a worker's spec or its CLI's version implies, when one can be told. Pure. */
export function dialectOf(f: WorkerFacts): string | null {
  if (f.dialect) return f.dialect;
  if (f.cli && f.version) return judgeCliVersion(f.use, f.cli, f.version).dialect;
  return null;
}

/**
 * One finding per worker (`worker.<name>`): the first problem, or what it is. `doctorLive`:
 * the command a hint gives to probe the worker (the doctor's own, `--live`). Pure.
 */
export function judgeWorker(f: WorkerFacts, doctorLive?: string): Finding {
  const id = `worker.${f.name}`;
  const who = `worker ${f.name} (${f.use})`;
  if (f.pluginError) return finding(id, 'block', `${who}: ${f.pluginError}`, `use a built-in plugin (${builtinWorkerNames().join(', ')}) or a module path whose default export comes from defineWorker`);
  if (f.binError || f.bin === null) return finding(id, 'block', `${who}: ${f.binError ?? 'no bin'}`, `set workers.${f.name}.bin to the program to run`);
  if (!f.binPath) return judgeMissingBin(f, id, who);
  if (f.cli) {
    if (!f.version) return finding(id, 'block', `${who}: \`${f.bin} --version\` did not print a version`, `check that ${f.binPath} is the ${f.use} CLI and that \`${f.bin} --version\` runs`);
    const j = judgeCliVersion(f.use, f.cli, f.version, doctorLive);
    return finding(id, j.status, `${who}: ${j.message} at ${f.binPath}`, j.hint);
  }
  if (f.repoFileArgs.length) {
    const which = f.repoFileArgs.join(', ');
    return finding(id, 'warn', `${who}: argument ${which} is a file of the repo read from the workspace, where a worker can rewrite it for the calls after its own`, `give its absolute path, or make it the worker's \`bin\` (a relative bin is the checkout's own file)`);
  }
  if (!builtinWorker(f.use)) return finding(id, 'ok', `${who}: plugin module with its own parser, ${f.binPath}${f.version ? ` ${f.version}` : ''}`);
  return finding(id, 'ok', `${who}: ${f.summary ?? f.use}${f.dialect ? `; ${f.binPath} (dialect ${f.dialect})` : ''}`);
}

/** The worker's program is not there: a CLI plugin's is not installed, or its `bin` names nothing. Pure. */
function judgeMissingBin(f: WorkerFacts, id: string, who: string): Finding {
  const bin = f.bin ?? '';
  if (f.binUnrunnable) return finding(id, 'block', `${who}: bin ${bin} ${f.binUnrunnable}`, `make workers.${f.name}.bin a program that runs`);
  if (f.binTried) {
    const { at, besidePipeline } = f.binTried;
    const hint = besidePipeline ? `there is one beside the pipeline, ${besidePipeline}: name it from the repository's top, or by its absolute path` : `fix workers.${f.name}.bin: a relative bin is the repository's own file, named from its top`;
    return finding(id, 'block', `${who}: bin ${bin} not found (looked for ${at}: a relative bin is relative to the repository's top, not to the pipeline file)`, hint);
  }
  if (!f.cli) return finding(id, 'block', `${who}: bin ${bin} not found${bin.includes('/') ? '' : ' on PATH'}`, `set workers.${f.name}.bin to a program that exists (a path, or a name on PATH)`);
  if (f.binFromSpec) return finding(id, 'block', `${who}: bin ${bin} not found${bin.includes('/') ? '' : ' on PATH'}`, `fix workers.${f.name}.bin (nothing runnable at ${bin}), or remove it to use the ${f.use} CLI installed in your project`);
  return finding(
    id,
    'block',
    `${who}: the ${f.use} CLI is not installed (looked in node_modules/.bin of the repo, of the current directory and of the engine package, and on PATH)`,
    installHint(f.use, f.cli, f.name),
  );
}

/** The exact command that installs the verified CLI in the user's project (or globally). Pure. */
export function installHint(cli: string, known: CliFacts, worker: string): string {
  const pkg = `${known.pkg}@${known.verified[known.verified.length - 1]}`;
  return `run \`npm i -D ${pkg}\` in your project (or \`npm i -g ${pkg}\`), or set workers.${worker}.bin to the path of a ${cli} CLI`;
}
