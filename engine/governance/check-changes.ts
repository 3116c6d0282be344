import type { TimelineEvent } from '../generated/event.js';
import { firstGlob, globMatcher, leadsInto, type GlobOptions } from './match-glob.js';
import { nameThroughLinks } from './resolve-links.js';
import { CONTROL_CHARACTER, terminalSafeJson } from '../util/printable.js';

/** What a worker may change, from the merged policy, the task and the step. */
export interface GovernanceRules {
  /** Repo-relative globs a worker may change (policy `governance.allowed_roots`). */
  allowedRoots: readonly string[];
  /** The task's own roots, which narrow the policy's (a path must match both); null: none. */
  taskRoots: readonly string[] | null;
  /** Never writable (policy `governance.protected`, `.git/**` and `.engine/**` included). */
  protected: readonly string[];
  /** Dependency files (a pattern without a slash matches the file name in any directory). */
  lockfiles: readonly string[];
  allowDeps: boolean;
  /** The engine's own files, when the target repo is the engine's own repo. */
  frameworkPaths: readonly string[];
  ownRepo: boolean;
  /** The step may change nothing (explore, and any step marked read-only). */
  readOnly: boolean;
}

/** The rules a `governance.violation` event can name: the event schema is their one list. */
export type ViolationRule = Extract<TimelineEvent, { type: 'governance.violation' }>['violations'][number]['rule'];

export interface Violation {
  /** Repo-relative path (for `run_store`, the record's path in the run directory). */
  path: string;
  rule: ViolationRule;
  /** The pattern that matched (protected, framework, lockfile), or null. */
  pattern: string | null;
}

/**
 * The violations among the paths a worker call changed, one per path (the first rule that
 * applies, in the order read-only, protected, framework path, dependency file, outside the
 * allowed roots), sorted by path. `links` holds every link of the changed tree (path →
 * target), as far as the caller read them: the lists that forbid are asked of each name a
 * changed path has through them too (with `.github` a new link to `ci`, `ci/workflows/x.yml`
 * is checked out as `.github/workflows/x.yml`, and that name is the violation's path), and of
 * a changed link itself for every name below it (`leadsInto`: the link `.github` breaks
 * `.github/workflows/**` whatever `ci` holds). Pure.
 */
