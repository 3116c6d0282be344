/**
 * `engine doctor`: every check in order, then (with `live`) one probe per distinct worker.
 * Returns data; the CLI prints it. Impure (runs git and the workers' CLIs, reads files).
 */
import { mkdtempSync, statSync } from 'node:fs';
import { describeFsError } from '../util/describe-fs-error.js';
import os from 'node:os';
import path from 'node:path';
import { formatDiagnostic, type Diagnostic } from '../vocabulary/diagnostics.js';
import { packageRoot } from '../paths.js';
import { checkGit, checkNode } from './check-host.js';
import { checkRepo } from './check-repo.js';
import { checkPipeline, checkPolicy } from './check-config.js';
import { dialectOf, gatherWorkerFacts, judgeWorker } from './check-workers.js';
import { checkVerification } from './check-verification.js';
import { gatherLoginFacts, judgeLogin } from './check-login.js';
import { repoPipelineFile, repoTemplatesDir, shippedPipelineFile } from '../config/repo-pipeline.js';
import { checkSandbox } from './check-sandbox.js';
import { checkWorkspaceDeps } from './check-workspace-deps.js';
import { checkWorkspaceShare } from './check-workspace-share.js';
import { locateRepo, repoTarget } from '../git/repo.js';
import { decideSandbox } from '../sandbox/sandbox-status.js';
import { probeBwrap } from '../sandbox/probe-bwrap.js';
import { distinctWorkers, probeWorker } from './probe.js';
import { finding, type DoctorReport, type Finding } from './types.js';
import { removeTree } from '../util/remove-tree.js';
import { repoDirProblem, repoTopOf } from '../util/repo-top.js';
import { isModulePath } from '../util/module-path.js';
import { templateProblems } from '../workers/check-template.js';
import { shellWord } from '../util/shell-quote.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

export interface DoctorOptions {
  /** The pipeline as given; default: `<repo>/.engine/pipeline.yaml`, else the shipped default. */
  pipelineFile?: string;
  repo: string;
  /** The policy layers a run would be given over the repo's (`--policy`, `--set`). */
  policyFiles?: string[];
  sets?: string[];
  live: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export type DoctorResult = { kind: 'report'; report: DoctorReport } | { kind: 'invalid'; diagnostics: Diagnostic[] };


/** Why the pipeline file cannot be read as one, said for what is there (as validate says it), or null. Impure (stats). */
function pipelineFileProblem(file: string): string | null {
  let st;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    // A path through a file (ENOTDIR), a loop of links, a folder it may not enter.
    return describeFsError(error)?.why ?? 'no such file';
  }
  if (!st) return 'no such file';
  if (st.isDirectory()) return 'it is a directory, not a file';
  return st.isFile() ? null : 'not a regular file (a FIFO or a device: nothing to read a config from)';
}

/**
 * This doctor's own command with `--live`: the pipeline, repo, policy files and `--set`s as
 * given (a bare `engine doctor --live` checks the repo's .engine/pipeline.yaml and policy,
 * not the ones this doctor was given). Pure.
 */
