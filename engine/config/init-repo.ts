import { existsSync, statSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { renderPolicyOverride, withModeline } from './init-files.js';
import { schemaFile } from './schema-files.js';

export interface InitOptions {
  repo: string;
  cwd: string;
  force: boolean;
}

export interface InitResult {
  /** What was done, one line each (`created .engine/pipeline.yaml`). */
  done: string[];
  diagnostics: { code: string; message: string }[];
}

/**
 * Set up a repo for the engine: `.engine/pipeline.yaml` (the default pipeline) and
 * `.engine/policy.yaml` (a short override), each with a modeline pointing at the schema in
 * the engine package, and `.engine/` in `.git/info/exclude`. Never overwrites without
 * `force`. Impure: reads and writes the repo.
 */
export async function initRepo(options: InitOptions): Promise<InitResult> {
  const repo = path.resolve(options.cwd, options.repo);
  if (!existsSync(repo) || !statSync(repo).isDirectory()) {
    return { done: [], diagnostics: [{ code: 'E_FILE', message: `${options.repo} is not a directory` }] };
  }
  const dir = path.join(repo, '.engine');
  const targets = { pipeline: path.join(dir, 'pipeline.yaml'), policy: path.join(dir, 'policy.yaml') };
  const existing = Object.values(targets).filter((f) => existsSync(f));
  if (existing.length > 0 && !options.force) {
    const names = existing.map((f) => path.relative(options.cwd, f)).join(', ');
    return { done: [], diagnostics: [{ code: 'E_USAGE', message: `${names} already exists; pass --force to overwrite` }] };
  }
  const modeline = (name: string) => path.relative(dir, schemaFile(name)).split(path.sep).join('/');
  const pipeline = withModeline(await readFile(path.join(packageRoot, 'pipelines', 'default.pipeline.yaml'), 'utf8'), modeline('pipeline'));
  const policy = renderPolicyOverride(modeline('policy'), await hasTestScript(repo));
  await mkdir(dir, { recursive: true });
  await writeFile(targets.pipeline, pipeline);
  await writeFile(targets.policy, policy);
  const done = Object.values(targets).map((f) => `${existing.includes(f) ? 'overwrote' : 'created'} ${path.relative(options.cwd, f) || f}`);
  const exclude = await excludeFile(repo);
  if (exclude && (await addExclude(exclude))) done.push(`added .engine/ to ${path.relative(options.cwd, exclude)}`);
  return { done, diagnostics: [] };
}

async function hasTestScript(repo: string): Promise<boolean> {
  try {
    const pkg = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> };
    const test = pkg.scripts?.['test'];
    return typeof test === 'string' && test.trim() !== '' && !/no test specified/.test(test);
  } catch {
    return false;
  }
}

/** The repo's info/exclude (a worktree's `.git` file leads to the common git dir), or null. */
async function excludeFile(repo: string): Promise<string | null> {
  const dotGit = path.join(repo, '.git');
  if (!existsSync(dotGit)) return null;
  let gitDir = dotGit;
  if (statSync(dotGit).isFile()) {
    const m = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8'));
    if (!m) return null;
    gitDir = path.resolve(repo, m[1]!.trim());
    const common = path.join(gitDir, 'commondir');
    if (existsSync(common)) gitDir = path.resolve(gitDir, (await readFile(common, 'utf8')).trim());
  }
  return path.join(gitDir, 'info', 'exclude');
}

/** Append `.engine/` unless already excluded; true when the file changed. */
async function addExclude(file: string): Promise<boolean> {
  const current = existsSync(file) ? await readFile(file, 'utf8') : '';
  if (current.split(/\r?\n/).some((l) => ['.engine', '.engine/', '/.engine', '/.engine/'].includes(l.trim()))) return false;
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `${current === '' || current.endsWith('\n') ? '' : '\n'}# engine: run store, worktrees and repo config\n.engine/\n`);
  return true;
}
