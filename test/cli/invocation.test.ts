import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installingProject, invocationWords } from '../../engine/cli/invocation.js';
import { engineCommand, useEngineCommand } from '../../engine/vocabulary/engine-command.js';

/**
 * The words a hint gives for starting the engine again, on real files laid out as npm lays out
 * a local and a global install: a user who installed it in a project was told `engine resume
 * …`, which their shell did not find.
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

t.test('a local install: npx engine inside the project, its bin elsewhere; npm\'s own .bin on PATH does not count', async (t) => {
  const l = layout(t);
  const viaBin = path.join(l.dotBin, 'engine');
  t.equal(invocationWords({ launcher: viaBin, env: { PATH: '/usr/bin:/bin' }, cwd: path.join(l.project, 'src') }), 'npx engine', 'from a folder of the project');
  t.equal(invocationWords({ launcher: viaBin, env: { PATH: '/usr/bin:/bin' }, cwd: l.project }), 'npx engine');
  t.equal(invocationWords({ launcher: viaBin, env: { PATH: '/usr/bin:/bin' }, cwd: l.elsewhere }), viaBin, 'outside the project: the bin\'s path');
  // npx and npm run put the project's node_modules/.bin first on PATH: not the user's shell's.
  t.equal(invocationWords({ launcher: viaBin, env: { PATH: `${l.dotBin}:/usr/bin`, npm_command: 'exec' }, cwd: l.project }), 'npx engine', 'under npx');
  t.equal(invocationWords({ launcher: viaBin, env: { PATH: `${l.dotBin}:/usr/bin`, npm_lifecycle_event: 'agent' }, cwd: l.project }), 'npx engine', 'under npm run');
  // A user whose own shell has the folder on PATH (not through npm) can type `engine`.
  t.equal(invocationWords({ launcher: viaBin, env: { PATH: `${l.dotBin}:/usr/bin` }, cwd: l.project }), 'engine', 'the shell\'s own PATH finds it');
  t.equal(invocationWords({ launcher: 'node_modules/.bin/engine', env: { PATH: '/usr/bin' }, cwd: l.project }), 'npx engine', 'a launcher given relative to the working directory');
});

t.test('a global install or a link on PATH: engine; another engine first on PATH: not this one\'s name', async (t) => {
  const l = layout(t);
  const globalBin = path.join(l.root, 'global-bin');
  mkdirSync(globalBin);
  symlinkSync(l.launcher, path.join(globalBin, 'engine'));
  t.equal(invocationWords({ launcher: path.join(globalBin, 'engine'), env: { PATH: `${globalBin}:/usr/bin` }, cwd: l.elsewhere }), 'engine');
  t.equal(invocationWords({ launcher: path.join(globalBin, 'engine'), env: { PATH: `${globalBin}:/usr/bin`, npm_command: 'exec' }, cwd: l.project }), 'engine', 'a global link is no npm .bin');
  const other = path.join(l.root, 'other-bin');
  mkdirSync(other);
  writeFileSync(path.join(other, 'engine'), '#!/bin/sh\n');
  chmodSync(path.join(other, 'engine'), 0o755);
  t.equal(invocationWords({ launcher: path.join(l.dotBin, 'engine'), env: { PATH: `${other}:${globalBin}` }, cwd: l.project }), 'npx engine', 'the first engine on PATH is another program: npx');
});

t.test('a checkout, a launcher that cannot be found, a bin folder without the engine: engine', async (t) => {
  const l = layout(t);
  const checkout = path.join(l.root, 'checkout', 'bin');
  mkdirSync(checkout, { recursive: true });
  writeFileSync(path.join(checkout, 'engine.js'), '');
  t.equal(invocationWords({ launcher: path.join(checkout, 'engine.js'), env: { PATH: '/usr/bin' }, cwd: l.root }), 'engine');
  t.equal(invocationWords({ launcher: path.join(l.root, 'none.js'), env: {}, cwd: l.root }), 'engine');
  rmSync(path.join(l.dotBin, 'engine'));
  t.equal(invocationWords({ launcher: l.launcher, env: { PATH: '/usr/bin' }, cwd: l.project }), 'engine', 'npx would not find it');
  t.equal(installingProject('/a/b/node_modules/x/node_modules/y/bin/e.js'), '/a/b', 'the outermost project');
  t.equal(installingProject('/a/bin/e.js'), null);
});

t.test('a path with a space is one shell word', async (t) => {
  const l = layout(t);
  const spaced = path.join(l.root, 'my app');
  mkdirSync(path.join(spaced, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(l.launcher, path.join(spaced, 'node_modules', '.bin', 'engine'));
  mkdirSync(path.join(spaced, 'node_modules', 'e', 'bin'), { recursive: true });
  const launcher = path.join(spaced, 'node_modules', 'e', 'bin', 'engine.js');
  writeFileSync(launcher, '');
  rmSync(path.join(spaced, 'node_modules', '.bin', 'engine'));
  symlinkSync(launcher, path.join(spaced, 'node_modules', '.bin', 'engine'));
  t.equal(invocationWords({ launcher, env: { PATH: '/usr/bin' }, cwd: l.elsewhere }), `'${path.join(spaced, 'node_modules', '.bin', 'engine')}'`);
});

t.test('engineCommand: asks once, when a message first needs it; engine until the CLI says', async (t) => {
  t.teardown(() => useEngineCommand(() => 'engine'));
  t.equal(engineCommand('doctor --live'), 'engine doctor --live');
  let asked = 0;
  useEngineCommand(() => {
    asked++;
    return 'npx engine';
  });
  t.equal(asked, 0, 'not asked before a message needs it');
  t.equal(engineCommand('resume r1'), 'npx engine resume r1');
  t.equal(engineCommand(''), 'npx engine');
  t.equal(asked, 1, 'asked once');
});