export function doctorLiveCommand(o: Pick<DoctorOptions, 'pipelineFile' | 'repo' | 'policyFiles' | 'sets'>): string {
  const words = [
    'doctor',
    ...(o.pipelineFile ? [shellWord(o.pipelineFile)] : []),
    ...(o.repo === '.' ? [] : ['--repo', shellWord(o.repo)]),
    ...(o.policyFiles ?? []).flatMap((f) => ['--policy', shellWord(f)]),
    ...(o.sets ?? []).flatMap((s) => ['--set', shellWord(s)]),
    '--live',
  ];
  return engineCommandAnywhere(words.join(' '));
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorResult> {
  const dir = path.resolve(o.cwd, o.repo);
  const problem = repoDirProblem(o.repo, dir);
  if (problem) return invalid(o.repo, problem);
  const pipelineFile = o.pipelineFile ? path.resolve(o.cwd, o.pipelineFile) : repoPipelineFile(repoTopOf(dir));
  const shown = o.pipelineFile ?? (pipelineFile === shippedPipelineFile ? pipelineFile : path.relative(o.cwd, pipelineFile) || pipelineFile);
  const unreadable = pipelineFileProblem(pipelineFile);
  if (unreadable) return invalid(shown, `cannot read ${shown}: ${unreadable}`);

  const checks: Finding[] = [checkNode(process.versions.node), await checkGit(o.env)];
  const repo = await checkRepo(dir, null, o.env);
  checks.push(...repo.findings);
  const root = repo.root ?? dir;
  const pipeline = await checkPipeline(pipelineFile, shown);
  checks.push(pipeline.finding);
  const policy = await checkPolicy(root, o.cwd, o.env, { files: o.policyFiles ?? [], sets: o.sets ?? [] });
  checks.push(policy.finding);
  const sandbox = policy.policy ? decideSandbox(policy.policy.sandbox, policy.policy.sandbox.mode === 'off' ? null : probeBwrap(o.env), [path.dirname(pipelineFile), root, packageRoot]) : undefined;
  if (sandbox) checks.push(checkSandbox(sandbox));

  const report: DoctorReport = { repo: root, pipeline: pipelineFile, live: o.live, checks, workers: {}, diagnostics: [...pipeline.diagnostics, ...policy.diagnostics], probe_dir: null };
  if (pipeline.ir) {
    // The repo's prompt templates the pipeline renders: one a run would stop at is refused by run (exit 2).
    const templates = templateProblems(pipeline.ir, repoTemplatesDir(root), (f) => path.relative(o.cwd, f) || f);
    if (templates.length) {
      checks.push(finding('templates', 'block', `${templates.length} problem${templates.length === 1 ? '' : 's'} in the repo's prompt templates`, 'mend the template (docs/workers.md, "Prompt templates")', templates.map(formatDiagnostic)));
      report.diagnostics.push(...templates);
    }
    const facts = await gatherWorkerFacts(pipeline.ir, path.dirname(pipelineFile), o.env, root);
    const live = doctorLiveCommand(o);
    const judged = facts.map((f) => judgeWorker(f, live));
    // A plugin module that cannot be loaded is the pipeline's finding (bad input, as run
    // refuses it); the worker's own would say it again, as a block of the run's preflight.
    checks.push(...judged.filter((_, i) => !(pipeline.finding.status === 'block' && facts[i]!.pluginError && isModulePath(facts[i]!.use))));
    // Offline: a missing login warns here; `engine run` stops on it before its first call.
    checks.push(...gatherLoginFacts(pipeline.ir.workers, o.env).map((f) => judgeLogin(f, 'warn')));
    for (const f of facts) report.workers[f.name] = { plugin: f.use, bin: f.binPath ?? f.bin, version: f.version, dialect: dialectOf(f) };
    if (policy.policy) checks.push(...checkVerification(policy.policy.verification, root, o.env));
    const deps = policy.policy ? checkWorkspaceDeps(policy.policy.verification, policy.policy.workspace, root) : null;
    if (deps) checks.push(deps);
    const share = policy.policy?.workspace.share && repo.root ? await checkWorkspaceShare(policy.policy.workspace.share, repoTarget(await locateRepo(repo.root))) : null;
    if (share) checks.push(share);
    if (o.live) {
      // Only workers that passed their static check are worth a call.
      const ready = facts.filter((f, i) => judged[i]!.status !== 'block' && f.probe).map((f) => f.name);
      const probeDir = mkdtempSync(path.join(os.tmpdir(), 'engine-doctor-'));
      const probes: Finding[] = [];
      for (const [i, names] of distinctWorkers(pipeline.ir.workers, ready).entries()) {
        probes.push(await probeWorker({ names, spec: pipeline.ir.workers[names[0]!]!, pipelineDir: path.dirname(pipelineFile), version: facts.find((f) => f.name === names[0])!.version, dir: probeDir, index: i + 1, env: o.env, repo: root, sandbox, again: live }));
      }
      checks.push(...probes);
      // Transcripts are kept only when they explain a finding.
      if (probes.every((p) => p.status === 'ok')) removeTree(probeDir);
      else report.probe_dir = probeDir;
    }
  } else if (policy.policy) {
    checks.push(...checkVerification(policy.policy.verification, root, o.env));
  }
  return { kind: 'report', report };
}

function invalid(file: string, message: string): DoctorResult {
  return { kind: 'invalid', diagnostics: [{ code: 'E_FILE', severity: 'error', message, file, line: 0, col: 0 }] };
}

