import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { packageRoot } from '../../engine/paths.js';

t.test('prints a shipped schema verbatim', async (t) => {
  for (const name of ['pipeline', 'policy', 'task']) {
    const io = memoryIo();
    t.equal(await main(['schema', name], io), 0, name);
    t.equal(io.out.join(''), readFileSync(path.join(packageRoot, 'schemas', `${name}.schema.json`), 'utf8'));
    t.match(JSON.parse(io.out.join('')), { $schema: 'http://json-schema.org/draft-07/schema#', $id: `https://engine.dev/schemas/v1/${name}.schema.json` });
  }
});

t.test('an unknown name exits 2 listing the names', async (t) => {
  const io = memoryIo();
  t.equal(await main(['schema', 'pipelines'], io), 2);
  t.match(io.err.join(''), /E_USAGE unknown schema "pipelines"; one of: .*pipeline, policy, .*task/);
  t.equal(io.out.join(''), '');
});

t.test('no name or two names is a usage error', async (t) => {
  t.equal(await main(['schema'], memoryIo()), 2);
  t.equal(await main(['schema', 'policy', 'task'], memoryIo()), 2);
});
