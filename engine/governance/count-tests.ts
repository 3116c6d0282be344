/**
 * How many tests a test file declares, and how many it skips, read from its text: what the
 * auto-approve guardrail compares before and after a milestone ("no test-count regression",
 * contract section 3). A worker that deleted a test, commented it out, renamed it out of its
 * runner's sight or marked it skipped got its change approved without a reviewer when only a
 * removed test file counted. Read by pattern, per language family (by the file's extension),
 * with comments taken out first; it errs toward calling the reviewer: a count that falls or a
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
}

const cStyle = (text: string): string => withoutBlockComments(text).replace(/(^|[^:\\])\/\/.*$/gm, '$1');

/**
 * `text` without its block comments, in one pass (a pattern with a lazy `[\s\S]*?` tried from
 * every `/*` of a file with no `*\/` took time by the square of its size: a worker's file).
 * An unclosed one runs to the end. Pure.
 */
function withoutBlockComments(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const open = text.indexOf('/*', at);
    if (open < 0) return out + text.slice(at);
    out += `${text.slice(at, open)} `;
    const close = text.indexOf('*/', open + 2);
    if (close < 0) return out;
    at = close + 2;
  }
}
const hashStyle = (text: string): string => text.replace(/(^|\s)#(?!\[).*$/gm, '$1');

const FAMILIES: Record<string, Family> = {
  js: {
    comments: cStyle,
    // it( test( specify(, also t.test( and test.only(; not describe( (a group holds tests).
    tests: /(?:^|[^\w$.])(?:[A-Za-z_$][\w$]*\.)?(?:it|test|specify)(?:\.(?:only|skip|todo|concurrent|failing|each))*\s*[(`]/gm,
    skips: /\b(?:describe|context|suite|it|test|specify)\.(?:skip|todo)\b|(?:^|[^\w$.])x(?:it|test|describe|context|specify)\s*\(|[{,]\s*(?:skip|todo)\s*:(?!\s*false\b)|\bthis\.skip\s*\(|\bt\.(?:skip|todo)\s*\(/gm,
  },
  py: {
    comments: hashStyle,
    tests: /^[ \t]*(?:async[ \t]+)?def[ \t]+test\w*[ \t]*\(/gm,
    skips: /@(?:pytest\.mark\.(?:skip|skipif|xfail)|unittest\.(?:skip|skipIf|skipUnless|expectedFailure))\b|\bpytest\.(?:skip|xfail)\s*\(|\bself\.skipTest\s*\(/gm,
  },
  go: {
    comments: cStyle,
    tests: /^func\s+(?:Test|Benchmark|Example|Fuzz)\w*\s*\(/gm,
    skips: /\b\w+\.(?:Skip|SkipNow|Skipf)\s*\(/gm,
  },
  rs: {
    comments: cStyle,
    tests: /#\[(?:tokio::)?test\b/gm,
    skips: /#\[ignore\b/gm,
  },
  jvm: {
    comments: cStyle,
    tests: /@(?:Test|ParameterizedTest|RepeatedTest|TestFactory)\b/gm,
    skips: /@(?:Disabled|Ignore)\b/gm,
  },
  rb: {
    comments: hashStyle,
    tests: /^[ \t]*(?:it|specify|scenario|test)[ \t]+['"]|^[ \t]*def[ \t]+test_\w*/gm,
    skips: /^[ \t]*(?:xit|xspecify|skip|pending)\b/gm,
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
  return { tests: body.match(family.tests)?.length ?? 0, skips: body.match(family.skips)?.length ?? 0 };
}

/** What the change from `before` to `after` of one test file lost, in words, or null when it lost nothing. Pure. */
export function testRegression(before: TestCount, after: TestCount): string | null {
  if (after.tests < before.tests) return `${before.tests} → ${after.tests} tests`;
  if (after.skips > before.skips) return `${before.skips} → ${after.skips} skipped`;
  return null;
}
