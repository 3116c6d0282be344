import type { GitTarget } from './run-git.js';
import { readObjectInfo } from './object-info.js';

/** An object a record names, and the type it must have. */
export interface WantedObject {
  /** What names it (a field of state.json), for the message. */
  name: string;
  id: string;
  type: 'commit' | 'tree';
}

/** A commit or tree id as git prints it (SHA-1 or SHA-256), and nothing else: never a revision expression. */
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The wanted objects that `target` cannot read as the type they must have: not an object id,
 * not there (pruned by `git gc`, never written), or of another type. One git process. Impure.
 */
export async function findMissingObjects(target: GitTarget, wanted: readonly WantedObject[]): Promise<WantedObject[]> {
  const ids = wanted.filter((w) => OBJECT_ID.test(w.id));
  const found = await readObjectInfo(target, ids.map((w) => w.id));
  return [...wanted.filter((w) => !OBJECT_ID.test(w.id)), ...ids.filter((w) => found.get(w.id)?.type !== w.type)];
}
