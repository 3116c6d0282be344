import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';

/** YAML that used to crash `validate` with exit 70 is now a located E_YAML and exit 2. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-hostile-yaml-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function validate(name: string, text: string): Promise<{ code: number; err: string }> {
  writeFileSync(path.join(dir, name), text);
  const io = memoryIo({ cwd: dir });
  const code = await main(['validate', name], io);
  return { code, err: io.err.join('') };
}

t.test('an alias bomb', async (t) => {
  const lines = ['kind: Policy', 'apiVersion: engine/v1', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  t.same(await validate('bomb.policy.yaml', lines.join('\n')), {
    code: 2,
    err: 'bomb.policy.yaml:4:10: error E_YAML aliases expand this document beyond 1000 nodes (an alias bomb?); write the values out or use fewer aliases [ALIAS_COUNT]\n',
  });
});

t.test('an alias with no anchor', async (t) => {
  t.same(await validate('alias.policy.yaml', 'kind: Policy\napiVersion: engine/v1\nbudgets: *nowhere\n'), {
    code: 2,
    err: 'alias.policy.yaml:3:10: error E_YAML undefined alias `*nowhere`: no anchor `&nowhere` is set before it [UNDEFINED_ALIAS]\n',
  });
});

t.test('a value wrong where an alias brings it: located where its anchor wrote it, and the alias named', async (t) => {
  const text = 'kind: Policy\napiVersion: engine/v1\nbudgets: &b\n  max_ticks: 10\nverification:\n  tiers:\n    tier0:\n      timeout_s: *b\n';
  t.same(await validate('through.policy.yaml', text), {
    code: 2,
    err: 'through.policy.yaml:4:3: error E_SCHEMA `verification.tiers.tier0.timeout_s` must be number, got object (reached through the alias `*b` at 8:18)\n',
  });
  // The anchor's own place is valid: said of the use alone, once.
  const nested = 'kind: Policy\napiVersion: engine/v1\nverification:\n  tiers:\n    tier0: &t\n      commands: [make test]\n      timeout_s: 5\n    tier2: &t2\n      wrong: *t\n';
  const r = await validate('nested.policy.yaml', nested);
  t.equal(r.code, 2);
  t.match(r.err, /^nested\.policy\.yaml:9:7: error E_UNKNOWN_KEY unknown key `wrong` in `verification\.tiers\.tier2`/, 'a key written at the use is located there, with no alias to name');
  t.notMatch(r.err, /reached through/);
  // A key wrong inside an anchor, found where an alias uses it: the key is the anchor's, the use the alias's.
  const inside = 'kind: Policy\napiVersion: engine/v1\nx: &t\n  commands: [make test]\n  wrong: 1\nverification:\n  tiers:\n    tier0: *t\n';
  const u = await validate('inside.policy.yaml', inside);
  t.equal(u.code, 2);
  t.match(u.err, /inside\.policy\.yaml:5:3: error E_UNKNOWN_KEY unknown key `wrong` in `verification\.tiers\.tier0` \(reached through the alias `\*t` at 8:12\)/);
});

t.test('5,000-deep flow nesting and 1,000-deep block nesting', async (t) => {
  t.same(await validate('flow.pipeline.yaml', `kind: Pipeline\nsteps: ${'['.repeat(5000)}\n`), {
    code: 2,
    err: 'flow.pipeline.yaml:2:208: error E_YAML nested more than 200 levels deep; a config file never needs this [NESTING]\n',
  });
  let block = 'kind: Pipeline\n';
  for (let i = 0; i < 1000; i++) block += `${'  '.repeat(i)}k${i}:\n`;
  const { code, err } = await validate('block.pipeline.yaml', block);
  t.equal(code, 2);
  t.match(err, /^block\.pipeline\.yaml:203:403: error E_YAML nested more than 200 levels deep/);
});

t.test('closing brackets inside a string do not hide deep nesting from the parser', async (t) => {
  // Each level opens a bracket and closes one inside a string: the text scan sees no depth.
  const { code, err } = await validate('sneaky.pipeline.yaml', `kind: Pipeline\nsteps: ${'["]", '.repeat(20000)}\n`);
  t.equal(code, 2);
  t.match(err, /^sneaky\.pipeline\.yaml:2:\d+: error E_YAML /);
});

t.test('a list as a key is a located E_YAML, with no warning from the parser', async (t) => {
  t.same(await validate('key.policy.yaml', 'apiVersion: engine/v1\nkind: Policy\n? [a, b]\n: 1\n'), {
    code: 2,
    err: 'key.policy.yaml:3:3: error E_YAML a key must be a plain value such as a name, not a list or a map [COMPLEX_KEY]\n',
  });
});

t.test('a task whose scenario is a directory', async (t) => {
  t.same(await validate('dir.task.yaml', 'apiVersion: engine/v1\nkind: Task\ngoal: x\nscenario: /\n'), {
    code: 2,
    err: 'dir.task.yaml:4:11: error E_FILE scenario file `/` is a directory, not a file (looked at /) (the path is relative to the task file)\n',
  });
});

t.test('a task whose scenario is a device says so, not "not found" (it exists)', async (t) => {
  t.same(await validate('dev.task.yaml', 'apiVersion: engine/v1\nkind: Task\ngoal: x\nscenario: /dev/zero\n'), {
    code: 2,
    err: 'dev.task.yaml:4:11: error E_FILE scenario file `/dev/zero` is not a regular file (a FIFO, a device or a socket) (looked at /dev/zero) (the path is relative to the task file)\n',
  });
});

t.test('many problems on one long line are located in linear time (a 3 MB flow map of 300,000 unknown keys held validate for hours, deaf to SIGTERM)', async (t) => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join(', ');
  const { code, err } = await validate('wide.policy.yaml', `apiVersion: engine/v1\nkind: Policy\nbudgets: {é: 1, ${keys}}\n`);
  t.equal(code, 2);
  const lines = err.trim().split('\n');
  // Every key is located (to name the first 100 in document order); the rest are counted.
  t.equal(lines.length, 101);
  t.match(lines[0], /^wide\.policy\.yaml:3:11: error E_UNKNOWN_KEY unknown key `é`/);
  t.match(lines[1], /^wide\.policy\.yaml:3:17: error E_UNKNOWN_KEY unknown key `k0`/, 'columns count characters, not bytes or UTF-16 units');
  t.match(lines[100], /^wide\.policy\.yaml:3:\d+: error E_UNKNOWN_KEY and 19,901 more unknown keys, not named/);
});

t.test('a null key is reported at its line', async (t) => {
  const { code, err } = await validate('null.policy.yaml', 'apiVersion: engine/v1\nkind: Policy\nnull: 3\n');
  t.equal(code, 2);
  t.match(err, /^null\.policy\.yaml:3:1: error E_UNKNOWN_KEY unknown key `` /);
});

t.test('a value JSON cannot hold (.inf, .nan, 1e400, !!binary) is one located E_YAML each, never a silent Infinity', async (t) => {
  // `max_ticks: 1e400` passed the schema (ajv counts Infinity an integer) and meant no limit at
  // all; `!!binary` gave one unknown-key error per byte of the decoded bytes.
  const text = [
    'kind: Policy',
    'apiVersion: engine/v1',
    'budgets:',
    '  max_ticks: 1e400',
    '  time_min: .inf',
    '  review_rounds: -.Inf',
    '  parse_retries: .nan',
    'governance: !!binary aGVsbG8gd29ybGQ=',
    '',
  ].join('\n');
  const r = await validate('inf.policy.yaml', text);
  t.equal(r.code, 2);
  t.same(r.err.trim().split('\n'), [
    'inf.policy.yaml:4:14: error E_YAML `1e400` is not a value a config file can hold: numbers are finite (this one is beyond the largest a number can be) [NOT_JSON]',
    'inf.policy.yaml:5:13: error E_YAML `.inf` is not a value a config file can hold: numbers are finite [NOT_JSON]',
    'inf.policy.yaml:6:18: error E_YAML `-.Inf` is not a value a config file can hold: numbers are finite [NOT_JSON]',
    'inf.policy.yaml:7:18: error E_YAML `.nan` is not a value a config file can hold: numbers are finite [NOT_JSON]',
    'inf.policy.yaml:8:22: error E_YAML `!!binary` is not a value a config file can hold: text, a finite number, true/false, null, a list or a mapping [NOT_JSON]',
  ]);
});

t.test('a set, an ordered map or pairs (!!set, !!omap, !!pairs) is refused at its tag: its keys were neither checked nor applied', async (t) => {
  const text = [
    'apiVersion: engine/v1',
    'kind: Policy',
    'governance: !!omap',
    '  - allowed_roots: ["src/**"]',
    'budgets: !!set {max_ticks}',
    'sandbox:',
    '  writable: !!pairs [a: 1]',
    '',
  ].join('\n');
  const r = await validate('tagged.policy.yaml', text);
  t.equal(r.code, 2);
  t.same(r.err.trim().split('\n'), [
    'tagged.policy.yaml:3:13: error E_YAML `!!omap` is not a value a config file can hold: text, a finite number, true/false, null, a list or a mapping [NOT_JSON]',
    'tagged.policy.yaml:5:10: error E_YAML `!!set` is not a value a config file can hold: text, a finite number, true/false, null, a list or a mapping [NOT_JSON]',
    'tagged.policy.yaml:7:13: error E_YAML `!!pairs` is not a value a config file can hold: text, a finite number, true/false, null, a list or a mapping [NOT_JSON]',
  ]);
  const io = memoryIo({ cwd: dir });
  const code = await main(['policy', '--set', 'governance=!!omap [allowed_roots: [x]]'], io);
  t.equal(code, 2, '--set too: the restriction was dropped and the defaults printed');
  t.match(io.err.join(''), /E_YAML .*`!!omap` is not a value a config file can hold/);
});

t.test('a NUL byte in a text or a key is one located E_YAML each (it passed validate, then a spawn threw: exit 70, the run left running)', async (t) => {
  const text = ['kind: Policy', 'apiVersion: engine/v1', 'verification:', '  tiers:', '    tier0:', '      commands: ["true\\0x"]', 'git:', '  author: "A\\0 <a@b>"', 'sandbox:', '  writable: ["/tmp/a\\0b"]', ''].join('\n');
  const r = await validate('nul.policy.yaml', text);
  t.equal(r.code, 2);
  t.same(r.err.trim().split('\n'), [
    'nul.policy.yaml:6:18: error E_YAML a text with a NUL byte (\\0) is not a value a config file can hold: no argument, path or variable can hold one [NUL]',
    'nul.policy.yaml:8:11: error E_YAML a text with a NUL byte (\\0) is not a value a config file can hold: no argument, path or variable can hold one [NUL]',
    'nul.policy.yaml:10:14: error E_YAML a text with a NUL byte (\\0) is not a value a config file can hold: no argument, path or variable can hold one [NUL]',
  ]);
  const pipeline = await validate('nul.pipeline.yaml', 'apiVersion: engine/v1\nkind: Pipeline\nname: p\nworkers:\n  w:\n    use: command\n    bin: sh\n    env:\n      "X\\0Y": "1"\n');
  t.match(pipeline.err, /^nul\.pipeline\.yaml:9:7: error E_YAML a text with a NUL byte .*\[NUL\]$/m, 'a key too');
});

t.test('a git.author git would refuse is refused where it is written (run refused it; validate, doctor and policy --set said ok)', async (t) => {
  const r = await validate('crud.policy.yaml', 'apiVersion: engine/v1\nkind: Policy\ngit:\n  author: ". <a@b>"\n');
  t.equal(r.code, 2);
  t.match(r.err, /^crud\.policy\.yaml:4:11: error E_SCHEMA `git\.author` "\. <a@b>": its name is only characters git strips from a name/m);
  const ok = await validate('ok.policy.yaml', 'apiVersion: engine/v1\nkind: Policy\ngit:\n  author: "O\'Brien <a@b>"\n');
  t.equal(ok.code, 0, ok.err);
});

t.test('a bracket never closed: the error names where it was opened', async (t) => {
  // The parser reports it where the file goes on (the next line, or the end of the file):
  // a line late, in a long flow list many lines late.
  const seq = await validate('seq.policy.yaml', 'apiVersion: engine/v1\nkind: Policy\ngovernance:\n  allowed_roots: ["src/**", "a]b"  # ] in a comment\n  protected_paths: []\n');
  t.same(seq, {
    code: 2,
    err: 'seq.policy.yaml:5:3: error E_YAML Flow sequence in block collection must be sufficiently indented and end with a ] [BAD_INDENT] (the `[` at 4:18 is never closed)\n',
  });
  const map = await validate('map.policy.yaml', "apiVersion: engine/v1\nkind: Policy\nbudgets: {max_ticks: 1, time_min: '}', note: don't\n");
  t.match(map.err, /^map\.policy\.yaml:4:1: error E_YAML Flow map .* \(the `\{` at 3:10 is never closed\)\n$/);
  // Closed, only indented too little: no such hint.
  const closed = await validate('closed.policy.yaml', 'apiVersion: engine/v1\nkind: Policy\ngovernance:\n  allowed_roots: ["src/**",\n"lib/**"]\n');
  t.equal(closed.code, 2);
  t.notMatch(closed.err, /never closed/);
});

// A hostile review: a policy of 20,000 keys took `validate` 20 s of CPU (each diagnostic found
// its key by a scan of the map; the parser compared each key with every one before it), and a
// repo's .engine/policy.yaml of that kind held `policy`, `report` and `doctor` as long. Keys
// are now found and held unique in one pass; duplicates are said as the parser said them.
t.test('duplicate keys are said as the parser says them, in one pass over a map of 60,000', async (t) => {
  const { parseDocument } = await import('yaml');
  const { parseSource } = await import('../../engine/config/parse-source.js');
  const text = 'a: 1\nb: {x: 1, x: 2}\n"a": 3\n1: x\n1.0: y\n"1": z\nnull: 1\n~: 2\ntrue: 1\n"true": 2\n';
  const theirs = parseDocument(text, { uniqueKeys: true }).errors.map((e) => `${e.code}@${e.pos[0]}`);
  const lines = text.split('\n');
  const offset = (line: number, col: number) => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + col - 1;
  const ours = parseSource(text, 'd.yaml').diagnostics.map((d) => `${/\[(\w+)\]$/.exec(d.message)?.[1]}@${offset(d.line, d.col)}`);
  t.same(ours, theirs, `the same duplicates at the same places (${theirs.join(', ')})`);
  const many = `${'k: 1\n'.repeat(60_000)}`;
  const d = parseSource(many, 'many.yaml').diagnostics;
  t.equal(d.length, 59_999, 'each repeat of the key is one diagnostic');
  t.same([d[0]!.line, d.at(-1)!.line], [2, 60_000]);
});

t.test('a number past 2^53 is refused where it is written, in a file and in --set: no count or limit is exact there', async (t) => {
  const text = ['kind: Policy', 'apiVersion: engine/v1', 'budgets:', '  max_ticks: 99999999999999999999', '  time_min: -1e300', '  review_rounds: 9007199254740991', ''].join('\n');
  const r = await validate('big.policy.yaml', text);
  t.equal(r.code, 2);
  t.same(r.err.trim().split('\n'), [
    'big.policy.yaml:4:14: error E_YAML `99999999999999999999` is not a value a config file can hold: numbers are at most 9007199254740991 either way (past it, not every whole number can be told apart) [NOT_JSON]',
    'big.policy.yaml:5:13: error E_YAML `-1e300` is not a value a config file can hold: numbers are at most 9007199254740991 either way (past it, not every whole number can be told apart) [NOT_JSON]',
  ], '2^53 - 1 itself is a number like any other');
  const io = memoryIo({ cwd: process.cwd(), env: {} });
  t.equal(await main(['policy', '--set', 'budgets.max_ticks=1e20'], io), 2);
  t.match(io.err.join(''), /--set budgets\.max_ticks: the value holds a number past 9007199254740991: .*\[NOT_JSON\]/);
});
