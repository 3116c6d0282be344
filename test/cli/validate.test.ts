import t from 'tap';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { packageRoot } from '../../engine/paths.js';

const broken = path.join(packageRoot, 'test/fixtures/config/broken');

t.test('valid files: exit 0, one ok line each on stdout, nothing on stderr', async (t) => {
  const io = memoryIo({ cwd: packageRoot });
  t.equal(await main(['validate', 'pipelines/default.pipeline.yaml', 'policies/default.policy.yaml'], io), 0);
  t.equal(io.out.join(''), 'ok pipelines/default.pipeline.yaml (Pipeline)\nok policies/default.policy.yaml (Policy)\n');
  t.equal(io.err.join(''), '');
});

t.test('an invalid file: exit 2, diagnostics as path:line:col: error CODE message (hint)', async (t) => {
  const io = memoryIo({ cwd: broken });
  t.equal(await main(['validate', 'policy-typo-key.policy.yaml', 'policy-wrong-type.policy.yaml'], io), 2);
  t.same(io.err.join('').trim().split('\n'), [
    'policy-typo-key.policy.yaml:4:3: error E_UNKNOWN_KEY unknown key `allowd_roots` in `governance` (did you mean `allowed_roots`?)',
    'policy-wrong-type.policy.yaml:4:14: error E_SCHEMA `budgets.max_ticks` must be integer, got string "ten"',
    '2 of 2 files invalid',
  ]);
  t.equal(io.out.join(''), '');
});

t.test('a command worker without a bin is refused at the worker, as the editor refuses it (there is nothing to run)', async (t) => {
  const io = memoryIo({ cwd: broken });
  t.equal(await main(['validate', 'command-without-bin.pipeline.yaml'], io), 2);
  t.match(io.err.join(''), /^command-without-bin\.pipeline\.yaml:7:5: error E_SCHEMA `workers\.w` is missing required key `bin`\n/);
});

t.test('--json prints one document {files: [{file, kind, valid, diagnostics}]}', async (t) => {
  const io = memoryIo({ cwd: packageRoot });
  const code = await main(['validate', '--json', 'pipelines/default.pipeline.yaml', 'test/fixtures/config/broken/task-missing-goal.task.yaml', 'nope.yaml'], io);
  t.equal(code, 2);
  t.equal(io.err.join(''), '', 'nothing on stderr with --json');
  const doc = JSON.parse(io.out.join('')) as { files: { file: string; kind: string | null; valid: boolean; diagnostics: { code: string; line: number; col: number }[] }[] };
  t.same(
    doc.files.map((f) => [f.file, f.kind, f.valid, f.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`)]),
    [
      ['pipelines/default.pipeline.yaml', 'Pipeline', true, []],
      ['test/fixtures/config/broken/task-missing-goal.task.yaml', 'Task', false, ['E_SCHEMA@1:1']],
      ['nope.yaml', null, false, ['E_FILE@0:0']],
    ],
  );
});

t.test('no file is a usage error', async (t) => {
  const io = memoryIo();
  t.equal(await main(['validate'], io), 2);
  t.match(io.err.join(''), /E_USAGE/);
});

t.test('--help is generated from the option table', async (t) => {
  const io = memoryIo();
  t.equal(await main(['validate', '--help'], io), 0);
  t.match(io.out.join(''), /usage: engine validate <file>\.\.\. \[--json\][\s\S]*--json\n\s+print one JSON document/);
});

t.test('`engine help <command>` is that command\'s --help; `engine help` alone the overview', async (t) => {
  const io = memoryIo();
  t.equal(await main(['help', 'validate'], io), 0);
  const direct = memoryIo();
  await main(['validate', '--help'], direct);
  t.equal(io.out.join(''), direct.out.join(''));
  const overview = memoryIo();
  t.equal(await main(['help'], overview), 0);
  t.match(overview.out.join(''), /validate/);
  t.notMatch(overview.out.join(''), /^usage: engine validate/);
});
