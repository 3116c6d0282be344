/**
 * The checks `engine run` makes before its first step, with the doctor's own functions:
 * git present (before anything is created; asked only when git could not find the
 * repository), and each worker's plugin, bin and CLI version (once the run exists, so the
 * stop is recorded like any other). Only blocking findings matter here; `engine doctor`
 * shows the rest. Impure where the checks are.
 */
import type { CompiledPipeline } from '../compile/ir.js';
import { checkGit } from './check-host.js';
import { gatherLoginFacts, judgeLogin } from './check-login.js';
import { gatherWorkerFacts, judgeWorker, type WorkerFacts } from './check-workers.js';
import type { Finding } from './types.js';
import { blockingFindings } from './verdict.js';

/** git on PATH: without it no run can start. Blocking findings only. */
export async function preflightHost(env: NodeJS.ProcessEnv): Promise<Finding[]> {
  return blockingFindings([await checkGit(env)]);
}

/**
 * Each worker's facts (reused for env.json) and the blocking findings about them, the CLIs'
 * logins included (none needed when `scripted`: the run serves them from the scripted model).
 */
export async function preflightWorkers(ir: CompiledPipeline, pipelineDir: string, env: NodeJS.ProcessEnv, cwd: string, o: { scripted?: boolean; facts?: Promise<WorkerFacts[]> } = {}): Promise<{ facts: WorkerFacts[]; blocking: Finding[] }> {
  // `facts`: the same facts, gathered by a caller that started them earlier (start-run does).
  const facts = await (o.facts ?? gatherWorkerFacts(ir, pipelineDir, env, cwd));
  const logins = gatherLoginFacts(ir.workers, env, { scripted: o.scripted }).map((f) => judgeLogin(f, 'block'));
  return { facts, blocking: blockingFindings([...facts.map((f) => judgeWorker(f)), ...logins]) };
}

/**
 * The stop detail of a blocked run: each finding on one line, then `doctor`, the command that
 * checks the run's own pipeline, repo and policy again (a bare `engine doctor` checked the
 * repo's .engine/pipeline.yaml: other findings, or none). Pure.
 */
export function describeBlock(blocking: readonly Finding[], doctor: string): string {
  return `${blocking.map((f) => `${f.id}: ${f.message}`).join('; ')}; run \`${doctor}\` for details`;
}
