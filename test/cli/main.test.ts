import t from 'tap';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { engineVersion } from '../../engine/version.js';

t.test('unknown command is a usage error (exit 2) naming the command', async (t) => {
  const io = memoryIo();
  t.equal(await main(['frobnicate'], io), 2);
  t.match(io.err.join(''), /E_USAGE unknown command "frobnicate"/);
});

t.test('--version prints the package version', async (t) => {
  const io = memoryIo();
  t.equal(await main(['--version'], io), 0);
  t.equal(io.out.join(''), `${engineVersion}\n`);
});

t.test('no command prints the overview and exits 2', async (t) => {
  const io = memoryIo();
  t.equal(await main([], io), 2);
  t.match(io.out.join(''), /usage: engine <command>/);
});
