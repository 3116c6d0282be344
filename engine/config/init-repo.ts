import { constants as fsConstants, existsSync, readFileSync, statSync } from 'node:fs';
import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { makeDirectory } from '../util/make-directory.js';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { renderPolicyOverride, withModeline } from './init-files.js';

/** A dependency lockfile at the top of the repo: the project installs dependencies. Impure (stats). */
export function hasLockfile(repo: string): boolean {
  return ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml'].some((f) => existsSync(path.join(repo, f)));
}
import { schemaFile } from './schema-files.js';
import { findRepoTop } from '../util/repo-top.js';
import { engineCommand } from '../vocabulary/engine-command.js';

export interface InitOptions {
  repo: string;
  /** The user named the directory (`--repo`): it is set up as named, not the top of the repository it is in. */
  repoNamed?: boolean;
  cwd: string;
  force: boolean;
  /** `--schema-path`: the schemas' directory or a `{kind}` template (relative to `.engine/`, or a URL). */
  schemaPath?: string;
}

export interface InitResult {
  /** What was done or found, one line each (`created .engine/pipeline.yaml`). */
  done: string[];
  /** Why the modeline points where it does, when that needs saying. */
  notes: string[];
  diagnostics: { code: string; message: string }[];
}

/** The engine as a repo installs it: `<repo>/node_modules/@engine/engine`. */
const INSTALLED = ['node_modules', '@engine', 'engine'];

/**
 * Set up a repo for the engine: `.engine/pipeline.yaml` (the default pipeline) and
 * `.engine/policy.yaml` (a short override), each with a modeline to the schema, and
 * `.engine/.gitignore` ignoring the run store, so the config itself can be committed. An
 * existing file is kept and reported (rewritten only with `force`). Impure: reads and
 * writes the repo.
 */
export async function initRepo(options: InitOptions): Promise<InitResult> {
  const given = path.resolve(options.cwd, options.repo);
  if (!existsSync(given) || !statSync(given).isDirectory()) {
    return { done: [], notes: [], diagnostics: [{ code: 'E_FILE', message: `${options.repo} is not a directory` }] };
  }
  // Not named: the repository the user stands in, at its top (the .engine/ runs read); a
  // directory named with --repo is set up as named (a new project need not be a repository yet).
  const top = findRepoTop(given);
  const repo = options.repoNamed ? given : (top ?? given);
  const done: string[] = [];
  try {
    const result = await writeConfig(repo, options, done);
    // Not named and in no repository (a home directory, a new project before `git init`):
    // written where the user stands, and said, since a run there needs a repository first.
    if (!options.repoNamed && top === null && result.diagnostics.length === 0) {
      result.notes.unshift(`${repo} is in no git repository: .engine/ was written there; ${engineCommand('run')} needs one (git init there), or set up another directory with ${engineCommand('init --repo DIR')}`);
    }
    return result;
  } catch (error) {
    // A `.engine` that is a file, a directory where a file goes, a read-only repo: the user's
    // to mend, said with the path (exit 2), never an internal error. What was done is said too.
    const fs = describeFsError(error);
    if (!fs) throw error;
    const where = fs.path ? path.relative(options.cwd, fs.path) || fs.path : path.join(options.repo, '.engine');
    return { done, notes: [], diagnostics: [{ code: 'E_FILE', message: `cannot write ${where}: ${fs.why}` }] };
  }
}

/** initRepo's writing, each line of what it did pushed onto `done` as it goes. Impure. */
async function writeConfig(repo: string, options: InitOptions, done: string[]): Promise<InitResult> {
  const dir = path.join(repo, '.engine');
  const shown = (f: string) => path.relative(options.cwd, f) || f;
  const { target, notes } = schemaTarget(repo, dir, options.schemaPath);
  const contents = {
    [path.join(dir, 'pipeline.yaml')]: async () => withModeline(await readFile(path.join(packageRoot, 'pipelines', 'default.pipeline.yaml'), 'utf8'), target('pipeline')),
    [path.join(dir, 'policy.yaml')]: async () => renderPolicyOverride(target('policy'), await hasTestScript(repo), hasLockfile(repo) ? 'share' : 'none'),
  };
  // Not Node's recursive mkdir: under /proc it spins for ever (makeDirectory).
  makeDirectory(dir);
  let kept = 0;
  for (const [file, render] of Object.entries(contents)) {
    const exists = existsSync(file);
    const blocked = inTheWay(file, shown, done);
    if (blocked) return blocked;
    if (exists && !options.force) {
      kept++;
      done.push(`kept ${shown(file)} (${describeExisting(file)})`);
      continue;
    }
    const text = await render();
    // --force replaces what the user may have edited: what was there is kept beside it first.
    const backup = exists ? await keepPrevious(file, text) : null;
    await writeFile(file, text);
    done.push(exists ? `rewrote ${shown(file)}${backup ? ` (what was there is in ${shown(backup)})` : ' (it was the same)'}` : `created ${shown(file)}`);
  }
  const ignore = path.join(dir, '.gitignore');
  const blocked = inTheWay(ignore, shown, done);
  if (blocked) return blocked;
  const ignoreChange = await ignoreRuns(ignore);
  if (ignoreChange) done.push(`${ignoreChange} ${shown(ignore)} (ignores runs/; commit the rest of .engine/)`);
  const exclude = await excludeFile(repo);
  if (exclude && (await dropOldExclude(exclude))) done.push(`removed .engine/ from ${shown(exclude)} (the config in .engine/ is meant to be committed)`);
  if (kept > 0) done.push(kept === 1 ? `an existing file was kept; ${engineCommand('init --force')} rewrites it` : `the existing files were kept; ${engineCommand('init --force')} rewrites them`);
  return { done, notes: kept === Object.keys(contents).length ? [] : notes, diagnostics: [] };
}

