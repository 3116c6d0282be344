import { blankLiterals } from './blank-literals.js';

/**
 * How many tests a test file declares, and how many it skips, read from its text: what the
 * auto-approve guardrail compares before and after a milestone ("no test-count regression",
 * contract section 3). A worker that deleted a test, commented it out, renamed it out of its
 * runner's sight or marked it skipped got its change approved without a reviewer when only a
 * removed test file counted. Read by pattern, per language family (by the file's extension),
 * with comments taken out and string literals emptied first (blank-literals.ts); it errs toward calling the reviewer: a count that falls or a
 * skip that appears is a regression, even where a refactor was the cause. The patterns anchored
 * at a line's start take its blanks as spaces and tabs only: `^\s*` in multiline mode ran on
 * across every blank line after each line start, by the square of a file of blank lines. Pure.
 */

export interface TestCount {
  /** Test declarations: `it(`/`test(` (JS/TS), `def test_…` (Python), `func Test…` (Go), `#[test]` (Rust), `@Test` (JVM), `it '…'` (Ruby). */
  tests: number;
  /** Skip and to-do markers: `.skip`, `.todo`, `xit(`, `{ skip: … }`, `@pytest.mark.skip`, `t.Skip(`, `#[ignore]`, `@Disabled`, … */
  skips: number;
}

interface Family {
  comments: (text: string) => string;
  tests: RegExp;
  skips: RegExp;
  /** Skips written as comments, read in the text before its comments are taken out (Go's build constraints). */
  commentSkips?: RegExp;
}

const cStyle = (quotes: string) => (text: string): string => blankLiterals(text, { line: '//', block: true, quotes, triple: false });
const hashStyle = (triple: boolean) => (text: string): string => blankLiterals(text, { line: '#', block: false, quotes: `'"`, triple });

const FAMILIES: Record<string, Family> = {
  js: {
    comments: cStyle(`'"\``),
    // it( test( specify( fit(, also t.test( and test.only(; not describe( (a group holds tests).
    tests: /(?:^|[^\w$.])(?:[A-Za-z_$][\w$]*\.)?(?:it|test|specify|fit)(?:\.(?:only|skip|todo|concurrent|failing|fails|each|skipIf|runIf))*\s*[(`]/gm,
    // `.skipIf(`/`.runIf(` (vitest) count whatever their condition: a text count cannot tell.
    // `.only`, `fit(` and `fdescribe(` count too: each turns every other test of the file (in
    // Mocha, of the suite) off, so one added is never "no regression".
    // `.failing` (jest) and `.fails` (vitest) pass when the test fails: the code it tests may be broken.
    skips: /\b(?:describe|context|suite|it|test|specify)(?:\.(?:concurrent|sequential|shuffle))*\.(?:skip|todo|skipIf|runIf|only|failing|fails)\b|(?:^|[^\w$.])f(?:it|describe)\s*\(|(?:^|[^\w$.])x(?:it|test|describe|context|specify)\s*\(|[{,]\s*(['"]?)(?:skip|todo|only)\1\s*:(?!\s*false\b)|\bthis\.skip\s*\(|\bt\.(?:skip|todo)\s*\(/gm,
  },
  py: {
    comments: hashStyle(true),
    tests: /^[ \t]*(?:async[ \t]+)?def[ \t]+test\w*[ \t]*\(/gm,
    // The marks as a decorator or as a module's `pytestmark = pytest.mark.skip(…)`, also imported by name (`from pytest import mark`, `from unittest import skip`).
    skips: /\b(?:pytest\.)?mark\.(?:skip|skipif|xfail)\b|@(?:unittest\.)?(?:skip|skipIf|skipUnless|expectedFailure)\b|\bpytest\.(?:skip|xfail|importorskip)\s*\(|\bself\.skipTest\s*\(|\braise[ \t]+(?:[\w.]+\.)?SkipTest\b/gm,
  },
  go: {
    comments: cStyle(`'"\``),
    tests: /^func\s+(?:Test|Benchmark|Example|Fuzz)\w*\s*\(/gm,
    skips: /\b\w+\.(?:Skip|SkipNow|Skipf)\s*\(/gm,
    // A build constraint leaves the whole file out of `go test` where it does not hold.
    commentSkips: /^\/\/(?:go:build\b| ?\+build\b)/gm,
  },
  rs: {
    comments: cStyle('"'),
    tests: /#\[(?:tokio::)?test\b/gm,
    // A `cfg` other than `cfg(test)` can leave a test or a module of them out of the build.
    skips: /#\[ignore\b|#!?\[cfg(?:_attr)?\s*\((?!\s*test\s*\)\s*\])/gm,
  },
  jvm: {
    comments: cStyle(`'"`),
    tests: /@(?:Test|ParameterizedTest|RepeatedTest|TestFactory)\b/gm,
    // JUnit's conditions (`@DisabledOnOs`, `@EnabledIf…`) and assumptions (`assumeTrue(…)`) skip a test as `@Disabled` does.
    skips: /@(?:Disabled|Ignore|Enabled)\w*|\bassume\w*\s*\(/gm,
  },
  rb: {
    comments: hashStyle(false),
    tests: /^[ \t]*(?:it|specify|scenario|test)[ \t]+['"]|^[ \t]*def[ \t]+test_\w*/gm,
    // `x…` skips a test or a whole group, `f…` and `focus` leave every other test out (RSpec's usual `filter_run_when_matching :focus`), as does a `skip:` option.
    skips: /^[ \t]*(?:xit|xspecify|xexample|xdescribe|xcontext|xfeature|xscenario|skip|pending|fit|fspecify|fexample|fdescribe|fcontext|focus)\b|,[ \t]*(?::skip\b(?![ \t]*=>[ \t]*false)|skip:(?![ \t]*false\b))/gm,
  },
};

const BY_EXTENSION: Record<string, keyof typeof FAMILIES> = {
  js: 'js', mjs: 'js', cjs: 'js', jsx: 'js', ts: 'js', mts: 'js', cts: 'js', tsx: 'js',
  py: 'py',
  go: 'go',
  rs: 'rs',
  java: 'jvm', kt: 'jvm', kts: 'jvm', scala: 'jvm', groovy: 'jvm',
  rb: 'rb',
};

/** The tests and skips `text` declares, for a file named `path`; null for a kind of file it cannot read tests in. Pure. */
export function countTests(path: string, text: string): TestCount | null {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  const family = ext === undefined ? undefined : FAMILIES[BY_EXTENSION[ext] ?? ''];
  if (!family) return null;
  const body = family.comments(text);
  const commentSkips = family.commentSkips ? (text.match(family.commentSkips)?.length ?? 0) : 0;
  return { tests: body.match(family.tests)?.length ?? 0, skips: (body.match(family.skips)?.length ?? 0) + commentSkips };
}

/** What the change from `before` to `after` of one test file lost, in words, or null when it lost nothing. Pure. */
export function testRegression(before: TestCount, after: TestCount): string | null {
  if (after.tests < before.tests) return `${before.tests} → ${after.tests} tests`;
  if (after.skips > before.skips) return `${before.skips} → ${after.skips} skipped`;
  return null;
}