export function checkChanges(paths: readonly string[], rules: GovernanceRules, links: ReadonlyMap<string, string> = new Map()): Violation[] {
  const forbidden = forbiddenBy(rules, links);
  const inRoots = globMatcher(rules.allowedRoots);
  const inTaskRoots = rules.taskRoots ? globMatcher(rules.taskRoots) : () => true;
  const out: Violation[] = [];
  for (const p of [...new Set(paths)].sort()) {
    if (rules.readOnly) {
      out.push({ path: p, rule: 'read_only', pattern: null });
      continue;
    }
    const v = forbidden(p);
    if (v !== null) {
      out.push(v);
      continue;
    }
    // A path with a control character is a violation of its own (check-entries.ts), and the
    // globs' `*` stops at a line break: `**` called `new\nline.txt` outside the roots too.
    if (CONTROL_CHARACTER.test(p)) continue;
    if (!inRoots(p) || !inTaskRoots(p)) out.push({ path: p, rule: 'outside_allowed_roots', pattern: null });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The first of the rules that forbid (protected, framework path, dependency file) a changed
 * path breaks, by its own name or a name it has through `links`, as a violation; or null.
 * The lists match as a folding file system compares names (match-glob.ts). Pure.
 */
function forbiddenBy(rules: GovernanceRules, links: ReadonlyMap<string, string>): (p: string) => Violation | null {
  const lists: [Forbidding, readonly string[], GlobOptions][] = [
    ['protected', rules.protected, { fold: true }],
    ['framework_path', rules.ownRepo ? rules.frameworkPaths : [], { fold: true }],
    // A name of a link is the name of a file below it: a link gives no lockfile a new name.
    ['dependency_file', rules.allowDeps ? [] : rules.lockfiles, { basename: true, fold: true }],
  ];
  const checks = lists.map(([rule, globs, opts]) => ({ rule, globs, opts, by: firstGlob(globs, opts) }));
  const namesOf = nameThroughLinks(links);
  return (p) => {
    const { names, complete } = namesOf(p);
    for (const { rule, globs, opts, by } of checks) {
      for (const name of [p, ...names]) {
        const pattern = by(name);
        if (pattern !== null) return { path: name, rule, pattern };
      }
      const into = links.has(p) && !opts.basename ? globs.find((g) => leadsInto(p, g, opts)) : undefined;
      if (into !== undefined) return { path: p, rule, pattern: into };
      // Too many names to follow (links to a folder above themselves): the reviewer decides.
      if (!complete) return { path: p, rule: 'protected', pattern: null };
    }
    return null;
  };
}

type Forbidding = Extract<ViolationRule, 'protected' | 'framework_path' | 'dependency_file'>;

/**
 * How a run stops for these violations: framework paths or the engine's own install alone
 * mean the engine itself needs a fix (`framework_fix_needed`); anything else is a
 * `governance_violation`. Pure.
 */
export function stopFor(violations: readonly Violation[]): 'framework_fix_needed' | 'governance_violation' {
  return violations.every((v) => v.rule === 'framework_path' || v.rule === 'engine_install') ? 'framework_fix_needed' : 'governance_violation';
}

/**
 * The first `max` violations in words, and a last line saying how many more there are and
 * where the whole list is: a worker that makes 200,000 files outside its roots made a stop
 * message of 8.5 MB on one line and a memo of 17 MB. The timeline's event keeps every one. Pure.
 */
export function describeViolations(vs: readonly Violation[], max = 20): string[] {
  const lines = vs.slice(0, max).map(describeViolation);
  if (vs.length > max) lines.push(`… and ${vs.length - max} more (every one is in the governance.violation event of timeline.jsonl)`);
  return lines;
}

/** One violation in words, for the memo and the stop detail; a path with a control character (a line break) quoted, as JSON quotes it. Pure. */
export function describeViolation(v: Violation): string {
  return describeRule(CONTROL_CHARACTER.test(v.path) ? { ...v, path: terminalSafeJson(JSON.stringify(v.path)) } : v);
}

function describeRule(v: Violation): string {
  switch (v.rule) {
    case 'read_only':
      return `${v.path}: changed by a read-only step`;
    case 'protected':
      return v.pattern === null ? `${v.path}: has more names through links than the check follows (protected paths unchecked)` : `${v.path}: protected (${v.pattern})`;
    case 'framework_path':
      return `${v.path}: a file of the engine itself (${v.pattern}); the engine needs a framework fix`;
    case 'dependency_file':
      return `${v.path}: a dependency file (${v.pattern}) and governance.allow_deps is false`;
    case 'outside_allowed_roots':
      return `${v.path}: outside the allowed roots`;
    case 'run_store':
      return `${v.path}: a record of the engine in the run store`;
    case 'symlink_escape':
      return `${v.path}: a symlink that is absolute or leaves the workspace${v.pattern !== null ? ` (-> ${v.pattern})` : ''}`;
    case 'gitlink':
      return `${v.path}: a nested git repository (gitlink)`;
    case 'special_file':
      return `${v.path}: a FIFO, socket or device where git reads its rules, or at a tracked path (removed: git would wait on it for ever, or refuse it)`;
    case 'large_file':
      return `${v.path}: a file larger than the ${v.pattern ?? 'governance.max_file_mb'} a snapshot stages (left out: git would read all of it)`;
    case 'sparse_file':
      return `${v.path}: a sparse file (removed: with the others, git would have read more than ${v.pattern ?? '256 MiB'} that is not on disk)`;
    case 'deep_path':
      return `${v.path}: a directory path of ${v.pattern ?? '3840 bytes'} or more, with no room for a name in it (PATH_MAX): git skips what is inside without a word; removed`;
    case 'non_utf8_path':
      return `${v.path}: a name that is not UTF-8 (its bytes shown as %XX): the engine's walk could not enter or name it, and git would have staged it unchecked; removed`;
    case 'git_refused':
      return `${v.path}: git refuses to stage it (a path it calls invalid, or a file its working-tree-encoding attribute cannot convert); removed`;
    case 'control_characters':
      return `${v.path}: control characters in a path`;
    case 'user_repo':
      return `${v.path}: changed in the user's repository (only the engine's checkpoint may write there)`;
    case 'engine_install':
      return `${v.path}: a file of the engine's own install changed; the engine needs a framework fix`;
    case 'engine_git':
      return `${v.path}: the engine's own git dir of the workspace changed`;
    case 'shared_path':
      return `${v.path}: a shared path of the user's checkout (read-only to workers) changed`;
    case 'workspace_removed':
      return `${v.path}: the run's workspace was removed during the step; its checkpoints are on the run branch`;
    case 'cli_config':
      return `${v.path}: the user's own CLI config changed (what its next session runs or reads as instructions); check it before using that CLI again`;
    case 'planned_outside_roots':
      return `${v.path}: planned although no worker may change it (${v.pattern ?? 'outside the allowed roots'})`;
  }
}
