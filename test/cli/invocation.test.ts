import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installingProject, invocationWords } from '../../engine/cli/invocation.js';
import { engineCommand, engineCommandAnywhere, sayAllHere, useEngineCommand } from '../../engine/vocabulary/engine-command.js';

/**
 * The words a hint gives for starting the engine again, on real files laid out as npm, pnpm
 * and npx lay out installs: a user who installed it in a project was told `engine resume …`,
 * which their shell did not find. `here` is said to the shell now; `anywhere` goes into a
 * run's records, read later from any directory (where `npx engine` is a registry package of
 * that name, another program).
 */
function layout(t: Test) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'engine-invocation-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const project = path.join(root, 'app');
  const pkg = path.join(project, 'node_modules', '@engine', 'engine');
  mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  const launcher = path.join(pkg, 'bin', 'engine.js');
  writeFileSync(launcher, '#!/usr/bin/env node\n');
  chmodSync(launcher, 0o755);
  const dotBin = path.join(project, 'node_modules', '.bin');
  mkdirSync(dotBin);
  symlinkSync('../@engine/engine/bin/engine.js', path.join(dotBin, 'engine'));
  mkdirSync(path.join(project, 'src'));
  const elsewhere = path.join(root, 'elsewhere');
  mkdirSync(elsewhere);
  return { root, project, launcher, dotBin, elsewhere };
}

const words = (here: string, anywhere = here) => ({ here, anywhere });

t.test('a local install: npx engine inside the project, its bin elsewhere and in records; npm\'s own .bin on PATH does not count', async (t) => {
  const l = layout(t);
  const viaBin = path.join(l.dotBin, 'engine');
  t.same(invocationWords({ launcher: viaBin, env: { PATH: '/usr/bin:/bin' }, cwd: path.join(l.project, 'src') }), words('npx engine', viaBin), 'from a folder of the project');
  t.same(invocationWords({ launcher: viaBin, env: { PATH: '/usr/bin:/bin' }, cwd: l.project }), words('npx engine', viaBin));
  t.same(invocationWords({ launcher: viaBin, env: { PATH: '/usr/bin:/bin' }, cwd: l.elsewhere }), words(viaBin), 'outside the project: the bin\'s path');
  // npx and npm run put the project's node_modules/.bin first on PATH: not the user's shell's.
  t.same(invocationWords({ launcher: viaBin, env: { PATH: `${l.dotBin}:/usr/bin`, npm_command: 'exec' }, cwd: l.project }), words('npx engine', viaBin), 'under npx');
  t.same(invocationWords({ launcher: viaBin, env: { PATH: `${l.dotBin}:/usr/bin`, npm_lifecycle_event: 'agent' }, cwd: l.project }), words('npx engine', viaBin), 'under npm run');
  // A user whose own shell has the folder on PATH (not through npm) can type `engine`.
  t.same(invocationWords({ launcher: viaBin, env: { PATH: `${l.dotBin}:/usr/bin` }, cwd: l.project }), words('engine'), 'the shell\'s own PATH finds it');
  t.same(invocationWords({ launcher: 'node_modules/.bin/engine', env: { PATH: '/usr/bin' }, cwd: l.project }), words('npx engine', viaBin), 'a launcher given relative to the working directory');
});

t.test('a package linked in from elsewhere (a file: dependency): the project is the one the launcher was run from', async (t) => {
  const l = layout(t);
  const source = path.join(l.root, 'engine-src');
  mkdirSync(path.join(source, 'bin'), { recursive: true });
  writeFileSync(path.join(source, 'bin', 'engine.js'), '');
  const app2 = path.join(l.root, 'app2');
  mkdirSync(path.join(app2, 'node_modules', '.bin'), { recursive: true });
  mkdirSync(path.join(app2, 'node_modules', '@engine'));
  symlinkSync(source, path.join(app2, 'node_modules', '@engine', 'engine'));
  symlinkSync('../@engine/engine/bin/engine.js', path.join(app2, 'node_modules', '.bin', 'engine'));
  const bin = path.join(app2, 'node_modules', '.bin', 'engine');
  t.same(invocationWords({ launcher: bin, env: { PATH: '/usr/bin' }, cwd: app2 }), words('npx engine', bin));
});

