import t from 'tap';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { engineVersion } from '../../engine/version.js';

t.test('unknown command is a usage error (exit 2) naming the command', async (t) => {
  const io = memoryIo();
  t.equal(await main(['frobnicate'], io), 2);
  t.match(io.err.join(''), /E_USAGE unknown command "frobnicate"/);
});

t.test('a usage error shows no control character of the command line raw: an escape in an argument drove the terminal', async (t) => {
  const esc = '\u001b]0;owned\u0007\u001b[2J';
  for (const argv of [[esc], ['schema', esc], ['validate', `--x${esc}`], ['policy', '--set', `a${esc}`]]) {
    const io = memoryIo();
    t.equal(await main(argv, io), 2, argv.join(' '));
    const err = io.err.join('');
    t.match(err, /E_USAGE/);
    t.notMatch(err, /[\u001b\u0007]/, `no ESC or BEL in what ${JSON.stringify(argv)} printed`);
    if (argv[0] !== 'policy') t.match(err, /\ufffd\]0;owned\ufffd\ufffd\[2J/, 'each shown as U+FFFD');
  }
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

t.test("the bug log's guessable name in the temp dir: a link planted there is replaced, not written through", async (t) => {
  const { reportBug } = await import('../../engine/cli/main.js');
  const { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-bug-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const victim = path.join(dir, 'bashrc');
  writeFileSync(victim, 'the user file\n');
  const now = Date.now;
  Date.now = () => 1_234_567_890_123;
  t.teardown(() => void (Date.now = now));
  const log = path.join(os.tmpdir(), `engine-internal-error-1234567890123-${process.pid}.log`);
  symlinkSync(victim, log);
  t.teardown(() => rmSync(log, { force: true }));
  const io = memoryIo();
  t.equal(reportBug(new Error('boom'), io, ['run']), 70);
  t.equal(readFileSync(victim, 'utf8'), 'the user file\n', 'the file the link named is untouched');
  t.ok(lstatSync(log).isFile(), 'the log is a file of its own');
  t.match(readFileSync(log, 'utf8'), /Error: boom/);
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

// A bug's message can quote what a worker named (a file called after a secret's value, say,
// in git's "invalid path" error): the log went to the shared temp dir readable by all, and the
// message to stderr, with the value as it was.
t.test("a bug's log and message carry no secret of the environment, and the log is the user's alone", async (t) => {
  const { reportBug } = await import('../../engine/cli/main.js');
  const { readFileSync, rmSync, statSync } = await import('node:fs');
  const io = memoryIo();
  const env = { MY_SECRET_TOKEN: 's3cr3t-VALUE-0123456789abcdef', PATH: '/usr/bin' };
  t.equal(reportBug(new Error("git add: invalid path 'src/.git /s3cr3t-VALUE-0123456789abcdef'"), io, ['run'], env), 70);
  const err = io.err.join('');
  t.notMatch(err, /s3cr3t-VALUE/, 'not on stderr');
  t.match(err, /MY_SECRET_TOKEN/, 'named in its place');
  const log = /the log is (\S+)/.exec(err)?.[1];
  t.ok(log, 'names the log');
  t.notMatch(readFileSync(log!, 'utf8'), /s3cr3t-VALUE/, 'not in the log');
  t.equal(statSync(log!).mode & 0o777, 0o600, 'which only its user can read');
  rmSync(log!);
});

t.test("a bug's stack names the bundle where this install has it, not where the package was built", async (t) => {
  // V8 keeps a script's name in its code cache, and the shipped caches were made at build time.
  const { localizeStack } = await import('../../engine/cli/main.js');
  const built = [
    'Error: boom',
    '    at ensureGitRepo (/work/build/dist/engine.cjs:50:7755)',
    '    at /work/build/dist/vendor/xstate.cjs:2:100',
    '    at Module._compile (node:internal/modules/cjs/loader:1482:14)',
    '    at f (/home/me/project/src/dist/other.cjs:1:1)',
  ].join('\n');
  t.equal(localizeStack(built, '/usr/lib/node_modules/@engine/engine'), [
    'Error: boom',
    '    at ensureGitRepo (/usr/lib/node_modules/@engine/engine/dist/engine.cjs:50:7755)',
    '    at /usr/lib/node_modules/@engine/engine/dist/vendor/xstate.cjs:2:100',
    '    at Module._compile (node:internal/modules/cjs/loader:1482:14)',
    '    at f (/home/me/project/src/dist/other.cjs:1:1)',
  ].join('\n'));
});

t.test('an option given an empty value is a usage error, for every command', async (t) => {
  // A new user's `engine run … --repo "$REPO"` with REPO unset ran in the current directory's
  // repository; `--store ''` put the run at the repository's top, where git status shows it.
  for (const argv of [
    ['run', 'p.yaml', '--goal', 'g', '--repo', ''],
    ['run', 'p.yaml', '--goal', 'g', '--store='],
    ['run', 'p.yaml', '--goal', 'g', '--workspaces', ''],
    ['doctor', '--repo='],
    ['policy', '--repo', ''],
    ['report', '--store', ''],
  ]) {
    const io = memoryIo();
    t.equal(await main(argv, io), 2, argv.join(' '));
    t.match(io.err.join(''), /error E_USAGE --[a-z-]+ was given an empty value \(an unset variable in "\$VAR"\?\): it takes one; leave the option out for its default/, argv.join(' '));
  }
  // An option without a default is not left out for one: `run --goal ""` left out says "give
  // the work to do with --task FILE or --goal TEXT", and `--set ''` left out sets nothing.
  for (const argv of [
    ['run', 'p.yaml', '--goal', ''],
    ['run', 'p.yaml', '--goal', 'g', '--set', ''],
    ['run', 'p.yaml', '--task='],
    ['resume', 'r1', '--set', 'budgets.max_ticks=3', '--set', ''],
  ]) {
    const io = memoryIo();
    t.equal(await main(argv, io), 2, argv.join(' '));
    t.match(io.err.join(''), /error E_USAGE --[a-z-]+ was given an empty value \(an unset variable in "\$VAR"\?\): it takes one\n/, argv.join(' '));
  }
  const { emptyOption } = await import('../../engine/cli/main.js');
  t.equal(emptyOption({ repo: '/r', json: false, set: ['a=1'] }), null, 'values, flags and lists of values pass');
  t.equal(emptyOption({ repo: '/r', set: ['a=1', ''] }), 'set');
});

// A contract review: with --json, stdout is JSON only and one document (a run: one
// run.rejected); usage errors printed nothing there, so a script read an empty stdout.
t.test('a usage error under --json is one JSON document on stdout too, for every command that takes --json', async (t) => {
  const cases: [string[], boolean][] = [
    [['run', '--json', '--goal', 'x', '--task', 'y'], true],
    [['run', '--json', '--goal', 'x', '--max-ticks', '0'], true],
    [['run', '--json', '--goal', 'x', '--bogus'], true],
    [['resume', '--json', '--max-ticks', '0', 'latest'], true],
    [['validate', '--json'], false],
    [['doctor', '--json', '--bogus'], false],
    [['suite', '--json', '--repeat', '0', 'x'], false],
    [['clean', '--json', '--bogus'], false],
    [['policy', '--json', '--repo', ''], false],
  ];
  for (const [argv, run] of cases) {
    const io = memoryIo();
    t.equal(await main(argv, io), 2, argv.join(' '));
    const lines = io.out.join('').split('\n').filter(Boolean);
    t.equal(lines.length, 1, `${argv.join(' ')}: one line on stdout`);
    const doc = JSON.parse(lines[0] ?? 'null');
    t.match(doc, { exit_code: 2, diagnostics: [{ code: 'E_USAGE', severity: 'error', file: `engine ${argv[0]}`, line: 0, col: 0, hint: /^usage: engine / }] }, argv.join(' '));
    if (run) t.match(doc, { type: 'run.rejected', schema_version: 1, engine_version: engineVersion }, `${argv[0]}: a run's events`);
    else t.notOk('type' in doc, `${argv[0]}: a document`);
    t.match(io.err.join(''), /error E_USAGE/, 'stderr says it as before');
  }
  const plain = memoryIo();
  t.equal(await main(['run', '--goal', 'x', '--bogus'], plain), 2);
  t.equal(plain.out.join(''), '', 'without --json, nothing on stdout');
});
