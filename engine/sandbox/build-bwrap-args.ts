/**
 * The bubblewrap command line of one sandboxed process. Pure.
 *
 * The whole filesystem is bound read-only, then a fresh /dev and /proc (its kernel settings
 * read-only), a private /tmp and
 * /run (empty tmpfs: the host's are hidden, the sockets in /run with them), the paths under
 * them (and under /dev) the process must still read (the resolver's files, the pipeline's dir, the repo, the
 * run store, the engine's install: read-only again), and
 * last the paths the process may write: the policy's `sandbox.writable`, then the workspace
 * (read-only for read-only steps), then the worker's private home. Later binds win over
 * earlier ones, so a workspace or home that lives under /tmp (tests use the system temp dir)
 * is still there, over the private /tmp, and a read-only workspace stays read-only even under
 * a writable path. `--unshare-pid` puts the process tree in its own pid namespace and
 * `--die-with-parent` ends it with bubblewrap: whatever the process leaves behind (setsid,
 * nohup, a double fork) dies when it exits. `--cap-drop ALL`: no capability inside even when
 * root starts it (root's bubblewrap keeps them otherwise, and with them a worker remounted the
 * read-only binds writable). The network is not touched: workers need their model endpoint.
 */
export interface BwrapLayout {
  /** The directory the process works in; writable unless `readOnlyWorkspace`. */
  workspace: string;
  /** Explore, plan and review: the workspace is bound read-only. */
  readOnlyWorkspace: boolean;
  /** The worker's private home (its CLI state), writable; null for verification commands. */
  home: string | null;
  /** Paths under the private /tmp, /run or /dev that must stay readable (bound read-only); others are ignored. */
  readable?: readonly string[];
  /** What of the host's /run the process still sees, read-only (the resolver's files, when /etc/resolv.conf leads there). */
  runKeep?: readonly string[];
  /** Further absolute paths the process may write (sandbox.writable, a CLI's own state dir); missing ones are skipped. */
  writable: readonly string[];
  /** Where the process starts; default the workspace. */
  chdir?: string;
  /**
   * A descriptor bubblewrap writes its JSON facts to (`--info-fd`), among them `child-pid`: the
   * sandbox's init as the host sees it. The sandboxed process never has it (bubblewrap closes it).
   */
  infoFd?: number;
  /** A descriptor bubblewrap reads a seccomp program from (`--seccomp`): seccomp-filter.ts. */
  seccompFd?: number;
}

/**
 * The kernel's settings under the fresh /proc, bound again read-only. bubblewrap covers them
 * itself only when an access() check says it could write them, and that check fails for root
 * without capabilities, who can still write every sysctl whose handler asks for none: a
 * worker run by root set the host's kernel.core_pattern to a script of its own, run as root
 * outside every namespace at the next crash (test/sandbox/build-bwrap-args.test.ts).
 */
const PROC_KEPT = ['--ro-bind', '/proc/sys', '/proc/sys', ...['sysrq-trigger', 'irq', 'bus'].flatMap((p) => ['--ro-bind-try', `/proc/${p}`, `/proc/${p}`])];

/** Whether the sandbox hides `p` behind its private /tmp, /run or fresh /dev. Pure. */
export function hiddenInSandbox(p: string): boolean {
  return p.startsWith('/tmp/') || p.startsWith('/run/') || p.startsWith('/dev/');
}

/** The arguments of `bwrap` before `--` and the command. Pure. */
export function buildBwrapArgs(l: BwrapLayout): string[] {
  // /run too is an empty tmpfs: it holds the sockets of services that act for the user outside
  // any sandbox (an ssh-agent, the session and system buses, docker), and a read-only mount
  // does not stop a connect() (a worker signed with the user's ssh key through one).
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', ...PROC_KEPT, '--tmpfs', '/tmp', '--tmpfs', '/run'];
  // Only what the tmpfs and the fresh /dev hid needs binding again (a checkout or engine home
  // in /dev/shm too); elsewhere the read-only root shows it already.
  // A path inside another shown again is there already, as it is on the host: bound again it
  // would be bound through what is there (a link named as a worker's bin, in the pipeline's
  // folder: bubblewrap could not make the file, and every step failed).
  const shown = byDepth([...(l.runKeep ?? []), ...(l.readable ?? [])].filter(hiddenInSandbox));
  for (const p of shown) if (!shown.some((q) => p.startsWith(`${q}/`))) args.push('--ro-bind-try', p, p);
  // Shallow paths first, so a deeper writable path inside a shallower one is bound after it.
  for (const p of byDepth(l.writable)) args.push('--bind-try', p, p);
  const ws = trimSlash(l.workspace);
  args.push(l.readOnlyWorkspace ? '--ro-bind' : '--bind', ws, ws);
  if (l.home) args.push('--bind', trimSlash(l.home), trimSlash(l.home));
  // No capability inside, whoever starts it: started by root, bubblewrap otherwise keeps them
  // all, and a process with CAP_SYS_ADMIN remounts the read-only binds writable.
  args.push('--unshare-pid', '--die-with-parent', '--cap-drop', 'ALL', '--chdir', l.chdir ?? ws);
  if (l.infoFd !== undefined) args.push('--info-fd', String(l.infoFd));
  if (l.seccompFd !== undefined) args.push('--seccomp', String(l.seccompFd));
  return args;
}

/** `bwrap <layout> -- bin args…` as [bin, args]. Pure. */
export function wrapInBwrap(bwrap: string, layout: BwrapLayout, bin: string, args: readonly string[]): { bin: string; args: string[] } {
  return { bin: bwrap, args: [...buildBwrapArgs(layout), '--', bin, ...args] };
}

/** Distinct paths, shallow first (then by name). Pure. */
function byDepth(paths: readonly string[]): string[] {
  return [...new Set(paths.map(trimSlash))].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}
