import { globMatcher } from '../governance/match-glob.js';
import { firedRiskTriggers } from './select-tier.js';
import type { RunContext } from '../vocabulary/run-context.js';
import type { GuardName } from '../vocabulary/guard-names.js';
import type { RunPolicy } from './types.js';
import { plural } from '../util/plural.js';

export interface GuardEnv {
  policy: RunPolicy;
  taskKind: 'greenfield' | 'incremental';
}

export interface GuardVerdict {
  ok: boolean;
  /** Why, in words that go into the timeline (e.g. `review_skipped_reason`). */
  reason: string;
}

/**
 * Files whose change is a configuration change: never auto-approved. What a build, a test
 * runner or a package manager reads to decide what runs and what passes (an `.npmrc` with
 * `script-shell=/bin/true` makes every `npm test` pass; a `.gitattributes` can hide a file's
 * lines from the diff; a `conftest.py` runs before every Python test), at any depth.
 */
export const CONFIG_FILES = [
  '**/package.json',
  '**/tsconfig*.json',
  '**/jsconfig*.json',
  '.github/**',
  '.engine/**',
  '**/*.config.*',
  '**/.mocharc*',
  '**/.npmrc',
  '**/.yarnrc*',
  '**/.pnpmfile.*',
  '**/.babelrc*',
  '**/.nvmrc',
  '**/.node-version',
  '**/.gitattributes',
  '**/.gitignore',
  '**/.gitmodules',
  '**/Makefile',
  '**/*.mk',
  '**/pytest.ini',
  '**/tox.ini',
  '**/setup.cfg',
  '**/setup.py',
  '**/pyproject.toml',
  '**/conftest.py',
  '**/go.mod',
  '**/Cargo.toml',
  '**/build.rs',
  '**/pom.xml',
  '**/build.gradle*',
  '**/settings.gradle*',
  '**/Gemfile',
  '**/Rakefile',
  '**/.rspec',
  '**/GNUmakefile',
  '**/justfile',
  '**/CMakeLists.txt',
  '**/.cargo/**',
  '**/rust-toolchain*',
  '**/.config/nextest.toml',
  '**/go.work',
  '**/*.conf.{js,cjs,mjs,ts}',
  '**/vitest.workspace.*',
  '**/bunfig.toml',
  '**/deno.json*',
  '**/.swcrc',
  '**/.taprc*',
  '**/.nycrc*',
  '**/.c8rc*',
  '**/pnpm-workspace.yaml',
  '**/.pnp.*',
  '**/.yarn/**',
  '**/lerna.json',
  '**/jest.setup.*',
  '**/vitest.setup.*',
  '**/setupTests.*',
  // jest puts a `__mocks__/<package>` beside node_modules in place of that package in every test, unasked.
  '**/__mocks__/**',
  // Loaded before every spec (`.rspec`'s `--require`): a filter there leaves specs out.
  '**/spec_helper.rb',
  '**/rails_helper.rb',
  '**/noxfile.py',
  '**/sitecustomize.py',
  '**/usercustomize.py',
  '**/requirements*.txt',
  '**/.env*',
  '**/phpunit.xml*',
  '**/composer.json',
  '**/*.csproj',
  '**/Directory.Build.*',
];

/** Config and test files match in any case: `makefile` is GNU make's as much as `Makefile`, and a folding file system (macOS) gives `Package.json` the same file. */
const isConfigFile = globMatcher(CONFIG_FILES, { fold: true });
/**
 * Test files, by the layouts of the languages count-tests.ts reads: JS/TS (`*.test.*`,
 * `*.spec.*`, `*.cy.*`, `__tests__/`), Go (`*_test.go`), Python (`test_*.py`, `*_test.py`),
 * Ruby (`spec/`, `*_spec.rb`, `*_test.rb`), Rust (`*_test.rs`, `tests/`), JVM (`*Test.java`,
 * `*Tests.kt`, `src/test/`), and any `test/` or `tests/` folder.
 */
