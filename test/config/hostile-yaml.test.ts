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

t.test('a null key is reported at its line', async (t) => {
  const { code, err } = await validate('null.policy.yaml', 'apiVersion: engine/v1\nkind: Policy\nnull: 3\n');
  t.equal(code, 2);
  t.match(err, /^null\.policy\.yaml:3:1: error E_UNKNOWN_KEY unknown key `` /);
});
