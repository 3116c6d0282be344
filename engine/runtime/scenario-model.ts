import path from 'node:path';
import { loadScenario, ScenarioError } from '../stub/load-scenario.js';
import type { EngineScenario } from '../stub/types.js';
import type { Diagnostic } from '../vocabulary/diagnostics.js';

/**
 * The scenario a run's scripted model will serve, read and checked before anything of the run
 * is made: a file that is no scenario is the user's input to mend (its diagnostics, exit 2),
 * not a failure halfway into the run. Impure (reads the file).
 */
export async function readScenario(file: string): Promise<{ scenario: EngineScenario } | { diagnostics: Diagnostic[] }> {
  try {
    return { scenario: await loadScenario(file) };
  } catch (error) {
    if (error instanceof ScenarioError) return { diagnostics: error.diagnostics };
    throw error;
  }
}

/**
 * Start the scripted model for a run given a scenario (`scenario`: already read from
 * `scenarioFile`): loopback, a free port, every exchange logged in the run directory. Impure.
 */
export async function startScenarioModel(scenarioFile: string, runDir: string, scenario?: EngineScenario): Promise<{ origin: string; close(): Promise<void> }> {
  // Loaded here: node's http server is no cost of a run that has no scripted model.
  const { startStubModel } = await import('../stub/index.js');
  const model = await startStubModel({ scenarioFile, ...(scenario ? { scenario } : {}), port: 0, logFile: path.join(runDir, 'model-exchanges.jsonl') });
  return { origin: model.origin, close: () => model.close() };
}
