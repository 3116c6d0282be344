/**
 * A command as it is spawned under the run's sandbox: unchanged when the sandbox is not
 * active, else `bwrap … -- bin args`. Pure.
 */
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
}

export function wrapCommand(sandbox: SandboxStatus | undefined, c: SandboxedCommand): { bin: string; args: string[] } {
  if (!sandbox?.active || !sandbox.bwrap) return { bin: c.bin, args: [...c.args] };
  return wrapInBwrap(sandbox.bwrap, { workspace: c.workspace, readOnlyWorkspace: c.readOnly, home: c.home, readable: sandbox.readable, writable: [...sandbox.writable, ...(c.writable ?? [])], chdir: c.cwd }, c.bin, c.args);
}
