import { runGit, type GitTarget } from './run-git.js';

/** What git says of one object: its type and its size in bytes. */
export interface ObjectInfo {
  type: string;
  size: number;
}

/**
 * The type and size of each object `ids` names that `target` has (`cat-file --batch-check`),
 * by the id as given; an id it has no object for is left out. An id with whitespace in it
 * (which would be more than one line of the batch) is left out unasked. One git process, none
 * for no ids. Impure.
 */
export async function readObjectInfo(target: GitTarget, ids: readonly string[]): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  const asked = [...new Set(ids)].filter((id) => id !== '' && !/\s/.test(id));
  if (asked.length === 0) return out;
  const { stdout } = await runGit(target, ['cat-file', '--batch-check'], { input: asked.map((id) => `${id}\n`).join('') });
  // One line per id asked, in order: `<id> <type> <size>`, or `<input> missing`.
  const lines = stdout.split('\n');
  asked.forEach((id, i) => {
    const [name, type, size] = (lines[i] ?? '').split(' ');
    if (name === id && type && type !== 'missing' && size !== undefined && /^\d+$/.test(size)) out.set(id, { type, size: Number(size) });
  });
  return out;
}
