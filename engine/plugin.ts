/**
 * The public entry for worker plugin authors: `import { defineWorker } from
 * '@engine/engine/plugin'`. A plugin module default-exports `defineWorker({...})`; the types
 * are the worker protocol, contract 1 (docs/workers.md). The declarations shipped with the
 * package (dist/engine/plugin.d.ts) are written by tsc from these sources. No I/O.
 */
export { defineWorker } from './workers/types.js';
export type {
  CliFacts,
  DialectRange,
  Env,
  LoginCheck,
  MarkersPhase,
  ModelEndpointFacts,
  NormalizedEvent,
  OutcomeClass,
  ParsedOutcome,
  Phase,
  ProcessExit,
  StreamParser,
  Usage,
  WorkerCallContext,
  WorkerInvocation,
  WorkerPlugin,
} from './workers/types.js';
export type { WorkerSpec } from './generated/pipeline.js';
