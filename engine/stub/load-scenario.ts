import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import { schemasDir } from '../paths.js';
import { parseScenario } from './parse-scenario.js';
import type { EngineScenario } from './types.js';

/** A scenario file that cannot be used; `diagnostics` carry file:line:col of each problem. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
  }
}

let schemaCache: object | undefined;

/** The scenario JSON Schema shipped in the package. Impure: reads a file once. */
export async function readScenarioSchema(): Promise<object> {
  schemaCache ??= JSON.parse(await readFile(path.join(schemasDir, 'scenario.schema.json'), 'utf8')) as object;
  return schemaCache;
}

/**
 * Read, parse and validate a scenario file. Throws ScenarioError with positioned diagnostics
 * (E_FILE, E_YAML, E_KIND, E_SCHEMA, E_UNKNOWN_KEY). Impure: reads the file.
 */
export async function loadScenario(file: string): Promise<EngineScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ScenarioError([{ code: 'E_FILE', severity: 'error', message: `cannot read scenario file (${reason})`, file, line: 0, col: 0 }]);
  }
  const { scenario, diagnostics } = parseScenario(text, file, await readScenarioSchema());
  if (!scenario) throw new ScenarioError(diagnostics);
  return scenario;
}
