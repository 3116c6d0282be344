import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { CompiledPipeline } from '../compile/ir.js';
import { loadRecording, RECORDING_FILE } from '../record/load-recording.js';
import type { Substitution } from '../record/types.js';
import type { Secret } from '../workers/redact.js';
import { endpointWorkerNames, takesModelEndpoint } from '../workers/builtin-workers.js';

/** How a run's model traffic is handled: as is, recorded, or served from a recording. */
export type TrafficMode = { kind: 'record' } | { kind: 'replay'; from: string };

/** The file a replaying run logs refused requests to, in its run directory. */
export const MISMATCH_FILE = 'replay-mismatches.jsonl';

export interface ModelTraffic {
  /** The origin every worker whose plugin takes a model endpoint (claude, codex) is pointed at. */
  origin: string;
  /** For run.started. */
  event: { mode: 'record' | 'replay'; file: string; upstream: string | null };
  close(): Promise<void>;
}

/**
 * The origin the recording proxy forwards to: the scripted model when the run has one, else
 * the one model_endpoint every claude/codex worker names. A string is the reason there is
 * none (workers without an endpoint use their vendor's API with the user's login, which the
 * proxy cannot stand in front of without handling that login). Pure.
 */
export function recordUpstream(ir: CompiledPipeline, scriptedOrigin: string | null): string | { error: string } {
  if (scriptedOrigin) return scriptedOrigin;
  const cli = Object.entries(ir.workers).filter(([, w]) => takesModelEndpoint(w.use));
  if (cli.length === 0) return { error: `the pipeline has no ${endpointWorkerNames().join(' or ')} worker: there is no model traffic to record` };
  const missing = cli.filter(([, w]) => !w.model_endpoint).map(([n]) => n);
  if (missing.length) return { error: `--record needs a scenario or a model_endpoint on every ${endpointWorkerNames().join('/')} worker; ${missing.join(', ')} has none` };
  const endpoints = [...new Set(cli.map(([, w]) => w.model_endpoint!))];
  if (endpoints.length > 1) return { error: `--record needs one upstream; the workers name ${endpoints.join(', ')}` };
  return endpoints[0]!;
}

/**
 * Start the recording proxy or the replay server of a run. Run-specific strings (the
 * workspace, the run directory, the repo, the branch) are stored as placeholders, so a
 * recording replays in another workspace. Impure.
 */
export async function startModelTraffic(o: {
  mode: TrafficMode;
  upstream: string | null;
  ir: CompiledPipeline;
  runId: string;
  runDir: string;
  workspace: string;
  branch: string;
  repo: string;
  secrets: Secret[];
}): Promise<ModelTraffic> {
  const substitutions = runSubstitutions(o);
  if (o.mode.kind === 'record') {
    const file = path.join(o.runDir, RECORDING_FILE);
    const workerOfStep = (step: string) => o.ir.steps.find((s) => s.id === step)?.worker ?? null;
    // Loaded here, like the replay server: node's http and https are no cost of a run that neither records nor replays.
    const { startRecordProxy } = await import('../record/start-record-proxy.js');
    const proxy = await startRecordProxy({ upstream: o.upstream!, file, runId: o.runId, substitutions, secrets: o.secrets, workerOfStep });
    return { origin: proxy.origin, event: { mode: 'record', file, upstream: o.upstream }, close: () => proxy.close() };
  }
  const recording = loadRecording(o.mode.from);
  const { startReplayServer } = await import('../record/start-replay-server.js');
  const server = await startReplayServer({ exchanges: recording.exchanges, substitutions, secrets: o.secrets, mismatchFile: path.join(o.runDir, MISMATCH_FILE) });
  return { origin: server.origin, event: { mode: 'replay', file: recording.file, upstream: null }, close: () => server.close() };
}

/** The run-specific strings of a run and their placeholder names (real paths and claude's slugs of them too). Pure but for realpath. */
export function runSubstitutions(o: { runDir: string; workspace: string; branch: string; repo: string }): Substitution[] {
  const subs: Substitution[] = [
    { name: 'workspace', value: o.workspace },
    { name: 'workspaces', value: path.dirname(o.workspace) },
    { name: 'run_dir', value: o.runDir },
    { name: 'repo', value: o.repo },
    { name: 'branch', value: o.branch },
  ];
  for (const s of [...subs]) {
    if (s.name === 'branch' || !existsSync(s.value)) continue;
    const real = realpathSync(s.value);
    if (real !== s.value) subs.push({ name: `${s.name}_real`, value: real });
  }
  // claude keeps a project's state under a directory named after its path, every character
  // other than a letter or digit a dash (`/tmp/a.b` → `-tmp-a-b`).
  for (const s of [...subs]) if (s.name !== 'branch') subs.push({ name: `${s.name}_slug`, value: s.value.replace(/[^A-Za-z0-9]/g, '-') });
  return subs;
}
