/**
 * What the policy asked for and what the machine gives: the run's sandbox status, shared by
 * the runtime, env.json, the run.started event, the summary and the doctor. Pure.
 */
import type { BwrapProbe } from './probe-bwrap.js';
import type { KeptPlace } from './check-writable.js';
import { sandboxFilter } from './seccomp-filter.js';

export type SandboxMode = 'auto' | 'bwrap' | 'off';

export interface SandboxStatus {
  mode: SandboxMode;
  /** Workers and commands run inside bubblewrap. */
  active: boolean;
  /** The bubblewrap binary, when active. */
  bwrap: string | null;
  /** The policy's sandbox.writable paths. */
  writable: string[];
  /** sandbox.allow_unix_sockets: a sandboxed process may make a Unix domain socket (else seccomp refuses it). */
  unixSockets: boolean;
  /** Paths the sandboxed processes must read even under the private /tmp (pipeline dir, repo, run store, engine install). */
  readable: string[];
  /** What no write grant may be, hold or lie in (the checkout, its git dirs, the run store, the engine's install): checked at every spawn. */
  kept: KeptPlace[];
  /** Why the sandbox is not active although the mode asked for it; null otherwise. */
  warning: string | null;
  /** `bwrap` mode without a working bubblewrap: no worker may run. */
  blocked: boolean;
}

/** The sandbox a policy gets on a machine whose bubblewrap probe gave `probe`. Pure. */
export function decideSandbox(policy: { mode: SandboxMode; writable: readonly string[]; allow_unix_sockets?: boolean }, probe: BwrapProbe | null, readable: readonly string[] = [], kept: readonly KeptPlace[] = []): SandboxStatus {
  const base = { mode: policy.mode, writable: [...policy.writable], unixSockets: policy.allow_unix_sockets === true, readable: [...readable], kept: [...kept] };
  if (policy.mode === 'off') return { ...base, active: false, bwrap: null, warning: null, blocked: false };
  if (probe?.ok) return { ...base, active: true, bwrap: probe.bin, warning: null, blocked: false };
  const why = probe?.error ?? 'bubblewrap was not probed';
  if (policy.mode === 'bwrap') return { ...base, active: false, bwrap: null, warning: `sandbox.mode is bwrap but ${why}`, blocked: true };
  return { ...base, active: false, bwrap: null, warning: `no OS sandbox: ${why}; workers run with only their CLIs' own sandboxes and the engine's checks after each step`, blocked: false };
}

/** The status as recorded in env.json and run.started. Pure. */
export function sandboxRecord(s: SandboxStatus): { mode: SandboxMode; active: boolean; tool: string | null; writable: string[]; unix_sockets?: boolean; warning: string | null } {
  return { mode: s.mode, active: s.active, tool: s.bwrap, writable: s.writable, unix_sockets: s.unixSockets, warning: s.warning };
}

export type SandboxRecord = ReturnType<typeof sandboxRecord>;

/** One line for people (summary, doctor), from the recorded status. Pure. */
export function describeSandbox(s: SandboxRecord): string {
  if (s.active) return `bubblewrap (${s.tool}; mode ${s.mode}): the filesystem is read-only outside the workspace, the worker's home, a private /tmp${s.writable.length ? ` and ${s.writable.join(', ')}` : ''}; ${unixSocketWords(s)}; the network is not restricted`;
  if (s.mode === 'off') return 'off (sandbox.mode: off): workers can write wherever the user can; only the checks after each step guard';
  return s.warning ?? 'not active';
}

/** What a sandboxed process may do with Unix domain sockets and the kernel keyrings, in words. Pure. */
function unixSocketWords(s: SandboxRecord): string {
  // A record written before the setting existed.
  if (s.unix_sockets === undefined) return 'Unix domain sockets not restricted';
  if (!sandboxFilter(process.arch, { unixSockets: s.unix_sockets })) return `Unix domain sockets and kernel keyrings not restricted (no seccomp program for ${process.arch})`;
  if (s.unix_sockets) return 'Unix domain sockets allowed (sandbox.allow_unix_sockets), so a worker can reach any socket it sees; no kernel keyring can be reached';
  return 'no Unix domain socket can be made; no kernel keyring can be reached';
}
