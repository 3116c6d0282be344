/**
 * The built-in workers, one line each: the names a pipeline's `use:` takes without a path.
 * Each plugin carries its own facts (its CLI and tested versions, output dialects, login,
 * whether it takes a model endpoint); doctor, the runtime and `npm run gen` (the schema's
 * list of built-ins) read them through builtin-workers.ts. A new built-in worker is its
 * plugin file in workers/, its parser in workers/parse/ and one line here (docs/workers.md,
 * "Adding a built-in worker"). No I/O.
 */
export { claudeWorker } from './claude-worker.js';
export { codexWorker } from './codex-worker.js';
export { commandWorker } from './command-worker.js';
export { replayWorker } from './replay-worker.js';
