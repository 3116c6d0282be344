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
