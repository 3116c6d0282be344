import { snapshotTree } from '../../git/snapshot.js';
import { readBlobs, type TreeEntryChange } from '../../git/changes.js';
import { readObjectInfo } from '../../git/object-info.js';
import { workspaceTarget } from '../../git/workspace.js';
import { countTests, testRegression } from '../../governance/count-tests.js';
import { isTestFile, LONG_LINE_BYTES, sizeRefusal } from '../guards.js';
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
  const { files, stats, entries, binary, executable, links } = await diffOf(rt, rt.headTree, now);
  // Only a change within auto-approve's size is read: a larger one needs no test count to go to
  // the reviewer. With auto-approve off only a change that wrote a test file is read (the
  // reviewer is told what the count found): the two git processes are not paid by every milestone.
  const a = rt.policy.auto_approve;
  const counted = sizeRefusal(files.length, stats.added + stats.removed, a) === null && (a.enabled || entries.some((e) => isTestFile(e.path)));
  const { fewer, long, unread } = counted ? await readChangedTexts(rt, entries) : { fewer: [], long: [], unread: [] };
  return {
    tree: now,
    changes: {
      files: files.length,
      loc: stats.added + stats.removed,
      // Both sides of a rename: a configuration file or a risky path renamed away is changed as
      // much as one removed (a `.mocharc.yml` renamed away was no configuration change).
      paths: [...new Set(files.flatMap((f) => (f.status === 'renamed' && f.from !== undefined ? [f.path, f.from] : [f.path])))].sort(),
      // A rename is the old file's removal and a new file (a test renamed out of its runner's
      // sight; a file the plan never named); a regular file that became a link or a gitlink
      // is removed too.
      new_paths: files.filter((f) => f.status === 'added' || f.status === 'renamed').map((f) => f.path),
      deleted_paths: [...files.flatMap((f) => (f.status === 'deleted' ? [f.path] : f.status === 'renamed' && f.from !== undefined ? [f.from] : [])), ...entries.filter(isNoLongerFile).map((e) => e.path)].sort(),
      ...(fewer.length ? { fewer_tests: fewer } : {}),
      ...(binary.length ? { binary_paths: binary } : {}),
      ...(executable.length ? { executable_paths: executable } : {}),
      ...(links.length ? { link_paths: links } : {}),
      ...(long.length ? { long_line_paths: long } : {}),
      ...(unread.length ? { unread_paths: unread } : {}),
    },
  };
}

/** A path whose regular file was replaced by a link or a gitlink. Pure. */
function isNoLongerFile(e: TreeEntryChange): boolean {
  return e.status === 'type_changed' && !/^1006[0-7]{2}$/.test(e.mode);
}

/** At most this many bytes of changed files are read for what auto-approve must know of their text, all versions together. */
const MAX_COUNTED_BYTES = 16 * 2 ** 20;

/**
 * What auto-approve must know of the changed files' text, read once (one `cat-file
 * --batch-check` for their sizes, one `cat-file --batch` for the texts; none when no regular
 * file was written): `fewer`, the test files modified in place that now declare fewer tests or
 * skip more, and the new ones that skip any (count-tests.ts), each with what it lost; `long`, the files written that hold a
 * line over LONG_LINE_BYTES; `unread`, the files written when all of them together are too
 * large to read (a file of a hundred MiB with a line changed is a small diff). Impure (git).
 */
async function readChangedTexts(rt: Runtime, entries: readonly TreeEntryChange[]): Promise<{ fewer: { path: string; change: string }[]; long: string[]; unread: string[] }> {
  const written = entries.filter((e) => (e.status === 'added' || e.status === 'modified') && /^1006[0-7]{2}$/.test(e.mode));
  // A new test file counts from none: one that skips, or holds an `.only` (in Mocha it turns
  // every other file's tests off), is a regression as much as an old one given it.
  const edited = written.filter((e) => (e.before !== undefined || e.status === 'added') && isTestFile(e.path) && countTests(e.path, '') !== null);
  const shas = [...new Set([...edited.flatMap((e) => (e.before === undefined ? [e.sha] : [e.before, e.sha])), ...written.map((e) => e.sha)])];
  if (shas.length === 0) return { fewer: [], long: [], unread: [] };
  const target = workspaceTarget(rt.ws);
  const info = await readObjectInfo(target, shas);
  if (shas.reduce((sum, sha) => sum + (info.get(sha)?.size ?? 0), 0) > MAX_COUNTED_BYTES) {
    const change = `too large to count its tests (over ${MAX_COUNTED_BYTES / 2 ** 20} MiB with the others)`;
    // A test file among them says so as its test count's regression.
    return { fewer: edited.map((e) => ({ path: e.path, change })), long: [], unread: written.filter((e) => !edited.includes(e)).map((e) => e.path) };
  }
  const texts = await readBlobs(target, shas);
  return { fewer: fewerTests(edited, texts), long: written.filter((e) => holdsLongLine(texts.get(e.sha) ?? '')).map((e) => e.path), unread: [] };
}

/** Whether a text has a line over LONG_LINE_BYTES bytes (UTF-8). Pure. */
export function holdsLongLine(text: string): boolean {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    // A character is at most 4 bytes: a line of no more characters than a quarter of the bound is short.
    if (end - start > LONG_LINE_BYTES / 4 && Buffer.byteLength(text.slice(start, end)) > LONG_LINE_BYTES) return true;
    start = end + 1;
  }
  return false;
}

/** The test files (edited: modified in place, or new and counted from none) that now declare fewer tests or skip more, each with what it lost, from both versions' texts. Pure. */
function fewerTests(edited: readonly TreeEntryChange[], texts: ReadonlyMap<string, string>): { path: string; change: string }[] {
  const out: { path: string; change: string }[] = [];
  for (const e of edited) {
    const before = e.before === undefined ? '' : texts.get(e.before);
    const after = texts.get(e.sha);
    // An object git could not give is no evidence either way: the other guardrails still hold.
    if (before === undefined || after === undefined) continue;
    const change = testRegression(countTests(e.path, before)!, countTests(e.path, after)!);
    if (change) out.push({ path: e.path, change });
  }
  return out;
}
