import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { readRegularFileSync } from '../util/read-or-null.js';
import type { Workspace } from './workspace.js';

/**
 * Where the run's branch (`refs/heads/engine/<run-id>`) is when it is not at `expected`, the
 * commit the engine last wrote there (the base, then each checkpoint; null: no commit, no
 * branch), in words ("at <sha>", "gone", "a symbolic ref to …"); null when it is there. The
 * watch of the user's refs leaves `refs/heads/engine/` out, since the engine moves its
 * branch at every checkpoint: this compares it with what the engine wrote instead. Asked after
 * every step, and read as git reads it — the loose ref file, else the packed-refs line — with
 * no git process: a git reading a FIFO put at the ref's name waits for ever; each file here
 * is opened without blocking and read only as a regular file. Impure (reads files).
 */
export function runBranchMoved(ws: Pick<Workspace, 'repo' | 'branch'>, expected: string | null): string | null {
  const loose = readRef(runBranchRef(ws));
  const found = loose !== undefined ? loose : packedRef(path.join(ws.repo.commonDir, 'packed-refs'), `refs/heads/${ws.branch}`);
  if (found === null) return expected === null ? null : 'gone';
  return found === `at ${expected}` ? null : found;
}

/** The loose ref file of the run's branch in the user's repository. Pure. */
export function runBranchRef(ws: Pick<Workspace, 'repo' | 'branch'>): string {
  return path.join(ws.repo.commonDir, 'refs', 'heads', ...ws.branch.split('/'));
}

/** A loose ref file as git parses it, in words (`at <sha>`, a symbolic ref, anything else); undefined when there is none. Impure. */
function readRef(file: string): string | undefined {
  let st;
  try {
    st = lstatSync(file, { throwIfNoEntry: false });
  } catch {
    // A file where a folder of the path should be (ENOTDIR): no loose ref, as git sees it.
    return undefined;
  }
  if (!st) return undefined;
  if (st.isSymbolicLink()) return `a link to ${readlinkOr(file)}`;
  if (!st.isFile()) return st.isDirectory() ? undefined : 'a special file, not a ref';
  let text: string;
  try {
    text = readRegularFileSync(file, 'utf8', 4096);
  } catch (error) {
    return `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  const symref = /^ref:\s*(\S+)/.exec(text);
  if (symref) return `a symbolic ref to ${symref[1]}`;
  const sha = /^([0-9a-f]{40}|[0-9a-f]{64})(?:\s|$)/.exec(text);
  return sha ? `at ${sha[1]}` : 'a broken ref file';
}

/** How long ago packed-refs must have last changed for what was read of it to be kept (as governance/watch-files.ts's listings). */
const SETTLED_MS = 2000;

/** What packedRef last found for a ref, with the stat of packed-refs it was read at. */
const packedFound = new Map<string, { stamp: string; found: string | null }>();

/**
 * The ref's line of packed-refs, in words (`at <sha>`); null when it has none (or there is no
 * such file). Asked after every step once the branch is packed (a `git gc` or `pack-refs` of
 * the user's), and packed-refs holds every tag of a large repository: read again only when its
 * stat changed (a write moves its ctime, which nobody can set back).
 * Impure.
 */
function packedRef(file: string, ref: string): string | null {
  const st = lstatSync(file, { throwIfNoEntry: false });
  const stamp = st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : 'absent';
  const key = `${file}\0${ref}`;
  const known = packedFound.get(key);
  if (known?.stamp === stamp) return known.found;
  const found = readPackedRef(file, ref);
  // Kept only once its ctime has settled: a write within the same tick of the kernel's coarse
  // clock as the one read would leave the stat as it was (as the outside watch keeps listings).
  if (st && st.ctimeMs < Date.now() - SETTLED_MS) packedFound.set(key, { stamp, found });
  else packedFound.delete(key);
  return found;
}

function readPackedRef(file: string, ref: string): string | null {
  let text: string;
  try {
    text = readRegularFileSync(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : `unreadable packed-refs (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  const at = text.indexOf(` ${ref}\n`);
  if (at < 0) return null;
  const line = text.slice(text.lastIndexOf('\n', at) + 1, at);
  return /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(line) ? `at ${line}` : 'a broken packed-refs line';
}

function readlinkOr(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return '?';
  }
}

/** The run's branch moved by something other than the run, in words: what `runBranchMoved` found, and how to put it back. Pure. */
export function sayRunBranchMoved(ws: Pick<Workspace, 'branch'>, expected: string | null, found: string): string {
  const put = expected === null ? `delete it (git branch -D ${ws.branch})` : `look at it, then set it back (git branch -f ${ws.branch} ${expected})`;
  return `the run's branch ${ws.branch} is ${found}, not ${expected === null ? 'unborn' : `at ${expected}`} where the run's last checkpoint left it: something other than this run moved it; ${put} before merging it or resuming`;
}
