/**
 * A command as it is spawned under the run's sandbox: unchanged when the sandbox is not
 * active, else `bwrap … -- bin args`.
 */
import { lstatSync } from 'node:fs';
import { firstLink } from '../util/first-link.js';
import { isWithin } from '../util/is-within.js';
import { realPath, resolveLinks } from '../util/resolve-links.js';
import path from 'node:path';
import { hiddenInSandbox, wrapInBwrap } from './build-bwrap-args.js';
import { absolutePath, findProgram } from '../proc/find-program.js';
import type { SandboxStatus } from './sandbox-status.js';
import { keptOverlaps } from './check-writable.js';
import { sandboxFilter } from './seccomp-filter.js';

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

/**
 * A worker's program as the sandbox must start it, and what of its install must stay
 * readable (installOf). Named by a bare name and found on the PATH it is given where the
 * sandbox hides it (a global install under /tmp, a Node version manager's folder under /run):
 * the install of where it was found, and the file to run (its real path when that is outside
 * what the sandbox hides: a link there relative to its folder, `../lib/node_modules/…`, would
 * lead into the hidden place again). Else `bin` as it was. Impure (the file system).
 */
export function programInSandbox(bin: string, cwd: string, env: NodeJS.ProcessEnv): { bin: string; readable: string[] } {
  const found = bin.includes('/') ? null : findProgram(bin, { cwd, env: { PATH: absolutePath(env.PATH ?? '') } });
  if (found === null || !hiddenInSandbox(found)) return { bin, readable: installOf(bin) };
  const real = safeRealpath(found);
  return { bin: real !== null && !hiddenInSandbox(real) ? real : found, readable: installOf(found) };
}

/**
 * The folders of PATH the sandbox hides that every sandboxed process must still read (the
 * `node` a CLI's `#!/usr/bin/env node` finds, the `npm` of a verification command): each folder
 * named `bin` there, or the link it lies in when its parent is one (fnm's
 * `$XDG_RUNTIME_DIR/fnm_multishells/<id>` leads to a Node install, whose `bin/npm` links to
 * `../lib/…`: bound alone, `bin` would show that link leading nowhere). Never another folder:
 * one such as /run/user/<uid> holds the sockets of the user's agents, which a read-only bind
 * does not keep a process from connecting to. Impure (reads links).
 */
export function hiddenPathFolders(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const dir of absolutePath(env.PATH ?? '').split(path.delimiter)) {
    if (!hiddenInSandbox(dir) || path.basename(dir) !== 'bin') continue;
    const parent = path.dirname(dir);
    out.add(hiddenInSandbox(parent) && isLink(parent) ? parent : dir);
  }
  return [...out];
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

let resolver: string[] | undefined;

/**
 * The directory of the resolver's configuration when /etc/resolv.conf leads into /run (as
 * with systemd-resolved): the sandbox's /run is empty, and a worker must still reach its
 * model endpoint by name. Looked up once per process. Impure.
 */
function resolverKeep(): string[] {
  if (resolver === undefined) {
    const real = safeRealpath('/etc/resolv.conf');
    resolver = real !== null && real.startsWith('/run/') ? [path.dirname(real)] : [];
  }
  return resolver;
}

function safeRealpath(p: string): string | null {
  try {
    return realPath(p);
  } catch {
    return null;
  }
}

/**
 * The command line of `c` under the sandbox, and the places its processes can write
 * (`writes`: null without the sandbox, where they can write anything their user can). Every
 * path it may write (sandbox.writable, the CLI's own, the workspace unless read-only, the
 * home) is remembered as a grant of this sandbox, so sandboxKeptOut can tell what no
 * sandboxed process could reach. Impure (resolves links, remembers the grants).
 */
