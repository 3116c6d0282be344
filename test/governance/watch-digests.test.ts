import t from 'tap';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareFingerprints, fingerprintTrees, type WatchedTree } from '../../engine/governance/watch-files.js';
import { digestClaudeMcp } from '../../engine/workers/claude-worker.js';

t.test("~/.claude.json: only the MCP servers a next session starts count; claude's own rewrites do not", async (t) => {
  const d = (v: unknown) => digestClaudeMcp(Buffer.from(JSON.stringify(v)));
  const base = { numStartups: 3, projects: { '/repo': { allowedTools: [] } } };
  t.equal(d({ ...base, numStartups: 4, tipsHistory: { x: 1 } }), d(base), 'counters and tips');
  t.equal(d({ ...base, projects: { ...base.projects, '/ws/run-1': { mcpServers: {}, enabledMcpjsonServers: [], allowedTools: [] } } }), d(base), 'a new project entry with empty server lists');
  t.not(d({ ...base, mcpServers: { x: { command: 'sh' } } }), d(base), "the user's own servers");
  t.not(d({ ...base, projects: { '/repo': { mcpServers: { x: { command: 'sh' } } } } }), d(base), "a project's servers");
  t.not(d({ ...base, projects: { '/repo': { enabledMcpjsonServers: ['x'] } } }), d(base), 'project servers approved in advance');
  t.not(d({ ...base, projects: { '/repo': { enableAllProjectMcpServers: true } } }), d(base), 'all project servers approved');
  t.throws(() => digestClaudeMcp(Buffer.from('{"mcpServers":')), 'a torn file is no digest (the watch records it as unreadable)');
});

t.test('a file compared by a digest: a change the digest ignores is no violation, one it sees is, and so is one it cannot read', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-watch-digest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.json');
  const tree: WatchedTree = { rule: 'cli_config', root: dir, paths: ['state.json', 'settings.json'], digests: { 'state.json': (b) => JSON.stringify(JSON.parse(b.toString()).servers ?? null) } };
  writeFileSync(file, JSON.stringify({ servers: null, count: 1 }));
  const before = fingerprintTrees([tree]);
  writeFileSync(file, JSON.stringify({ servers: null, count: 2 }));
  t.same(compareFingerprints([tree], before, fingerprintTrees([tree])), [], 'the count is not watched');
  writeFileSync(file, JSON.stringify({ servers: ['x'], count: 2 }));
  t.same(compareFingerprints([tree], before, fingerprintTrees([tree])).map((v) => [v.rule, v.path]), [['cli_config', 'state.json']], 'the servers are');
  writeFileSync(file, '{"servers":');
  t.equal(compareFingerprints([tree], before, fingerprintTrees([tree])).length, 1, 'a file torn or replaced by garbage counts as changed');
  writeFileSync(path.join(dir, 'settings.json'), '{}');
  t.ok(compareFingerprints([tree], before, fingerprintTrees([tree])).some((v) => v.path === 'settings.json'), 'a watched file that appears is a change');
});

t.test('~/.claude.json the digest cannot read counts whole: a server planted in a file nested too deep shows', async (t) => {
  // The digest of an undigestible file was a fixed mark (`unreadable:` and the error), the
  // same before and after: a worker that first made the file too deep for the digest (a
  // stack overflow then, a depth refusal now) could plant an MCP server in it unseen.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-watch-deep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, '.claude.json');
  const tree: WatchedTree = { rule: 'cli_config', root: dir, paths: ['.claude.json'], digests: { '.claude.json': digestClaudeMcp } };
  const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  writeFileSync(file, `{"numStartups":1,"deep":${deep}}`);
  const before = fingerprintTrees([tree]);
  t.same(compareFingerprints([tree], before, fingerprintTrees([tree])), [], 'read again unchanged: no change');
  writeFileSync(file, `{"numStartups":1,"deep":${deep},"mcpServers":{"x":{"command":"sh"}}}`);
  t.same(compareFingerprints([tree], before, fingerprintTrees([tree])).map((v) => [v.rule, v.path]), [['cli_config', '.claude.json']], 'the planted server shows');
});

t.test("a watched link counts by what it leads to: a write through the user's dotfiles link shows", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-watch-link-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'real-settings.json'), '{}');
  writeFileSync(path.join(dir, 'real-state.json'), '{"servers":null}');
  symlinkSync(path.join(dir, 'real-settings.json'), path.join(dir, 'settings.json'));
  symlinkSync(path.join(dir, 'real-state.json'), path.join(dir, 'state.json'));
  const tree: WatchedTree = { rule: 'cli_config', root: dir, paths: ['settings.json', 'state.json'], digests: { 'state.json': (b) => JSON.stringify(JSON.parse(b.toString()).servers ?? null) } };
  const before = fingerprintTrees([tree]);
  writeFileSync(path.join(dir, 'real-settings.json'), '{"hooks":{}}');
  writeFileSync(path.join(dir, 'real-state.json'), '{"servers":null,"count":2}');
  t.same(compareFingerprints([tree], before, fingerprintTrees([tree])).map((v) => v.path), ['settings.json'], 'the settings written through the link; the digested file through its link only where its digest changed');
  writeFileSync(path.join(dir, 'real-state.json'), '{"servers":["x"]}');
  t.same(compareFingerprints([tree], before, fingerprintTrees([tree])).map((v) => v.path), ['settings.json', 'state.json']);
});
