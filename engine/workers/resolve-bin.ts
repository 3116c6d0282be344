/**
 * Which binary a worker runs and what version it is. Impure (file checks, a process).
 */
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { WorkerSpec } from '../generated/pipeline.js';
import { spawnGroup } from '../proc/spawn-group.js';

/**
 * spec.bin; else the CLI in `node_modules/.bin` of each project dir (the target repo, then the
 * directory the engine was started in), walking up from each as Node resolves packages; else
 * the engine package's own (walking up from it too: an installed engine shares its project's
 * node_modules/.bin); else the bare name, found on PATH. Impure (file checks).
 */
export function resolveCliBin(spec: WorkerSpec, packageRoot: string, cli: string, projectDirs: readonly string[] = []): string {
  if (spec.bin) return spec.bin;
  for (const dir of binSearchDirs(projectDirs, packageRoot)) {
    const file = path.join(dir, cli);
    if (existsSync(file) && ownedHere(file)) return file;
  }
  return cli;
}

/**
 * Whether a CLI found walking up was put there by this user (or root): the file (and where its
 * link leads) and the `.bin` and `node_modules` folders holding it. Walking up from a repo in
 * /tmp reaches /tmp/node_modules/.bin, which any user of the machine can make: a `claude`
 * planted there was run, outside any sandbox, for its version, and then given the provider's
 * key. Impure (stat).
 */
function ownedHere(file: string): boolean {
  const uid = process.getuid?.() ?? 0;
  const binDir = path.dirname(file);
  try {
    return [lstatSync(file), statSync(file), statSync(binDir), statSync(path.dirname(binDir))].every((s) => s.uid === uid || s.uid === 0);
  } catch {
    return false;
  }
}

/** Every `node_modules/.bin` searched, in order, without repeats. Pure. */
export function binSearchDirs(projectDirs: readonly string[], packageRoot: string): string[] {
  const out: string[] = [];
  for (const start of [...projectDirs, packageRoot]) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      // node_modules/.bin of a directory that is itself a node_modules is never a project's.
      if (path.basename(dir) !== 'node_modules') {
        const bin = path.join(dir, 'node_modules', '.bin');
        if (!out.includes(bin)) out.push(bin);
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return out;
}

/** The project dirs of a run or a doctor: the target repo and the engine's cwd. Impure (cwd). */
export function projectDirsOf(repo: string): string[] {
  const cwd = process.cwd();
  return path.resolve(repo) === path.resolve(cwd) ? [repo] : [repo, cwd];
}

/** The first semver in a `--version` output (`codex-cli 0.169.0`, `2.1.197 (Claude Code)`). Pure. */
export function extractSemver(text: string): string | null {
  return /\b(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\b/.exec(text)?.[1] ?? null;
}

/**
 * The CLI's version: from the package.json of `pkg` when `bin` (its links resolved) lies in
 * that package, as an npm install puts it; else from `<bin> --version` (10 s limit). Reading
 * the manifest spares a run the start of each CLI (a third of a second for codex). Impure.
 */
export async function detectCliVersion(bin: string, env: NodeJS.ProcessEnv, pkg?: string): Promise<string | null> {
  const installed = pkg ? installedVersion(bin, pkg) : null;
  return installed ?? runVersion(bin, env);
}

/**
 * The version in the nearest package.json above `bin` (links resolved) when that package is
 * `pkg`, else null: a wrapper script of the user's, or a bin outside any package, is asked
 * instead. Impure (reads files).
 */
export function installedVersion(bin: string, pkg: string): string | null {
  let file: string;
  try {
    file = realpathSync(bin);
  } catch {
    return null;
  }
  for (let dir = path.dirname(file); path.basename(dir) !== 'node_modules' && path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
      return json.name === pkg && typeof json.version === 'string' ? extractSemver(json.version) : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Runs `<bin> --version` (10 s limit) and returns its semver, or null. */
async function runVersion(bin: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  let out = '';
  const g = spawnGroup(bin, ['--version'], {
    cwd: process.cwd(),
    env,
    timeoutMs: 10_000,
    graceMs: 500,
    onStdout: (c) => (out += c.toString('utf8')),
    onStderr: (c) => (out += c.toString('utf8')),
  });
  const r = await g.done;
  if (r.error || r.timedOut) return null;
  return extractSemver(out);
}
