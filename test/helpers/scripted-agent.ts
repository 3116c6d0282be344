/**
 * The scripted agent's script, and its answers rendered as files for the shell agent
 * (test/fixtures/workers/scripted-agent.sh), which then answers without starting node. Every
 * answer is the one test/fixtures/workers/scripted-agent.cjs gives for the same script,
 * byte for byte; a script the files cannot express is not rendered, and the shell agent hands
 * such a call to the CommonJS one.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const workers = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'workers');
export const agentCjs = path.join(workers, 'scripted-agent.cjs');
export const agentSh = path.join(workers, 'scripted-agent.sh');

export interface AgentScript {
  plan: { id: string; goal: string; files_expected: string[] }[];
  implement: Record<string, Record<string, string>>;
  review?: string;
  garbage?: Record<string, number>;
  hang?: Record<string, number>;
  /** Files written by the call with this `phase#milestone#attempt` key, in any phase. */
  writes?: Record<string, Record<string, string>>;
  /** Text appended to files by the call with this key. */
  appends?: Record<string, Record<string, string>>;
  /** Calls that commit in their worktree on their own. */
  commit?: Record<string, number>;
  /** Calls that send a signal to the engine that started them. */
  signal_parent?: Record<string, string>;
  /** The reviewer's `changes` per call key (default none). */
  review_changes?: Record<string, string[]>;
  /** The implementer's `status` and `needs` per call key (default none, null). */
  status?: Record<string, string>;
  needs?: Record<string, string>;
}

/** The worker spec of a `command` worker that is the scripted agent of `scriptFile`. */
export function agentWorker(scriptFile: string): { use: 'command'; bin: string; args: string[]; env: Record<string, string> } {
  return { use: 'command', bin: '/bin/sh', args: [agentSh], env: { AGENT_SCRIPT: scriptFile, AGENT_NODE: process.execPath, AGENT_CJS: agentCjs } };
}

/** Writes the script to `scriptFile` and renders it beside (`<scriptFile>.d`). Impure. */
export function writeAgentScript(scriptFile: string, script: AgentScript): void {
  writeFileSync(scriptFile, JSON.stringify(script));
  renderAgentScript(scriptFile);
}

// What a call answers: the CommonJS agent's own functions, so the rendering cannot drift from it.
const { markersFor, answerText } = createRequire(import.meta.url)('../fixtures/workers/agent-answers.cjs') as {
  markersFor: (script: AgentScript, phase: string, milestone: string, key: string | null) => unknown;
  answerText: (markers: unknown) => string;
};
const answer = (script: AgentScript, phase: string, milestone: string, key: string | null): string => answerText(markersFor(script, phase, milestone, key));

type Files = Map<string, string | Buffer>;

/**
 * The files of the rendering (relative path → content), or null when the script holds
 * something they cannot say: no plan, a key or milestone that is no file name, a path with
 * a line break, a content that is no string. Pure.
 */
export function renderFiles(bytes: Buffer): Files | null {
  let script: AgentScript;
  try {
    script = JSON.parse(bytes.toString('utf8')) as AgentScript;
  } catch {
    return null;
  }
  if (!script || typeof script !== 'object' || !Array.isArray(script.plan)) return null;
  const out: Files = new Map([['agent.json', bytes]]);
  const nameOk = (s: string) => s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\0');
  const putAll = (dir: string, files: Record<string, unknown>, decode: boolean): boolean => {
    let i = 0;
    for (const [file, content] of Object.entries(files)) {
      if (typeof content !== 'string' || file.includes('\n') || file.includes('\0')) return false;
      const n = String(i++).padStart(4, '0');
      out.set(`${dir}/${n}.path`, `${file}\n`);
      out.set(`${dir}/${n}.data`, decode && content.startsWith('base64:') ? Buffer.from(content.slice(7), 'base64') : content);
    }
    return true;
  };
  for (const phase of ['explore', 'plan', 'review']) out.set(`out/${phase}`, answer(script, phase, '-', null));
  for (const [milestone, files] of Object.entries(script.implement ?? {})) {
    if (!nameOk(milestone) || !putAll(`implement/${milestone}`, files, false)) return null;
    out.set(`implement/${milestone}.out`, answer(script, 'implement', milestone, null));
  }
  // Every milestone of the plan (the engine's header counts them from 1), files or none; the
  // shell agent hands an implement of any other to the CommonJS agent.
  for (let i = 1; i <= script.plan.length; i++) if (!out.has(`implement/${i}.out`)) out.set(`implement/${i}.out`, answer(script, 'implement', String(i), null));
  const perKey = [script.garbage, script.hang, script.writes, script.appends, script.commit, script.signal_parent, script.review_changes, script.status, script.needs];
  const keys = new Set(perKey.flatMap((m) => Object.keys(m ?? {})));
  for (const key of keys) {
    if (!nameOk(key)) return null;
    const dir = `keys/${key}`;
    const [phase, milestone = ''] = key.split('#');
    if (script.hang?.[key]) out.set(`${dir}/hang`, '');
    if (script.garbage?.[key]) out.set(`${dir}/garbage`, '');
    if (script.commit?.[key]) out.set(`${dir}/commit`, '');
    if (script.signal_parent?.[key]) out.set(`${dir}/signal`, `${script.signal_parent[key]}\n`);
    if (!putAll(`${dir}/writes`, script.writes?.[key] ?? {}, true) || !putAll(`${dir}/appends`, script.appends?.[key] ?? {}, false)) return null;
    const ownAnswer = (phase === 'implement' && (script.status?.[key] !== undefined || script.needs?.[key] !== undefined)) || (phase === 'review' && script.review_changes?.[key] !== undefined);
    if (ownAnswer) out.set(`${dir}/out`, answer(script, phase!, milestone, key));
  }
  return out;
}

/**
 * Renders the script in `scriptFile` into `<scriptFile>.d`, replacing what was there (made
 * apart and renamed into place); a script renderFiles cannot say leaves no rendering, and its
 * calls go to the CommonJS agent. Impure.
 */
export function renderAgentScript(scriptFile: string): void {
  const dir = `${scriptFile}.d`;
  const files = renderFiles(readFileSync(scriptFile));
  rmSync(dir, { recursive: true, force: true });
  if (files === null) return;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const [rel, content] of files) {
    mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    writeFileSync(path.join(tmp, rel), content);
  }
  renameSync(tmp, dir);
}
