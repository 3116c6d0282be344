import t from 'tap';
import { countTests, testRegression } from '../../engine/governance/count-tests.js';

t.test('tests and skips a file declares, by language', async (t) => {
  const js = [
    "import test from 'node:test';",
    "test('a', () => {});",
    "it('b', () => {}); it.only('c', () => {});",
    "t.test('d', async (t) => {});",
    "test.each([[1], [2]])('e %i', () => {});",
    "describe('group', () => { it('f', () => {}); });",
    "// it('commented out', () => {});",
    "/* test('block', () => {});",
    "   it('block 2', () => {}); */",
    "const url = 'http://example.com'; it('g', () => {});",
    "expect(latest).toBe(1); const testing = retest(1);",
  ].join('\n');
  t.same(countTests('test/a.test.ts', js), { tests: 7, skips: 1 }, 'commented-out tests and words that end in test do not count; .only turns the others off');
  const skipped = ["it.skip('a', () => {});", "xit('b', () => {});", "test.todo('c');", "test('d', { skip: true }, () => {});", "test('e', { skip: false }, () => {});", 'describe.skip("g", () => {});'].join('\n');
  // xit( is a skip, not a test: turning it( into xit( loses a test and adds a skip.
  t.same(countTests('a.spec.js', skipped), { tests: 4, skips: 5 });
  t.same(countTests('tests/test_a.py', 'import pytest\n\ndef test_a():\n    assert 1\n\n# def test_gone():\nasync def test_b():\n    pass\n\n@pytest.mark.skip(reason="x")\ndef test_c():\n    pass\n\ndef helper_test():\n    pass\n'), { tests: 3, skips: 1 });
  t.same(countTests('a_test.go', 'package a\n\nfunc TestA(t *testing.T) {\n\tt.Skip("later")\n}\n\n// func TestGone(t *testing.T) {}\nfunc helper() {}\n'), { tests: 1, skips: 1 });
  t.same(countTests('tests/a.rs', '#[test]\nfn a() {}\n#[test]\n#[ignore]\nfn b() {}\n// #[test]\n'), { tests: 2, skips: 1 });
  t.same(countTests('src/test/ATest.java', '@Test void a() {}\n@Disabled @Test void b() {}\n'), { tests: 2, skips: 1 });
  t.same(countTests('spec/a_spec.rb', "it 'a' do\nend\nxit 'b' do\nend\n# it 'c'\n"), { tests: 1, skips: 1 });
  t.equal(countTests('test/fixture.json', '{}'), null, 'a kind of file without tests to count');
  t.equal(countTests('test/README', 'it(x)'), null);
});

t.test('skip forms beyond the plain ones', async (t) => {
  const quoted = ["test('a', { 'skip': true }, () => {});", 'test("b", { "skip": "later" }, () => {});', "test('c', { 'skip': false }, () => {});", "test('d', { 'todo': true }, () => {});"].join('\n');
  t.same(countTests('a.test.ts', quoted), { tests: 4, skips: 3 }, 'a quoted skip or todo key');
  const conditional = ["describe.skipIf(true)('g', () => {});", "it.runIf(false)('a', () => {});", "test.skipIf(process.env.CI)('b', () => {});", "it('c', () => {});"].join('\n');
  t.same(countTests('a.test.ts', conditional), { tests: 3, skips: 3 }, 'skipIf and runIf, whatever their condition: still tests, and skips');
  t.ok(testRegression(countTests('a.test.ts', "it('a', () => {});")!, countTests('a.test.ts', "it.runIf(false)('a', () => {});")!), 'a test turned into runIf(false) is a regression');
  t.same(countTests('tests/test_a.py', 'import pytest\npytestmark = pytest.mark.skip(reason="x")\n\ndef test_a():\n    pass\n'), { tests: 1, skips: 1 }, 'a module-wide pytestmark');
  t.same(countTests('tests/test_a.py', 'import unittest\nfrom unittest import SkipTest\n\ndef test_a():\n    raise unittest.SkipTest("x")\n\ndef test_b():\n    raise SkipTest\n'), { tests: 2, skips: 2 }, 'raise unittest.SkipTest and raise SkipTest');
  t.same(countTests('tests/test_a.py', '@pytest.mark.skipif(True, reason="x")\ndef test_a():\n    pass\n'), { tests: 1, skips: 1 }, 'a decorator counts once');
});

