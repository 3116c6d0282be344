import { lstatSync } from 'node:fs';
import path from 'node:path';
import { firstLink } from '../util/first-link.js';
import { removeWithin } from '../util/remove-tree.js';

/** Why git refused a path: a name it calls invalid, a conversion it could not make, a file it could not open. */
export type RefusalKind = 'invalid' | 'encoding' | 'unreadable';

/** git's words for a conversion it could not make: what comes before the path, and a pattern for what follows it. */
const CONVERSION: readonly { before: string; after: RegExp }[] = [
  { before: "failed to encode '", after: /^' from \S+ to UTF-8(?:\n|$)/ },
  { before: "BOM is required in '", after: /^' if encoded as \S+(?:\n|$)/ },
  { before: "BOM is prohibited in '", after: /^' if encoded as \S+(?:\n|$)/ },
];

/** The same reports where git goes on past them (`git hash-object` without `-w`): errors, not fatal. */
export const CONVERSION_ERRORS = CONVERSION.map((m) => ({ before: `error: ${m.before}`, after: m.after }));

/** git's messages for what it refused to stage: what comes before a path, and a pattern for what follows it. */
const MESSAGES: readonly { before: string; after: RegExp; kind: RefusalKind }[] = [
  { before: "error: invalid path '", after: /^'\nerror: unable to add '/, kind: 'invalid' },
  ...CONVERSION.map((m) => ({ before: `fatal: ${m.before}`, after: m.after, kind: 'encoding' as const })),
  // A file git could not open (a hard link to a file the engine's user may not read).
  { before: "error: unable to index file '", after: /^'(?:\n|$)/, kind: 'unreadable' },
  // An attribute `working-tree-encoding` without a value: git names no file.
  { before: 'fatal: true/false are no valid working-tree-encodings', after: /(?!)/, kind: 'encoding' },
];

/**
 * What `git add` refused to stage, from its stderr: paths it calls invalid (a component that
 * is `.git` where case or Windows names are folded: `.GIT`, `GIT~1`, `.git ` with a trailing
 * space or dot) and files its `working-tree-encoding` attribute cannot convert (no byte order
 * mark where one is required, one where none is allowed, an encoding iconv cannot convert
 * from). Each message read up to the first quote that ends it. A name with a quote and a
 * newline in it can be read short: `wholeNames` reads such a message the other way. Pure.
 */
export function parseRefused(stderr: string): string[] {
  const paths: string[] = [];
  for (const m of MESSAGES) {
    // Read on after the end of a message: a line inside a name is not one of git's.
    for (let at = lineStart(stderr, m.before, 0); at >= 0; ) {
      const from = at + m.before.length;
      const end = ends(stderr, from, m.after, true)[0];
      if (end !== undefined) paths.push(stderr.slice(from, end));
      at = lineStart(stderr, m.before, (end ?? at) + 1);
    }
  }
  return paths;
}

/**
 * For the first message of each kind, every reading of its path from the longest to the
 * shortest: the one that names a file is git's (a name cannot hold itself, so a longer reading
 * that also names a file cannot be made). Pure.
 */
export function wholeNames(stderr: string): string[] {
  const paths: string[] = [];
  for (const m of MESSAGES) {
    const at = lineStart(stderr, m.before, 0);
    if (at < 0) continue;
    const from = at + m.before.length;
    for (const end of ends(stderr, from, m.after).reverse()) paths.push(stderr.slice(from, end));
  }
  return paths;
}

/** The kinds of refusal git's stderr tells of, each by one of its messages at the start of a line. Pure. */
export function refusalKinds(stderr: string): Set<RefusalKind> {
  return new Set(MESSAGES.filter((m) => lineStart(stderr, m.before, 0) >= 0).map((m) => m.kind));
}

/** Where `text` has `prefix` at the start of a line, from `from` on; -1 when nowhere. */
function lineStart(text: string, prefix: string, from: number): number {
  for (let at = text.indexOf(prefix, from); at >= 0; at = text.indexOf(prefix, at + 1)) if (at === 0 || text[at - 1] === '\n') return at;
  return -1;
}

/** Each offset after `from` where `after` matches, in order (`first`: the first only). */
function ends(text: string, from: number, after: RegExp, first = false): number[] {
  const out: number[] = [];
  for (let at = text.indexOf("'", from + 1); at >= 0; at = text.indexOf("'", at + 1)) {
    // What follows a path names an encoding, which can be as long as an attributes line (2 KiB).
    if (!after.test(text.slice(at, at + 4608))) continue;
    out.push(at);
    if (first) break;
  }
  return out;
}

/**
 * A workspace-relative path as git names it, when it is one the engine may remove: relative,
 * without `.`, `..` or empty components or a NUL, and reached without a link (a worker's name
 * crafted to look like git's message for another path must not lead out of the workspace).
 * Impure (lstat).
 */
export function removablePath(dir: string, rel: string): boolean {
  if (rel.includes('\0') || path.isAbsolute(rel)) return false;
  if (rel.split('/').some((part) => part === '' || part === '.' || part === '..')) return false;
  return firstLink(dir, path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel)) === null;
}

/**
 * Removes each of `paths` that is removable from `dir`: a file, or a directory whole (git
 * names a nested repository in a folder it calls invalid, `sub/.GIT`, as the folder); returns
 * those removed. `first`: only the first such. Impure.
 */
export function removeRefused(dir: string, paths: readonly string[], first = false): string[] {
  const removed: string[] = [];
  for (const rel of new Set(paths)) {
    const st = removablePath(dir, rel) ? lstatSync(path.join(dir, rel), { throwIfNoEntry: false }) : undefined;
    if (!st) continue;
    removeWithin(dir, rel);
    removed.push(rel);
    if (first) break;
  }
  return removed;
}
