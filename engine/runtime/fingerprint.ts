import os from 'node:os';
import type { CompiledPipeline } from '../compile/ir.js';
import type { fingerprintWorkers } from '../doctor/check-workers.js';
import { engineVersion, contractVersion, schemaVersion } from '../version.js';

/**
 * env.json: what resume compares before continuing a run. The workers' facts are the
 * doctor's (`gatherWorkerFacts`), gathered by the caller: start shares them with its
 * preflight, resume gathers them the same way. Impure only through the caller's facts.
 */
export function fingerprint(ir: CompiledPipeline, endpoint: string | null, pipelineFile: string, workers: ReturnType<typeof fingerprintWorkers>) {
  return {
    schema_version: schemaVersion,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    engine_version: engineVersion,
    contract_version: contractVersion,
    pipeline_hash: ir.hash,
    pipeline_file: pipelineFile,
    workers,
    model_endpoint: endpoint ? 'scripted' : null,
  };
}

/** Each worker's CLI version from a fingerprint. Pure. */
export function versionsOf(print: ReturnType<typeof fingerprint>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(print.workers).map(([name, w]) => [name, w.version]));
}

/** Fingerprint keys whose values differ. Pure. */
export function fingerprintChanges(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = ['os', 'node', 'engine_version', 'contract_version', 'pipeline_hash', 'workers'];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

type WorkerPrint = { plugin?: unknown; bin?: unknown; version?: unknown };

/**
 * Each worker's change between two fingerprints, in words (`implementer: version 0.168.0 →
 * 0.169.0`). With `reloaded` (resume --reload-config), a worker the reloaded pipeline added,
 * removed or pointed at another plugin or program is the user's chosen change and is left out:
 * only a CLI that changed under the same worker (its version) counts. Pure.
 */
export function workerChanges(a: unknown, b: unknown, reloaded: boolean): string[] {
  const before = (a && typeof a === 'object' ? a : {}) as Record<string, WorkerPrint>;
  const after = (b && typeof b === 'object' ? b : {}) as Record<string, WorkerPrint>;
  const out: string[] = [];
  const said = (x: unknown) => (x === null || x === undefined ? 'none' : String(x));
  for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const was = before[name];
    const now = after[name];
    if (!was || !now) {
      if (!reloaded) out.push(`${name}: ${was ? 'no longer in the pipeline' : 'new in the pipeline'}`);
      continue;
    }
    const respecified = was.plugin !== now.plugin || was.bin !== now.bin;
    if (respecified) {
      if (!reloaded) out.push(`${name}: ${was.plugin !== now.plugin ? `plugin ${said(was.plugin)} → ${said(now.plugin)}` : `program ${said(was.bin)} → ${said(now.bin)}`}`);
      continue;
    }
    if (was.version !== now.version) out.push(`${name}: version ${said(was.version)} → ${said(now.version)}`);
  }
  return out;
}