t.test('a test deleted and left in a string literal is gone', async (t) => {
  const before = "it('a', () => {});\nit('b', () => {});\n";
  const after = ["it('a', () => {});", 'const note = "it(\'b\', () => {}) was flaky";', "const x = 'test(';", 'const y = `it(${1})`;'].join('\n');
  t.same(countTests('a.test.ts', after), { tests: 1, skips: 0 });
  t.equal(testRegression(countTests('a.test.ts', before)!, countTests('a.test.ts', after)!), '2 → 1 tests');
  t.same(countTests('a.test.ts', "const s = 'xit(\"a\")'; const u = \"it.skip('b')\"; it('c', () => {});"), { tests: 1, skips: 0 }, 'nor does a skip in a string count');
  t.same(countTests('tests/test_a.py', 'def test_a():\n    pass\n\nOLD = """\ndef test_b():\n    pass\n"""\n'), { tests: 1, skips: 0 }, 'a test kept in a triple-quoted string');
  t.same(countTests('a_test.go', 'package a\n\nvar s = `\nfunc TestB(t *testing.T) {}\n`\n\nfunc TestA(t *testing.T) {}\n'), { tests: 1, skips: 0 }, 'a raw Go string');
  t.same(countTests('a.test.ts', "const url = 'http://x/*'; it('a', () => {}); // it('b')\nconst q = \"it's // not a comment\"; it('c', () => {});"), { tests: 2, skips: 0 }, 'comment marks inside strings are text; an apostrophe inside double quotes too');
  t.same(countTests('a.test.ts', "const unclosed = 'it(\nit('a', () => {});"), { tests: 1, skips: 0 }, 'a one-line string left open ends with its line');
});

t.test('a regression: fewer tests, or more skipped', async (t) => {
  t.equal(testRegression({ tests: 2, skips: 0 }, { tests: 1, skips: 0 }), '2 → 1 tests');
  t.equal(testRegression({ tests: 2, skips: 0 }, { tests: 2, skips: 1 }), '0 → 1 skipped');
  t.equal(testRegression({ tests: 2, skips: 1 }, { tests: 3, skips: 1 }), null, 'a test added');
  t.equal(testRegression({ tests: 2, skips: 1 }, { tests: 2, skips: 0 }), null, 'a skip taken away');
});

t.test("a worker's file of unclosed comments is read in one pass", async (t) => {
  // Read with a lazy pattern from each `/*`, this took time by the square of its size: it would not end within tap's limit.
  const text = '/*'.repeat(400_000) + "\nit('a', () => {});\n";
  t.same(countTests('test/a.test.js', text), { tests: 0, skips: 0 }, 'an unclosed comment runs to the end');
  t.same(countTests('test/a.test.js', `${'// x\n'.repeat(200_000)}it('a', () => {});\n`), { tests: 1, skips: 0 });
  // A million blank lines: a pattern with `^\s*` in multiline mode ran from each line start across all the rest.
  const blank = '\n'.repeat(1_000_000);
  t.same(countTests('tests/test_a.py', `${blank}def test_a():\n    pass\n`), { tests: 1, skips: 0 });
  t.same(countTests('spec/a_spec.rb', `${blank}it 'a' do\nend\n`), { tests: 1, skips: 0 });
  t.same(countTests('test/a.test.js', `${' \n'.repeat(500_000)}it('a', () => {});\n`), { tests: 1, skips: 0 });
  t.same(countTests('a_test.go', `${blank}func TestA(t *testing.T) {}\n`), { tests: 1, skips: 0 });
});

t.test('.only, fit( and fdescribe( turn the other tests off: one added is a regression', async (t) => {
  const three = "it('one', () => {});\nit('two', () => {});\nit('three', () => {});\n";
  const before = countTests('a.test.js', three)!;
  for (const [name, after] of [
    ['it.only', three.replace("it('two'", "it.only('two'")],
    ['describe.only', `${three}describe.only('g', () => {});\n`],
    ['fit', three.replace("it('two'", "fit('two'")],
    ['fdescribe', `${three}fdescribe('g', () => { it('four', () => {}); });\n`],
  ] as const) {
    t.ok(testRegression(before, countTests('a.test.js', after)!), `${name}: ${testRegression(before, countTests('a.test.js', after)!)}`);
  }
  t.equal(countTests('a.test.js', "const only = 1; const fitted = fit2(1);\n")!.skips, 0, 'words that hold only or fit are none');
});

