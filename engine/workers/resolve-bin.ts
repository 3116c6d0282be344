/**
 * Which binary a worker runs and what version it is. Impure (file checks, a process).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { WorkerSpec } from '../generated/pipeline.js';
import { spawnGroup } from '../proc/spawn-group.js';

/** spec.bin, else the engine package's pinned CLI in node_modules/.bin, else the name on PATH. */
export function resolveCliBin(spec: WorkerSpec, packageRoot: string, cli: string): string {
  if (spec.bin) return spec.bin;
  const pinned = path.join(packageRoot, 'node_modules', '.bin', cli);
  return existsSync(pinned) ? pinned : cli;
}

/** The first semver in a `--version` output (`codex-cli 0.169.0`, `2.1.197 (Claude Code)`). Pure. */
export function extractSemver(text: string): string | null {
  return /\b(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\b/.exec(text)?.[1] ?? null;
}

/** Runs `<bin> --version` (10 s limit) and returns its semver, or null. */
export async function detectCliVersion(bin: string, env: NodeJS.ProcessEnv): Promise<string | null> {
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
