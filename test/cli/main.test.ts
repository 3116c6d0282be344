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

t.test('a bug exits 70 and names the log that holds the stack', async (t) => {
  const { reportBug } = await import('../../engine/cli/main.js');
  const { readFileSync, rmSync } = await import('node:fs');
  const io = memoryIo();
  t.equal(reportBug(new Error('boom'), io, ['run', 'x']), 70);
  const err = io.err.join('');
  t.match(err, /internal error \(a bug in the engine, please report it\): boom/);
  const log = /the log is (\S+)/.exec(err)?.[1];
  t.ok(log, 'names the log');
  const body = readFileSync(log!, 'utf8');
  t.match(body, /Error: boom/);
  t.match(body, /argv: \["run","x"\]/);
  rmSync(log!);
});
