/**
 * A command as it is spawned under the run's sandbox: unchanged when the sandbox is not
 * active, else `bwrap … -- bin args`.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { wrapInBwrap } from './build-bwrap-args.js';
import type { SandboxStatus } from './sandbox-status.js';

export interface SandboxedCommand {
  bin: string;
  args: readonly string[];
  /** Where the command runs (the workspace, or a directory inside it). */
  cwd: string;
  /** The workspace bound writable (or read-only): the run's worktree. */
  workspace: string;
  readOnly: boolean;
  /** The worker's private home; null for verification and command steps. */
  home: string | null;
  /** Paths the CLI itself needs to write (its own state dir), on top of sandbox.writable. */
  writable?: readonly string[];
  /** Paths the program needs to read that the private /tmp would hide (its install), on top of sandbox.readable. */
  readable?: readonly string[];
}

/**
 * What a program needs readable besides itself: the `node_modules` it was installed into
 * (a CLI's `.bin` link, its package and the packages it loads at run time live there), else
 * its own directory, both as named and as the link resolves. Impure (resolves links).
 */
export function installOf(bin: string): string[] {
  if (!path.isAbsolute(bin)) return [];
  const out = new Set<string>();
  for (const p of [bin, safeRealpath(bin)]) {
    if (!p) continue;
    const parts = p.split(path.sep);
    const at = parts.lastIndexOf('node_modules');
    out.add(at > 0 ? parts.slice(0, at + 1).join(path.sep) : path.dirname(p));
  }
  return [...out];
}

function safeRealpath(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

export function wrapCommand(sandbox: SandboxStatus | undefined, c: SandboxedCommand): { bin: string; args: string[] } {
  if (!sandbox?.active || !sandbox.bwrap) return { bin: c.bin, args: [...c.args] };
  return wrapInBwrap(sandbox.bwrap, { workspace: c.workspace, readOnlyWorkspace: c.readOnly, home: c.home, readable: [...sandbox.readable, ...(c.readable ?? [])], writable: [...sandbox.writable, ...(c.writable ?? [])], chdir: c.cwd }, c.bin, c.args);
}
