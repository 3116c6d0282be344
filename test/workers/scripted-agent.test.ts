import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentCjs, agentSh, renderAgentScript, writeAgentScript, type AgentScript } from '../helpers/scripted-agent.js';

// The shell agent answers from the rendered script exactly as the CommonJS agent answers from
// the script: the same output, exit and files for every kind of call, and the CommonJS agent's
// own answer when the script changed since it was rendered.

const base = mkdtempSync(path.join(os.tmpdir(), 'engine-scripted-agent-'));
t.teardown(() => rmSync(base, { recursive: true, force: true }));
const outside = path.join(base, 'outside');

const script: AgentScript = {
  plan: [
    { id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] },
    { id: 'm2', goal: 'write b', files_expected: ['src/b.txt'] },
    { id: 'm3', goal: 'write nothing', files_expected: [] },
  ],
  implement: { '1': { 'src/a.txt': 'alpha\n', 'src/deep/er/c.txt': 'gamma' }, '2': { 'b.txt': 'beta\n' } },
  review: 'request_changes',
  garbage: { 'implement#2#1': 1 },
  writes: { 'explore#-#1': { 'notes/x.bin': `base64:${Buffer.from([0, 255, 10, 200]).toString('base64')}`, [path.join(outside, 'far', 'y.txt')]: 'far away\n', 'plain.txt': 'base64 only by prefix' } },
  appends: { 'implement#1#2': { 'src/a.txt': 'again\n' } },
  review_changes: { 'review#1#2': ['add a test', 'say "why"'] },
  status: { 'implement#1#3': 'framework_fix_needed' },
  needs: { 'implement#1#3': 'a tool that does X' },
};

const prompt = (h: Record<string, string>) => `${Object.entries(h).map(([k, v]) => `engine-${k}: ${v}`).join('\n')}\n\nDo the work.\nengine-not-a-header: x\n`;

/** Runs an agent in a fresh copy of `start` (relative path → content); its exit, output and the files it left. */
function call(kind: 'sh' | 'cjs', scriptFile: string, input: string, start: Record<string, string> = {}, o: { handsOver?: boolean } = {}) {
  const cwd = mkdtempSync(path.join(base, `${kind}-`));
  rmSync(outside, { recursive: true, force: true });
  for (const [f, c] of Object.entries(start)) {
    mkdirSync(path.dirname(path.join(cwd, f)), { recursive: true });
    writeFileSync(path.join(cwd, f), c);
  }
  const [bin, args] = kind === 'sh' ? ['/bin/sh', [agentSh]] : [process.execPath, [agentCjs]];
  // A shell agent that is to answer on its own is given no node to hand over to.
  const node = kind === 'sh' && !o.handsOver ? path.join(base, 'no-node-here') : process.execPath;
  const r = spawnSync(bin, args, { cwd, input, encoding: 'utf8', env: { PATH: process.env.PATH, AGENT_SCRIPT: scriptFile, AGENT_NODE: node, AGENT_CJS: agentCjs }, timeout: 20_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, files: { ...tree(cwd, cwd), ...tree(outside, base) } };
}

function tree(dir: string, rel: string): Record<string, string> {
  const out: Record<string, string> = {};
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) Object.assign(out, tree(p, rel));
    else out[path.relative(rel, p)] = readFileSync(p).toString('base64');
  }
  return out;
}

const scriptFile = path.join(base, 'agent.json');
writeAgentScript(scriptFile, script);

// handsOver: a call the rendering has no answer to, which the shell agent hands to the
// CommonJS agent (given the routing headers); every other is answered without node.
const cases: [string, Record<string, string>, Record<string, string>?, { handsOver?: boolean }?][] = [
  ['explore, with writes in and out of its directory', { phase: 'explore', milestone: '-', attempt: '1' }],
  ['plan', { phase: 'plan', milestone: '-', attempt: '1' }],
  ['implement of a milestone with files', { phase: 'implement', milestone: '1', attempt: '1' }],
  ['implement that appends', { phase: 'implement', milestone: '1', attempt: '2' }, { 'src/a.txt': 'alpha\n' }],
  ['implement with its own status and needs', { phase: 'implement', milestone: '1', attempt: '3' }],
  ['implement of a planned milestone the script gives no files', { phase: 'implement', milestone: '3', attempt: '1' }],
  ['implement of a milestone outside the plan', { phase: 'implement', milestone: '7', attempt: '1' }, {}, { handsOver: true }],
  ['implement of a milestone a JSON string must escape', { phase: 'implement', milestone: ' 7"\\x\t ', attempt: '1' }, {}, { handsOver: true }],
  ['garbage', { phase: 'implement', milestone: '2', attempt: '1' }],
  ['the repair of a garbage answer answers', { phase: 'repair', 'repair-of': 'implement', milestone: '2', attempt: '1' }],
  ['review, default', { phase: 'review', milestone: '1', attempt: '1' }],
  ['review with changes', { phase: 'review', milestone: '1', attempt: '2' }],
  ['a phase no script knows', { phase: 'cleanup', milestone: '1', attempt: '1' }, {}, { handsOver: true }],
  ['no headers at all', {}, {}, { handsOver: true }],
];