export function wrapCommand(sandbox: SandboxStatus | undefined, c: SandboxedCommand): { bin: string; args: string[]; infoFd?: number; inputFd?: { at: number; bytes: Buffer }; writes: string[] | null } {
  if (!sandbox?.active || !sandbox.bwrap) return { bin: c.bin, args: [...c.args], writes: null };
  const readable = [...sandbox.readable, ...(c.readable ?? [])];
  const runKeep = resolverKeep();
  const shown = [...readable, ...runKeep];
  const writable = grantable(sandbox, [...sandbox.writable, ...(c.writable ?? [])], shown);
  const writes = [...writable, ...(c.readOnly ? [] : [c.workspace]), ...(c.home ? [c.home] : [])];
  rememberGrants(sandbox, writes);
  // No kernel keyring, and no Unix domain socket unless the policy allows them (seccomp-filter.ts): the program is read from the descriptor after the info one.
  const filter = sandboxFilter(process.arch, { unixSockets: sandbox.unixSockets });
  const seccomp = filter ? { seccompFd: SANDBOX_INFO_FD + 1 } : {};
  const layout = { workspace: bindable(c.workspace, shown), readOnlyWorkspace: c.readOnly, home: c.home && bindable(c.home, shown), readable, runKeep, writable, chdir: bindable(c.cwd, shown), infoFd: SANDBOX_INFO_FD, ...seccomp };
  return { ...wrapInBwrap(sandbox.bwrap, layout, c.bin, c.args), infoFd: SANDBOX_INFO_FD, ...(filter ? { inputFd: { at: SANDBOX_INFO_FD + 1, bytes: filter } } : {}), writes };
}

/**
 * The writable paths as they resolve now, each only when it is not, holds or lies in a kept
 * place. They were checked as the run started, but a path missing then, or one of its
 * components, can since have become a link (a worker made a relative one into the checkout,
 * and every later step was given the checkout writable), and a CLI's own state dir
 * (CODEX_HOME set inside the checkout) was never checked. A relative path is never granted.
 * Bound where it leads, a path
 * cannot change between this check and bubblewrap's bind: no sandboxed process runs between
 * steps. Impure (resolves links).
 */
function grantable(sandbox: SandboxStatus, paths: readonly string[], shown: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    // A relative path would be read against the engine's folder, never what the worker (in its
    // workspace) means by it; a run refuses one up front (the plugins), a plugin may still give one.
    if (!path.isAbsolute(p)) {
      withhold(sandbox, `${p} is a relative path`);
      continue;
    }
    const refused = keptOverlaps(p, sandbox.kept);
    const real = resolveLinks(p);
    const leads = real !== path.resolve(p) ? ` (it leads to ${real})` : '';
    if (refused.length) withhold(sandbox, `${p}${leads} ${refused.join(' and ')}, which the sandbox keeps read-only`);
    else out.push(bindable(p, shown));
  }
  return out;
}

/** The grants each sandbox withheld, and how many of them were told (takeWithheld). */
const withheld = new WeakMap<SandboxStatus, { all: Set<string>; told: number }>();

function withhold(sandbox: SandboxStatus, message: string): void {
  let w = withheld.get(sandbox);
  if (!w) withheld.set(sandbox, (w = { all: new Set(), told: 0 }));
  w.all.add(message);
}

/**
 * The write grants withheld since this was last asked, each once in a run: a path that is,
 * holds or lies in a place the sandbox keeps read-only as a command starts (a worker can turn
 * an entry missing at the start into a link into the checkout), or a relative one. The step
 * that ends reports them (a warning). Impure (the sandbox's record).
 */
export function takeWithheld(sandbox: SandboxStatus): string[] {
  const w = withheld.get(sandbox);
  if (!w || w.told === w.all.size) return [];
  const fresh = [...w.all].slice(w.told);
  w.told = w.all.size;
  return fresh.map((m) => `the sandbox withheld a write grant, and the step ran without it: ${m}`);
}

/**
 * Where a path is bound: where it leads, when a link on the way makes that another place
 * (bubblewrap cannot make a destination through an absolute link in the new root: with
 * ENGINE_HOME under ~/.local/state -> /data/state every sandboxed step failed); inside the
 * sandbox the name still leads there. The name is kept when its link is hidden from the
 * sandbox (under the private /tmp, /run or /dev, in no folder `shown` again): bubblewrap then
 * makes the name a directory of the tmpfs, and the name is what the worker is told. Impure
 * (resolves links).
 */
