import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';

/** The pipeline the engine ships, `pipelines/default.pipeline.yaml` in the package. */
export const shippedPipelineFile = path.join(packageRoot, 'pipelines', 'default.pipeline.yaml');

/**
 * The pipeline a command uses when none is named: `<repo>/.engine/pipeline.yaml` when the
 * repo has one, else the shipped default. Impure: checks the file exists.
 */
export function repoPipelineFile(repo: string): string {
  const own = path.join(repo, '.engine', 'pipeline.yaml');
  return existsSync(own) ? own : shippedPipelineFile;
}

/** Where a repo overrides the shipped prompt templates: `<repo>/.engine/templates`. Pure. */
export function repoTemplatesDir(repo: string): string {
  return path.join(repo, '.engine', 'templates');
}
