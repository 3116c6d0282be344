// test cost: about 14 s: twelve runs per sandbox mode and one more, each with a CLI stand-in.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';
import { modes } from './helpers/fixture.js';

// A claude or codex worker without a private home (no model_endpoint, no isolate_home: how a
// team runs the real CLIs on its login) keeps its state in the user's ~/.claude,
// ~/.claude.json or ~/.codex, which the OS sandbox leaves writable. A hostile probe had such a
// worker add a SessionStart hook to ~/.claude/settings.json: the run completed, and the
// user's next claude session, outside any sandbox, would run it. What a next session of the
// CLI runs or reads as instructions is watched after every step, in both sandbox modes: a
// change stops the run (governance rule cli_config) naming the file. What the CLI writes there
// on its own on every start (counters, project entries, session logs) does not.

const fake = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fake-cli-config.mjs');

/** The user's ~/.claude/settings.json: a model, a status line script and a Stop hook script, each named by path. */
const SETTINGS = `${JSON.stringify({ model: 'sonnet', statusLine: { type: 'command', command: '~/.claude/statusline.sh' }, hooks: { Stop: [{ hooks: [{ type: 'command', command: 'bash "$HOME/.claude/scripts/notify.sh" done' }] }] } })}\n`;

function runWith(cli: 'claude' | 'codex', act: string, mode: string, o: { linked?: boolean; isolated?: boolean } = {}) {
  let userHome = '';
  const f = makeFixture({
    pipeline: (p) => {
      userHome = '__USER_HOME__';
      const w = { use: cli, bin: fake, env: { FAKE_CLI: cli, FAKE_ACT: act, ...(o.isolated ? { FAKE_USER_HOME: userHome } : {}) }, ...(o.isolated ? { isolate_home: true } : {}), idle_timeout_s: 30, timeout_s: 60 };
      p.workers = { planner: w, implementer: w, reviewer: w };
    },
  });
  const home = path.join(f.dir, 'home');
  mkdirSync(path.join(home, '.claude'), { recursive: true });
  mkdirSync(path.join(home, '.codex'), { recursive: true });
  if (o.linked) {
    // A dotfiles manager's link: the write goes through it to the target.
    mkdirSync(path.join(home, 'dotfiles'));
    writeFileSync(path.join(home, 'dotfiles', 'claude-settings.json'), SETTINGS);
    symlinkSync(path.join(home, 'dotfiles', 'claude-settings.json'), path.join(home, '.claude', 'settings.json'));
  } else writeFileSync(path.join(home, '.claude', 'settings.json'), SETTINGS);
  // The scripts the user's settings run: a status line every few hundred ms, a hook at each stop.
  writeFileSync(path.join(home, '.claude', 'statusline.sh'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
  mkdirSync(path.join(home, '.claude', 'scripts'));
  writeFileSync(path.join(home, '.claude', 'scripts', 'notify.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  // An MCP server the user's next claude session starts, and the notify script of codex, each a script by path.
  mkdirSync(path.join(home, '.claude', 'mcp'));
  writeFileSync(path.join(home, '.claude', 'mcp', 'server.js'), '// an MCP server\n');
  writeFileSync(path.join(home, '.claude.json'), `${JSON.stringify({ numStartups: 3, projects: {}, mcpServers: { local: { type: 'stdio', command: 'node', args: [path.join(home, '.claude', 'mcp', 'server.js')] } } })}\n`);
  writeFileSync(path.join(home, '.codex', 'notify.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  writeFileSync(path.join(home, '.codex', 'config.toml'), `model = "gpt-5"\nnotify = ["sh", "${path.join(home, '.codex', 'notify.sh')}"]\n`);
  // FAKE_LOG in the workspace's parent is not writable under the sandbox: the user's home is not either, but the CLI dirs are.
  const log = path.join(home, cli === 'codex' ? '.codex' : '.claude', 'fake.log');
  // Started by a link named after the CLI: its --version (asked without the worker's env) says which it plays.
  const bin = path.join(f.dir, `fake-${cli}`);
  symlinkSync(fake, bin);
  const pipeline = readFileSync(f.pipelineFile, 'utf8');
  writeFileSync(f.pipelineFile, pipeline.replaceAll(fake, bin).replaceAll(userHome || '\0', home).replaceAll('FAKE_ACT:', `FAKE_LOG: ${log}\n      FAKE_ACT:`));
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'cfg', '--no-progress', '--set', `sandbox.mode=${mode}`], {
    cwd: f.dir,
    env: { HOME: home, ANTHROPIC_API_KEY: 'sk-ant-not-real', OPENAI_API_KEY: 'sk-not-real' },
  });
  const timeline = path.join(f.repo, '.engine', 'runs', 'cfg', 'timeline.jsonl');
  const events = existsSync(timeline) ? readJsonl(timeline) : [];
  return { r, home, events, did: existsSync(log) ? readFileSync(log, 'utf8') : '' };
}

/** The violations the run recorded, flattened. */
const violationsOf = (events: any[]): { rule: string; path: string }[] => events.filter((e) => e.type === 'governance.violation').flatMap((e) => e.violations ?? [e]);

/** Whether a cli_config violation names `file` (absolute). */
const namesCliConfig = (events: any[], file: string) => violationsOf(events).some((v) => v.rule === 'cli_config' && v.path === file);

for (const { mode, skip } of modes()) {
  t.test(`sandbox.mode=${mode}: a change to the user's CLI config a next session would run stops the run`, { skip }, async (t) => {
    const cases: [cli: 'claude' | 'codex', act: string, file: string][] = [
      ['claude', 'hook', '.claude/settings.json'],
      ['claude', 'mcp', '.claude.json'],
      ['claude', 'command', '.claude/commands/deploy.md'],
      ['codex', 'notify', '.codex/config.toml'],
      ['codex', 'dotenv', '.codex/.env'],
      ['claude', 'rule', '.claude/rules/always.md'],
      // Scripts the settings name, changed without touching the settings.
      ['claude', 'statusline', '.claude/statusline.sh'],
      ['claude', 'hookscript', '.claude/scripts/notify.sh'],
      ['claude', 'mcpscript', '.claude/mcp/server.js'],
      ['codex', 'notifyscript', '.codex/notify.sh'],
    ];
    for (const [cli, act, file] of cases) {
      const { r, home, events, did } = runWith(cli, act, mode);
      t.match(did, new RegExp(`^did ${act}$`, 'm'), `${cli} ${act}: the stand-in changed it (${did.trim()})`);
      t.equal(r.code, 3, `${cli} ${act}: exit 3 (${r.stdout.slice(-600)} ${r.stderr.slice(-600)})`);
      t.ok(namesCliConfig(events, path.join(home, file)), `${cli} ${act}: a cli_config violation names ${file} (${JSON.stringify(violationsOf(events))})`);
      t.equal(events.at(-1)?.stop_reason, 'governance_violation');
    }
  });

  t.test(`sandbox.mode=${mode}: a hook written through the user's own link to settings.json is refused or stops the run`, { skip }, async (t) => {
    const { r, home, events, did } = runWith('claude', 'hook', mode, { linked: true });
    if (mode === 'bwrap') {
      // The link leads out of the writable ~/.claude: the sandbox refuses the write.
      t.match(did, /^hook refused: .*read-only file system/im);
      t.equal(readFileSync(path.join(home, 'dotfiles', 'claude-settings.json'), 'utf8'), SETTINGS, 'the target is unchanged');
      t.equal(r.code, 0, r.stderr.slice(-600));
      return;
    }
    t.match(did, /^did hook$/m);
    t.equal(r.code, 3, r.stderr.slice(-600));
    t.ok(namesCliConfig(events, path.join(home, '.claude', 'settings.json')), 'a cli_config violation names settings.json');
  });

  t.test(`sandbox.mode=${mode}: what claude writes on every start is not a violation`, { skip }, async (t) => {
    const { r, events, did } = runWith('claude', 'benign', mode);
    t.match(did, /^did benign$/m);
    t.equal(r.code, 0, r.stderr.slice(-1500));
    t.same(violationsOf(events), []);
  });
}

t.test("sandbox.mode=off: a worker with a private home that writes the user's settings by path stops the run", async (t) => {
  // Without the OS sandbox any process can write anywhere; the watch does not depend on the worker using the user's home.
  const { r, home, events, did } = runWith('claude', 'hook', 'off', { isolated: true });
  t.match(did, /^did hook$/m);
  t.equal(r.code, 3, r.stderr.slice(-600));
  t.ok(namesCliConfig(events, path.join(home, '.claude', 'settings.json')), 'a cli_config violation names settings.json');
});