/**
 * Where the modelines point, and a note when that is not portable. Order: `--schema-path`
 * as given; the engine installed in the repo's own node_modules (relative, so it works on
 * every clone after `npm install`); the engine package inside the repo (relative); else the
 * engine's absolute path on this machine, with a note saying how to share it. Impure: checks
 * the repo's node_modules.
 */
function schemaTarget(repo: string, dir: string, given: string | undefined): { target: (name: string) => string; notes: string[] } {
  if (given !== undefined) {
    // A template with {kind}, else the directory that holds the schemas.
    const template = given.includes('{kind}') ? given : `${given.replace(/\/+$/, '')}/{kind}.schema.json`;
    const target = (name: string) => template.replace(/\{kind\}/g, name);
    return { target, notes: [`modelines point at ${template} (from --schema-path)`] };
  }
  const posix = (p: string) => p.split(path.sep).join('/');
  const installed = path.join(repo, ...INSTALLED, 'schemas');
  if (existsSync(path.join(installed, 'pipeline.schema.json'))) {
    return { target: (name) => posix(path.relative(dir, path.join(installed, `${name}.schema.json`))), notes: [] };
  }
  const own = (name: string) => schemaFile(name);
  const inside = !path.relative(repo, packageRoot).startsWith('..') && !path.isAbsolute(path.relative(repo, packageRoot));
  if (inside) return { target: (name) => posix(path.relative(dir, own(name))), notes: [] };
  return {
    target: (name) => posix(own(name)),
    notes: [
      `modelines point at ${posix(own('{kind}'))}: the engine is not installed in this repo's node_modules, so that path works on this machine only`,
      `to share them: npm i -D @engine/engine, then npx engine init --force; or ${engineCommand('init --force --schema-path DIR')} (the schemas' directory, relative to .engine/, or a URL)`,
    ],
  };
}

/**
 * E_FILE (with what was done so far) when something that is not a regular file stands where
 * init writes `file`: it is kept as it is, even with --force, as not a config file of the
 * engine's. Null when the path is free or a file. Impure (stats).
 */
function inTheWay(file: string, shown: (f: string) => string, done: string[]): InitResult | null {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat || stat.isFile()) return null;
  const why = stat.isDirectory() ? 'is a directory, not a file' : 'is not a regular file';
  return { done, notes: [], diagnostics: [{ code: 'E_FILE', message: `cannot write ${shown(file)}: ${why}` }] };
}

/** `kind: Pipeline, 9 steps` style summary of an existing file. Impure: reads it. */
function describeExisting(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    const kind = /^kind:\s*(\S+)/m.exec(text)?.[1];
    const steps = text.match(/^\s*- id:/gm)?.length ?? 0;
    return [kind ? `kind: ${kind}` : 'no kind', steps ? `${steps} step${steps === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  } catch {
    return 'unreadable';
  }
}

/** Make `.engine/.gitignore` ignore `runs/`: 'created', 'updated', or null when it already does. */
async function ignoreRuns(file: string): Promise<string | null> {
  const header = '# engine: the run store is local; pipeline.yaml, policy.yaml and templates/ are the team\'s config\n';
  if (!existsSync(file)) {
    await writeFile(file, `${header}runs/\n`);
    return 'created';
  }
  const current = await readFile(file, 'utf8');
  if (current.split(/\r?\n/).some((l) => ['runs', 'runs/', '/runs', '/runs/'].includes(l.trim()))) return null;
  await appendFile(file, `${current === '' || current.endsWith('\n') ? '' : '\n'}runs/\n`);
  return 'updated';
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

/**
 * Remove the `.engine/` line (and its comment) that earlier versions of `engine init` added
 * to info/exclude, which hid the whole config from git; true when the file changed.
 */
async function dropOldExclude(file: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  const current = await readFile(file, 'utf8');
  const lines = current.split('\n');
  const kept = lines.filter((l, i) => {
    if (l.trim() === '# engine: run store, worktrees and repo config') return false;
    return !(['.engine/', '.engine'].includes(l.trim()) && lines[i - 1]?.trim() === '# engine: run store, worktrees and repo config');
  });
  if (kept.length === lines.length) return false;
  await writeFile(file, kept.join('\n'));
  return true;
}

/**
 * The file as it was, copied to `<file>.bak` (`.bak.1`, … when that is taken; never over
 * another file, never through a link) before --force rewrites it; null when it already holds
 * `text` (nothing to keep). Impure.
 */
async function keepPrevious(file: string, text: string): Promise<string | null> {
  if ((await readFile(file, 'utf8')) === text) return null;
  for (let i = 0; ; i++) {
    const backup = i === 0 ? `${file}.bak` : `${file}.bak.${i}`;
    try {
      await copyFile(file, backup, fsConstants.COPYFILE_EXCL);
      return backup;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || i >= 99) throw error;
    }
  }
}