export const TEST_FILES = [
  '**/*.test.*',
  '**/*.spec.*',
  '**/*.cy.*',
  '**/test/**',
  '**/tests/**',
  '**/spec/**',
  '**/__tests__/**',
  '**/*_test.*',
  '**/test_*.py',
  '**/*_spec.rb',
  '**/*Test.{java,kt,scala,groovy}',
  '**/*Tests.{java,kt,scala,groovy}',
];
/** Whether a path is a test file (TEST_FILES): for the removed-test guardrail and the test count. Pure. */
export const isTestFile = globMatcher(TEST_FILES);

/** Decide a guard on the run's context, with the reason. Pure. */
export function explainGuard(name: string, ctx: RunContext, env: GuardEnv): GuardVerdict {
  switch (name as GuardName) {
    case 'always':
      return { ok: true, reason: 'always' };
    case 'never':
      return { ok: false, reason: 'never' };
    case 'greenfield':
      return { ok: env.taskKind === 'greenfield', reason: `task is ${env.taskKind}` };
    case 'incremental':
      return { ok: env.taskKind === 'incremental', reason: `task is ${env.taskKind}` };
    case 'explore_enabled': {
      const mode = env.policy.explore.mode;
      if (mode === 'on' || mode === 'off') return { ok: mode === 'on', reason: `explore.mode is ${mode}` };
      return { ok: env.taskKind === 'greenfield', reason: `explore.mode is auto and the task is ${env.taskKind}` };
    }
    case 'has_changes':
      return { ok: (ctx.changes?.files ?? 0) > 0, reason: `${plural(ctx.changes?.files ?? 0, 'file')} changed` };
    case 'no_changes':
      return { ok: (ctx.changes?.files ?? 0) === 0, reason: `${plural(ctx.changes?.files ?? 0, 'file')} changed` };
    case 'auto_approve':
      return explainAutoApprove(ctx, env.policy);
  }
  return { ok: false, reason: `unknown guard ${name}` };
}

/** A line longer than this (in bytes) is more than git's count of one line says: a minified bundle's line of 40 KB rewritten is "1 line". */
export const LONG_LINE_BYTES = 1000;

/** Why a change of `files` files and `loc` lines is too large to auto-approve, or null. Pure. */
export function sizeRefusal(files: number, loc: number, a: RunPolicy['auto_approve']): string | null {
  if (files > a.max_files) return `${plural(files, 'file')} changed (max ${a.max_files})`;
  if (loc > a.max_loc) return `${loc} lines changed (max ${a.max_loc})`;
  return null;
}

/**
 * The reviewer may be skipped only when every guardrail holds: auto-approve on, verification
 * green (not skipped, and nothing changed by it), no request of a reviewer in the milestone,
 * a small diff with no binary file, no file made executable, no link made or changed and no line over LONG_LINE_BYTES in a file it wrote, no risk trigger, no new file the plan did not expect, no config change,
 * no test file removed and none left with fewer tests or more skipped (measure-changes.ts).
 * The first guardrail that fails is the reason. Pure.
 */
export function explainAutoApprove(ctx: RunContext, policy: RunPolicy): GuardVerdict {
  if (!policy.auto_approve.enabled) return { ok: false, reason: 'auto_approve.enabled is false' };
  const [first] = reviewFindings(ctx, policy);
  if (first !== undefined) return { ok: false, reason: first };
  const a = policy.auto_approve;
  const c = ctx.changes!;
  return { ok: true, reason: `verification green, ${plural(c.files, 'file')} and ${plural(c.loc, 'line')} (≤ ${a.max_files}/${a.max_loc}), no risk trigger, only planned new files` };
}

/**
 * Every auto-approve guardrail on the milestone's change that does not hold, each in words, in
 * the order they are checked (explainAutoApprove's reason is the first); empty when the
 * reviewer may be skipped. The reviewer is shown them (the review prompt's `findings`): what
 * the engine found (a test-count regression, a removed test file, a configuration change, a
 * verification that ran out of time) is said to it, not left for it to find in the diff. At
 * most LISTED paths of a kind are named. Pure.
 */
