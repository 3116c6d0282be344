import type { EnginePipeline } from '../generated/pipeline.js';
import type { EngineTask } from '../generated/task.js';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { loadConfigFile, type LoadedFile } from './load-file.js';

/** A loaded file of one kind: its data (null on any error) and its diagnostics. */
export interface Loaded<T> {
  file: string;
  data: T | null;
  diagnostics: Diagnostic[];
  locate: LoadedFile['locate'];
}

/**
 * Load a pipeline through all three stages (schema, then the compiler's rules). `pipelineDir`:
 * where its module-path workers are relative to, when the file read stands for another (a
 * run's config snapshot for the pipeline it was copied from). Impure: reads files.
 */
export async function loadPipeline(file: string, pipelineDir?: string): Promise<Loaded<EnginePipeline>> {
  return typed<EnginePipeline>(await loadConfigFile(file, { expectKind: 'Pipeline', ...(pipelineDir !== undefined ? { pipelineDir } : {}) }));
}

/** Load a task file (its `scenario` must exist, relative to the task file). Impure: reads files. */
export async function loadTask(file: string): Promise<Loaded<EngineTask>> {
  return typed<EngineTask>(await loadConfigFile(file, { expectKind: 'Task' }));
}

function typed<T>(loaded: LoadedFile): Loaded<T> {
  return { file: loaded.file, data: loaded.data as T | null, diagnostics: loaded.diagnostics, locate: loaded.locate };
}
