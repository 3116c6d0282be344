import { removeNewIgnored, restoreSharedLinks } from '../git/ignored-paths.js';
import { EngineGitBlockedError } from '../git/blocked-git-dir.js';
import type { Runtime } from './types.js';

/** The most removed paths a step's event names; `count` holds them all. */
export const MAX_NAMED_REMOVED = 50;

export interface RemovedIgnored {
  count: number;
  paths: string[];
}

/**
 * The ignored paths a verification or command step keeps: what the last set-up that passed
 * left (its `workspace.setup` event), or without set-up commands the shared paths of the
 * user's checkout. null for a run whose set-up an older engine recorded without them: nothing
 * is known to keep, so nothing is removed. Pure.
 */
export function keptIgnoredOf(rt: Pick<Runtime, 'events' | 'policy' | 'ws'>): readonly string[] | null {
  if (rt.policy.workspace.setup.length === 0) return rt.ws.shared;
  const setup = rt.events.findLast((e) => e.type === 'workspace.setup' && e.pass);
  return setup?.type === 'workspace.setup' && setup.ignored ? setup.ignored : null;
}

/**
 * Before a verification or a command step: every git-ignored path of the workspace that its
 * set-up did not leave is removed (a worker's build output and caches, or a file planted to
 * change what the commands do: an ignored stamp a test trusts, an `.npmrc` beside a
 * `.gitignore` that ignores both). The commands then run on the tree that is committed and
 * what the set-up installed, as anywhere else; no change shows an ignored file, so a green
 * tier must not rest on one. A shared path that is no longer the engine's link to the user's
 * checkout (a folder of the worker's own in its place) is put back, unless
 * `governance.allow_deps` lets the worker install dependencies in the workspace. Returns what was removed (the first MAX_NAMED_REMOVED named), or
 * null when nothing was. The engine's git dir taken from it (no OS sandbox) removes nothing:
 * governance's look after the step meets that as a violation and the step's outcome is not
 * used. Impure (git, file system).
 */
export async function clearIgnored(rt: Pick<Runtime, 'events' | 'policy' | 'ws'>): Promise<RemovedIgnored | null> {
  const kept = keptIgnoredOf(rt);
  return kept === null ? null : clearIgnoredBut(rt, kept);
}

/**
 * Before the workspace's set-up: every git-ignored path but the shared ones is removed (and
 * the shared links put back as clearIgnored does). A set-up runs before the first step, or
 * on a resume after one that failed, was stopped, or was added by `--reload-config` once
 * workers had run: what git ignores after it is what every verification keeps, and a file a
 * worker planted must not be among it. Impure (git, file system).
 */
export function clearBeforeSetup(rt: Pick<Runtime, 'policy' | 'ws'>): Promise<RemovedIgnored | null> {
  return clearIgnoredBut(rt, rt.ws.shared);
}

/** clearIgnored with what it keeps given. Impure (git, file system). */
async function clearIgnoredBut(rt: Pick<Runtime, 'policy' | 'ws'>, kept: readonly string[]): Promise<RemovedIgnored | null> {
  const relinked = rt.policy.governance.allow_deps ? [] : restoreSharedLinks(rt.ws);
  const removed = await removeNewIgnored(rt.ws, kept).catch((error: unknown) => {
    if (error instanceof EngineGitBlockedError) return [];
    throw error;
  });
  const gone = [...relinked, ...removed];
  return gone.length ? { count: gone.length, paths: gone.slice(0, MAX_NAMED_REMOVED) } : null;
}

/** The log line that names what clearIgnored removed, or nothing. Pure. */
export function describeRemovedIgnored(removed: RemovedIgnored | null, which = "the workspace's set-up did not leave"): string {
  if (!removed) return '';
  const more = removed.count > removed.paths.length ? `, and ${removed.count - removed.paths.length} more` : '';
  return `# removed ${removed.count} git-ignored path${removed.count === 1 ? '' : 's'} ${which}: ${removed.paths.join(', ')}${more}\n`;
}
