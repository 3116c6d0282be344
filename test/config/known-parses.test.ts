import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownParseOf, lengthsOf, parseConfigText, registerKnownParses, textKey, type KnownParse } from '../../engine/config/known-parses.js';
import { parseSource } from '../../engine/config/parse-source.js';

/** A known parse must be indistinguishable from parsing: same data, same positions, same misses. */
// The table is the process's: other test files of a group parse after these, with none.
t.teardown(() => registerKnownParses(() => ({})));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shipped = ['pipelines', 'policies', 'tasks'].flatMap((dir) =>
  readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name)),
);

/** Every path into the data, and for each one a key and an index that are not there. */
function probes(data: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at, [...at, 'no-such-key'], [...at, 7]];
  if (Array.isArray(data)) data.forEach((v, i) => out.push(...probes(v, [...at, i])));
  else if (data !== null && typeof data === 'object') for (const [k, v] of Object.entries(data)) out.push(...probes(v, [...at, k]));
  return out;
}

t.test('every shipped config file parses the same from the table as from its text', async (t) => {
  const table: Record<string, KnownParse> = {};
  for (const file of shipped) {
    const text = readFileSync(file, 'utf8');
    const entry = knownParseOf(text, file);
    if (entry) table[textKey(text)] = entry;
  }
  // The hostile tasks hold broken files on purpose; the rest are known.
  t.ok(Object.keys(table).length >= shipped.length - 10, `${Object.keys(table).length} of ${shipped.length} known`);
  registerKnownParses(() => table);
  let compared = 0;
  const differ: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const file of shipped) {
    const text = readFileSync(file, 'utf8');
    const known = parseConfigText(text, path.relative(root, file));
    const parsed = parseSource(text, path.relative(root, file));
    t.same(known.data, parsed.data, `${file}: data`);
    t.same(known.diagnostics, parsed.diagnostics, `${file}: diagnostics`);
    for (const p of probes(parsed.data)) {
      if (!same(known.locate(p), parsed.locate(p))) differ.push(`${file}: locate ${JSON.stringify(p)}`);
      if (!same(known.locateKey(p), parsed.locateKey(p))) differ.push(`${file}: locateKey ${JSON.stringify(p)}`);
      compared++;
    }
  }
  t.same(differ, [], 'no position differs');
  t.ok(compared > 1000, `${compared} paths compared`);
});

t.test('a known file gives every caller its own copy of the data', async (t) => {
  const text = 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  max_ticks: 3\n';
  registerKnownParses(() => ({ [textKey(text)]: knownParseOf(text, 'p.yaml')! }));
  const first = parseConfigText(text, 'p.yaml').data as { budgets: { max_ticks: number } };
  first.budgets.max_ticks = 99;
  t.same(parseConfigText(text, 'p.yaml').data, { apiVersion: 'engine/v1', kind: 'Policy', budgets: { max_ticks: 3 } });
});

t.test('a text edited since the build is parsed, errors and all', async (t) => {
  const text = 'apiVersion: engine/v1\nkind: Policy\n';
  registerKnownParses(() => ({ [textKey(text)]: knownParseOf(text, 'p.yaml')! }));
  const edited = parseConfigText(`${text}budgets: [\n`, 'p.yaml');
  t.equal(edited.data, null);
  t.match(edited.diagnostics, [{ code: 'E_YAML', file: 'p.yaml', line: 4 }]);
  // Trailing whitespace is another text too: the whole text is the key.
  t.not(textKey(`${text} `), textKey(text));
});

t.test('what JSON cannot carry, or a file with problems, is never put in the table', async (t) => {
  t.equal(knownParseOf('a: .inf\n', 'f.yaml'), null);
  t.equal(knownParseOf('a: .nan\n', 'f.yaml'), null);
  t.equal(knownParseOf('a: -0\n', 'f.yaml'), null);
  t.equal(knownParseOf('a: [\n', 'f.yaml'), null, 'a syntax error');
  t.equal(knownParseOf('a: *nowhere\n', 'f.yaml'), null, 'an alias without its anchor');
  t.equal(knownParseOf('', 'f.yaml'), null, 'an empty file');
  t.ok(knownParseOf('a: &x [1, 2]\nb: *x\n', 'f.yaml'), 'aliases that resolve are plain data');
});

t.test('a table that cannot be read leaves every file to the parser', async (t) => {
  registerKnownParses(() => {
    throw new Error('no table');
  });
  const source = parseConfigText('kind: Policy\n', 'p.yaml');
  t.same(source.data, { kind: 'Policy' });
  t.ok(source.doc, 'a real parse');
});

t.test('with the lengths of its texts given, a text of another length is parsed without reading the table', async (t) => {
  const text = 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  max_ticks: 3\n';
  let reads = 0;
  registerKnownParses(() => {
    reads++;
    return { [textKey(text)]: knownParseOf(text, 'p.yaml')! };
  }, lengthsOf([text, text, 'kind: Policy\n']));
  t.same(lengthsOf([text, text, 'kind: Policy\n']), ['kind: Policy\n'.length, text.length], 'each length once, in order');
  const other = parseConfigText('apiVersion: engine/v1\nkind: Policy\n', 'other.yaml');
  t.equal(reads, 0, 'a length no known text has: the table is not read');
  t.ok(other.doc, 'a real parse');
  t.same(other.data, { apiVersion: 'engine/v1', kind: 'Policy' });
  const known = parseConfigText(text, 'p.yaml');
  t.equal(reads, 1, 'a known length: the table is read');
  t.same(known.data, { apiVersion: 'engine/v1', kind: 'Policy', budgets: { max_ticks: 3 } });
  // The same length, another text: the table is asked, and the text parsed.
  const twin = text.replace('3', '4');
  t.equal(twin.length, text.length);
  t.same(parseConfigText(twin, 'p.yaml').data, { apiVersion: 'engine/v1', kind: 'Policy', budgets: { max_ticks: 4 } });
});