function bindable(p: string, shown: readonly string[]): string {
  const named = path.resolve(p);
  const real = safeRealpath(named);
  if (real === null || real === named) return named;
  if (hiddenInSandbox(named)) {
    const link = firstLink('/', path.relative('/', named));
    if (link !== null && !shown.some((r) => isWithin(link, path.resolve(r)))) return named;
  }
  return real;
}

/**
 * True when a command whose processes could write only `writes` (wrapCommand's) could have
 * written none of `paths`: no grant is one of them, lies inside one or holds one, compared as
 * named and as links resolve. Null grants (no sandbox) reach everything. Impure (resolves links).
 */
export function grantsKeepOut(writes: readonly string[] | null, paths: readonly string[]): boolean {
  if (writes === null) return false;
  return !reaches(writes.flatMap((p) => [path.resolve(p), resolveLinks(p)]), paths);
}

/** Whether any of the (resolved) grants is, holds or lies in any of `paths`. Impure (resolves links). */
function reaches(grants: Iterable<string>, paths: readonly string[]): boolean {
  const targets = paths.flatMap((p) => [path.resolve(p), resolveLinks(p)]);
  for (const grant of grants) if (targets.some((t) => isWithin(grant, t) || isWithin(t, grant))) return true;
  return false;
}

/**
 * The descriptor a wrapped command's bubblewrap reports its sandbox's init on: spawnGroup
 * opens it (its `infoFd`) and, once the command has exited, waits for that one process
 * instead of reading every process on the machine (a pid namespace is empty once its init is
 * dead).
 */
export const SANDBOX_INFO_FD = 3;

/** The write grants each sandbox handed out (as named and as resolved then), and the answers given so far. */
const grants = new WeakMap<SandboxStatus, { paths: Set<string>; answers: Map<string, boolean>; byList: WeakMap<readonly string[], boolean> }>();

function rememberGrants(sandbox: SandboxStatus, paths: readonly string[]): void {
  let g = grants.get(sandbox);
  if (!g) grants.set(sandbox, (g = { paths: new Set(), answers: new Map(), byList: new WeakMap() }));
  const size = g.paths.size;
  for (const p of paths) {
    g.paths.add(path.resolve(p));
    g.paths.add(resolveLinks(p));
  }
  // A new grant may reach what an old answer said was out of reach.
  if (g.paths.size === size) return;
  g.answers.clear();
  g.byList = new WeakMap();
  for (const fn of observers.get(sandbox) ?? []) fn();
}

const observers = new WeakMap<SandboxStatus, Array<() => void>>();

/**
 * Calls `fn` each time the sandbox hands out a grant it had not, before the process it is
 * for starts: what a grant newly reaches can be looked at while it is still as it was. Impure.
 */
export function onNewGrant(sandbox: SandboxStatus, fn: () => void): void {
  const list = observers.get(sandbox) ?? [];
  list.push(fn);
  observers.set(sandbox, list);
}

/**
 * True when no process run under this sandbox so far could have written any of `paths`: the
 * sandbox is active and none of its write grants is one of them, lies inside one or holds one
 * (compared as named and as links resolve). Everything else is a read-only mount there, so a
 * walk of those paths after a step would find nothing a sandboxed process did. The answer is
 * kept until a new grant is handed out. Impure (resolves links).
 */
export function sandboxKeptOut(sandbox: SandboxStatus | undefined, paths: readonly string[]): boolean {
  if (!sandbox?.active || !sandbox.bwrap) return false;
  const g = grants.get(sandbox);
  if (!g) return true;
  // A caller that asks about the same list again (a watched tree, after every step) is answered
  // without its paths being joined into a key again.
  let answer = g.byList.get(paths);
  if (answer !== undefined) return answer;
  const key = paths.join('\0');
  answer = g.answers.get(key);
  if (answer === undefined) {
    answer = !reaches(g.paths, paths);
    g.answers.set(key, answer);
  }
  g.byList.set(paths, answer);
  return answer;
}
