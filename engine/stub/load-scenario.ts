import { formatDiagnostic, loadConfigFile, type Diagnostic } from '../config/index.js';
import type { EngineScenario } from './types.js';

/** A scenario file that cannot be used; `diagnostics` carry file:line:col of each problem. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
  }
}

/**
 * Read and check a scenario file through the engine's config loader (YAML, kind, schema,
 * rules). Throws ScenarioError with every positioned diagnostic (E_FILE, E_YAML, E_KIND,
 * E_SCHEMA, E_UNKNOWN_KEY, …). Impure: reads the file and the schema.
 */
export async function loadScenario(file: string): Promise<EngineScenario> {
  const loaded = await loadConfigFile(file, { expectKind: 'Scenario' });
  if (loaded.data === null) throw new ScenarioError(loaded.diagnostics);
  return loaded.data as EngineScenario;
}
