/**
 * Claims checked against the disk: a worker that says it changed files (its markers'
 * `files_changed`, or `file_change` events in its stream) while the workspace has none of
 * those changes failed, whatever its answer says: typically its writes were refused by a
 * sandbox and the CLI reported them anyway. Pure.
 */
import path from 'node:path';

export interface ClaimsInput {
  /** The markers' files_changed (implement), or null. */
  filesChanged: readonly string[] | null;
  /** Paths of the call's file_change events (absolute or workspace-relative). */
  streamPaths: readonly string[];
  /** Workspace-relative paths that differ from the last checkpoint (measureChanges). */
  changed: readonly string[];
  workspace: string;
  /** The call's stderr (or its tail). */
  stderr: string;
}

/** Lines of a CLI's stderr that tell of a refused write. */
const SANDBOX_ERROR = /Failed to write file|Read-only file system|Operation not permitted|Permission denied|\bEROFS\b|\bEACCES\b|\bEPERM\b|writing is blocked|sandbox denied/i;

/** The failure message when no claimed path is on disk as a change; null when the claims hold (or there are none). Pure. */
export function checkClaims(i: ClaimsInput): string | null {
  const claims = [...new Set([...(i.filesChanged ?? []), ...i.streamPaths].map((p) => toRelative(p, i.workspace)).filter((p): p is string => p !== null))].sort();
  if (claims.length === 0) return null;
  // A claim holds when it is a changed path or a folder holding one: every changed path and
  // each of its folders, in one set (claims × changes, as it was, let a worker's 100,000 claims
  // against 20,000 new files keep the engine busy for minutes).
  const covered = new Set<string>();
  for (const c of i.changed) for (let p = c; p && !covered.has(p); p = parentOf(p)) covered.add(p);
  if (claims.some((p) => covered.has(p))) return null;
  const errors = sandboxErrors(i.stderr);
  const shown = claims.slice(0, 5).join(', ') + (claims.length > 5 ? `, … (${claims.length} in all)` : '');
  return `the worker claims it changed ${shown} but the workspace has none of these changes; ${
    errors.length ? `its stderr shows refused writes: ${errors.map((l) => JSON.stringify(l)).join('; ')}` : 'its stderr shows no sandbox error'
  }`;
}

/** Up to 5 stderr lines that tell of a refused write, each cut to 240 characters. Pure. */
export function sandboxErrors(stderr: string): string[] {
  const out: string[] = [];
  for (const line of stderr.split('\n')) {
    const t = line.trim();
    if (!t || !SANDBOX_ERROR.test(t)) continue;
    const cut = t.length > 240 ? `${t.slice(0, 240)}…` : t;
    if (!out.includes(cut)) out.push(cut);
    if (out.length === 5) break;
  }
  return out;
}

/** The folder of a workspace-relative path ('' at the top). Pure. */
function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** A claimed path as workspace-relative with forward slashes, or null when it is outside. Pure. */
function toRelative(p: string, workspace: string): string | null {
  const abs = path.resolve(workspace, p.replace(/\\/g, '/'));
  const rel = path.relative(workspace, abs);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}
