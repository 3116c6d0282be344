import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mcpServerWords, pathsInCommand, scriptPlaces, scriptsNamedBy, settingsCommands, tomlStrings } from '../../engine/workers/find-named-scripts.js';
import { readJsonOrNull } from '../../engine/util/read-or-null.js';

// The scripts a user's CLI config runs (claude's status line, hooks, helpers and MCP servers;
// what codex's config.toml names) are watched like the config: these are the commands and
// paths read out of it.

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
  t.same(pathsInCommand('node "/home/u/My Scripts/line.js" --config=~/.claude/c.sh FOO=/opt/f.sh,/opt/g.sh', home), ['/home/u/My Scripts/line.js', '/home/u/.claude/c.sh', '/opt/f.sh', '/opt/g.sh'], 'quoted with spaces, after = and ,');
});

t.test('mcpServerWords and tomlStrings: the commands and arguments of MCP servers, the strings of a TOML file', async (t) => {
  const claudeJson = { numStartups: 3, mcpServers: { a: { command: 'node', args: ['/srv/a.js', 5] }, bad: 'x' }, projects: { '/p': { mcpServers: { b: { command: '/opt/b' } } }, '/q': null } };
  t.same(mcpServerWords(claudeJson), ['node', '/srv/a.js', '/opt/b']);
  for (const other of [null, [], 'x', { mcpServers: [] }]) t.same(mcpServerWords(other), [], JSON.stringify(other));
  const toml = `model = "gpt-5"\nnotify = ["sh", "/home/u/.codex/notify.sh"]\n[mcp_servers.x]\ncommand = 'node'\nargs = ["~/mcp/x.js", "a \\"quoted\\" word"]\n# "a comment"\n`;
  t.same(tomlStrings(toml), ['gpt-5', 'sh', '/home/u/.codex/notify.sh', 'node', '~/mcp/x.js', 'a "quoted" word', 'a comment']);
});

t.test('scriptsNamedBy: the files named, once; directories, missing paths and broken config name nothing', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'engine-named-scripts-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const root = path.join(home, '.claude');
  mkdirSync(path.join(root, 'scripts'), { recursive: true });
  writeFileSync(path.join(root, 'statusline.sh'), 'echo ok\n');
  writeFileSync(path.join(root, 'scripts', 'notify.sh'), 'exit 0\n');
  writeFileSync(path.join(root, 'settings.json'), JSON.stringify({ statusLine: { type: 'command', command: '~/.claude/statusline.sh' }, hooks: { Stop: [{ hooks: [{ type: 'command', command: `bash ${root}/scripts/notify.sh; ls ~/.claude/scripts ~/.claude/missing.sh` }] }] } }));
  writeFileSync(path.join(root, 'settings.local.json'), JSON.stringify({ statusLine: { type: 'command', command: '$HOME/.claude/statusline.sh' } }));
  const commands = [...settingsCommands(readJsonOrNull(path.join(root, 'settings.json'))), ...settingsCommands(readJsonOrNull(path.join(root, 'settings.local.json'))), ...settingsCommands(readJsonOrNull(path.join(root, 'absent.json')))];
  t.same(scriptsNamedBy(commands, home), [path.join(root, 'statusline.sh'), path.join(root, 'scripts', 'notify.sh')]);
  // A program without a script's name counts when it is executable; a data file (a log an argument names) does not.
  writeFileSync(path.join(root, 'helper'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(root, 'notify.log'), 'a log\n');
  t.same(scriptsNamedBy([`~/.claude/helper --log ${root}/notify.log`], home), [path.join(root, 'helper')]);
  // A path under a file, one too long, one in a directory that cannot be entered: nothing named, no error.
  t.same(scriptsNamedBy([`~/.claude/statusline.sh/more ${'/x'.repeat(3000)} /proc/1/root/etc/x.sh`], home), []);
  writeFileSync(path.join(root, 'settings.json'), '{ not json');
  t.equal(readJsonOrNull(path.join(root, 'settings.json')), null);
});

t.test('scriptPlaces: inside the root a path of its own unless already watched; outside, a place for the file alone', async (t) => {
  const places = scriptPlaces('/h/.claude', ['settings.json', 'hooks'], ['/h/.claude/statusline.sh', '/h/.claude/hooks/a.sh', '/h/.claude/x/y.sh', '/h/bin/z.sh', '/h/.claudeX/w.sh']);
  t.same(places.inside, ['statusline.sh', 'x/y.sh']);
  t.same(places.outside, [{ root: '/h/bin', paths: ['z.sh'] }, { root: '/h/.claudeX', paths: ['w.sh'] }]);
});
