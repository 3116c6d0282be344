import { snapshotTree } from '../../git/snapshot.js';
import { readBlobs, type TreeEntryChange } from '../../git/changes.js';
import { readObjectInfo } from '../../git/object-info.js';
import { workspaceTarget } from '../../git/workspace.js';
import { countTests, testRegression } from '../../governance/count-tests.js';
import { isTestFile, sizeRefusal } from '../guards.js';
import { diffOf } from '../tree-diffs.js';
import type { RunContext } from '../../vocabulary/run-context.js';
import type { Runtime } from '../types.js';

export type Changes = NonNullable<RunContext['changes']>;

/**
 * The change of the current milestone: everything in the workspace that differs from the
 * last checkpoint (the run branch's commit), measured on `tree` (a snapshot the step already
 * took; null takes one now), which is returned too (the loop records it as the state after
 * the step). Impure (git).
 */
export async function measureChanges(rt: Runtime, tree: string | null): Promise<{ changes: Changes; tree: string }> {
  const now = tree ?? (await snapshotTree(rt.ws));
  const { files, stats, entries, binary } = await diffOf(rt, rt.headTree, now);
  // Only what the auto-approve guard could still let through is read: a change it refuses for
  // its size needs no test count.
  const a = rt.policy.auto_approve;
  const counted = a.enabled && sizeRefusal(files.length, stats.added + stats.removed, a) === null;
  const fewer = counted ? await fewerTests(rt, entries) : [];
  return {
    tree: now,
    changes: {
      files: files.length,
      loc: stats.added + stats.removed,
      paths: files.map((f) => f.path),
      // A rename is the old file's removal and a new file (a test renamed out of its runner's
      // sight; a file the plan never named); a regular file that became a link or a gitlink
      // is removed too.
      new_paths: files.filter((f) => f.status === 'added' || f.status === 'renamed').map((f) => f.path),
      deleted_paths: [...files.flatMap((f) => (f.status === 'deleted' ? [f.path] : f.status === 'renamed' && f.from !== undefined ? [f.from] : [])), ...entries.filter(isNoLongerFile).map((e) => e.path)].sort(),
      ...(fewer.length ? { fewer_tests: fewer } : {}),
      ...(binary.length ? { binary_paths: binary } : {}),
    },
  };
}

/** A path whose regular file was replaced by a link or a gitlink. Pure. */
function isNoLongerFile(e: TreeEntryChange): boolean {
  return e.status === 'type_changed' && !/^1006[0-7]{2}$/.test(e.mode);
}

/** At most this many bytes of test files are read to count their tests, both versions together. */
const MAX_COUNTED_BYTES = 16 * 2 ** 20;

/**
 * The test files modified in place that now declare fewer tests or skip more (count-tests.ts),
 * each with what it lost: both versions read in one `cat-file --batch`, and only when a test
 * file changed. Impure (git).
 */
async function fewerTests(rt: Runtime, entries: readonly TreeEntryChange[]): Promise<{ path: string; change: string }[]> {
  const edited = entries.filter((e) => e.before !== undefined && isTestFile(e.path) && countTests(e.path, '') !== null);
  if (edited.length === 0) return [];
  const target = workspaceTarget(rt.ws);
  const shas = edited.flatMap((e) => [e.before!, e.sha]);
  // A file of a hundred MiB with a line changed is a small diff: what is read is bounded, and
  // test files too large to read are a regression the reviewer looks at.
  const info = await readObjectInfo(target, shas);
  if (shas.reduce((sum, sha) => sum + (info.get(sha)?.size ?? 0), 0) > MAX_COUNTED_BYTES) return edited.map((e) => ({ path: e.path, change: `too large to count its tests (over ${MAX_COUNTED_BYTES / 2 ** 20} MiB with the others)` }));
  const texts = await readBlobs(target, shas);
  const out: { path: string; change: string }[] = [];
  for (const e of edited) {
    const before = texts.get(e.before!);
    const after = texts.get(e.sha);
    // An object git could not give is no evidence either way: the other guardrails still hold.
    if (before === undefined || after === undefined) continue;
    const change = testRegression(countTests(e.path, before)!, countTests(e.path, after)!);
    if (change) out.push({ path: e.path, change });
  }
  return out;
}