t.test('pnpm\'s script bin names the launcher; a bin of another version at the top is not this engine', async (t) => {
  const l = layout(t);
  const bin = path.join(l.dotBin, 'engine');
  rmSync(bin);
  writeFileSync(bin, `#!/bin/sh\nbasedir=$(dirname "$0")\nexec node "$basedir/../@engine/engine/bin/engine.js" "$@"\n`);
  t.same(invocationWords({ launcher: l.launcher, env: { PATH: '/usr/bin' }, cwd: l.project }), words('npx engine', bin), 'a pnpm script');
  // This engine is a dependency's own copy; the project's bin runs another one.
  const nested = path.join(l.project, 'node_modules', 'tool', 'node_modules', '@engine', 'engine', 'bin', 'engine.js');
  mkdirSync(path.dirname(nested), { recursive: true });
  writeFileSync(nested, '');
  t.same(invocationWords({ launcher: nested, env: { PATH: '/usr/bin' }, cwd: l.project }), words(nested), 'npx engine would run the other: the launcher\'s own path');
  rmSync(bin);
  t.same(invocationWords({ launcher: l.launcher, env: { PATH: '/usr/bin' }, cwd: l.project }), words(l.launcher), 'no bin at all: the launcher\'s path');
});

t.test('pnpm 9: its script names the package\'s link, the launcher is in pnpm\'s store; records get the project\'s bin, never the store', async (t) => {
  // A review: the hints and a stopped run's records named the launcher in node_modules/.pnpm,
  // a path that holds the versions of the engine and its peers, gone at the next upgrade.
  const l = layout(t);
  const store = path.join(l.project, 'node_modules', '.pnpm', '@engine+engine@0.1.0_@openai+codex@0.169.0', 'node_modules', '@engine', 'engine');
  mkdirSync(path.dirname(store), { recursive: true });
  renameSync(path.join(l.project, 'node_modules', '@engine', 'engine'), store);
  symlinkSync(path.relative(path.join(l.project, 'node_modules', '@engine'), store), path.join(l.project, 'node_modules', '@engine', 'engine'));
  const bin = path.join(l.dotBin, 'engine');
  rmSync(bin);
  writeFileSync(bin, `#!/bin/sh\nbasedir=$(dirname "$(echo "$0" | sed -e 's,\\\\,/,g')")\nif [ -x "$basedir/node" ]; then\n  exec "$basedir/node"  "$basedir/../@engine/engine/bin/engine.js" "$@"\nelse\n  exec node  "$basedir/../@engine/engine/bin/engine.js" "$@"\nfi\n`);
  const run = path.join(l.project, 'node_modules', '@engine', 'engine', 'bin', 'engine.js');
  t.same(invocationWords({ launcher: run, env: { PATH: '/usr/bin' }, cwd: l.project }), words('npx engine', bin), 'inside the project');
  t.same(invocationWords({ launcher: run, env: { PATH: '/usr/bin' }, cwd: l.elsewhere }), words(bin), 'elsewhere: the project\'s bin');
});

t.test('a one-off npx from npm\'s cache: npx @engine/engine', async (t) => {
  const l = layout(t);
  const cache = path.join(l.root, '.npm', '_npx', 'a92d279cf6e245b8');
  const launcher = path.join(cache, 'node_modules', '@engine', 'engine', 'bin', 'engine.js');
  mkdirSync(path.dirname(launcher), { recursive: true });
  writeFileSync(launcher, '');
  mkdirSync(path.join(cache, 'node_modules', '.bin'));
  symlinkSync(launcher, path.join(cache, 'node_modules', '.bin', 'engine'));
  t.same(invocationWords({ launcher: path.join(cache, 'node_modules', '.bin', 'engine'), env: { PATH: '/usr/bin', npm_command: 'exec' }, cwd: l.elsewhere }), words('npx @engine/engine'));
});