t.test('what leaves a whole file or test out without a skip the count knew: build constraints, cfg, importorskip, conditional JUnit, chained modifiers', async (t) => {
  const goBefore = 'package a\n\nfunc TestA(t *testing.T) {}\n';
  // A build constraint is a comment to the language and leaves the file out of `go test`.
  for (const line of ['//go:build never', '// +build ignore']) {
    t.ok(testRegression(countTests('a_test.go', goBefore)!, countTests('a_test.go', `${line}\n\n${goBefore}`)!), `${line} is a regression`);
  }
  const rsBefore = 'mod tests {\n#[test]\nfn a() {}\n}\n';
  for (const attr of ['#[cfg(any())]', '#[cfg(not(test))]', '#[cfg_attr(all(), ignore)]']) {
    t.ok(testRegression(countTests('tests/a.rs', rsBefore)!, countTests('tests/a.rs', `${attr}\n${rsBefore}`)!), `${attr} is a regression`);
  }
  t.same(countTests('tests/a.rs', `#[cfg(test)]\n${rsBefore}`), countTests('tests/a.rs', rsBefore), '#[cfg(test)] is where tests live: no skip');
  t.same(countTests('tests/test_a.py', 'import pytest\nnp = pytest.importorskip("numpy_never")\n\ndef test_a():\n    pass\n'), { tests: 1, skips: 1 }, 'importorskip skips the module');
  for (const ann of ['@DisabledOnOs(OS.LINUX)', '@DisabledIfEnvironmentVariable(named = "CI", matches = ".*")', '@EnabledIf("never")', '@EnabledOnJre(JRE.JAVA_8)']) {
    t.same(countTests('src/test/ATest.java', `${ann} @Test void a() {}\n`), { tests: 1, skips: 1 }, ann);
  }
  t.same(countTests('src/test/ATest.java', '@Test void a() { assumeTrue(false); Assumptions.assumeFalse(true); Assume.assumeTrue(x); }\n'), { tests: 1, skips: 3 }, 'an assumption that fails skips its test');
  t.same(countTests('a.test.ts', "test.concurrent.skip('a', () => {});\ndescribe.sequential.only('b', () => {});\nit.concurrent('c', () => {});\n"), { tests: 2, skips: 2 }, 'a skip or only after another modifier');
});

t.test("Python's skips imported by name: from pytest import mark, from unittest import skip", async (t) => {
  const text = 'from pytest import mark\nfrom unittest import skip, skipIf, expectedFailure\n\n@mark.skip\ndef test_a():\n    pass\n\n@mark.xfail(reason="x")\ndef test_b():\n    pass\n\n@skip("later")\ndef test_c():\n    pass\n\n@skipIf(True, "x")\ndef test_d():\n    pass\n\n@expectedFailure\ndef test_e():\n    pass\n';
  t.same(countTests('tests/test_a.py', text), { tests: 5, skips: 5 });
  t.same(countTests('tests/test_a.py', '@pytest.mark.skip\n@unittest.skip("x")\ndef test_a():\n    pass\n'), { tests: 1, skips: 2 }, 'the qualified forms count once each');
});

t.test("RSpec's group skips and focus: xdescribe, xcontext, fdescribe, fit, a skip option", async (t) => {
  const before = "describe 'a' do\n  it 'b' do\n  end\nend\n";
  for (const after of ["xdescribe 'a' do\n  it 'b' do\n  end\nend\n", "context 'a' do\nend\nxcontext 'c' do\n  it 'b' do\n  end\nend\n", "fdescribe 'a' do\n  it 'b' do\n  end\nend\n", "describe 'a' do\n  it 'b', skip: true do\n  end\nend\n", "describe 'a' do\n  it 'b', :skip do\n  end\nend\n"]) {
    t.ok(testRegression(countTests('spec/a_spec.rb', before)!, countTests('spec/a_spec.rb', after)!), after.split('\n')[0]);
  }
  t.same(countTests('spec/a_spec.rb', "describe 'a' do\n  fit 'b' do\n  end\nend\n"), { tests: 0, skips: 1 }, 'fit is a focus, not a test the count reads: a regression either way');
});

t.test('a test that passes when it fails (jest test.failing, vitest test.fails) is a skip: the code it tests may be broken', async (t) => {
  const before = countTests('a.test.ts', "test('a', () => { expect(add(1, 1)).toBe(2); });\n")!;
  for (const form of ['test.failing', 'test.fails', 'it.concurrent.fails', 'test.failing.each([[1]])']) {
    const after = countTests('a.test.ts', `${form}('a', () => { expect(add(1, 1)).toBe(2); });\n`)!;
    t.same(after.skips, 1, `${form} is a skip`);
    t.ok(testRegression(before, after), `${form} is a regression`);
  }
});

t.test("node:test's only option leaves every other test out (with --test-only, or without test isolation)", async (t) => {
  t.same(countTests('a.test.mjs', "test('a', { only: true }, () => {});\ntest('b', () => {});\ntest('c', { only: false }, () => {});\n"), { tests: 3, skips: 1 });
});
