/**
 * Does bubblewrap work here, in the shape the engine uses? It is looked up on PATH (as codex
 * does too), then `true` is run under it with a temp dir as the writable workspace. The answer
 * is cached per process and PATH (one probe takes a few ms). A run starts the probe as soon as
 * its policy asks for the sandbox (probeBwrapAsync) and reads the answer when it opens, so the
 * probe overlaps the run's other preparation. Impure (a process, a temp dir).
 */
import { spawnSync } from 'node:child_process';
import { runCaptured } from '../proc/spawn-via-shell.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOwnProgram } from '../proc/find-program.js';
import { wrapInBwrap } from './build-bwrap-args.js';
import { removeTree } from '../util/remove-tree.js';

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

const pending = new Map<string, Promise<BwrapProbe>>();

/** probeBwrap without blocking: the same answer, from the same cache, as a promise. Impure. */
export function probeBwrapAsync(env: NodeJS.ProcessEnv): Promise<BwrapProbe> {
  if (process.platform !== 'linux') return Promise.resolve(probeBwrap(env));
  const key = env.PATH ?? '';
  const known = cache.get(key);
  if (known) return Promise.resolve(known);
  let p = pending.get(key);
  if (!p) {
    // Never rejects: a run that is refused before it opens leaves the promise unread.
    p = runProbeAsync(env)
      .catch((error: Error): BwrapProbe => ({ ok: false, bin: null, error: `bubblewrap could not be probed (${error.message})` }))
      .then((answer) => {
        cache.set(key, answer);
        return answer;
      });
    pending.set(key, p);
  }
  return p;
}

type ProbeRun = { status: number | null; signal: string | null; stderr: string; error: Error | null };

/** The probe's command: `sh -c ': > probe'` under bwrap with a fresh temp dir as the workspace. */
function probeCommand(bin: string): { dir: string; cmd: { bin: string; args: string[] } } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-bwrap-probe-'));
  return { dir, cmd: wrapInBwrap(bin, { workspace: dir, readOnlyWorkspace: false, home: null, writable: [] }, 'sh', ['-c', ': > probe']) };
}

/** bubblewrap is one of the engine's own programs: looked up on PATH's absolute directories only (findOwnProgram). */
const NOT_ON_PATH = 'bubblewrap (bwrap) is not on PATH (its absolute directories)';

/** What a probe's process says about bubblewrap. Pure. */
function judgeProbe(bin: string, r: ProbeRun): BwrapProbe {
  if (r.error) return { ok: false, bin, error: `${bin} could not be run (${r.error.message})` };
  const first = r.stderr.trim().split('\n')[0];
  if (r.status !== 0) return { ok: false, bin, error: `${bin} does not work here (exit ${r.status ?? r.signal}${first ? `: ${first}` : ''})` };
  return { ok: true, bin };
}

function runProbe(env: NodeJS.ProcessEnv): BwrapProbe {
  const bin = findOwnProgram('bwrap', env);
  if (!bin) return { ok: false, bin: null, error: NOT_ON_PATH };
  const { dir, cmd } = probeCommand(bin);
  try {
    const r = spawnSync(cmd.bin, cmd.args, { cwd: dir, env, timeout: 20_000, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    return judgeProbe(bin, { status: r.status, signal: r.signal, stderr: r.stderr ?? '', error: r.error ?? null });
  } finally {
    removeTree(dir);
  }
}

async function runProbeAsync(env: NodeJS.ProcessEnv): Promise<BwrapProbe> {
  const bin = findOwnProgram('bwrap', env);
  if (!bin) return { ok: false, bin: null, error: NOT_ON_PATH };
  const { dir, cmd } = probeCommand(bin);
  try {
    // Through the engine's shell (runCaptured): a fork of the engine costs more than the probe.
    const r = await runCaptured(cmd.bin, cmd.args, dir, env, '', { timeoutMs: 20_000 });
    return judgeProbe(bin, { status: r.exitCode, signal: r.signal, stderr: r.stderr.toString('utf8'), error: r.startError === null ? null : new Error(r.startError) });
  } finally {
    removeTree(dir);
  }
}