t.test('a global install or a link on PATH: engine; another engine first on PATH: not this one\'s name', async (t) => {
  const l = layout(t);
  const globalBin = path.join(l.root, 'global-bin');
  mkdirSync(globalBin);
  symlinkSync(l.launcher, path.join(globalBin, 'engine'));
  t.same(invocationWords({ launcher: path.join(globalBin, 'engine'), env: { PATH: `${globalBin}:/usr/bin` }, cwd: l.elsewhere }), words('engine'));
  t.same(invocationWords({ launcher: path.join(globalBin, 'engine'), env: { PATH: `${globalBin}:/usr/bin`, npm_command: 'exec' }, cwd: l.project }), words('engine'), 'a global link is no npm .bin');
  const other = path.join(l.root, 'other-bin');
  mkdirSync(other);
  writeFileSync(path.join(other, 'engine'), '#!/bin/sh\n');
  chmodSync(path.join(other, 'engine'), 0o755);
  t.same(invocationWords({ launcher: path.join(l.dotBin, 'engine'), env: { PATH: `${other}:${globalBin}` }, cwd: l.project }), words('npx engine', path.join(l.dotBin, 'engine')), 'the first engine on PATH is another program: npx');
});

t.test('a checkout, a launcher that cannot be found: engine', async (t) => {
  const l = layout(t);
  const checkout = path.join(l.root, 'checkout', 'bin');
  mkdirSync(checkout, { recursive: true });
  writeFileSync(path.join(checkout, 'engine.js'), '');
  t.same(invocationWords({ launcher: path.join(checkout, 'engine.js'), env: { PATH: '/usr/bin' }, cwd: l.root }), words('engine'));
  t.same(invocationWords({ launcher: path.join(l.root, 'none.js'), env: {}, cwd: l.root }), words('engine'));
  t.equal(installingProject('/a/b/node_modules/x/node_modules/y/bin/e.js'), '/a/b', 'the outermost project');
  t.equal(installingProject('/a/bin/e.js'), null);
});

t.test('a path with a space or a $ is one shell word', async (t) => {
  const l = layout(t);
  const spaced = path.join(l.root, 'my $HOME app');
  const launcher = path.join(spaced, 'node_modules', 'e', 'bin', 'engine.js');
  mkdirSync(path.dirname(launcher), { recursive: true });
  writeFileSync(launcher, '');
  mkdirSync(path.join(spaced, 'node_modules', '.bin'));
  symlinkSync(launcher, path.join(spaced, 'node_modules', '.bin', 'engine'));
  const quoted = `'${path.join(spaced, 'node_modules', '.bin', 'engine')}'`;
  t.same(invocationWords({ launcher, env: { PATH: '/usr/bin' }, cwd: l.elsewhere }), words(quoted));
});

t.test('engineCommand and engineCommandAnywhere: asked once, when a message first needs them; engine until the CLI says', async (t) => {
  t.teardown(() => useEngineCommand(() => words('engine')));
  t.equal(engineCommand('doctor --live'), 'engine doctor --live');
  let asked = 0;
  useEngineCommand(() => {
    asked++;
    return words('npx engine', '/app/node_modules/.bin/engine');
  });
  t.equal(asked, 0, 'not asked before a message needs it');
  t.equal(engineCommand('resume r1'), 'npx engine resume r1');
  t.equal(engineCommandAnywhere('resume r1'), '/app/node_modules/.bin/engine resume r1', 'a record\'s command runs from anywhere');
  t.equal(engineCommand(''), 'npx engine');
  t.equal(asked, 1, 'asked once');
  // The doctor writes no run's records: its findings say how to start the engine from here.
  sayAllHere();
  t.equal(engineCommandAnywhere('doctor --live'), 'npx engine doctor --live');
  useEngineCommand(() => words('npx engine', '/app/node_modules/.bin/engine'));
  t.equal(engineCommandAnywhere('doctor --live'), '/app/node_modules/.bin/engine doctor --live', 'until the CLI decides again');
});
