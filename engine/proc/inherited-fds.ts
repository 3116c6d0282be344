import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { StdioOptions } from 'node:child_process';

/** One place of a child's stdio array. */
type StdioEntry = Exclude<StdioOptions, string>[number];

/** O_CLOEXEC as /proc/<pid>/fdinfo prints `flags` (octal) on Linux. */
const O_CLOEXEC = 0o2000000;

let inherited: number[] | undefined;
let devNull: number | undefined;

/**
 * The descriptors above stderr this process holds without close-on-exec: what its own parent
 * left open (a shell's `exec 200>lock`, an editor's terminal). Node opens its own with
 * close-on-exec, but does not close these in a child, nor does bubblewrap: a sandboxed worker
 * wrote through /proc/self/fd/N to the file behind one, or reached the whole filesystem by
 * `..` from a directory. Read once from /proc (Linux; elsewhere none are known). Impure.
 */
export function inheritedDescriptors(): number[] {
  if (inherited !== undefined) return inherited;
  inherited = [];
  if (process.platform !== 'linux') return inherited;
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return inherited;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < 3) continue;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags && (parseInt(flags[1]!, 8) & O_CLOEXEC) === 0 && !isOwnV8Log(fd)) inherited.push(fd);
    } catch {
      /* closed meanwhile (the directory's own descriptor): nothing to hand on */
    }
  }
  inherited.sort((a, b) => a - b);
  return inherited;
}

/**
 * Whether descriptor `fd` is a log V8 writes for this process (`--perf-basic-prof`'s
 * /tmp/perf-<pid>.map, `--perf-prof`'s jit-<pid>.dump, `--prof`'s and `--log*`'s v8.log):
 * V8 opens those without close-on-exec before any JavaScript runs. Closed as inherited, its
 * number went to the next pipe (the input of the engine's shell of git commands) and V8 went
 * on writing its profile into it. Impure (reads /proc).
 */
function isOwnV8Log(fd: number): boolean {
  let target: string;
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return false;
  }
  const name = path.basename(target);
  return name === `perf-${process.pid}.map` || name === `jit-${process.pid}.dump` || name.endsWith('v8.log') || logFiles().includes(target);
}

/** The files `--logfile=` names for this process (execArgv and NODE_OPTIONS), absolute. Pure apart from the process's own arguments. */
function logFiles(): string[] {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.filter((a) => a.startsWith('--logfile=')).map((a) => path.resolve(a.slice('--logfile='.length)));
}

/**
 * Closes in this process the descriptors its parent left open without close-on-exec
 * (inheritedDescriptors), so that no child can be given them and no child has to be handed
 * the null device in their places: each one costs every spawn a longer stdio array (a parent
 * holding descriptor 251 made each sandboxed spawn about 0.9 ms dearer, 252 places). The
 * parent's own copies, and any lock it holds through them, stay as they are. Node's IPC
 * channel (an engine started with `fork`) is not among them: Node makes it close-on-exec in
 * the child. A descriptor that cannot be closed stays handed the null device
 * (withoutInherited). For the engine's own process (the CLI's start), not a process that
 * imports the engine. Impure.
 */
export function closeInheritedDescriptors(): void {
  inherited = inheritedDescriptors().filter((fd) => {
    try {
      closeSync(fd);
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * `stdio` for a child, every inherited descriptor (inheritedDescriptors) not already given a
 * place there replaced by the null device: libuv puts a descriptor named in the array at that
 * number in the child, over what it would have inherited. Impure (opens the null device once).
 */
export function withoutInherited(stdio: readonly StdioEntry[]): StdioEntry[] {
  const fds = inheritedDescriptors().filter((fd) => fd >= stdio.length);
  if (fds.length === 0) return [...stdio];
  devNull ??= openSync('/dev/null', 'r');
  const out: StdioEntry[] = [...stdio];
  for (const fd of fds) {
    while (out.length < fd) out.push('ignore');
    out[fd] = devNull;
  }
  return out;
}
