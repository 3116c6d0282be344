/**
 * Regenerates the real-CLI transcripts in test/fixtures/transcripts/captured/ (fixtures for
 * the transcript parsers): each case runs the pinned claude or codex CLI against the
 * scripted model and saves stdout, stderr and a note on how it was produced.
 *
 *   node --import @tapjs/typescript/import test/stub/capture-transcripts.ts [name...]
 *
 * tap also loads every file under test/; there (TAP=1) this script does nothing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../engine/paths.js';
import { startStubModel, type StubModel } from '../../engine/stub/index.js';
import { claudeBin, codexBin, enginePrompt, makeTempDir, runClaude, runCodex, writeCodexHome, type CliRun } from './helpers/run-cli.js';

const outDir = path.join(packageRoot, 'test', 'fixtures', 'transcripts', 'captured');
const scenarioFile = path.join('test', 'fixtures', 'scenarios', 'capture.scenario.yaml');

interface Capture {
  name: string;
  cli: 'claude' | 'codex';
  what: string;
  run(stub: StubModel): Promise<CliRun[]>;
}

const plan = enginePrompt({ phase: 'plan', step: 'plan' }, 'Plan a greeting module.');
const implement = enginePrompt({ phase: 'implement', step: 'implement', milestone: '1' }, 'Implement milestone 1.');
const garbage = enginePrompt({ phase: 'implement', step: 'implement', milestone: '2' }, 'Implement milestone 2.');
const repair = enginePrompt({ phase: 'repair', step: 'implement', milestone: '2', repairOf: 'implement' }, 'Your answer had no markers block. Answer again with only the block.');
const uncovered = enginePrompt({ phase: 'review', step: 'review', milestone: '1' }, 'Review milestone 1.');

const captures: Capture[] = [
  { name: 'claude-plain', cli: 'claude', what: 'a plan call answered with a markers block, no tools', run: (s) => claudeOnce(s, plan) },
  { name: 'claude-tools', cli: 'claude', what: 'an implement call: Write src/greet.js, Bash `node src/greet.js`, then a markers block', run: (s) => claudeOnce(s, implement) },
  { name: 'claude-error', cli: 'claude', what: 'a review prompt the scenario does not cover: the server answers HTTP 400 naming the scenario file', run: (s) => claudeOnce(s, uncovered) },
  { name: 'claude-resume', cli: 'claude', what: 'a marker-less answer, then a repair prompt in the same session via `--resume <session_id>` (only the second run is saved here; the first is claude-resume-first)', run: (s) => claudeResume(s) },
  { name: 'codex-plain', cli: 'codex', what: 'a plan call answered with a markers block, no tools', run: (s) => codexOnce(s, plan) },
  { name: 'codex-tools', cli: 'codex', what: 'an implement call: apply_patch through exec_command (a file_change item), exec_command `node src/greet.js`, then a markers block', run: (s) => codexOnce(s, implement) },
  { name: 'codex-error', cli: 'codex', what: 'a review prompt the scenario does not cover: the server answers HTTP 400 naming the scenario file', run: (s) => codexOnce(s, uncovered) },
  { name: 'codex-resume', cli: 'codex', what: 'a marker-less answer, then a repair prompt in the same thread via `codex exec resume <thread_id>` (the first run is codex-resume-first)', run: (s) => codexResume(s) },
];

async function claudeOnce(stub: StubModel, prompt: string): Promise<CliRun[]> {
  return [await runClaude({ origin: stub.origin, home: await makeTempDir('claude-home'), cwd: await makeTempDir('claude-cwd'), prompt })];
}

async function claudeResume(stub: StubModel): Promise<CliRun[]> {
  const home = await makeTempDir('claude-home');
  const cwd = await makeTempDir('claude-cwd');
  const first = await runClaude({ origin: stub.origin, home, cwd, prompt: garbage });
  const sessionId = String(first.events.find((e) => e['type'] === 'result')?.['session_id'] ?? '');
  if (!sessionId) throw new Error(`claude gave no session_id:\n${first.stdout}\n${first.stderr}`);
  const second = await runClaude({ origin: stub.origin, home, cwd, prompt: repair, args: ['--resume', sessionId] });
  return [first, second];
}

async function codexOnce(stub: StubModel, prompt: string): Promise<CliRun[]> {
  const home = await makeTempDir('codex-home');
  await writeCodexHome(home, stub.origin);
  return [await runCodex({ home, cwd: await makeTempDir('codex-cwd'), prompt })];
}

async function codexResume(stub: StubModel): Promise<CliRun[]> {
  const home = await makeTempDir('codex-home');
  await writeCodexHome(home, stub.origin);
  const cwd = await makeTempDir('codex-cwd');
  const first = await runCodex({ home, cwd, prompt: garbage });
  const threadId = String(first.events.find((e) => e['type'] === 'thread.started')?.['thread_id'] ?? '');
  if (!threadId) throw new Error(`codex gave no thread_id:\n${first.stdout}\n${first.stderr}`);
  const second = await runCodex({ home, cwd, prompt: repair, resume: threadId });
  return [first, second];
}

async function save(name: string, capture: Capture, run: CliRun, stub: StubModel, step: string): Promise<void> {
  await writeFile(path.join(outDir, `${name}.stdout.jsonl`), run.stdout);
  await writeFile(path.join(outDir, `${name}.stderr.txt`), run.stderr);
  const bin = capture.cli === 'claude' ? claudeBin : codexBin;
  const note = [
    `# ${name}`,
    '',
    `${capture.what}${step}.`,
    '',
    `- CLI: \`${path.relative(packageRoot, bin)}\` (pinned in package.json)`,
    `- scripted model: \`engine/stub\` serving \`${scenarioFile}\` on ${stub.origin}`,
    `- environment (besides the inherited one): ${Object.entries(run.env).map(([k, v]) => `\`${k}=${k.endsWith('_URL') ? '<origin>' : k.endsWith('DIR') || k.endsWith('HOME') ? '<temp dir>' : v}\``).join(', ')}${capture.cli === 'claude' ? '; `CLAUDECODE` unset' : ''}`,
    capture.cli === 'codex' ? `- CODEX_HOME/config.toml: \`model_provider = "engine"\`, \`model = "engine-scripted"\`, \`[model_providers.engine]\` name, \`base_url = "<origin>/v1"\`, \`env_key = "OPENAI_API_KEY"\`, \`wire_api = "responses"\`` : null,
    `- working directory: a fresh temp dir; stdin closed`,
    `- argv: \`${path.basename(bin)} ${run.argv.map(quoteArg).join(' ')}\``,
    `- exit code: ${run.exitCode}`,
    '',
    'Regenerate with `node --import @tapjs/typescript/import test/stub/capture-transcripts.ts` (temp paths, ids and timings change).',
    '',
  ].filter((l): l is string => l !== null);
  await writeFile(path.join(outDir, `${name}.md`), note.join('\n') + '\n');
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`).replaceAll('\n', '\\n')}'`;
}

async function captureAll(only: string[]): Promise<void> {
  await mkdir(outDir, { recursive: true });
  for (const capture of captures) {
    if (only.length > 0 && !only.includes(capture.name)) continue;
    const stub = await startStubModel({ scenarioFile });
    try {
      const runs = await capture.run(stub);
      if (runs.length === 2) {
        await save(`${capture.name}-first`, capture, runs[0]!, stub, ' — this is the first run');
        await save(capture.name, capture, runs[1]!, stub, ' — this is the resumed run');
      } else {
        await save(capture.name, capture, runs[0]!, stub, '');
      }
      process.stderr.write(`captured ${capture.name} (exit ${runs.map((r) => r.exitCode).join(', ')})\n`);
    } finally {
      await stub.close();
    }
  }
}

if (process.env['TAP'] !== '1') await captureAll(process.argv.slice(2));
