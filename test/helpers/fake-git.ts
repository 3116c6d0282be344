import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bareNode, engineBin } from './run-fixture.js';

/** The real git, by its absolute path: what a fake one runs in the end. */
export const realGit = ['/usr/bin/git', '/bin/git', '/usr/local/bin/git'].find((g) => existsSync(g))!;

/**
 * A directory `dir/<name>` holding a `git` that runs `before` (sh, git's arguments in "$@")
 * and then the real git: put it first on the engine's PATH to slow, stall or race one of the
 * engine's git commands. Impure (writes the script).
 */
export function fakeGit(dir: string, name: string, before: string): string {
  const bin = path.join(dir, name);
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'git'), `#!/bin/sh\n${before}\nexec ${realGit} "$@"\n`);
  chmodSync(path.join(bin, 'git'), 0o755);
  return bin;
}

/**
 * `engine <args>` in a process group of its own, as a terminal's foreground job (a signal sent
 * to the group reaches every process in it), returned once `mark` exists (the fake git got
 * there) or a minute passed: its pid, its stderr so far, and its end. Impure.
 */
export async function startEngineJob(args: readonly string[], o: { cwd: string; env: NodeJS.ProcessEnv; mark: string }) {
  const p = spawn('/usr/bin/env', [...bareNode, engineBin, ...args], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on('close', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 60_000;
  while (!existsSync(o.mark) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return { pid: p.pid!, stderr: () => stderr, exited };
}
