import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findSettingsScripts, pathsInCommand, settingsCommands } from '../../engine/workers/find-settings-scripts.js';

// The scripts a user's claude settings run (status line, hooks, helpers) are watched like the
// settings: these are the commands and paths read out of them.

t.test('settingsCommands: status lines, hooks of every event, helpers; nothing from other shapes', async (t) => {
  const settings = {
    model: 'sonnet',
    statusLine: { type: 'command', command: 'node ~/.claude/statusline.js' },
    subagentStatusLine: { type: 'command', command: '/opt/sub.sh' },
    apiKeyHelper: '~/bin/key.sh',
    hooks: {
      Stop: [{ hooks: [{ type: 'command', command: 'a.sh' }, { type: 'prompt', prompt: 'x' }] }],
      PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'b.sh' }] }, 'not a matcher', { hooks: 'no list' }],
      Broken: 'not a list',
    },
  };
  t.same(settingsCommands(settings), ['~/bin/key.sh', 'node ~/.claude/statusline.js', '/opt/sub.sh', 'a.sh', 'b.sh']);
  for (const other of [null, 5, 'x', [], { statusLine: 'x', hooks: [] }, { statusLine: { command: 5 } }]) t.same(settingsCommands(other), [], JSON.stringify(other));
});

t.test('pathsInCommand: absolute, ~ and $HOME paths, quoted or not; relative words and programs on PATH are not paths', async (t) => {
  const home = '/home/u';
  t.same(pathsInCommand('~/.claude/statusline.sh', home), ['/home/u/.claude/statusline.sh']);
  t.same(pathsInCommand('bash "$HOME/.claude/scripts/notify.sh" done', home), ['/home/u/.claude/scripts/notify.sh']);
  t.same(pathsInCommand("sh -c '${HOME}/x.sh'; /usr/bin/env node /opt/a/../b.js|tee ./log", home), ['/home/u/x.sh', '/usr/bin/env', '/opt/b.js']);
  t.same(pathsInCommand('node statusline.js && jq . ~user/x', home), [], 'a relative path and another user\'s home are not followed');
});

t.test('findSettingsScripts: the files named by every settings file there, once; directories, missing paths and broken settings name nothing', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'engine-settings-scripts-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const root = path.join(home, '.claude');
  mkdirSync(path.join(root, 'scripts'), { recursive: true });
  writeFileSync(path.join(root, 'statusline.sh'), 'echo ok\n');
  writeFileSync(path.join(root, 'scripts', 'notify.sh'), 'exit 0\n');
  writeFileSync(path.join(root, 'settings.json'), JSON.stringify({ statusLine: { type: 'command', command: '~/.claude/statusline.sh' }, hooks: { Stop: [{ hooks: [{ type: 'command', command: `bash ${root}/scripts/notify.sh; ls ~/.claude/scripts ~/.claude/missing.sh` }] }] } }));
  writeFileSync(path.join(root, 'settings.local.json'), JSON.stringify({ statusLine: { type: 'command', command: '$HOME/.claude/statusline.sh' } }));
  t.same(findSettingsScripts([path.join(root, 'settings.json'), path.join(root, 'settings.local.json'), path.join(root, 'absent.json')], home), [path.join(root, 'statusline.sh'), path.join(root, 'scripts', 'notify.sh')]);
  writeFileSync(path.join(root, 'settings.json'), '{ not json');
  t.same(findSettingsScripts([path.join(root, 'settings.json')], home), []);
});
