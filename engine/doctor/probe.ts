/**
 * `engine doctor --live`: one probe call per distinct worker through its real adapter
 * (phase `probe`), checking that the call succeeds and that its final answer is the markers
 * block and nothing else. Transcripts go to the doctor's own directory, never into a run.
 * The prompt and the judgement are pure; the call is impure.
 */
import type { SandboxStatus } from '../sandbox/sandbox-status.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { WorkerSpec } from '../generated/pipeline.js';
import { packageRoot } from '../paths.js';
import { canonicalJson } from '../util/canonical-json.js';
import { formatHeaders } from '../workers/prompt-headers.js';
import { resolveWorkerPlugin } from '../workers/load-plugin.js';
import { projectDirsOf } from '../workers/resolve-bin.js';
import { runWorkerCall, type CallResult } from '../workers/run-worker-call.js';
import { checkMarkerOnly, clip } from './marker-only.js';
import { finding, type Finding } from './types.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

/** The probe's answer, exactly. */
export const PROBE_MARKERS = { ok: true } as const;

/** The probe prompt: the header block and a request for the markers block only. Pure. */
export function renderProbePrompt(): string {
  return [
    formatHeaders({ phase: 'probe', step: 'probe', milestone: null, attempt: 1 }),
    '',
    'This is a protocol check by `engine doctor`. Do not use any tool and do not change any file.',
    'Answer with exactly these three lines and nothing else: no greeting, no explanation, no summary.',
    '',
    'BEGIN_MARKERS',
    JSON.stringify(PROBE_MARKERS),
    'END_MARKERS',
    '',
  ].join('\n');
}

/** Workers with the same spec are probed once: the groups, first name first. Pure. */
export function distinctWorkers(workers: Record<string, WorkerSpec>, names: readonly string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const key = canonicalJson(workers[name]);
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  return [...groups.values()];
}

/** What a probe call's result says about the worker (`probe.<name>`); `again`: the doctor command that probes it again. Pure. */
export function judgeProbe(names: readonly string[], r: Pick<CallResult, 'outcome' | 'text' | 'callDir'> & { meta: Pick<CallResult['meta'], 'error' | 'dialect' | 'unknown_event_types'> }, again = engineCommandAnywhere('doctor --live')): Finding {
  const id = `probe.${names[0]}`;
  const who = `worker ${names.join(', ')}`;
  const where = `the transcript is in ${r.callDir}`;
  if (r.outcome !== 'ok') {
    const cause = probeFailureCause(r.outcome, r.meta.error);
    return finding(
      id,
      'block',
      `${who}: the probe call failed${cause ? `: ${cause}` : ''} (${r.outcome}${r.meta.error ? `: ${clip(r.meta.error)}` : ''})`,
      `${where}; check the CLI's login, model and model_endpoint, then run \`${again}\` again`,
    );
  }
  const answer = checkMarkerOnly(r.text);
  if (!answer.ok) {
    const drift = finding(
      id,
      'block',
      `${who}: marker-only compliance failed: ${answer.error} (dialect ${r.meta.dialect}): worker contract drift`,
      `the final answer must be only the BEGIN_MARKERS … END_MARKERS block; the CLI or model changed how it answers: ${where}`,
      answer.excerpt ? [`answer: "${answer.excerpt}"`] : [],
    );
    // A run reads the last block of an answer with prose or more blocks around it; one with no
    // valid block it sends the repair prompt, and stops parse_failed past its retries.
    const readable = answer.problem === 'prose' || answer.problem === 'several_blocks';
    return { ...drift, effect: readable ? "a run would still read its block, but its answers drift from the contract" : 'a run would repair its answers, or stop parse_failed (exit 1)' };
  }
  if (answer.value.ok !== true || Object.keys(answer.value).length !== 1) {
    return finding(id, 'block', `${who}: the probe asked for ${JSON.stringify(PROBE_MARKERS)} and got ${clip(JSON.stringify(answer.value))}`, `the worker does not follow the prompt's markers: ${where}`);
  }
  const unknown = Object.keys(r.meta.unknown_event_types);
  if (unknown.length) {
    return finding(id, 'warn', `${who}: marker-only answer, but the output has event types the parser does not know (${unknown.join(', ')}; dialect ${r.meta.dialect})`, `the CLI's output format is moving: ${where}`);
  }
  return finding(id, 'ok', `${who}: probe answered with the markers block only (dialect ${r.meta.dialect})`);
}

export interface ProbeInput {
  names: string[];
  spec: WorkerSpec;
  pipelineDir: string;
  version: string | null;
  /** The doctor's directory for this invocation: calls/ and homes/ go there. */
  dir: string;
  index: number;
  env: NodeJS.ProcessEnv;
  /** The target repo: its node_modules/.bin is searched for the CLI, as in a run. */
  repo: string;
  /** The OS sandbox a run would use: the probe runs in it too. Default none. */
  sandbox?: SandboxStatus;
  /** The doctor command that probes again (its own words, `--live`); default a bare `engine doctor --live`. */
  again?: string;
}

/** A probe asks for three lines: past this (or a silence as long) the answer is not coming. */
export const PROBE_LIMIT_MS = 30_000;

/** One probe call through the worker's plugin, judged. Impure (a process, files). */
export async function probeWorker(p: ProbeInput): Promise<Finding> {
  const name = p.names[0]!;
  const plugin = await resolveWorkerPlugin(p.spec, p.pipelineDir);
  const callDir = path.join(p.dir, 'calls', `${String(p.index).padStart(4, '0')}-probe-${name}`);
  const homeDir = path.join(p.dir, 'homes', name);
  const work = path.join(p.dir, 'work');
  mkdirSync(homeDir, { recursive: true });
  mkdirSync(work, { recursive: true });
  const result = await runWorkerCall({
    plugin,
    callDir,
    markersPhase: null,
    ctx: {
      workerName: name,
      spec: p.spec,
      // An empty directory: the probe needs no files and must not touch the repo.
      cwd: work,
      homeDir,
      prompt: renderProbePrompt(),
      phase: 'probe',
      readOnly: true,
      sandboxed: Boolean(p.sandbox?.active),
      outputSchemaPath: null,
      resumeSessionId: null,
      baseEnv: p.env,
      packageRoot,
      projectDirs: projectDirsOf(p.repo),
    },
    cliVersion: p.version,
    sandbox: p.sandbox,
    // Bounded: without network a CLI retries for minutes before it gives up.
    timeoutMs: Math.min((p.spec.timeout_s ?? 300) * 1000, PROBE_LIMIT_MS),
    idleTimeoutMs: Math.min((p.spec.idle_timeout_s ?? 120) * 1000, PROBE_LIMIT_MS),
  });
  return judgeProbe(p.names, result, p.again);
}

/**
 * What a failed probe most likely means, in plain words, from its outcome and error text:
 * `not logged in`, `no network`, or (no answer within the limit) either. Null when the text
 * says neither. Pure.
 */
export function probeFailureCause(outcome: string, error: string | null | undefined): string | null {
  const text = error ?? '';
  if (/not logged in|please run .*login|\/login|invalid api key|invalid x-api-key|unauthori[sz]ed|\b401\b|authentication|no api key|missing.*api key/i.test(text)) return 'not logged in';
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH|fetch failed|network|connection (error|refused|reset)|stream disconnected|error sending request|dns|timed out connecting|reconnecting/i.test(text)) return 'no network';
  if (outcome === 'incomplete') return `no answer within ${PROBE_LIMIT_MS / 1000} s: no network or not logged in`;
  return null;
}