for (const [name, headers, start, o] of cases) {
  t.test(name, async (t) => {
    const input = prompt(headers);
    const cjs = call('cjs', scriptFile, input, start);
    const sh = call('sh', scriptFile, input, start, o);
    t.equal(cjs.status, 0, 'the CommonJS agent answers');
    t.same(sh, cjs, o?.handsOver ? 'the same exit, output and files, from the CommonJS agent' : 'the same exit, output and files, without node');
  });
}

t.test('the last header of each name counts, its value trimmed', async (t) => {
  const input = `engine-phase: plan\nengine-milestone: 9\n${prompt({ phase: 'implement ', milestone: ' 1', attempt: '1\r' })}`;
  t.same(call('sh', scriptFile, input), call('cjs', scriptFile, input));
});

t.test('a call that commits on its own', async (t) => {
  const committing = path.join(base, 'commit.json');
  writeAgentScript(committing, { ...script, commit: { 'implement#1#1': 1 } });
  const input = prompt({ phase: 'implement', milestone: '1', attempt: '1' });
  const heads = (['sh', 'cjs'] as const).map((kind) => {
    const cwd = mkdtempSync(path.join(base, `git-${kind}-`));
    spawnSync('git', ['init', '-q', cwd]);
    const r = spawnSync(kind === 'sh' ? '/bin/sh' : process.execPath, [kind === 'sh' ? agentSh : agentCjs], { cwd, input, encoding: 'utf8', env: { ...process.env, AGENT_SCRIPT: committing, AGENT_NODE: process.execPath, AGENT_CJS: agentCjs } });
    const show = spawnSync('git', ['show', '--name-only', '--format=%an %s', 'HEAD'], { cwd, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, show: show.stdout };
  });
  t.match(heads[1]!.show, /^agent the agent commits on its own\n\nsrc\/a\.txt\nsrc\/deep\/er\/c\.txt\n$/);
  t.same(heads[0], heads[1]);
});

t.test('a call that signals its parent, and one that hangs', async (t) => {
  const signalling = path.join(base, 'signal.json');
  writeAgentScript(signalling, { ...script, signal_parent: { 'implement#1#1': 'SIGTERM' }, hang: { 'review#1#1': 1 } });
  const env = { ...process.env, AGENT_SCRIPT: signalling, AGENT_NODE: process.execPath, AGENT_CJS: agentCjs };
  for (const [bin, agent] of [['/bin/sh', agentSh], [process.execPath, agentCjs]]) {
    const cwd = mkdtempSync(path.join(base, 'signal-'));
    // The parent: a shell that would wait 10 s after the agent; the agent's signal ends it first.
    const parent = spawnSync('/bin/sh', ['-c', '"$@" > out.txt; sleep 10', 'parent', bin!, agent!], { cwd, input: prompt({ phase: 'implement', milestone: '1', attempt: '1' }), env, timeout: 8000 });
    t.equal(parent.signal, 'SIGTERM', `${path.basename(agent!)}: the parent got the signal`);
    const hang = spawnSync(bin!, [agent!], { cwd, input: prompt({ phase: 'review', milestone: '1', attempt: '1' }), env, timeout: 500, killSignal: 'SIGKILL' });
    t.equal(hang.signal, 'SIGKILL', `${path.basename(agent!)}: the hanging call was still running`);
    t.equal(hang.stdout.length, 0, 'and said nothing');
  }
});

t.test('a script changed and not rendered again: the CommonJS agent answers from it', async (t) => {
  const changed = path.join(base, 'changed.json');
  writeAgentScript(changed, script);
  writeFileSync(changed, JSON.stringify({ ...script, review: 'approve' }));
  const input = prompt({ phase: 'review', milestone: '1', attempt: '1' });
  const sh = call('sh', changed, input, {}, { handsOver: true });
  t.match(sh.stdout, /"verdict":"approve"/);
  t.same(sh, call('cjs', changed, input));
  renderAgentScript(changed);
  t.same(readFileSync(`${changed}.d/agent.json`, 'utf8'), readFileSync(changed, 'utf8'), 'rendered again, the copy is the script');
});

t.test('a script the files cannot say is not rendered: every call goes to the CommonJS agent', async (t) => {
  const odd = path.join(base, 'odd.json');
  writeAgentScript(odd, { ...script, writes: { 'explore#-#1': { 'a\nb.txt': 'x' } } });
  t.throws(() => statSync(`${odd}.d`), 'no rendering');
  const input = prompt({ phase: 'explore', milestone: '-', attempt: '1' });
  const sh = call('sh', odd, input, {}, { handsOver: true });
  t.same(Object.keys(sh.files), ['a\nb.txt']);
  t.same(sh, call('cjs', odd, input));
});
