import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bareNode, childEnv, engineBin } from '../../helpers/run-fixture.js';

export interface EngineResult {
  code: number | null;
  /** The signal that ended it (a kill the test asked for), else null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the engine CLI as a child without blocking the test process, so several runs can go
 * at once (each spends most of its time waiting on the worker CLIs).
 */
export function spawnEngine(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/env', [...bareNode, engineBin, ...args], { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * A temp dir outside the engine's own tree: a scratch repo inside it would inherit the
 * engine's package.json ("type": "module") and change how the target's own tests run.
 */
export function scratchBase(t: { teardown(fn: () => void): void }, name: string): string {
  const base = mkdtempSync(path.join(os.tmpdir(), `engine-e2e-${name}-`));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

/** An empty git repository at `dir`. */
export function initRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('git', ['-c', 'init.defaultBranch=main', 'init', '--quiet', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git init failed: ${r.stderr}`);
  return dir;
}
