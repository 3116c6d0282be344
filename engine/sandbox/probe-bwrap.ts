/**
 * Does bubblewrap work here, in the shape the engine uses? It is looked up on PATH (as codex
 * does too), then `true` is run under it with a temp dir as the writable workspace. The answer
 * is cached per process and PATH (one probe takes a few ms). Impure (a process, a temp dir).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProgram } from '../proc/find-program.js';
import { wrapInBwrap } from './build-bwrap-args.js';

export type BwrapProbe = { ok: true; bin: string } | { ok: false; bin: string | null; error: string };

const cache = new Map<string, BwrapProbe>();

export function probeBwrap(env: NodeJS.ProcessEnv): BwrapProbe {
  if (process.platform !== 'linux') return { ok: false, bin: null, error: `bubblewrap is Linux only (this is ${process.platform})` };
  const key = env.PATH ?? '';
  let p = cache.get(key);
  if (!p) {
    p = runProbe(env);
    cache.set(key, p);
  }
  return p;
}

function runProbe(env: NodeJS.ProcessEnv): BwrapProbe {
  const bin = findProgram('bwrap', { cwd: process.cwd(), env });
  if (!bin) return { ok: false, bin: null, error: 'bubblewrap (bwrap) is not on PATH' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-bwrap-probe-'));
  try {
    const cmd = wrapInBwrap(bin, { workspace: dir, readOnlyWorkspace: false, home: null, writable: [] }, 'sh', ['-c', ': > probe']);
    const r = spawnSync(cmd.bin, cmd.args, { cwd: dir, env, timeout: 20_000, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.error) return { ok: false, bin, error: `${bin} could not be run (${r.error.message})` };
    const first = (r.stderr ?? '').trim().split('\n')[0];
    if (r.status !== 0) return { ok: false, bin, error: `${bin} does not work here (exit ${r.status ?? r.signal}${first ? `: ${first}` : ''})` };
    return { ok: true, bin };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