export function reviewFindings(ctx: RunContext, policy: RunPolicy): string[] {
  const out: string[] = [];
  if (ctx.kpi?.require_review) out.push(`a KPI requires the review: ${ctx.kpi.require_review}`);
  out.push(...verifyRefusals(ctx.verify));
  // A reviewer's request stands until a reviewer approves: a later round that drops what made
  // the review needed must not slip the rest of the change past it.
  if (ctx.review && ctx.review.verdict !== 'approve') out.push(`the reviewer answered ${ctx.review.verdict} in this milestone`);
  if (!ctx.changes) return [...out, 'the change is unknown'];
  return [...out, ...changeRefusals(ctx.changes, ctx.milestones[ctx.milestone - 1]?.files_expected ?? [], policy)];
}

/** Why a verification does not count as green for auto-approve. Pure. */
function verifyRefusals(v: RunContext['verify']): string[] {
  if (!v?.pass) return ['verification is not green'];
  if (v.skipped) return [`verification was skipped (${v.tier} ran out of time): nothing was shown green`];
  const moved = v.changed ?? [];
  if (moved.length) return [`verification changed ${plural(moved.length, 'file')} in the workspace (${moved[0]}${moved.length > 1 ? ', …' : ''}): what is committed is not what was verified`];
  return [];
}

/** Why a change, as measured, is not one to approve without a reviewer. Pure. */
function changeRefusals(c: NonNullable<RunContext['changes']>, expected: readonly string[], policy: RunPolicy): string[] {
  const out: string[] = [];
  const size = sizeRefusal(c.files, c.loc, policy.auto_approve);
  if (size) out.push(size);
  // Its lines are not in the count the size limit was checked on.
  const binary = c.binary_paths?.[0];
  if (binary) out.push(`binary file changed: ${binary} (git counts none of its lines)`);
  const long = c.long_line_paths?.[0];
  if (long) out.push(`a line over ${LONG_LINE_BYTES} bytes in ${long} (git counts it as one line)`);
  const unread = c.unread_paths?.[0];
  if (unread) out.push(`changed files too large to read for their lines: ${unread}${(c.unread_paths?.length ?? 0) > 1 ? ', …' : ''}`);
  for (const { trigger, hit } of firedRiskTriggers(c.paths, policy)) out.push(`risk trigger ${trigger.name} fired on ${hit}`);
  out.push(...listed(c.new_paths.filter((p) => !expected.includes(p)).map((p) => `new file ${p} was not in the plan`), 'new files not in the plan'));
  out.push(...listed(c.paths.filter(isConfigFile).map((p) => `configuration changed: ${p}`), 'configuration files changed'));
  out.push(...listed((c.deleted_paths ?? []).filter(isTestFile).map((p) => `test file removed: ${p}`), 'test files removed'));
  out.push(...listed((c.fewer_tests ?? []).map((f) => `test-count regression: ${f.path} (${f.change})`), 'test files with a test-count regression'));
  // A mode flip counts no line; a new command can stand in for one a verification runs (a
  // relative or empty entry of the user's PATH looks in the workspace), or a hook or a later step runs it.
  out.push(...listed((c.executable_paths ?? []).map((p) => `file made executable: ${p} (it can run as a command)`), 'files made executable'));
  out.push(...listed((c.link_paths ?? []).map((p) => `link made or changed: ${p} (what it leads to is not in the diff)`), 'links made or changed'));
  return out;
}

/** At most this many findings of a kind are named; the rest are counted. */
const LISTED = 10;

/** The first LISTED of `lines`, and how many more there are of `kind`. Pure. */
function listed(lines: readonly string[], kind: string): string[] {
  return lines.length > LISTED ? [...lines.slice(0, LISTED), `and ${lines.length - LISTED} more ${kind}`] : [...lines];
}
