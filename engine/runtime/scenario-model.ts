import path from 'node:path';

/**
 * Start the scripted model for a run given a scenario: loopback, a free port, every exchange
 * logged in the run directory. Impure.
 */
export async function startScenarioModel(scenarioFile: string, runDir: string): Promise<{ origin: string; close(): Promise<void> }> {
  // Loaded here: node's http server is no cost of a run that has no scripted model.
  const { startStubModel } = await import('../stub/index.js');
  const model = await startStubModel({ scenarioFile, port: 0, logFile: path.join(runDir, 'model-exchanges.jsonl') });
  return { origin: model.origin, close: () => model.close() };
}
